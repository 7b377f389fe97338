import re
import threading
import time

import pytest
import sqlalchemy as sa

from contest.accounts.models import Role, User
from contest.core.models import AuditLog
from contest.extensions import db
from tests.conftest import login, watch_statements, writes_held
from tests.factories import PASSWORD, make_contest, make_expert, make_organizer, make_unit, make_user

PW_RE = re.compile(r'id="one-time-password">([^<]+)<')


def _actions():
    return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def test_create_unit_account_shows_password_once_and_it_works(app, login_as):
    make_contest()
    org = make_organizer()
    unit = make_unit("雁塔区")
    db.session.commit()
    c = login_as(org)
    resp = c.post("/admin/accounts/new", data={"role": "unit", "username": "yanta2", "display_name": "雁塔区信用办",
                                               "phone": "029-85211004", "unit_id": str(unit.id), "conflict_unit_id": "0"})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    password = PW_RE.search(resp.get_data(as_text=True)).group(1)
    user = db.session.scalar(sa.select(User).where(User.username == "yanta2"))
    assert (user.role, user.unit_id, user.display_name) == (Role.UNIT, unit.id, "雁塔区信用办")
    assert _actions()[-1] == "account_created"
    assert login(app.test_client(), "yanta2", password).status_code == 302


def test_create_unit_account_without_unit_refused(app, login_as):
    org = make_organizer()
    db.session.commit()
    resp = login_as(org).post("/admin/accounts/new", data={"role": "unit", "username": "nounit",
                                                           "display_name": "某单位", "unit_id": "0", "conflict_unit_id": "0"})
    assert resp.status_code == 200
    assert "申报单位账号必须选择所属单位。" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(User).where(User.username == "nounit")) is None


def test_create_expert_with_conflict_unit(app, login_as):
    org = make_organizer()
    unit = make_unit("雁塔区")
    db.session.commit()
    resp = login_as(org).post("/admin/accounts/new", data={
        "role": "expert", "username": "liu", "display_name": "刘晓燕", "title": "高级经济师",
        "affiliation": "雁塔区发展和改革局", "unit_id": "0", "conflict_unit_id": str(unit.id)})
    assert resp.status_code == 200
    expert = db.session.scalar(sa.select(User).where(User.username == "liu"))
    assert (expert.role, expert.title, expert.affiliation, expert.conflict_unit_id, expert.unit_id) == (
        Role.EXPERT, "高级经济师", "雁塔区发展和改革局", unit.id, None)


def test_create_account_duplicate_username_refused(app, login_as):
    org = make_organizer(username="boss")
    db.session.commit()
    resp = login_as(org).post("/admin/accounts/new", data={"role": "organizer", "username": "boss",
                                                           "display_name": "重复", "unit_id": "0", "conflict_unit_id": "0"})
    assert "用户名已被使用（不区分大小写）：已有账号“boss”，请换一个。" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_create_account_username_differing_only_in_case_refused(app, login_as):
    # The unit import already compares usernames ignoring case; the account form follows the same rule.
    org = make_organizer(username="boss")
    make_user(Role.UNIT, username="yanta", unit=make_unit("雁塔区"))
    db.session.commit()
    for name in ("Yanta", "YANTA", " yAnTa "):
        resp = login_as(org).post("/admin/accounts/new", data={"role": "organizer", "username": name,
                                                               "display_name": "大小写不同", "unit_id": "0",
                                                               "conflict_unit_id": "0"})
        assert resp.status_code == 200
        assert "用户名已被使用（不区分大小写）：已有账号“yanta”，请换一个。" in resp.get_data(as_text=True), name
    assert sorted(db.session.scalars(sa.select(User.username))) == ["boss", "yanta"]
    assert "account_created" not in _actions()


def test_login_matches_the_username_ignoring_case(app):
    make_user(Role.UNIT, username="yanta", unit=make_unit("雁塔区"))
    db.session.commit()
    assert login(app.test_client(), "YanTa", PASSWORD).status_code == 302
    assert login(app.test_client(), "yanta", PASSWORD).status_code == 302
    assert login(app.test_client(), "YANTA", "wrong-password1").status_code == 200


def test_database_refuses_a_username_differing_only_in_case(app):
    # The database holds the rule too (index uq_user_username_lower), whatever code writes the row.
    make_user(Role.UNIT, username="Yanta", unit=make_unit("雁塔区"))
    db.session.commit()
    with pytest.raises(sa.exc.IntegrityError, match="uq_user_username_lower"):
        make_user(Role.UNIT, username="yanta", unit=make_unit("碑林区"))
    db.session.rollback()
    assert list(db.session.scalars(sa.select(User.username))) == ["Yanta"]


def test_simultaneous_creates_differing_only_in_case_make_one_account(app, login_as):
    """Two organizers create “Alice” and “alice” at once: both pass the app's check before either account
    exists, the unique index decides, and the other gets the usual message with the form as typed."""
    org = make_organizer(username="boss")
    db.session.commit()
    clients = {name: login_as(org) for name in ("Alice", "alice")}
    for c in clients.values():
        c.csrf_token()
    answers = {}
    barrier = threading.Barrier(2)

    def create(name):
        barrier.wait()
        resp = clients[name].post("/admin/accounts/new", data={
            "role": "expert", "username": name, "display_name": f"专家{name}", "title": "高级经济师",
            "affiliation": f"单位{name}", "unit_id": "0", "conflict_unit_id": "0"})
        answers[name] = (resp.status_code, resp.get_data(as_text=True))

    threads = [threading.Thread(target=create, args=(name,)) for name in clients]
    with watch_statements(db.engine, r'^INSERT INTO "?user"? ') as inserts, writes_held("user"):
        for t in threads:
            t.start()
        # Both requests have passed the check and wait at the database with their INSERT.
        assert inserts.wait(2), answers
        time.sleep(0.3)
        assert all(t.is_alive() for t in threads), answers
    for t in threads:
        t.join(60)
    db.session.expire_all()
    (created,) = db.session.scalars(sa.select(User.username).where(User.username != "boss"))
    refused = "alice" if created == "Alice" else "Alice"
    status, page = answers[created]
    assert status == 200 and PW_RE.search(page)
    status, page = answers[refused]
    assert status == 200
    assert f"用户名已被使用（不区分大小写）：已有账号“{created}”，请换一个。" in page
    assert f'value="专家{refused}"' in page and f'value="单位{refused}"' in page and f'value="{refused}"' in page
    assert _actions().count("account_created") == 1


def test_edit_account(app, login_as):
    org = make_organizer()
    expert = make_expert(username="e1")
    db.session.commit()
    resp = login_as(org).post(f"/admin/accounts/{expert.id}/edit", data={
        "display_name": "张建国", "phone": "13800138000", "title": "教授", "affiliation": "西北大学",
        "unit_id": "0", "conflict_unit_id": "0"})
    assert resp.status_code == 302
    db.session.refresh(expert)
    assert (expert.display_name, expert.title, expert.affiliation, expert.role) == ("张建国", "教授", "西北大学", Role.EXPERT)
    assert _actions()[-1] == "account_updated"


def test_account_list_filters(app, login_as):
    org = make_organizer(username="boss")
    u1 = make_unit("碑林区")
    make_user(Role.UNIT, username="beilin", unit=u1)
    make_user(Role.UNIT, username="gone", unit=u1, active=False)
    make_expert(username="expertx")
    db.session.commit()
    c = login_as(org)
    html = c.get("/admin/accounts?role=unit&active=1").get_data(as_text=True)
    assert "<td>beilin</td>" in html and "<td>gone</td>" not in html and "<td>expertx</td>" not in html
    html = c.get(f"/admin/accounts?unit={u1.id}&active=0").get_data(as_text=True)
    assert "<td>gone</td>" in html and "<td>beilin</td>" not in html
    assert c.get("/admin/accounts?role=nonsense&unit=abc&active=x").status_code == 200


def test_disabled_account_cannot_log_in_and_its_session_ends(app, login_as):
    org = make_organizer()
    unit_user = make_user(Role.UNIT, username="willgo")
    db.session.commit()
    unit_client = login_as(unit_user)
    assert unit_client.get("/unit").status_code == 200
    resp = login_as(org).post(f"/admin/accounts/{unit_user.id}/disable")
    assert resp.status_code == 302
    assert _actions()[-1] == "account_disabled"
    resp = unit_client.get("/unit")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    resp = login(app.test_client(), "willgo", PASSWORD)
    assert resp.status_code == 200
    assert "该账号已停用，请联系市信用办。" in resp.get_data(as_text=True)


def test_enable_account_again(app, login_as):
    org = make_organizer()
    user = make_user(Role.UNIT, username="back", active=False)
    db.session.commit()
    login_as(org).post(f"/admin/accounts/{user.id}/enable")
    db.session.refresh(user)
    assert user.active is True
    assert _actions()[-1] == "account_enabled"
    assert login(app.test_client(), "back", PASSWORD).status_code == 302


def test_organizer_cannot_disable_self(app, login_as):
    org = make_organizer(username="boss")
    db.session.commit()
    c = login_as(org)
    resp = c.post(f"/admin/accounts/{org.id}/disable", follow_redirects=True)
    assert "不能停用自己正在使用的账号。" in resp.get_data(as_text=True)
    db.session.refresh(org)
    assert org.active is True


def test_reset_password_shown_once_replaces_old(app, login_as):
    org = make_organizer()
    user = make_user(Role.UNIT, username="forgot")
    db.session.commit()
    resp = login_as(org).post(f"/admin/accounts/{user.id}/reset-password")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    new_password = PW_RE.search(resp.get_data(as_text=True)).group(1)
    assert new_password != PASSWORD
    assert _actions()[-1] == "password_reset"
    assert new_password not in str(db.session.scalar(sa.select(AuditLog.summary).order_by(AuditLog.id.desc())))
    assert login(app.test_client(), "forgot", PASSWORD).status_code == 200  # old one refused
    assert login(app.test_client(), "forgot", new_password).status_code == 302


def test_unknown_account_is_404(app, login_as):
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    assert c.get("/admin/accounts/9999/edit").status_code == 404
    assert c.post("/admin/accounts/9999/disable").status_code == 404


def _is_login_redirect(resp) -> bool:
    return resp.status_code == 302 and "/login?next=" in resp.headers["Location"]


def test_reset_password_ends_the_accounts_open_sessions(app, login_as):
    org = make_organizer()
    user = make_user(Role.UNIT, username="forgot")
    db.session.commit()
    unit_client = login_as(user)
    assert unit_client.get("/unit").status_code == 200
    assert login_as(org).post(f"/admin/accounts/{user.id}/reset-password").status_code == 200
    assert _is_login_redirect(unit_client.get("/unit"))


def test_disable_then_enable_does_not_revive_old_sessions(app, login_as):
    org = make_organizer()
    user = make_user(Role.UNIT, username="paused")
    db.session.commit()
    unit_client = login_as(user)
    assert unit_client.get("/unit").status_code == 200
    org_client = login_as(org)
    org_client.post(f"/admin/accounts/{user.id}/disable")
    org_client.post(f"/admin/accounts/{user.id}/enable")
    db.session.refresh(user)
    assert user.active is True
    assert _is_login_redirect(unit_client.get("/unit"))
    assert login_as(user).get("/unit").status_code == 200
