"""Demo short videos: one valid 2-minute 1080×1920 test-pattern clip is made with ffmpeg once and
uploaded through the real service (ffprobe check, poster, thumbnail) for each demo entry; each
submitted one also gets the generated stamped-scan image of its 附件2 form, as the notice requires.

Submitted videos are left 待初筛 here: the screening seeder (which runs next) decides them through the
real 初筛 service, as it does the cases."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from flask import current_app

from contest.demo.cases import make_demo_scan
from contest.media.binaries import ffmpeg_path
from contest.submissions import video_services as svc

# (unit account, title, category, director, synopsis, introduction, submitted)
VIDEOS = [
    ("yanta", "诚信小店", "drama", "赵晓明",
     "小巷里的老张坚持明码标价、承诺退换，顾客口口相传，信用成了小店最好的招牌。",
     "作品以雁塔区一家社区便利店为原型，讲述经营者签署信用承诺书、公开经营信息、主动接受评价的经历，"
     "展现“诚信经营—口碑积累—守信激励”的良性循环。", True),
    ("gaoxin", "信易贷：数据多跑路，企业少跑腿", "documentary", "孙一鸣",
     "一家科技型小微企业凭借良好纳税和社保信用，通过“秦信融”平台三天获得纯信用贷款。",
     "纪实记录高新区依托信用信息共享平台开展“信易贷”服务的过程，呈现信用数据赋能融资、破解小微企业融资难的实际成效。",
     True),
    ("scjgj", "信用修复，重新出发", "documentary", "李娜",
     "因未按时公示年报被列入经营异常名录的企业，在指导下完成信用修复，重回市场。",
     "通过真实案例介绍信用修复的条件、流程和线上办理渠道，引导失信主体主动纠错、重塑信用。", True),
    ("fengxi", "守信小课堂", "animation", "蒋琳",
     "动画形象“信信”带孩子们认识信用承诺、双公示和守信激励。",
     "以动画形式普及社会信用体系基础知识，适合在社区、学校和政务大厅循环播放。", True),
    ("beilin", "一诺千金", "drama", "冯雪",
     "年轻创业者面对诱惑坚守合同约定，最终赢得长期合作伙伴的信任。",
     "以碑林区创业街区为背景的微剧情，讲述契约精神在青年创业中的价值。", True),
    ("fgw", "“双公示”进行时", "documentary", "王敏",
     "走进行政许可和行政处罚信息“双公示”的日常工作。",
     "记录市级部门按时、准确、完整公示信息的工作细节。", False),
]


def make_demo_clip(dest: Path, seconds: int = 125) -> Path:
    """A valid entry: 1080×1920 portrait test pattern with a tone, 1 frame per second (fast to make)."""
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=1080x1920:r=1",
                    "-f", "lavfi", "-i", "sine=frequency=523:sample_rate=22050", "-t", str(seconds),
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "600",
                    "-c:a", "aac", "-b:a", "32k", "-shortest", "-movflags", "+faststart", str(dest)],
                   check=True, stdin=subprocess.DEVNULL, timeout=300)
    return dest


def seed(ctx: dict) -> None:
    contest, now = ctx["contest"], ctx["now"]
    users = ctx.get("unit_users", {})
    upload_root = current_app.config["UPLOAD_ROOT"]
    work = Path(tempfile.mkdtemp(prefix="demo-video-"))
    created = []
    try:
        clip = make_demo_clip(work / "clip.mp4")
        scan = make_demo_scan(work / "scan.png")
        for username, title, category, director, synopsis, intro, submitted in VIDEOS:
            user = users.get(username)
            if user is None:
                continue
            data = {"title": title, "category": category, "director": director, "producer": user.unit.name,
                    "contact": f"{user.unit.contact_name} {user.unit.contact_phone}", "synopsis": synopsis,
                    "introduction": intro, "recommender_opinion": "同意推荐。"}
            video = svc.create_video(contest, user.unit, data, actor=user, now=now)
            with open(clip, "rb") as fh:
                upload = svc.attach_video_file(video, contest, fh, original_name=f"{title}.mp4", actor=user, now=now,
                                               upload_root=upload_root, max_bytes=current_app.config["MAX_VIDEO_BYTES"])
            if not upload.verdict.ok:
                raise RuntimeError(f"demo clip refused: {upload.verdict.reasons}")
            if submitted:
                with open(scan, "rb") as fh:
                    svc.attach_scan(video, contest, fh, original_name=f"{title}（盖章扫描件）.png", actor=user,
                                    now=now, upload_root=upload_root, max_bytes=current_app.config["MAX_SCAN_BYTES"])
                svc.submit_video(video, contest, declared=True, actor=user, now=now)
            created.append(video)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ctx["videos"] = created
