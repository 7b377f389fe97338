import io
import re
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from contest.accounts.models import Role, Unit, UnitKind, User
from contest.accounts.rules import IMPORT_COLUMNS
from contest.core.models import AuditLog
from contest.extensions import db
from tests.conftest import login, watch_statements, writes_held
from tests.factories import make_organizer, make_unit


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(IMPORT_COLUMNS)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(c, data: bytes, name: str = "units.xlsx"):
    return c.post("/admin/units/import", data={"file": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture(autouse=True)
def _no_pending_imports(app):
    for path in (Path(app.config["UPLOAD_ROOT"]) / "imports").glob("*.bin"):
        path.unlink()


def _pending_files(app):
    return sorted(p.name for p in (Path(app.config["UPLOAD_ROOT"]) / "imports").glob("*.bin"))


def test_create_and_edit_unit(app, login_as):
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    resp = c.post("/admin/units/new", data={"name": "灞桥区", "kind": "district", "contact_name": "马丽",
                                            "contact_phone": "029-83611005", "email": "", "address": "纺织城"})
    assert resp.status_code == 302
    unit = db.session.scalar(sa.select(Unit).where(Unit.name == "灞桥区"))
    assert (unit.kind, unit.contact_name, unit.contact_phone) == (UnitKind.DISTRICT, "马丽", "029-83611005")
    resp = c.post(f"/admin/units/{unit.id}/edit", data={"name": "灞桥区", "kind": "district", "contact_name": "张伟",
                                                        "contact_phone": "", "email": "", "address": ""})
    assert resp.status_code == 302
    db.session.refresh(unit)
    assert unit.contact_name == "张伟"
    actions = list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))
    assert actions[-2:] == ["unit_created", "unit_updated"]


def test_duplicate_unit_name_refused(app, login_as):
    org = make_organizer()
    make_unit("雁塔区")
    other = make_unit("碑林区")
    db.session.commit()
    c = login_as(org)
    resp = c.post("/admin/units/new", data={"name": " 雁塔区 ", "kind": "district"})
    assert resp.status_code == 200
    assert "单位名称“雁塔区”已存在，请勿重复添加。" in resp.get_data(as_text=True)
    resp = c.post(f"/admin/units/{other.id}/edit", data={"name": "雁塔区", "kind": "district"})
    assert "单位名称“雁塔区”已存在" in resp.get_data(as_text=True)
    db.session.refresh(other)
    assert other.name == "碑林区"
    assert _count(Unit) == 2


def test_simultaneous_creates_of_one_unit_name_make_one_unit(app, login_as):
    """Two organizers add “高新区” at once: both pass the app's check before either unit exists, the unique
    key decides, and the other gets the usual message (not a 500) with the form as typed."""
    org = make_organizer()
    db.session.commit()
    clients = [login_as(org) for _ in range(2)]
    for c in clients:
        c.csrf_token()
    answers = {}
    barrier = threading.Barrier(2)

    def create(k):
        barrier.wait()
        resp = clients[k].post("/admin/units/new", data={"name": "高新区", "kind": "dev_zone",
                                                         "contact_name": f"联系人{k}"})
        answers[k] = (resp.status_code, resp.get_data(as_text=True))

    threads = [threading.Thread(target=create, args=(k,)) for k in range(2)]
    with watch_statements(db.engine, r'^INSERT INTO "?unit"? ') as inserts, writes_held("unit"):
        for t in threads:
            t.start()
        assert inserts.wait(2), answers  # both requests passed the check and wait with their INSERT
        time.sleep(0.3)
        assert all(t.is_alive() for t in threads), answers
    for t in threads:
        t.join(60)
    db.session.expire_all()
    (unit,) = db.session.scalars(sa.select(Unit))
    assert unit.name == "高新区"
    saved = 0 if unit.contact_name == "联系人0" else 1
    assert answers[saved][0] == 302
    status, page = answers[1 - saved]
    assert status == 200
    assert "单位名称“高新区”已存在，请勿重复添加。" in page
    assert f'value="联系人{1 - saved}"' in page
    actions = list(db.session.scalars(sa.select(AuditLog.action)))
    assert actions.count("unit_created") == 1


def test_unit_form_bad_kind_and_phone_messages(app, login_as):
    org = make_organizer()
    db.session.commit()
    resp = login_as(org).post("/admin/units/new", data={"name": "X", "kind": "street", "contact_phone": "abc"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "不是有效的选择。" in html
    assert "联系电话只能包含数字" in html
    assert _count(Unit) == 0


def test_import_xlsx_preview_then_confirm(app, login_as):
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    data = _xlsx([["雁塔区", "区县", "高原", "029-85211004", "小寨西路", "yanta", "雁塔区信用办"],
                  ["西安市交通运输局", "市级部门", "孙伟", "029-86786789", "凤城八路", "", ""]])
    resp = _upload(c, data)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/units/import/preview")
    assert len(_pending_files(app)) == 1
    html = c.get("/admin/units/import/preview").get_data(as_text=True)
    assert "将创建 <strong>2</strong> 个单位、<strong>1</strong> 个申报单位账号" in html
    assert _count(Unit) == 0  # the preview writes nothing
    resp = c.post("/admin/units/import/confirm")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    password = re.search(r"<td>yanta</td><td><code class=\"secret\">([^<]+)</code>", html).group(1)
    units = {u.name: u for u in db.session.scalars(sa.select(Unit))}
    assert set(units) == {"雁塔区", "西安市交通运输局"}
    assert units["西安市交通运输局"].kind == UnitKind.CITY_DEPT
    account = db.session.scalar(sa.select(User).where(User.username == "yanta"))
    assert (account.role, account.unit_id, account.display_name) == (Role.UNIT, units["雁塔区"].id, "雁塔区信用办")
    assert login(app.test_client(), "yanta", password).status_code == 302
    assert db.session.scalar(sa.select(AuditLog.summary).where(AuditLog.action == "units_imported")) == \
        "导入 2 个单位、1 个账号"
    assert _pending_files(app) == []
    # The stored upload is gone: confirming again creates nothing more.
    resp = c.post("/admin/units/import/confirm")
    assert resp.status_code == 302
    assert _count(Unit) == 2


def test_import_rolls_back_on_a_bad_row(app, login_as):
    org = make_organizer()
    make_unit("碑林区")
    db.session.commit()
    c = login_as(org)
    data = _xlsx([["新城区", "区县", "", "", "", "xincheng", ""],
                  ["碑林区", "区县", "", "", "", "", ""],
                  ["莲湖区", "街道", "", "", "", "", ""],
                  ["新城区", "区县", "", "", "", "", ""]])
    _upload(c, data)
    html = c.get("/admin/units/import/preview").get_data(as_text=True)
    assert "发现 3 处错误，本次不能导入" in html
    assert "第3行：单位“碑林区”已存在，不能重复导入。" in html
    assert "第4行：单位类型“街道”无效，应为市级部门、区县、西咸新区、开发区之一。" in html
    assert "第5行：单位名称“新城区”在文件中重复（第2行已有）。" in html
    assert "确认导入" not in html
    resp = c.post("/admin/units/import/confirm", follow_redirects=True)
    assert "导入未完成，没有任何单位或账号被创建" in resp.get_data(as_text=True)
    assert {u for u in db.session.scalars(sa.select(Unit.name))} == {"碑林区"}
    assert db.session.scalar(sa.select(User).where(User.username == "xincheng")) is None


def test_import_revalidates_at_confirm(app, login_as):
    """A unit added between preview and confirm makes the whole import fail, not half of it."""
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    _upload(c, _xlsx([["未央区", "区县"], ["高陵区", "区县"]]))
    assert "确认导入" in c.get("/admin/units/import/preview").get_data(as_text=True)
    make_unit("高陵区")
    db.session.commit()
    resp = c.post("/admin/units/import/confirm", follow_redirects=True)
    assert "单位“高陵区”已存在" in resp.get_data(as_text=True)
    assert {u for u in db.session.scalars(sa.select(Unit.name))} == {"高陵区"}


def test_import_confirm_racing_an_account_created_in_another_letter_case_creates_nothing(app, login_as):
    """An account “ALICE” is being created (not yet committed) when the import of “alice” is confirmed: the
    import waits at the database, the unique index decides once “ALICE” commits, and the import is refused
    with the row named, all or nothing (no 500)."""
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    _upload(c, _xlsx([["未央区", "区县", "", "", "", "", ""], ["莲湖区", "区县", "", "", "", "alice", ""]]))
    assert "确认导入" in c.get("/admin/units/import/preview").get_data(as_text=True)
    answer = {}

    def confirm():
        resp = c.post("/admin/units/import/confirm", follow_redirects=True)
        answer.update(status=resp.status_code, page=resp.get_data(as_text=True))

    other = db.engine.connect()
    tx = other.begin()
    other.execute(sa.insert(User.__table__).values(username="ALICE", password_hash="x", role="organizer"))
    confirming = threading.Thread(target=confirm)
    with watch_statements(db.engine, r'^INSERT INTO "?(unit|user)"? ') as inserts:
        confirming.start()
        assert inserts.wait(1), answer
        time.sleep(0.5)  # the import's INSERTs reach the database and wait for the other transaction
        assert confirming.is_alive(), answer.get("page", "")[:300]
        tx.commit()
        other.close()
        confirming.join(60)
    assert answer["status"] == 200
    assert "导入未完成，没有任何单位或账号被创建：第3行：账号用户名“alice”已被使用。" in answer["page"]
    assert _count(Unit) == 0
    assert list(db.session.scalars(sa.select(User.username).where(User.role == Role.UNIT))) == []
    assert len(_pending_files(app)) == 1  # the upload stays for a corrected file or a cancel


def test_import_csv_gb18030_and_utf16(app, login_as):
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    text = "单位名称,单位类型,联系人\n西咸新区管委会,西咸新区,彭辉\n"
    _upload(c, text.encode("gb18030"), "units.csv")
    c.post("/admin/units/import/confirm")
    text = "单位名称,单位类型,联系人\n西安高新技术产业开发区,开发区,沈涛\n"
    _upload(c, text.encode("utf-16"), "units.txt")
    c.post("/admin/units/import/confirm")
    units = {u.name: (u.kind, u.contact_name) for u in db.session.scalars(sa.select(Unit))}
    assert units == {"西咸新区管委会": (UnitKind.XIXIAN, "彭辉"), "西安高新技术产业开发区": (UnitKind.DEV_ZONE, "沈涛")}


def test_import_refuses_non_table_files(app, login_as):
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    resp = _upload(c, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 50, "units.xlsx")
    assert resp.status_code == 200
    assert "文件不是 .xlsx 或 CSV 表格" in resp.get_data(as_text=True)
    resp = c.post("/admin/units/import", data={}, content_type="multipart/form-data")
    assert "请选择要导入的 .xlsx 或 .csv 文件。" in resp.get_data(as_text=True)
    assert _pending_files(app) == []


def test_import_cancel_removes_upload(app, login_as):
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    _upload(c, _xlsx([["未央区", "区县"]]))
    assert len(_pending_files(app)) == 1
    c.post("/admin/units/import/cancel")
    assert _pending_files(app) == []
    assert c.get("/admin/units/import/preview").status_code == 302


def test_import_second_upload_replaces_the_first(app, login_as):
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    _upload(c, _xlsx([["未央区", "区县"]]))
    first = _pending_files(app)
    _upload(c, _xlsx([["长安区", "区县"], ["临潼区", "区县"]]))
    second = _pending_files(app)
    assert len(first) == 1 and len(second) == 1 and second != first
    assert "将创建 <strong>2</strong> 个单位" in c.get("/admin/units/import/preview").get_data(as_text=True)


def test_import_template_is_a_valid_import(app, login_as):
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    resp = c.get("/admin/units/import/template.xlsx")
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert [c.value for c in ws[1]] == IMPORT_COLUMNS
    _upload(c, resp.data)
    assert "确认导入" in c.get("/admin/units/import/preview").get_data(as_text=True)


def test_delete_unit_only_without_accounts_or_entries(app, login_as):
    from tests.factories import make_case, make_contest, make_user

    org = make_organizer()
    contest = make_contest()
    empty = make_unit("误加的单位")
    with_account = make_unit("有账号的单位")
    make_user(Role.UNIT, unit=with_account)
    with_case = make_unit("有案例的单位")
    make_case(contest, with_case)
    db.session.commit()
    c = login_as(org)
    resp = c.post(f"/admin/units/{with_account.id}/delete", follow_redirects=True)
    assert "单位“有账号的单位”下还有 1 个关联账号、0 个作品，不能删除" in resp.get_data(as_text=True)
    resp = c.post(f"/admin/units/{with_case.id}/delete", follow_redirects=True)
    assert "下还有 0 个关联账号、1 个作品，不能删除" in resp.get_data(as_text=True)
    resp = c.post(f"/admin/units/{empty.id}/delete", follow_redirects=True)
    assert "单位“误加的单位”已删除。" in resp.get_data(as_text=True)
    assert set(db.session.scalars(sa.select(Unit.name))) == {"有账号的单位", "有案例的单位"}
    entry = db.session.scalar(sa.select(AuditLog).order_by(AuditLog.id.desc()))
    assert (entry.action, entry.summary) == ("unit_deleted", "区县：误加的单位")
    assert c.post("/admin/units/99999/delete").status_code == 404
