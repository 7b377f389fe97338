"""Videos (附件2) through the real routes: form, streaming upload with real ffprobe, posters,
playback with Range, access, submission, deadline, Word export, web renditions."""
from __future__ import annotations

import io
import os
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from docx import Document

from contest.accounts.models import Role
from contest.contests.models import Phase
from contest.core.models import AuditLog
from contest.core.timeutil import utcnow
from contest.extensions import db
from contest.media import transcode
from contest.media.models import StoredFile
from contest.media.probe import NOT_MEDIA, inspect
from contest.submissions.models import EntryState, ScreeningStatus, TranscodeState, Video
from tests.factories import make_contest, make_organizer, make_unit, make_user, open_schedule
from tests.video_support import library

FORM = {"title": "诚信小店", "category": "drama", "director": "李四", "producer": "雁塔区融媒体中心",
        "contact": "李四 13900139000", "honors": "", "synopsis": "一家小店坚持诚信经营的故事。",
        "introduction": "以真实案例改编，讲述信用承诺带来的改变。", "recommender_opinion": "同意推荐。", "remarks": ""}


@pytest.fixture(scope="module")
def videos():
    return library()


@pytest.fixture(autouse=True)
def empty_upload_root(app):
    """The database is emptied per test; empty the file store too so leftovers are visible."""
    import shutil

    shutil.rmtree(app.config["UPLOAD_ROOT"], ignore_errors=True)
    yield
    transcode.wait_all()


@pytest.fixture
def world(app):
    contest = make_contest(schedule=open_schedule(Phase.SUBMISSION))
    unit = make_unit(name="雁塔区信用办")
    user = make_user(Role.UNIT, unit=unit)
    other = make_user(Role.UNIT, unit=make_unit(name="碑林区信用办"))
    organizer = make_organizer()
    db.session.commit()
    return {"contest": contest, "unit": unit, "user": user, "other": other, "organizer": organizer}


@pytest.fixture
def unit_client(login_as, world):
    return login_as(world["user"])


def create(client, **over) -> Video:
    resp = client.post("/videos/new", data={**FORM, **over})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:800]
    return db.session.scalars(sa.select(Video).order_by(Video.id.desc())).first()


def put_file(client, video_id, body, name="作品.mp4", **kw):
    headers = {"X-CSRFToken": client.csrf_token(), "X-File-Name": name, "Accept": "application/json"}
    if isinstance(body, Path):
        body = body.read_bytes()
    return client.put(f"/videos/{video_id}/file", data=body, headers=headers,
                      content_type="application/octet-stream", csrf=False, **kw)


def png_scan() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (600, 850), (250, 250, 250)).save(out, "PNG")
    return out.getvalue()


def put_scan(client, video_id, body: bytes | None = None, name="推荐表盖章.png"):
    return client.post(f"/videos/{video_id}/scan", data={"scan": (io.BytesIO(body or png_scan()), name)},
                       content_type="multipart/form-data")


def files_on_disk(app) -> list[Path]:
    root = Path(app.config["UPLOAD_ROOT"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- the form ----------------------------------------------------------------------------------------

def test_new_video_saves_draft_and_audits(unit_client, world):
    video = create(unit_client)
    assert (video.title, video.category.label, video.state, video.unit_id) == (
        "诚信小店", "剧情类", EntryState.DRAFT, world["unit"].id)
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.target_type == "video", AuditLog.target_id == video.id)) == "video_created"


def test_new_video_form_shows_every_field_of_attachment_2(unit_client):
    html = unit_client.get("/videos/new").get_data(as_text=True)
    for label in ("作品名称", "作品类别", "时长", "导演", "制片人或制片单位", "参选单位联系人及电话", "曾获区县级以上主要荣誉",
                  "参选作品剧情摘要", "参选作品简介", "推荐单位意见", "备注", "剧情类", "纪实类", "动画类"):
        assert label in html


def test_empty_post_gets_chinese_message_not_500(unit_client):
    resp = unit_client.post("/videos/new", data={})
    assert resp.status_code == 422
    assert "请填写作品名称" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Video)) == 0


def test_garbage_category_is_refused_in_chinese(unit_client):
    resp = unit_client.post("/videos/new", data={**FORM, "category": "horror"})
    assert resp.status_code == 422
    assert "作品类别只能是剧情类、纪实类或动画类" in resp.get_data(as_text=True)


def test_synopsis_limit_100_and_introduction_limit_800(unit_client):
    resp = unit_client.post("/videos/new", data={**FORM, "synopsis": "字" * 101, "introduction": "文" * 801})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "参选作品剧情摘要共 101 字，超过 100 字的上限（多 1 字）" in body
    assert "参选作品简介共 801 字，超过 800 字的上限（多 1 字）" in body
    # The typed text is kept.
    assert "字" * 101 in body
    video = create(unit_client, synopsis="字" * 100 + "\n \u3000", introduction="文" * 800)
    assert video.synopsis == "字" * 100


def test_edit_updates_fields(unit_client):
    video = create(unit_client)
    resp = unit_client.post(f"/videos/{video.id}/edit", data={**FORM, "director": "王五"})
    assert resp.status_code == 302
    db.session.refresh(video)
    assert video.director == "王五"


# --- upload and validation ---------------------------------------------------------------------------

def test_upload_portrait_is_accepted_with_poster_and_duration(app, unit_client, videos):
    video = create(unit_client)
    resp = put_file(unit_client, video.id, videos["portrait"])
    data = resp.get_json()
    assert resp.status_code == 200, data
    assert data["ok"] is True
    assert data["verdict"]["duration"] == 150.0
    db.session.refresh(video)
    assert video.duration_seconds == 150.0
    assert video.duration_label == "2分30秒"
    assert video.transcode_state == TranscodeState.NOT_NEEDED
    stored = video.video_file
    assert (stored.purpose, stored.content_type, stored.original_name, stored.size) == (
        "video", "video/mp4", "作品.mp4", videos["portrait"].stat().st_size)
    assert (stored.width, stored.height) == (1080, 1920)
    assert "作品" not in stored.storage_key
    assert video.poster_file.content_type == "image/jpeg"
    assert (video.poster_file.width, video.poster_file.height) == (1080, 1920)
    assert (video.thumb_file.width, video.thumb_file.height) == (360, 640)
    assert video.playable_file.id == stored.id
    assert len(files_on_disk(app)) == 3  # video, poster, thumbnail; no temp file left


def test_upload_rotated_phone_recording_is_accepted(unit_client, videos):
    video = create(unit_client)
    resp = put_file(unit_client, video.id, videos["rotated_portrait"], name="IMG_0001.MOV")
    assert resp.status_code == 200, resp.get_json()
    db.session.refresh(video)
    assert (video.probe["display_width"], video.probe["display_height"]) == (1080, 1920)
    # ffmpeg applies the rotation when taking the poster: it is portrait too.
    assert (video.poster_file.width, video.poster_file.height) == (1080, 1920)


@pytest.mark.parametrize("name,reasons", [
    ("landscape", ["画面 1920×1080（横屏），要求 1080×1920 竖屏。"]),
    ("small_720", ["画面 720×1280（竖屏），要求 1080×1920 竖屏。"]),
    ("wide_1088", ["画面 1088×1920（竖屏），要求 1080×1920 竖屏。"]),
    ("too_short_119", ["时长 1分59秒，要求 2–5 分钟。"]),
    ("too_long_301", ["时长 5分1秒，要求 2–5 分钟。"]),
    ("audio_only", ["文件中没有视频画面（只有音频或无法识别的内容），要求上传含视频画面的 MP4/MOV 文件。"]),
    ("text", ["文件内容不是视频（识别为：无法识别的格式），要求上传 MP4/MOV 视频文件；请勿仅修改文件扩展名。"]),
    ("png", ["文件内容不是视频（识别为：PNG 图片），要求上传 MP4/MOV 视频文件；请勿仅修改文件扩展名。"]),
    ("truncated", [NOT_MEDIA]),
    ("truncated_faststart", ["文件不完整：只读到 72/150 帧（上传或导出时被截断），要求上传完整的视频文件。"]),
])
def test_bad_files_are_refused_precisely_and_leave_nothing(app, unit_client, videos, name, reasons):
    video = create(unit_client)
    resp = put_file(unit_client, video.id, videos[name], name=f"{name}.mp4")
    assert resp.status_code == 422
    assert resp.get_json()["reasons"] == reasons
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    db.session.refresh(video)
    assert video.video_file_id is None
    assert files_on_disk(app) == []


def test_hostile_file_name_is_only_metadata(app, unit_client, videos):
    video = create(unit_client)
    resp = put_file(unit_client, video.id, videos["portrait"], name="../../x.mp4")
    assert resp.status_code == 200
    db.session.refresh(video)
    assert video.video_file.original_name == "x.mp4"
    root = Path(app.config["UPLOAD_ROOT"]).resolve()
    assert all(root in p.resolve().parents for p in files_on_disk(app))
    assert not (root.parent / "x.mp4").exists() and not (root.parent.parent / "x.mp4").exists()
    assert all("x.mp4" not in p.name for p in files_on_disk(app))


def test_file_over_the_cap_gets_413_and_leaves_nothing(app, unit_client, videos):
    video = create(unit_client)
    app.config["MAX_VIDEO_BYTES"] = 100_000
    resp = put_file(unit_client, video.id, videos["portrait"])
    assert resp.status_code == 413
    assert resp.get_json()["reasons"] == ["视频文件超过 97 KB 的大小上限，请压缩后重新上传。"]
    assert files_on_disk(app) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


class Body(io.RawIOBase):
    """A request body of ``size`` bytes produced on the fly (never held in memory as a whole).

    Seekable only so that the test client can measure it, as a real server reads Content-Length.
    ``drop_after`` makes the connection break after that many bytes."""

    def __init__(self, size: int, source: bytes = b"", drop_after: int | None = None):
        self.size, self.source, self.drop_after, self.pos = size, source, drop_after, 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, offset, whence=0):
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def readinto(self, buf):
        if self.drop_after is not None and self.pos >= self.drop_after:
            raise ConnectionResetError("client went away")
        end = min(self.size, self.pos + len(buf))
        if self.drop_after is not None:
            end = min(end, self.drop_after)
        n = end - self.pos
        if self.source:
            buf[:n] = self.source[self.pos:end]
        else:
            buf[:n] = bytes(n)
        self.pos = end
        return n


def test_dropped_connection_leaves_nothing_behind(app, unit_client, videos):
    video = create(unit_client)
    data = videos["portrait"].read_bytes()
    headers = {"X-CSRFToken": unit_client.csrf_token(), "X-File-Name": "a.mp4", "Accept": "application/json",
               "Content-Type": "application/octet-stream"}
    resp = unit_client.put(f"/videos/{video.id}/file", input_stream=Body(len(data), data, drop_after=len(data) // 2), headers=headers,
                           csrf=False)
    assert resp.status_code == 400
    assert resp.get_json()["reasons"] == ["视频文件上传中断，未保存。请检查网络后重新上传。"] or \
        resp.get_json()["reasons"] == ["文件上传中断，未保存。请检查网络后重新上传。"]
    assert files_on_disk(app) == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def _peak_rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_large_upload_keeps_memory_flat(app, unit_client):
    video = create(unit_client)
    size = 512 * 1024 * 1024
    headers = {"X-CSRFToken": unit_client.csrf_token(), "X-File-Name": "big.mp4", "Accept": "application/json",
               "Content-Type": "application/octet-stream"}
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak-RSS counter
    before = _peak_rss_kb()
    resp = unit_client.put(f"/videos/{video.id}/file", input_stream=Body(size), headers=headers, csrf=False)
    growth_mb = (_peak_rss_kb() - before) / 1024
    assert resp.status_code == 422  # streamed completely, then refused by content: not a video
    assert "文件内容不是视频" in resp.get_json()["reasons"][0]
    assert growth_mb < 48, f"peak RSS grew by {growth_mb:.0f} MB for a 512 MB upload"
    assert files_on_disk(app) == []


def test_upload_refused_without_csrf_token(unit_client, videos):
    video = create(unit_client)
    resp = unit_client.put(f"/videos/{video.id}/file", data=videos["portrait"].read_bytes(),
                           headers={"Accept": "application/json"}, content_type="application/octet-stream",
                           csrf=False)
    assert resp.status_code == 400
    assert "CSRF" in resp.get_json()["error"]


def test_other_unit_cannot_upload_or_see(login_as, world, unit_client, videos):
    video = create(unit_client)
    other = login_as(world["other"])
    assert put_file(other, video.id, videos["portrait"]).status_code == 404
    assert other.get(f"/videos/{video.id}").status_code == 404
    assert other.get(f"/videos/{video.id}/edit").status_code == 404
    assert other.get(f"/videos/{video.id}/form.docx").status_code == 404


def test_replacing_the_file_removes_the_old_one(app, unit_client, videos):
    video = create(unit_client)
    assert put_file(unit_client, video.id, videos["portrait"]).status_code == 200
    db.session.refresh(video)
    old_key = video.video_file.storage_key
    assert put_file(unit_client, video.id, videos["portrait_120"]).status_code == 200
    db.session.expire_all()
    video = db.session.get(Video, video.id)
    assert video.duration_seconds == 120.0
    assert not (Path(app.config["UPLOAD_ROOT"]) / old_key).exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 3
    assert len(files_on_disk(app)) == 3


# --- playback and access -----------------------------------------------------------------------------

def test_range_request_returns_206_with_the_right_bytes(unit_client, videos):
    video = create(unit_client)
    put_file(unit_client, video.id, videos["portrait"])
    db.session.refresh(video)
    raw = videos["portrait"].read_bytes()
    with unit_client.get(f"/files/{video.video_file_id}", headers={"Range": "bytes=100-1099"}) as resp:
        assert resp.status_code == 206
        assert resp.headers["Content-Range"] == f"bytes 100-1099/{len(raw)}"
        assert resp.get_data() == raw[100:1100]
    with unit_client.get(f"/files/{video.video_file_id}", headers={"Range": "bytes=-500"}) as tail:
        assert tail.status_code == 206
        assert tail.get_data() == raw[-500:]


def test_unpublished_video_is_hidden_from_other_units_and_the_public(app, login_as, world, unit_client, videos):
    video = create(unit_client)
    put_file(unit_client, video.id, videos["portrait"])
    db.session.refresh(video)
    ids = [video.video_file_id, video.poster_file_id, video.thumb_file_id]
    other = login_as(world["other"])
    anonymous = app.test_client()
    for file_id in ids:
        assert other.get(f"/files/{file_id}").status_code == 404
        assert anonymous.get(f"/files/{file_id}").status_code == 404
        with unit_client.get(f"/files/{file_id}") as resp:
            assert resp.status_code == 200
    with login_as(world["organizer"]).get(f"/files/{ids[0]}") as resp:
        assert resp.status_code == 200
    # Once submitted and passed 初筛 it is public.
    video.state, video.screening_status = EntryState.SUBMITTED, ScreeningStatus.PASSED
    db.session.commit()
    with anonymous.get(f"/files/{ids[0]}") as resp:
        assert resp.status_code == 200


def test_detail_page_shows_player_and_fields(unit_client, login_as, world, videos):
    video = create(unit_client)
    put_file(unit_client, video.id, videos["portrait"])
    db.session.refresh(video)
    html = unit_client.get(f"/videos/{video.id}").get_data(as_text=True)
    assert f'src="/files/{video.video_file_id}"' in html
    assert f'poster="/files/{video.poster_file_id}"' in html
    assert "2分30秒" in html and "剧情类" in html
    assert login_as(world["organizer"]).get(f"/videos/{video.id}").status_code == 200


# --- submission and deadline -------------------------------------------------------------------------

def test_submit_needs_file_and_declaration(unit_client, videos):
    video = create(unit_client)
    resp = unit_client.post(f"/videos/{video.id}/submit", data={"declaration": "y"}, follow_redirects=True)
    assert "请上传符合要求的视频文件" in resp.get_data(as_text=True)
    put_file(unit_client, video.id, videos["portrait"])
    assert put_scan(unit_client, video.id).status_code == 302
    resp = unit_client.post(f"/videos/{video.id}/submit", data={}, follow_redirects=True)
    assert "请勾选原创及内容合法合规声明" in resp.get_data(as_text=True)
    db.session.refresh(video)
    assert video.state == EntryState.DRAFT
    resp = unit_client.post(f"/videos/{video.id}/submit", data={"declaration": "y"}, follow_redirects=True)
    assert "作品已提交" in resp.get_data(as_text=True)
    db.session.refresh(video)
    assert video.state == EntryState.SUBMITTED
    assert video.commitment_at is not None and video.commitment_by_id is not None
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.target_type == "video", AuditLog.target_id == video.id)
                                 .order_by(AuditLog.id)).all()
    assert actions == ["video_created", "video_updated", "video_updated", "video_submitted"]
    # Withdraw and it leaves the submitted state.
    unit_client.post(f"/videos/{video.id}/withdraw", data={})
    db.session.refresh(video)
    assert video.state == EntryState.WITHDRAWN


def test_submit_without_stamped_scan_refused_then_accepted_with_it(unit_client, videos):
    video = create(unit_client)
    put_file(unit_client, video.id, videos["portrait"])
    page = unit_client.get(f"/videos/{video.id}").get_data(as_text=True)
    assert "请上传加盖单位公章的推荐表扫描件（PDF、JPG 或 PNG）。" in page
    resp = unit_client.post(f"/videos/{video.id}/submit", data={"declaration": "y"}, follow_redirects=True)
    assert "请上传加盖单位公章的推荐表扫描件（PDF、JPG 或 PNG）。" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Video, video.id).state == EntryState.DRAFT
    resp = put_scan(unit_client, video.id, name="推荐表盖章.png")
    assert resp.status_code == 302
    assert "盖章扫描件已上传。" in unit_client.get(resp.headers["Location"]).get_data(as_text=True)
    resp = unit_client.post(f"/videos/{video.id}/submit", data={"declaration": "y"}, follow_redirects=True)
    assert "作品已提交" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Video, video.id).state == EntryState.SUBMITTED


def test_video_scan_is_private_and_keeps_no_thumbnail(app, unit_client, world, login_as):
    video = create(unit_client)
    assert put_scan(unit_client, video.id).status_code == 302
    db.session.expire_all()
    scan = db.session.get(Video, video.id).scan_file
    assert (scan.purpose, scan.content_type, scan.original_name, scan.unit_id) == (
        "scan", "image/png", "推荐表盖章.png", world["unit"].id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)
                             .where(StoredFile.purpose == "scanthumb")) == 0
    assert len(files_on_disk(app)) == 1
    page = unit_client.get(f"/videos/{video.id}").get_data(as_text=True)
    assert f'href="/files/{scan.id}"' in page and "推荐表盖章.png" in page
    with unit_client.get(f"/files/{scan.id}") as resp:
        assert resp.status_code == 200
    other = login_as(world["other"])
    assert other.get(f"/files/{scan.id}").status_code == 404
    assert put_scan(other, video.id).status_code == 404
    assert app.test_client().get(f"/files/{scan.id}").status_code == 404
    with login_as(world["organizer"]).get(f"/files/{scan.id}") as resp:
        assert resp.status_code == 200


def test_video_scan_not_pdf_or_image_refused(unit_client):
    video = create(unit_client)
    resp = put_scan(unit_client, video.id, body=b"just some text, not a scan", name="扫描件.pdf")
    assert resp.status_code == 400
    assert "扫描件须为 PDF、JPG 或 PNG 文件" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Video, video.id).scan_file_id is None


def test_changing_a_screened_video_resets_screening_and_is_audited(unit_client, world, videos):
    video = create(unit_client)
    put_file(unit_client, video.id, videos["portrait"])
    put_scan(unit_client, video.id)
    unit_client.post(f"/videos/{video.id}/submit", data={"declaration": "y"})

    def screened(status: ScreeningStatus) -> None:
        v = db.session.get(Video, video.id)
        v.screening_status, v.screening_reason = status, "决定理由"
        v.screened_at, v.screened_by_id = utcnow(), world["organizer"].id
        db.session.commit()

    def outcome() -> tuple:
        db.session.expire_all()
        v = db.session.get(Video, video.id)
        log = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "video_updated",
                                                           AuditLog.target_id == video.id)
                                 .order_by(AuditLog.id.desc())).first()
        return (v.state, v.screening_status, v.screening_reason, v.screened_at, v.screened_by_id,
                log.detail.get("screening_reset_from"))

    screened(ScreeningStatus.PASSED)
    assert unit_client.post(f"/videos/{video.id}/edit", data={**FORM, "director": "王五"}).status_code == 302
    assert outcome() == (EntryState.SUBMITTED, ScreeningStatus.PENDING, "", None, None, "passed")
    screened(ScreeningStatus.REJECTED)
    assert put_file(unit_client, video.id, videos["portrait_120"]).status_code == 200
    assert outcome() == (EntryState.SUBMITTED, ScreeningStatus.PENDING, "", None, None, "rejected")


def test_resubmitting_a_withdrawn_passed_video_needs_screening_again(unit_client, world, videos):
    video = create(unit_client)
    put_file(unit_client, video.id, videos["portrait"])
    put_scan(unit_client, video.id)
    unit_client.post(f"/videos/{video.id}/submit", data={"declaration": "y"})
    v = db.session.get(Video, video.id)
    v.screening_status, v.screened_at, v.screened_by_id = ScreeningStatus.PASSED, utcnow(), world["organizer"].id
    db.session.commit()
    assert unit_client.post(f"/videos/{video.id}/withdraw", data={}).status_code == 302
    # Edited while withdrawn (no reset then: only submitted entries are reset by an edit) ...
    assert unit_client.post(f"/videos/{video.id}/edit", data={**FORM, "title": "改过的片名"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Video, video.id).screening_status == ScreeningStatus.PASSED
    # ... and submitted again: back to 待初筛, not public until the organizer screens it.
    assert unit_client.post(f"/videos/{video.id}/submit", data={"declaration": "y"}).status_code == 302
    db.session.expire_all()
    v = db.session.get(Video, video.id)
    assert (v.state, v.screening_status, v.screened_at, v.screened_by_id, v.is_public) == (
        EntryState.SUBMITTED, ScreeningStatus.PENDING, None, None, False)


def test_after_the_deadline_nothing_changes(app, clock, unit_client, world, videos):
    video = create(unit_client)
    clock.set(utcnow() + timedelta(days=2))
    resp = put_file(unit_client, video.id, videos["portrait"])
    assert resp.status_code == 409
    assert "截止后不能再新建、修改、提交或撤回" in resp.get_json()["reasons"][0]
    assert files_on_disk(app) == []
    resp = unit_client.post(f"/videos/{video.id}/edit", data={**FORM, "title": "改名"})
    assert resp.status_code == 409
    db.session.refresh(video)
    assert video.title == "诚信小店"
    assert unit_client.post("/videos/new", data={**FORM}).status_code == 409


# --- Word export -------------------------------------------------------------------------------------

def test_word_export_has_the_filled_form(unit_client, videos):
    video = create(unit_client)
    put_file(unit_client, video.id, videos["portrait"])
    resp = unit_client.get(f"/videos/{video.id}/form.docx")
    assert resp.status_code == 200
    doc = Document(io.BytesIO(resp.get_data()))
    rows = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows}
    assert rows["作品名称"] == "诚信小店"
    assert rows["作品类别"] == "剧情类"
    assert rows["时长"] == "2分30秒"
    assert rows["参选单位"] == "雁塔区信用办"
    assert rows["参选作品剧情摘要（100字以内）"] == FORM["synopsis"]
    assert "2024年西安市信用应用场景优秀微视频评选推荐表" in "\n".join(p.text for p in doc.paragraphs)


# --- web renditions ----------------------------------------------------------------------------------

def test_hevc_gets_a_web_rendition_in_the_background(app, unit_client, videos):
    video = create(unit_client)
    resp = put_file(unit_client, video.id, videos["hevc_portrait"], name="IMG_1234.mp4")
    assert resp.status_code == 200, resp.get_json()
    assert "后台" in resp.get_json()["message"]
    transcode.wait_all()
    db.session.expire_all()
    video = db.session.get(Video, video.id)
    assert video.transcode_state == TranscodeState.DONE
    web = video.web_file
    assert video.playable_file.id == web.id
    verdict = inspect(Path(app.config["UPLOAD_ROOT"]) / web.storage_key)
    assert (verdict.video_codec, verdict.audio_codec, verdict.display_width, verdict.display_height) == (
        "h264", "aac", 720, 1280)
    assert unit_client.get(f"/videos/{video.id}/status").get_json() == {"state": "done", "label": "已完成", "ready": True}


def test_draft_being_transcoded_cannot_be_deleted_yet(app, unit_client, videos):
    app.config["TRANSCODE_BACKGROUND"] = False  # the web version stays pending, as while the job runs
    video = create(unit_client)
    assert put_file(unit_client, video.id, videos["hevc_portrait"]).status_code == 200
    resp = unit_client.post(f"/videos/{video.id}/delete", data={"confirm": "y"})
    assert resp.status_code == 409
    assert "视频正在后台转码，请等处理完成（通常几分钟）后再删除草稿。" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Video, video.id).transcode_state == TranscodeState.PENDING


def test_pending_transcode_survives_restart_via_cli(app, unit_client, videos):
    app.config["TRANSCODE_BACKGROUND"] = False  # as if the server stopped before the thread ran
    video = create(unit_client)
    assert put_file(unit_client, video.id, videos["hevc_portrait"]).status_code == 200
    db.session.refresh(video)
    assert video.transcode_state == TranscodeState.PENDING
    html = unit_client.get(f"/videos/{video.id}").get_data(as_text=True)
    assert "处理中" in html
    result = app.test_cli_runner().invoke(args=["contest", "transcode-pending"])
    assert result.exit_code == 0, result.output
    assert "转码完成 1 个，失败 0 个" in result.output
    db.session.expire_all()
    assert db.session.get(Video, video.id).transcode_state == TranscodeState.DONE


def test_a_new_web_rendition_replaces_the_old_one_row_and_file(app, unit_client, videos):
    video = create(unit_client)
    assert put_file(unit_client, video.id, videos["hevc_portrait"]).status_code == 200
    transcode.wait_all()
    db.session.expire_all()
    video = db.session.get(Video, video.id)
    old_id, old_path = video.web_file_id, Path(app.config["UPLOAD_ROOT"]) / video.web_file.storage_key
    assert old_path.is_file()
    video.transcode_state = TranscodeState.PENDING  # queued again (e.g. after a failed run was retried)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["contest", "transcode-pending"])
    assert "转码完成 1 个，失败 0 个" in result.output
    db.session.expire_all()
    video = db.session.get(Video, video.id)
    assert video.web_file_id not in (None, old_id)
    assert (Path(app.config["UPLOAD_ROOT"]) / video.web_file.storage_key).is_file()
    assert db.session.get(StoredFile, old_id) is None and not old_path.exists()


def test_only_one_worker_claims_a_transcode(app, unit_client, videos):
    app.config["TRANSCODE_BACKGROUND"] = False
    video = create(unit_client)
    put_file(unit_client, video.id, videos["hevc_portrait"])
    now = utcnow()
    assert transcode.claim(video.id, now=now) is True
    assert transcode.claim(video.id, now=now) is False
    # A RUNNING claim older than the stale limit (a stopped server) may be taken over.
    assert transcode.claim(video.id, now=now + transcode.STALE_AFTER + timedelta(seconds=1), include_stale=True) is True


def test_needs_web_rendition():
    assert transcode.needs_web_rendition("mp4", "h264", "aac") is False
    assert transcode.needs_web_rendition("mp4", "h264", None) is False
    assert transcode.needs_web_rendition("mp4", "hevc", "aac") is True
    assert transcode.needs_web_rendition("mov", "h264", "aac") is True
    assert transcode.needs_web_rendition("mp4", "h264", "pcm_s16le") is True


def test_word_export_name_is_cleaned_and_cut_before_the_extension(unit_client, videos):
    from urllib.parse import unquote

    video = create(unit_client)
    video.title = "诚信\n小店" + "长" * 150
    db.session.commit()
    resp = unit_client.get(f"/videos/{video.id}/form.docx")
    assert resp.status_code == 200
    name = unquote(resp.headers["Content-Disposition"].split("''", 1)[1])
    assert name == "附件2_诚信 小店" + "长" * 106 + ".docx" and len(name) == 120


# --- deleting a draft --------------------------------------------------------------------------------

def video_actions(video_id: int) -> list[str]:
    return db.session.scalars(sa.select(AuditLog.action).where(AuditLog.target_type == "video",
                                                               AuditLog.target_id == video_id)
                              .order_by(AuditLog.id)).all()


def test_unit_deletes_own_draft_with_video_poster_thumbnail_and_scan(app, unit_client, world, videos):
    video = create(unit_client, title="重复保存的片子")
    assert put_file(unit_client, video.id, videos["portrait"]).status_code == 200
    assert put_scan(unit_client, video.id).status_code == 302
    assert len(files_on_disk(app)) == 4  # video, poster, thumbnail, scan
    page = unit_client.get(f"/videos/{video.id}").get_data(as_text=True)
    assert "删除草稿" in page and "确认删除" in page
    resp = unit_client.post(f"/videos/{video.id}/delete", data={})
    assert resp.status_code == 400
    assert "请勾选“确认删除”后再删除草稿。" in resp.get_data(as_text=True)
    assert len(files_on_disk(app)) == 4
    resp = unit_client.post(f"/videos/{video.id}/delete", data={"confirm": "y"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/videos/")
    assert "草稿“重复保存的片子”已删除。" in unit_client.get("/videos/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Video, video.id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    assert files_on_disk(app) == []
    assert video_actions(video.id) == ["video_created", "video_updated", "video_updated", "video_deleted"]
    row = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "video_deleted")).one()
    assert (row.summary, row.actor_id) == ("重复保存的片子", world["user"].id)


def test_submitted_and_withdrawn_videos_cannot_be_deleted(app, unit_client, videos):
    video = create(unit_client)
    put_file(unit_client, video.id, videos["portrait"])
    put_scan(unit_client, video.id)
    assert unit_client.post(f"/videos/{video.id}/submit", data={"declaration": "y"}).status_code == 302
    resp = unit_client.post(f"/videos/{video.id}/delete", data={"confirm": "y"})
    assert resp.status_code == 409
    assert "已提交的作品不能删除。如不再参选，请在截止前撤回（撤回后不计入报送数量）。" in resp.get_data(as_text=True)
    assert unit_client.post(f"/videos/{video.id}/withdraw", data={}).status_code == 302
    assert "删除草稿" not in unit_client.get(f"/videos/{video.id}").get_data(as_text=True)
    resp = unit_client.post(f"/videos/{video.id}/delete", data={"confirm": "y"})
    assert resp.status_code == 409
    assert "已撤回的作品保留提交记录，不能删除；它不计入报送数量，无需处理。" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Video, video.id).state == EntryState.WITHDRAWN
    assert len(files_on_disk(app)) == 4  # video, poster, thumbnail, scan: all kept
    assert "video_deleted" not in video_actions(video.id)


def test_video_draft_delete_refused_for_others_after_deadline_and_without_csrf(app, clock, login_as, world,
                                                                             unit_client):
    video = create(unit_client)
    assert login_as(world["other"]).post(f"/videos/{video.id}/delete", data={"confirm": "y"}).status_code == 404
    assert login_as(world["organizer"]).post(f"/videos/{video.id}/delete", data={"confirm": "y"}).status_code == 403
    resp = unit_client.post(f"/videos/{video.id}/delete", data={"confirm": "y"}, csrf=False)
    assert resp.status_code == 400 and "CSRF" in resp.get_data(as_text=True)
    clock.set(utcnow() + timedelta(days=2))
    resp = unit_client.post(f"/videos/{video.id}/delete", data={"confirm": "y"})
    assert resp.status_code == 409
    assert "截止后不能再新建、修改、提交或撤回" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Video, video.id) is not None
    assert video_actions(video.id) == ["video_created"]
