"""Demo cases (附件1) of the demo contest, written from what units actually do all year
(沣西新城社会信用体系建设工作方案, 沣西党政办字〔2023〕17号): 双公示, 信用承诺, 信易贷/秦信融,
信用修复, 分级分类监管, 信用报告应用, 诚信宣传. Submitted ones wait for 初筛 (the screening seeder
decides); a few are drafts, one is withdrawn.

Every case goes through the real case services as a unit would: created as a draft, given a generated
stamped-scan image, submitted with the integrity commitment (and one withdrawn again)."""
from __future__ import annotations

import math
import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import current_app
from PIL import Image, ImageDraw

from contest.submissions import case_services as svc
from contest.submissions.models import EntryState

# (unit name, title, themes, highlights, problem, measures, effects, state)
CASES = [
    ("西咸新区沣西新城管委会", "“双公示”数据质量提升：七个工作日内应公尽公",
     ["信用基础设施建设", "政务诚信"],
     "建立行政许可、行政处罚信息归集台账，逐条比对校验，合规率持续保持100%。",
     "行政许可、行政处罚信息公示不及时、不完整，部分数据格式不规范，影响信用信息共享和应用。",
     "严格执行自作出行政决定7个工作日内公开公示；建立常态化信息归集机制，按月台账比对、校验；开展“双公示”数据质量提升专项行动，"
     "对责任单位逐一培训，问题数据限期整改。",
     "“双公示”数据合规率达到100%，完整性、及时率均高于90%，为信用监管和联合奖惩提供了准确的数据基础。",
     EntryState.SUBMITTED),
    ("西咸新区沣西新城管委会", "信用承诺制“承诺即办”：证明事项告知承诺全覆盖",
     ["行业信用监管", "提升信用法治化规范化水平"],
     "以信用承诺替代证明材料，事前承诺、事中核查、事后奖惩闭环管理。",
     "企业和群众办事需要反复开具证明，材料多、跑腿多、时间长。",
     "建立告知承诺制证明事项和涉企审批事项目录清单，全面推行审批替代型、容缺受理型、主动公示型等信用承诺；"
     "承诺书信息20个工作日内归集报送，履约践诺情况纳入信用记录。",
     "信用承诺及履约践诺信息累计报送数超过辖区企业总数，平均办理时限压缩一半以上，失信承诺依法纳入信用记录。",
     EntryState.SUBMITTED),
    ("西咸新区沣西新城管委会", "“秦信融”平台助力中小微企业信易贷",
     ["创新信用融资服务和产品"],
     "依托“秦信融”平台，政府、银行、企业、担保机构、信用服务机构多方参与，实现纯信用、线上化放款。",
     "中小微企业缺少抵押物，融资难、融资贵，银企信息不对称。",
     "引导企业注册“秦信融”平台，推动地方金融组织入驻，与平台联合建立预授信模型；定期举办银企对接会，"
     "将纳税、社保、公积金等信用信息授权共享给金融机构。",
     "平台注册企业数和授信金额逐季增长，一批科技型中小企业凭信用获得首笔贷款。",
     EntryState.SUBMITTED),
    ("雁塔区", "信用修复“一次办”：两书同达，主动告知",
     ["提升信用法治化规范化水平", "政务诚信"],
     "行政处罚决定书与信用修复告知书同时送达，修复流程透明便利。",
     "不少企业受到行政处罚后不知道可以修复信用，修复材料多、流程不清楚。",
     "落实“两书同达”机制，各行政处罚机关主动开展信用修复指导培训；建立信用修复告知书送达台账，线上受理、限时办结。",
     "信用修复平均用时由过去的十余个工作日缩短到3个工作日，企业满意度明显提升。",
     EntryState.SUBMITTED),
    ("雁塔区", "餐饮行业信用分级分类监管",
     ["行业信用监管"],
     "依据信用评价结果确定检查频次，对低风险企业“无事不扰”，对高风险企业重点监管。",
     "监管力量有限，“一刀切”检查既增加守信企业负担，又难以聚焦风险。",
     "结合公共信用综合评价结果，将餐饮企业分为A、B、C、D四级，差异化确定抽查比例和频次，检查结果回流信用记录。",
     "抽查针对性显著提高，守信企业受检次数减少，问题发现率上升。",
     EntryState.SUBMITTED),
    ("西安高新技术产业开发区", "园区“信用+”场景：评价—服务—监管一体化",
     ["信用市场化建设", "行业信用监管"],
     "对入驻园区企业开展信用评价，依据结果提供差异化服务和监管。",
     "园区企业数量多、类型杂，服务和监管缺少统一的信用依据。",
     "建立“信用评价—信用服务—信用监管”机制，评价结果用于租金优惠、政策兑现和日常监管。",
     "园区企业信用意识明显增强，守信企业获得更多政策支持。",
     EntryState.SUBMITTED),
    ("西安市市场监督管理局", "信用报告替代无违法违规证明",
     ["政务诚信", "信用基础设施建设"],
     "以“信用中国”专用信用报告替代多个部门的无违法违规证明。",
     "企业上市融资、招投标需要到多个部门开具无违法违规证明，耗时长。",
     "在政府采购、招标投标、行政审批等领域全面使用“信用中国”网站信用信息报告，按季度梳理应用情况。",
     "企业开具证明时间由数周缩短为当天，减少跑腿数十个部门。",
     EntryState.SUBMITTED),
    ("西安市发展和改革委员会", "诚信宣传“六进”活动常态化",
     ["诚信文化"],
     "诚信进校园、进机关、进企业、进园区、进社区、进村镇，每季度不少于一次。",
     "诚信宣传形式单一、覆盖面窄，群众参与度不高。",
     "依托“3·15”“4·26”“6·14信用记录关爱日”等节点，开展主题宣传、诚信典型评选和案例宣讲。",
     "全年开展宣传活动数十场，覆盖群众数万人次，诚信典型事迹广泛传播。",
     EntryState.SUBMITTED),
    ("碑林区", "严重失信主体专项治理",
     ["行业信用监管"],
     "提示约谈、信用承诺、联合惩戒、重点监管和公开公示多措并举。",
     "辖区部分严重失信主体长期未退出名单，影响营商环境。",
     "建立一户一档，逐户约谈，指导履行义务并申请信用修复。",
     "",  # the third part is still being written
     EntryState.DRAFT),
    ("雁塔区", "建设工程领域信用评价应用",
     ["行业信用监管", "其他"],
     "工程建设领域信用评价结果用于招标投标。",
     "招投标中“唯价格论”导致低价中标、质量隐患。",
     "将企业信用评价结果作为评标因素。",
     "试点项目质量投诉减少。",
     EntryState.WITHDRAWN),
]


def make_demo_scan(dest: Path) -> Path:
    """A stand-in for the stamped 申报表 scan: an A4 page (100 dpi) of grey text lines and a red seal."""
    page = Image.new("RGB", (827, 1169), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((260, 90, 567, 118), fill=(60, 60, 60))
    for y in range(180, 900, 36):
        draw.rectangle((90, y, 737 - (y * 37) % 180, y + 12), fill=(150, 150, 150))
    draw.ellipse((520, 880, 720, 1080), outline=(200, 30, 30), width=8)
    star = [(620 + r * math.sin(k * math.pi / 5), 975 - r * math.cos(k * math.pi / 5))
            for k, r in ((k, 42 if k % 2 == 0 else 17) for k in range(10))]
    draw.polygon(star, fill=(200, 30, 30))
    page.save(dest, "PNG")
    return dest


def seed(ctx: dict) -> None:
    contest, now = ctx["contest"], ctx["now"]
    units = ctx["units"]
    users_by_unit = {u.unit_id: u for u in ctx.get("unit_users", {}).values()}
    upload_root, max_bytes = current_app.config["UPLOAD_ROOT"], current_app.config["MAX_SCAN_BYTES"]
    work = Path(tempfile.mkdtemp(prefix="demo-scan-"))
    created = []
    try:
        scan = make_demo_scan(work / "scan.png")
        for i, (unit_name, title, themes, highlights, problem, measures, effects, state) in enumerate(CASES):
            unit = units[unit_name]
            author = users_by_unit.get(unit.id) or ctx["organizer"]
            when = now - timedelta(days=20 - i)
            data = {"title": title, "themes": themes, "highlights": highlights, "part_problem": problem,
                    "part_measures": measures, "part_effects": effects, "contact_name": unit.contact_name,
                    "contact_phone": unit.contact_phone, "contact_email": f"credit{unit.id}@example.cn",
                    "unit_address": unit.address,
                    "recommender_opinion": "情况属实，同意推荐。" if state != EntryState.DRAFT else ""}
            case = svc.create_case(contest, unit, data, actor=author, now=when)
            if state in (EntryState.SUBMITTED, EntryState.WITHDRAWN):
                with open(scan, "rb") as fh:
                    svc.attach_scan(case, contest, fh, original_name=f"{title}（盖章扫描件）.png", actor=author,
                                    now=when + timedelta(hours=1), upload_root=upload_root, max_bytes=max_bytes)
                svc.submit_case(case, contest, committed=True, actor=author, now=when + timedelta(hours=2))
            if state == EntryState.WITHDRAWN:
                svc.withdraw_case(case, contest, actor=author, now=when + timedelta(days=1))
            created.append(case)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ctx["cases"] = created
