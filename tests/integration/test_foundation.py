import json

import sqlalchemy as sa

from contest.accounts.models import Role, User
from contest.contests.models import Phase
from contest.contests.services import is_phase_open, set_override
from contest.core.models import AuditLog
from contest.core.timeutil import beijing
from contest.extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, make_contest, make_expert, make_organizer, make_user


def test_healthz_reports_database_ok(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok", "database": "ok"}


def test_login_wrong_password_shows_chinese_message(app, client):
    make_organizer(username="boss")
    db.session.commit()
    resp = login(client, "boss", "wrong-password")
    assert resp.status_code == 200
    assert "用户名或密码错误。" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditLog.action).order_by(AuditLog.id.desc())) == "login_failed"


def test_login_disabled_account_refused(app, client):
    make_organizer(username="gone", active=False)
    db.session.commit()
    resp = login(client, "gone", PASSWORD)
    assert resp.status_code == 200
    assert "该账号已停用" in resp.get_data(as_text=True)


def test_login_success_redirects_to_role_home(app, client):
    make_organizer(username="boss")
    db.session.commit()
    resp = login(client, "boss", PASSWORD)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/dashboard")


def test_login_rate_limited_after_ten_posts(app, client):
    make_organizer(username="boss")
    db.session.commit()
    codes = [login(client, "boss", "bad").status_code for _ in range(11)]
    assert codes[:10] == [200] * 10
    assert codes[10] == 429
    assert "操作过于频繁" in login(client, "boss", PASSWORD).get_data(as_text=True)


def test_post_without_csrf_token_is_refused(app, client):
    make_organizer(username="boss")
    db.session.commit()
    resp = client.post("/login", data={"username": "boss", "password": PASSWORD}, csrf=False)
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)


def test_role_homes_forbid_other_roles(app, login_as):
    org, unit, expert = make_organizer(), make_user(Role.UNIT), make_expert()
    db.session.commit()
    pages = {"organizer": "/dashboard", "unit": "/unit", "expert": "/expert"}
    for user in (org, unit, expert):
        c = login_as(user)
        for role, page in pages.items():
            expected = 200 if user.role.value == role else 403
            assert c.get(page).status_code == expected, (user.role, page)


def test_anonymous_redirected_to_login(client):
    resp = client.get("/dashboard")
    assert resp.status_code == 302
    assert "/login" in resp.headers["Location"]


def test_change_password(app, login_as):
    user = make_user(Role.UNIT)
    db.session.commit()
    c = login_as(user)
    resp = c.post("/account/password", data={"old_password": "nope", "new_password": "Newpass123",
                                             "confirm": "Newpass123"})
    assert "原密码不正确。" in resp.get_data(as_text=True)
    resp = c.post("/account/password", data={"old_password": PASSWORD, "new_password": "Newpass123",
                                             "confirm": "Newpass123"})
    assert resp.status_code == 302
    db.session.refresh(user)
    assert user.check_password("Newpass123")


def test_phase_follows_frozen_clock_at_2024_04_23_24_00(app):
    contest = make_contest()
    assert is_phase_open(contest, Phase.SUBMISSION, beijing(2024, 4, 23, 23, 59, 59)) is True
    assert is_phase_open(contest, Phase.SUBMISSION, beijing(2024, 4, 24, 0, 0)) is False


def test_override_is_audited(app):
    org = make_organizer()
    contest = make_contest()
    now = beijing(2024, 4, 25)
    set_override(contest, Phase.SUBMISSION, __import__("contest.contests.models", fromlist=["Override"]).Override.OPEN,
                 actor=org, now=now, reason="延期两天")
    db.session.commit()
    assert is_phase_open(contest, Phase.SUBMISSION, now) is True
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "phase_override"))
    assert entry.actor_id == org.id
    assert entry.summary == "案例征集：手动开启（延期两天）"
    assert entry.detail == {"phase": "submission", "override": "open", "reason": "延期两天"}


def test_error_pages_are_chinese(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert "页面不存在" in resp.get_data(as_text=True)


def test_security_headers_present(client):
    resp = client.get("/login")
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]


def _login_with_next(client, next_value: str):
    client.forget_csrf()
    return client.post("/login", query_string={"next": next_value},
                       data={"username": "boss", "password": PASSWORD})


def test_login_next_local_path_is_followed(app, client):
    make_organizer(username="boss")
    db.session.commit()
    resp = _login_with_next(client, "/cases/")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/cases/"


def test_login_next_to_another_site_goes_home_instead(app):
    make_organizer(username="boss")
    db.session.commit()
    for bad in ("/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "//evil.example",
                "/\\evil.example", "https://evil.example", "/ /evil.example"):
        client = app.test_client()
        resp = _login_with_next(client, bad)
        assert resp.status_code == 302, bad
        assert resp.headers["Location"] == "/dashboard", bad


def test_own_password_change_ends_other_sessions_but_keeps_this_one(app, login_as):
    user = make_user(Role.UNIT)
    db.session.commit()
    this_browser, other_browser = login_as(user), login_as(user)
    resp = this_browser.post("/account/password", data={"old_password": PASSWORD, "new_password": "Newpass123",
                                                         "confirm": "Newpass123"})
    assert resp.status_code == 302
    assert this_browser.get("/unit").status_code == 200
    resp = other_browser.get("/unit")
    assert resp.status_code == 302 and "/login?next=" in resp.headers["Location"]


def test_login_starts_a_fresh_session(app, client):
    make_organizer(username="boss")
    db.session.commit()
    old_token = client.csrf_token()
    with client.session_transaction() as s:
        s["contest_id"] = 12345
        s["unit_import"] = {"id": "x", "sha256": "y"}
        anonymous_csrf = s["csrf_token"]
    resp = client.post("/login", data={"username": "boss", "password": PASSWORD})
    assert resp.status_code == 302
    with client.session_transaction() as s:
        assert "contest_id" not in s and "unit_import" not in s and "csrf_token" not in s
    # The token from the login page no longer works once logged in.
    resp = client.post("/logout", data={"csrf_token": old_token})
    assert resp.status_code == 400
    client.forget_csrf()
    new_token = client.csrf_token()
    with client.session_transaction() as s:
        assert s["csrf_token"] != anonymous_csrf
    assert client.post("/logout", data={"csrf_token": new_token}).status_code == 302


def test_change_password_without_a_letter_refused(app, login_as):
    user = make_user(Role.UNIT)
    db.session.commit()
    c = login_as(user)
    for weak in ("12345678!", "!!!!!!!!"):
        resp = c.post("/account/password", data={"old_password": PASSWORD, "new_password": weak, "confirm": weak})
        assert resp.status_code == 200
        assert "密码需同时包含英文字母和数字。" in resp.get_data(as_text=True)
    db.session.refresh(user)
    assert user.check_password(PASSWORD)


def test_create_organizer_command_checks_the_username_like_the_admin_form(app):
    """`flask contest create-organizer` goes through the same rules as the admin form: a username the form
    refuses (non-ASCII: SQLite's lower() would not fold it like PostgreSQL's) is refused with its message."""
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["contest", "create-organizer", "--username", "管理员", "--name", "测试",
                              "--password", "Xian2024pass"])
    assert bad.exit_code != 0
    assert "用户名需为 3–64 位字母、数字或 _ . -，并以字母或数字开头。" in bad.output
    good = runner.invoke(args=["contest", "create-organizer", "--username", "xa-admin", "--name", "测试",
                               "--password", "Xian2024pass"])
    assert good.exit_code == 0, good.output
    assert "已创建组织方账号：xa-admin" in good.output
    db.session.expire_all()
    assert db.session.scalars(sa.select(User.username).where(User.role == Role.ORGANIZER)).all() == ["xa-admin"]
