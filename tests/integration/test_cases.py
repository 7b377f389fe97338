"""Cases (附件1) through the real routes: form, 字数 limit, scan, commitment, deadline, Word, lists, access."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from docx import Document
from PIL import Image

from contest.accounts.models import UnitKind
from contest.contests.models import Phase
from contest.core.models import AuditLog
from contest.core.timeutil import beijing, utcnow
from contest.documents.case_form import parse_case_form, render_case_form
from contest.extensions import db
from contest.media.models import StoredFile
from contest.submissions.models import Case, EntryState, ScreeningStatus
from tests.factories import make_case, make_contest, make_expert, make_organizer, make_unit, make_user, open_schedule

FORM = {
    "contact_name": "张三", "contact_phone": "029-88886666", "contact_email": "zhangsan@example.cn",
    "unit_address": "西安市雁塔区小寨西路", "title": "信用承诺代替证明材料", "themes": ["行业信用监管", "政务诚信"],
    "highlights": "以承诺代证明，事后核查。", "part_problem": "企业办事证明多。", "part_measures": "推行告知承诺制。",
    "part_effects": "办事时间缩短一半。", "recommender_opinion": "同意推荐。", "remarks": "",
}


def png_bytes(size=(60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture
def world(app):
    contest = make_contest(schedule=open_schedule(Phase.SUBMISSION))
    unit_a = make_unit("雁塔区", UnitKind.DISTRICT)
    unit_b = make_unit("碑林区", UnitKind.DISTRICT)
    user_a = make_user(unit=unit_a, username="yanta")
    user_b = make_user(unit=unit_b, username="beilin")
    organizer = make_organizer(username="admin")
    db.session.commit()
    return {"contest": contest, "unit_a": unit_a, "unit_b": unit_b, "user_a": user_a, "user_b": user_b,
            "organizer": organizer}


def text(resp) -> str:
    return resp.get_data(as_text=True)


def case_actions(case_id: int) -> list[str]:
    return db.session.scalars(sa.select(AuditLog.action).where(AuditLog.target_type == "case", AuditLog.target_id == case_id)
                              .order_by(AuditLog.id)).all()


def new_case(client, **over):
    data = dict(FORM)
    data.update(over)
    return client.post("/cases/new", data=data)


def case_id_from(resp) -> int:
    return int(re.search(r"/cases/(\d+)$", resp.headers["Location"]).group(1))


def full_case(client) -> int:
    resp = new_case(client)
    assert resp.status_code == 302, text(resp)
    cid = case_id_from(resp)
    r = client.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(pdf_bytes()), "盖章扫描件.pdf")},
                    content_type="multipart/form-data")
    assert r.status_code == 302, text(r)
    return cid


# ------------------------------------------------------------- create, draft, submit

def test_unit_creates_draft_with_fields_and_unit_from_account(world, login_as):
    c = login_as(world["user_a"])
    resp = new_case(c)
    assert resp.status_code == 302
    case = db.session.get(Case, case_id_from(resp))
    assert case.unit_id == world["unit_a"].id
    assert case.state == EntryState.DRAFT
    assert case.themes == ["行业信用监管", "政务诚信"]
    assert case.contact_phone == "029-88886666"
    assert case_actions(case.id) == ["case_created"]


def test_new_form_shows_rule_counter_and_unit_name(world, login_as):
    c = login_as(world["user_a"])
    page = text(c.get("/cases/new"))
    assert "雁塔区" in page
    assert "字数与 Word“字数统计”中的“字数”一致" in page
    assert "3,200 各计 1 字" in page
    assert 'data-count-for="content" data-limit="2000"' in page
    assert page.count('data-count-group="content"') == 3
    assert "剩余" in page


def test_submit_requires_commitment_then_records_it(world, login_as, clock):
    c = login_as(world["user_a"])
    cid = full_case(c)
    resp = c.post(f"/cases/{cid}/submit", data={})
    assert resp.status_code == 400
    assert "请阅读并勾选诚信承诺后再提交。" in text(resp)
    assert db.session.get(Case, cid).state == EntryState.DRAFT
    resp = c.post(f"/cases/{cid}/submit", data={"commitment": "y"})
    assert resp.status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, cid)
    assert case.state == EntryState.SUBMITTED
    assert case.commitment_by_id == world["user_a"].id
    assert case.commitment_at is not None and case.submitted_at == case.commitment_at
    page = text(c.get(f"/cases/{cid}"))
    assert "诚信承诺于" in page


def test_commitment_text_shown_in_full(world, login_as):
    from contest.submissions.case_rules import COMMITMENT_TEXT

    c = login_as(world["user_a"])
    cid = full_case(c)
    assert COMMITMENT_TEXT in text(c.get(f"/cases/{cid}"))


def test_submit_without_scan_refused(world, login_as):
    c = login_as(world["user_a"])
    cid = case_id_from(new_case(c))
    resp = c.post(f"/cases/{cid}/submit", data={"commitment": "y"})
    assert resp.status_code == 400
    assert "请上传加盖单位公章的申报表扫描件（PDF、JPG 或 PNG）。" in text(resp)


def test_submit_with_missing_section_refused_and_named(world, login_as):
    c = login_as(world["user_a"])
    resp = new_case(c, part_measures="")
    cid = case_id_from(resp)
    c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(pdf_bytes()), "a.pdf")}, content_type="multipart/form-data")
    resp = c.post(f"/cases/{cid}/submit", data={"commitment": "y"})
    assert resp.status_code == 400
    assert "案例内容缺少“二、创新举措”部分，请按模板补充。" in text(resp)
    assert db.session.get(Case, cid).state == EntryState.DRAFT


# ------------------------------------------------------------- 字数 limit

def test_content_of_2000_accepted(world, login_as):
    c = login_as(world["user_a"])
    # "A1，" is 2 字 (a Latin/digit run counts 1, like Word): 1000 + 600 + 400.
    resp = new_case(c, part_problem="信" * 1000, part_measures="A1，" * 300 + "\n \u3000", part_effects="。" * 400)
    assert resp.status_code == 302
    case = db.session.get(Case, case_id_from(resp))
    assert len(case.part_problem) == 1000


def test_content_of_2001_refused_with_count_and_text_kept(world, login_as):
    c = login_as(world["user_a"])
    resp = new_case(c, part_problem="信" * 1000, part_measures="A1，" * 300, part_effects="。" * 401)
    assert resp.status_code == 400
    page = text(resp)
    assert "案例内容（三部分合计）共 2001 字，超过 2000 字的上限（多 1 字），请删减后再提交。" in page
    assert "信" * 1000 in page  # what was typed is kept
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_latin_words_and_figures_count_one_each_like_word(world, login_as):
    # Word's 字数统计: "ISO 9001认证，" is 5 字 and "提升12.5%。" is 4 字, so this is exactly 2000
    # (counting every letter and digit would make it 3000).
    measures, effects = "ISO 9001认证，" * 180, "提升12.5%。" * 25
    c = login_as(world["user_a"])
    resp = new_case(c, part_problem="信" * 1000, part_measures=measures, part_effects=effects)
    assert resp.status_code == 302, text(resp)
    case = db.session.get(Case, case_id_from(resp))
    assert case.part_measures == measures

    resp = new_case(c, part_problem="信" * 1000, part_measures=measures, part_effects=effects + "达3,200万元")
    assert resp.status_code == 400
    assert "案例内容（三部分合计）共 2004 字，超过 2000 字的上限（多 4 字），请删减后再提交。" in text(resp)


def test_whitespace_does_not_count(world, login_as):
    c = login_as(world["user_a"])
    resp = new_case(c, part_problem="信 " * 2000, part_measures="\n\n", part_effects="\t")
    assert resp.status_code == 302


def test_contest_limit_is_data(app, login_as):
    contest = make_contest(schedule=open_schedule(Phase.SUBMISSION), case_char_limit=10)
    user = make_user()
    db.session.commit()
    c = login_as(user)
    resp = new_case(c, part_problem="一二三四五", part_measures="六七八九十", part_effects="多")
    assert resp.status_code == 400
    assert "共 11 字，超过 10 字的上限" in text(resp)
    assert contest.case_char_limit == 10


# ------------------------------------------------------------- bad fields

def test_invalid_phone_and_email_refused_and_kept(world, login_as):
    c = login_as(world["user_a"])
    resp = new_case(c, contact_phone="8888", contact_email="zhangsan-at-example")
    assert resp.status_code == 400
    page = text(resp)
    assert "联系电话“8888”格式不正确" in page
    assert "邮箱“zhangsan-at-example”格式不正确" in page
    assert 'value="zhangsan-at-example"' in page
    assert FORM["part_problem"] in page


def test_empty_and_garbage_posts_do_not_500(world, login_as):
    c = login_as(world["user_a"])
    assert c.post("/cases/new", data={}).status_code == 400
    assert c.post("/cases/new", data={"themes": ["<script>", "x" * 5000], "title": "x" * 300}).status_code == 400
    cid = full_case(c)
    for url in (f"/cases/{cid}/edit", f"/cases/{cid}/scan", f"/cases/{cid}/submit", "/cases/import"):
        assert c.post(url, data={}).status_code == 400, url
    assert c.post(f"/cases/{cid}/withdraw", data={}).status_code == 409


def test_csrf_enforced(world, login_as):
    c = login_as(world["user_a"])
    assert c.post("/cases/new", data=dict(FORM), csrf=False).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


# ------------------------------------------------------------- scans

def test_image_scan_gets_thumbnail_and_is_private(world, login_as, app):
    c = login_as(world["user_a"])
    cid = case_id_from(new_case(c))
    resp = c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(png_bytes((1200, 800))), "../../etc/扫描.png")},
                  content_type="multipart/form-data")
    assert resp.status_code == 302
    case = db.session.get(Case, cid)
    scan, thumb = case.scan_file, case.scan_thumb_file
    assert (scan.content_type, scan.width, scan.height, scan.original_name) == ("image/png", 1200, 800, "扫描.png")
    assert (thumb.width, thumb.height) == (480, 320)
    assert "扫描" not in scan.storage_key and ".." not in scan.storage_key
    with c.get(f"/files/{scan.id}") as resp:
        assert resp.status_code == 200
    with c.get(f"/files/{thumb.id}") as resp:
        assert resp.status_code == 200
    other = login_as(world["user_b"])
    assert other.get(f"/files/{scan.id}").status_code == 404
    assert other.get(f"/files/{thumb.id}").status_code == 404
    assert app.test_client().get(f"/files/{scan.id}").status_code == 404
    org = login_as(world["organizer"])
    with org.get(f"/files/{scan.id}") as resp:
        assert resp.status_code == 200


def test_scan_whose_thumbnail_cannot_be_stored_leaves_no_file(world, login_as, app, tmp_path):
    # A real filesystem fault after the scan itself is in place: a plain file where the thumbnail
    # folder must be created. The request fails (a server fault), and neither file nor row remains.
    c = login_as(world["user_a"])
    cid = case_id_from(new_case(c))
    root = tmp_path / "uploads"  # this test's own store (the app fixture restores the config)
    root.mkdir()
    app.config["UPLOAD_ROOT"] = str(root)
    (root / "scanthumb").write_bytes(b"not a folder")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    resp = c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(png_bytes((1200, 800))), "扫描.png")},
                  content_type="multipart/form-data")
    assert resp.status_code == 500
    db.session.expire_all()
    assert db.session.get(Case, cid).scan_file_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == ["scanthumb"]


def test_scan_hidden_from_unassigned_expert(world, login_as):
    # Assigned experts see the scan beside the score form (issue 6); others never do.
    c = login_as(world["user_a"])
    cid = full_case(c)
    expert = make_expert(username="exp")
    db.session.commit()
    scan_id = db.session.get(Case, cid).scan_file_id
    assert login_as(expert).get(f"/files/{scan_id}").status_code == 404


def test_fake_pdf_refused_by_content(world, login_as):
    c = login_as(world["user_a"])
    cid = case_id_from(new_case(c))
    resp = c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(b"MZ\x90\x00 this is an exe" * 10), "scan.pdf")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "扫描件须为 PDF、JPG 或 PNG 文件（按文件内容识别，与扩展名无关）" in text(resp)
    assert db.session.get(Case, cid).scan_file_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_truncated_pdf_refused(world, login_as):
    c = login_as(world["user_a"])
    cid = case_id_from(new_case(c))
    resp = c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(b"%PDF-1.4\n" + b"x" * 5000), "scan.pdf")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "PDF 文件不完整或已损坏" in text(resp)


def test_30mb_image_refused_by_size_cap(world, login_as, app):
    c = login_as(world["user_a"])
    cid = case_id_from(new_case(c))
    big = png_bytes() + b"\0" * (30 * 1024 * 1024)
    # Closing the response also closes the temporary file the test client encoded the 30 MB body into.
    with c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(big), "big.png")},
                content_type="multipart/form-data") as resp:
        assert resp.status_code == 400
        assert "扫描件超过 20 MB 的大小上限，请压缩后重新上传。" in text(resp)
    from pathlib import Path
    assert list((Path(app.config["UPLOAD_ROOT"]) / "tmp").glob("*.part")) == []


def test_scan_size_cap_is_configurable(world, login_as, app):
    app.config["MAX_SCAN_BYTES"] = 1024
    c = login_as(world["user_a"])
    cid = case_id_from(new_case(c))
    resp = c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(png_bytes((300, 300)) + b"\0" * 2048), "a.png")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "扫描件超过 1 KB 的大小上限" in text(resp)


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares a huge size (a decompression bomb)."""
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_png_declaring_100000_square_refused(world, login_as):
    c = login_as(world["user_a"])
    cid = case_id_from(new_case(c))
    resp = c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(png_declaring(100000, 100000)), "bomb.png")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "图片像素尺寸过大（疑似异常文件），已拒绝" in text(resp)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_png_just_over_pixel_limit_refused_with_size(world, login_as):
    c = login_as(world["user_a"])
    cid = case_id_from(new_case(c))
    resp = c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(png_declaring(8000, 6000)), "big.png")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "图片尺寸为 8000×6000 像素，超过 4000 万像素的上限" in text(resp)


# ------------------------------------------------------------- deadline (2024-04-23 24:00 Beijing)

@pytest.fixture
def notice_world(app):
    contest = make_contest()  # the 2024 notice's real schedule
    user = make_user(unit=make_unit("雁塔区"), username="yanta")
    db.session.commit()
    return contest, user


def test_last_second_before_deadline_edit_allowed(notice_world, login_as, clock):
    contest, user = notice_world
    clock.set(beijing(2024, 4, 23, 23, 59, 59))
    c = login_as(user)
    resp = new_case(c)
    assert resp.status_code == 302
    page = text(c.get(case_id_from(resp) and "/cases/"))
    assert "2024-04-23 24:00" in page
    assert "剩余 <strong class=\"time-left\">0分钟</strong>" in page


def test_at_deadline_everything_refused_and_nothing_changes(notice_world, login_as, clock):
    contest, user = notice_world
    clock.set(beijing(2024, 4, 20))
    c = login_as(user)
    cid = full_case(c)
    assert c.post(f"/cases/{cid}/submit", data={"commitment": "y"}).status_code == 302
    clock.set(beijing(2024, 4, 23, 24))
    resp = c.post(f"/cases/{cid}/edit", data=dict(FORM, title="截止后改的题目"))
    assert resp.status_code == 409
    assert "“案例征集”阶段已于 2024-04-23 24:00（北京时间）截止。" in text(resp)
    assert "截止后改的题目" in text(resp)  # typed text kept on the page
    assert c.post(f"/cases/{cid}/withdraw", data={}).status_code == 409
    assert new_case(c).status_code == 409
    r = c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(pdf_bytes()), "a.pdf")}, content_type="multipart/form-data")
    assert r.status_code == 409 and "截止" in text(r)
    db.session.expire_all()
    case = db.session.get(Case, cid)
    assert (case.title, case.state) == (FORM["title"], EntryState.SUBMITTED)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
    page = text(c.get(f"/cases/{cid}"))
    assert "当前不在征集时间内" in page
    assert "撤回案例" not in page


# ------------------------------------------------------------- edit, withdraw, resubmit

def test_edit_submitted_case_resets_screening_and_is_audited(world, login_as):
    c = login_as(world["user_a"])
    cid = full_case(c)
    c.post(f"/cases/{cid}/submit", data={"commitment": "y"})
    case = db.session.get(Case, cid)
    case.screening_status = ScreeningStatus.PASSED
    db.session.commit()
    resp = c.post(f"/cases/{cid}/edit", data=dict(FORM, title="新题目"))
    assert resp.status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, cid)
    assert case.title == "新题目"
    assert case.state == EntryState.SUBMITTED
    assert case.screening_status == ScreeningStatus.PENDING
    log = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "case_updated",
                                                       AuditLog.target_id == cid).order_by(AuditLog.id.desc())).first()
    assert log.detail["fields"] == ["title"]
    assert log.detail["screening_reset_from"] == "passed"


def test_new_scan_on_screened_case_resets_screening_and_is_audited(world, login_as):
    c = login_as(world["user_a"])
    cid = full_case(c)
    c.post(f"/cases/{cid}/submit", data={"commitment": "y"})
    case = db.session.get(Case, cid)
    case.screening_status, case.screening_reason = ScreeningStatus.REJECTED, "扫描件不清晰"
    case.screened_at, case.screened_by_id = utcnow(), world["organizer"].id
    db.session.commit()
    resp = c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(png_bytes()), "新扫描件.png")},
                  content_type="multipart/form-data")
    assert resp.status_code == 302
    db.session.expire_all()
    case = db.session.get(Case, cid)
    assert (case.state, case.screening_status, case.screening_reason, case.screened_at, case.screened_by_id) == (
        EntryState.SUBMITTED, ScreeningStatus.PENDING, "", None, None)
    log = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "case_updated",
                                                       AuditLog.target_id == cid).order_by(AuditLog.id.desc())).first()
    assert log.detail["screening_reset_from"] == "rejected"
    assert log.detail["scan_file_id"] == case.scan_file_id


def test_submitted_case_cannot_lose_a_section(world, login_as):
    c = login_as(world["user_a"])
    cid = full_case(c)
    c.post(f"/cases/{cid}/submit", data={"commitment": "y"})
    resp = c.post(f"/cases/{cid}/edit", data=dict(FORM, part_effects=""))
    assert resp.status_code == 400
    assert "案例内容缺少“三、工作成效及意义”部分" in text(resp)
    db.session.expire_all()
    assert db.session.get(Case, cid).part_effects == FORM["part_effects"]


def test_withdraw_and_resubmit(world, login_as):
    c = login_as(world["user_a"])
    cid = full_case(c)
    c.post(f"/cases/{cid}/submit", data={"commitment": "y"})
    assert c.post(f"/cases/{cid}/withdraw", data={}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, cid).state == EntryState.WITHDRAWN
    assert c.post(f"/cases/{cid}/submit", data={"commitment": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Case, cid).state == EntryState.SUBMITTED
    assert case_actions(cid) == ["case_created", "case_updated", "case_submitted", "case_withdrawn", "case_submitted"]


# ------------------------------------------------------------- access

def test_other_unit_gets_404_everywhere(world, login_as):
    a = login_as(world["user_a"])
    cid = full_case(a)
    b = login_as(world["user_b"])
    for url in (f"/cases/{cid}", f"/cases/{cid}/edit", f"/cases/{cid}/form.docx"):
        assert b.get(url).status_code == 404, url
    for url in (f"/cases/{cid}/edit", f"/cases/{cid}/submit", f"/cases/{cid}/withdraw"):
        assert b.post(url, data=dict(FORM, commitment="y")).status_code == 404, url
    assert b.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(pdf_bytes()), "a.pdf")},
                  content_type="multipart/form-data").status_code == 404
    assert b.get("/cases/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Case, cid).state == EntryState.DRAFT


def test_roles(world, login_as, app):
    anon = app.test_client()
    assert anon.get("/cases/").status_code == 302
    assert anon.get("/cases/all").status_code == 302
    expert = make_expert(username="exp2")
    db.session.commit()
    e = login_as(expert)
    assert e.get("/cases/").status_code == 403
    assert e.get("/cases/all").status_code == 403
    assert login_as(world["user_a"]).get("/cases/all").status_code == 403
    assert login_as(world["organizer"]).get("/cases/new").status_code == 403


def test_organizer_opens_any_case_read_only(world, login_as):
    a = login_as(world["user_a"])
    cid = full_case(a)
    org = login_as(world["organizer"])
    page = text(org.get(f"/cases/{cid}"))
    assert FORM["title"] in page and "确认提交" not in page
    assert org.get(f"/cases/{cid}/edit").status_code == 403
    assert org.get(f"/cases/{cid}/form.docx").status_code == 200


# ------------------------------------------------------------- Word export / import

def test_export_docx_round_trips_through_import(world, login_as):
    c = login_as(world["user_a"])
    cid = full_case(c)
    resp = c.get(f"/cases/{cid}/form.docx")
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    parsed = parse_case_form(resp.data)
    expected = dict(FORM, unit_name="雁塔区")
    assert parsed.fields == expected
    resp = c.post("/cases/import", data={"document": (io.BytesIO(resp.data), "附件1.docx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 302
    new_id = int(re.search(r"/cases/(\d+)/edit", resp.headers["Location"]).group(1))
    imported = db.session.get(Case, new_id)
    assert imported.state == EntryState.DRAFT
    for name, value in FORM.items():
        assert getattr(imported, name) == value, name


def test_text_pasted_with_control_characters_is_stored_clean_and_exports(world, login_as):
    # Word's line break (vertical tab) and stray control characters come along when text is copied out
    # of a .doc; PostgreSQL refuses NUL and Word files refuse control characters.
    c = login_as(world["user_a"])
    resp = new_case(c, title="信用\x00承诺\x01代替证明", part_measures="第一条\x0b第二条\x0c第三条\x1b")
    assert resp.status_code == 302, text(resp)
    case = db.session.get(Case, case_id_from(resp))
    assert case.title == "信用承诺代替证明"
    assert case.part_measures == "第一条\n第二条\n第三条"
    resp = c.get(f"/cases/{case.id}/form.docx")
    assert resp.status_code == 200
    parsed = parse_case_form(resp.data)
    assert parsed.fields["title"] == "信用承诺代替证明"
    assert parsed.fields["part_measures"] == "第一条\n第二条\n第三条"


def test_case_docx_bytes_for_ranking_export(world):
    from contest.documents.case_form import case_docx_bytes

    case = make_case(world["contest"], world["unit_a"], title="导出测试")
    doc = Document(io.BytesIO(case_docx_bytes(case)))
    assert doc.tables[0].rows[0].cells[1].text == "雁塔区"
    assert doc.tables[0].rows[4].cells[1].text == "导出测试"


def test_import_keeps_content_under_reworded_headings_and_warns(world, login_as):
    from tests.unit.test_case_docx import handmade

    doc = Document(io.BytesIO(handmade()))
    content = doc.tables[0].rows[7].cells[1]
    for p in content.paragraphs:
        p.text = p.text.replace("一、要解决的问题（通过涉及信用体系建设的创新要解决的问题瓶颈）", "一、存在的问题")
    out = io.BytesIO()
    doc.save(out)
    c = login_as(world["user_a"])
    resp = c.post("/cases/import", data={"document": (io.BytesIO(out.getvalue()), "附件1.docx")},
                  content_type="multipart/form-data", follow_redirects=True)
    assert resp.status_code == 200
    assert "案例内容的小标题与模板不一致，已按序号分段并保留原小标题文字，请核对三部分内容。" in resp.get_data(as_text=True)
    case = db.session.scalars(sa.select(Case).order_by(Case.id.desc())).first()
    assert (case.part_problem, case.part_measures, case.part_effects) == (
        "存在的问题\n修复材料多。", "容缺受理，\n信用报告同步更新。", "办理时间缩短到1天。")


def test_import_not_a_docx_refused(world, login_as):
    c = login_as(world["user_a"])
    resp = c.post("/cases/import", data={"document": (io.BytesIO(b"just text, renamed"), "附件1.docx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "文件不是 Word（.docx）文档，无法读取" in text(resp)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 0


def test_import_corrupt_docx_refused(world, login_as):
    c = login_as(world["user_a"])
    data = render_case_form(dict(FORM, unit_name="x"))
    resp = c.post("/cases/import", data={"document": (io.BytesIO(data[:3000]), "a.docx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "Word 文件已损坏" in text(resp)


def test_import_zip_bomb_refused(world, login_as):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\0" * (150 * 1024 * 1024))
    c = login_as(world["user_a"])
    resp = c.post("/cases/import", data={"document": (io.BytesIO(out.getvalue()), "bomb.docx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "疑似压缩炸弹" in text(resp)


def test_import_over_size_cap_refused(world, login_as, app):
    app.config["MAX_IMPORT_BYTES"] = 1000
    c = login_as(world["user_a"])
    resp = c.post("/cases/import", data={"document": (io.BytesIO(b"PK\x03\x04" + b"\0" * 2000), "a.docx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "Word 文件超过 1000 B 的大小上限" in text(resp) or "Word 文件超过 1 KB 的大小上限" in text(resp)


def test_blank_template_download(world, login_as):
    c = login_as(world["user_a"])
    resp = c.get("/cases/template.docx")
    assert resp.status_code == 200
    assert "未读到“案例题目”，请补充。" in parse_case_form(resp.data).warnings


# ------------------------------------------------------------- lists

def test_unit_list_shows_own_cases_and_quota(world, login_as):
    make_case(world["contest"], world["unit_a"], title="A的案例一")
    make_case(world["contest"], world["unit_a"], title="A的草稿", submitted=False)
    make_case(world["contest"], world["unit_b"], title="B的案例")
    db.session.commit()
    c = login_as(world["user_a"])
    page = text(c.get("/cases/"))
    assert "A的案例一" in page and "A的草稿" in page and "B的案例" not in page
    assert "应报送典型案例不少于 <strong>3</strong> 个" in page
    assert '<strong class="quota-submitted">1</strong>' in page
    assert "还差 2 个" in page
    home = text(c.get("/unit"))
    assert "已提交 <strong>1</strong> 个，草稿 1 个" in home


def test_organizer_list_filters_and_counts(world, login_as):
    contest = world["contest"]
    city = make_unit("西安市市场监督管理局", UnitKind.CITY_DEPT)
    make_case(contest, world["unit_a"], title="甲案例", themes=["政务诚信"])
    make_case(contest, world["unit_a"], title="乙案例", themes=["诚信文化", "政务诚信"], submitted=False)
    make_case(contest, world["unit_b"], title="丙案例", themes=["行业信用监管"])
    make_case(contest, city, title="丁案例", themes=["诚信文化"])
    db.session.commit()
    org = login_as(world["organizer"])

    def titles(query=""):
        page = text(org.get("/cases/all" + query))
        total = int(re.search(r'class="num case-total">(\d+)<', page).group(1))
        return sorted(t for t in ("甲案例", "乙案例", "丙案例", "丁案例") if t in page), total

    assert titles() == (["丁案例", "丙案例", "乙案例", "甲案例"], 4)
    assert titles(f"?unit={world['unit_a'].id}") == (["乙案例", "甲案例"], 2)
    assert titles("?kind=city_dept") == (["丁案例"], 1)
    assert titles("?theme=政务诚信") == (["乙案例", "甲案例"], 2)
    assert titles("?state=draft") == (["乙案例"], 1)
    assert titles("?theme=诚信文化&state=submitted") == (["丁案例"], 1)
    assert titles("?kind=bogus&state=nope&unit=abc") == (["丁案例", "丙案例", "乙案例", "甲案例"], 4)


def test_demo_seeds_realistic_cases(app):
    from contest.demo import seed_demo

    ctx = seed_demo()
    db.session.commit()
    cases = ctx["cases"]
    assert len(cases) == 10
    assert sum(c.state == EntryState.SUBMITTED for c in cases) == 8
    fengxi = [c for c in cases if c.unit.name == "西咸新区沣西新城管委会"]
    assert len(fengxi) == 3 and all(c.contest_id == ctx["contest"].id for c in fengxi)
    from contest.submissions.case_rules import check_fields
    assert all(check_fields({**{n: getattr(c, n) for n in FORM}}, 2000) == {}
               for c in cases if c.state == EntryState.SUBMITTED)
    # Submitted as a unit would through the case services: a stamped scan and the commitment on every
    # submitted (and the withdrawn) case, none on the draft.
    states = sorted(c.state.value for c in cases if c.state != EntryState.SUBMITTED)
    assert states == ["draft", "withdrawn"]
    sent = [c for c in cases if c.state != EntryState.DRAFT]
    assert all(c.scan_file_id and c.scan_thumb_file_id and c.commitment_by_id == c.created_by_id
               and c.commitment_at == c.submitted_at for c in sent)
    assert [c.scan_file_id for c in cases if c.state == EntryState.DRAFT] == [None]
    actions = db.session.scalars(sa.select(AuditLog.action).where(
        AuditLog.action.like("case_%"), AuditLog.contest_id == ctx["contest"].id)).all()
    assert sorted(actions) == ["case_created"] * 10 + ["case_submitted"] * 9 + ["case_updated"] * 9 + ["case_withdrawn"]


def _form_with_two_line_title(first: str, second: str) -> bytes:
    from contest.documents.case_form import render_case_form

    doc = Document(io.BytesIO(render_case_form(dict(FORM, unit_name="雁塔区"))))
    cell = doc.tables[0].rows[4].cells[1]
    cell.text = first
    cell.add_paragraph(second)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_import_joins_a_title_typed_over_two_lines_and_form_downloads(world, login_as):
    c = login_as(world["user_a"])
    data = _form_with_two_line_title("信用承诺替代证明", "助企纾困")
    resp = c.post("/cases/import", data={"document": (io.BytesIO(data), "附件1.docx")},
                  content_type="multipart/form-data")
    assert resp.status_code == 302
    case = db.session.get(Case, int(re.search(r"/cases/(\d+)/edit", resp.headers["Location"]).group(1)))
    assert case.title == "信用承诺替代证明助企纾困"
    resp = c.get(f"/cases/{case.id}/form.docx")
    assert resp.status_code == 200
    assert unquote(resp.headers["Content-Disposition"].split("''", 1)[1]) == "附件1申报表-雁塔区-信用承诺替代证明助企纾困.docx"


def test_form_downloads_when_title_has_a_control_character(world, login_as):
    c = login_as(world["user_a"])
    resp = new_case(c, title="信用承诺\r\n替代\x0b证明")
    assert resp.status_code == 302, text(resp)
    cid = case_id_from(resp)
    for client in (c, login_as(world["organizer"])):
        resp = client.get(f"/cases/{cid}/form.docx")
        assert resp.status_code == 200
        assert unquote(resp.headers["Content-Disposition"].split("''", 1)[1]) == "附件1申报表-雁塔区-信用承诺 替代 证明.docx"


# ------------------------------------------------------------- deleting a draft

def files_under(app) -> list[Path]:
    root = Path(app.config["UPLOAD_ROOT"])
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_unit_deletes_own_draft_with_its_scan_files_and_audit(world, login_as, app):
    c = login_as(world["user_a"])
    cid = case_id_from(new_case(c, title="误导入的案例"))
    assert c.post(f"/cases/{cid}/scan", data={"scan": (io.BytesIO(png_bytes((1200, 800))), "扫描.png")},
                  content_type="multipart/form-data").status_code == 302
    case = db.session.get(Case, cid)
    paths = [Path(app.config["UPLOAD_ROOT"]) / f.storage_key for f in (case.scan_file, case.scan_thumb_file)]
    assert all(p.is_file() for p in paths)
    page = text(c.get(f"/cases/{cid}"))
    assert "删除草稿" in page and "确认删除" in page
    # Without the confirmation tick nothing happens.
    resp = c.post(f"/cases/{cid}/delete", data={})
    assert resp.status_code == 400
    assert "请勾选“确认删除”后再删除草稿。" in text(resp)
    assert db.session.get(Case, cid) is not None
    resp = c.post(f"/cases/{cid}/delete", data={"confirm": "y"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/cases/")
    assert "草稿“误导入的案例”已删除。" in text(c.get("/cases/"))
    db.session.expire_all()
    assert db.session.get(Case, cid) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    assert [p.exists() for p in paths] == [False, False]
    assert case_actions(cid) == ["case_created", "case_updated", "case_deleted"]
    row = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "case_deleted")).one()
    assert (row.summary, row.actor_id, row.contest_id) == ("误导入的案例", world["user_a"].id, world["contest"].id)


def test_submitted_and_withdrawn_cases_cannot_be_deleted(world, login_as):
    c = login_as(world["user_a"])
    cid = full_case(c)
    assert c.post(f"/cases/{cid}/submit", data={"commitment": "y"}).status_code == 302
    assert "删除草稿" not in text(c.get(f"/cases/{cid}"))
    resp = c.post(f"/cases/{cid}/delete", data={"confirm": "y"})
    assert resp.status_code == 409
    assert "已提交的作品不能删除。如不再参选，请在截止前撤回（撤回后不计入报送数量）。" in text(resp)
    assert c.post(f"/cases/{cid}/withdraw", data={}).status_code == 302
    assert "删除草稿" not in text(c.get(f"/cases/{cid}"))
    resp = c.post(f"/cases/{cid}/delete", data={"confirm": "y"})
    assert resp.status_code == 409
    assert "已撤回的作品保留提交记录，不能删除；它不计入报送数量，无需处理。" in text(resp)
    db.session.expire_all()
    case = db.session.get(Case, cid)
    assert (case.state, case.scan_file_id is not None) == (EntryState.WITHDRAWN, True)
    assert "case_deleted" not in case_actions(cid)


def test_other_unit_and_organizer_cannot_delete_a_draft(world, login_as):
    cid = case_id_from(new_case(login_as(world["user_a"])))
    assert login_as(world["user_b"]).post(f"/cases/{cid}/delete", data={"confirm": "y"}).status_code == 404
    org = login_as(world["organizer"])
    assert org.post(f"/cases/{cid}/delete", data={"confirm": "y"}).status_code == 403
    assert "删除草稿" not in text(org.get(f"/cases/{cid}"))
    db.session.expire_all()
    assert db.session.get(Case, cid) is not None


def test_draft_cannot_be_deleted_after_the_deadline_or_without_csrf(notice_world, login_as, clock):
    contest, user = notice_world
    clock.set(beijing(2024, 4, 20))
    c = login_as(user)
    cid = case_id_from(new_case(c))
    resp = c.post(f"/cases/{cid}/delete", data={"confirm": "y"}, csrf=False)
    assert resp.status_code == 400 and "CSRF" in text(resp)
    clock.set(beijing(2024, 4, 23, 24))
    resp = c.post(f"/cases/{cid}/delete", data={"confirm": "y"})
    assert resp.status_code == 409
    assert "“案例征集”阶段已于 2024-04-23 24:00（北京时间）截止。" in text(resp)
    assert "删除草稿</button>" not in text(c.get(f"/cases/{cid}"))
    db.session.expire_all()
    assert db.session.get(Case, cid) is not None
    assert case_actions(cid) == ["case_created"]
