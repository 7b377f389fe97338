"""The security suite: every route × every role, CSRF on every POST, XSS in every free-text column,
security headers. Routes are read from the app's URL map, so a new view is covered the moment it is
registered; each view must declare its access with a marker from contest.accounts.permissions."""
from __future__ import annotations

import io
import itertools
import re

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from contest.accounts.models import Role
from contest.accounts.permissions import declared_access
from contest.extensions import db
from contest.media import storage
from tests.factories import make_case, make_contest, make_expert, make_organizer, make_unit, make_user, make_video

ROLES = ["anonymous", "unit", "other_unit", "expert", "organizer"]
ROLE_OF = {"anonymous": None, "unit": Role.UNIT, "other_unit": Role.UNIT, "expert": Role.EXPERT,
           "organizer": Role.ORGANIZER}
# URL arguments that name an object owned by the first unit ("unit"); others get a missing id.
OWNED_ARGS = {"case_id", "video_id", "entry_id", "file_id", "unit_id"}
MISSING_ID = 987654
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class World:
    """Two units, an expert (assigned to nothing), an organizer, and the first unit's material."""

    def __init__(self, app):
        self.contest = make_contest()
        unit_a, unit_b = make_unit(name="雁塔区信用办"), make_unit(name="碑林区信用办")
        self.users = {
            "unit": make_user(Role.UNIT, unit=unit_a),
            "other_unit": make_user(Role.UNIT, unit=unit_b),
            "expert": make_expert(),
            "organizer": make_organizer(),
        }
        received = storage.receive(io.BytesIO(b"%PDF-1.4\n% scan\n" + b"0" * 200),
                                   upload_root=app.config["UPLOAD_ROOT"], max_bytes=10_000)
        self.scan = storage.commit(received, upload_root=app.config["UPLOAD_ROOT"], purpose="scan",
                                   type_code="pdf", original_name="扫描件.pdf", unit_id=unit_a.id)
        self.case = make_case(self.contest, unit_a, scan_file_id=self.scan.id)
        self.video = make_video(self.contest, unit_a)
        db.session.commit()
        self.ids = {"case_id": self.case.id, "video_id": self.video.id, "entry_id": self.case.id,
                    "file_id": self.scan.id, "unit_id": unit_a.id, "contest_id": self.contest.id,
                    "user_id": self.users["unit"].id, "expert_id": self.users["expert"].id}


def routes(app):
    """(rule, method, url, owns_object) for every route except static files."""
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        values = {}
        for name in rule.arguments:
            conv = rule._converters[name]
            if name in OWNED_ARGS or name in ("contest_id", "user_id", "expert_id"):
                values[name] = app._world.ids[name]
            elif isinstance(conv, IntegerConverter):
                values[name] = MISSING_ID
            else:
                values[name] = "x.pdf"
        url = rule.build(values, append_unknown=False)[1]
        owns = bool(set(rule.arguments) & OWNED_ARGS)
        for method in sorted((rule.methods or set()) & ({"GET"} | WRITE_METHODS)):
            out.append((rule, method, url, owns))
    return out


def client_for(app, world, role):
    c = app.test_client()
    if role != "anonymous":
        user = world.users[role]
        with c.session_transaction() as s:
            s["_user_id"] = user.get_id()
            s["_fresh"] = True
    return c


def relogin(c, world, role):
    # A POST (e.g. logout) may end the session; put the login back before the next request.
    if role != "anonymous":
        with c.session_transaction() as s:
            s["_user_id"] = world.users[role].get_id()
            s["_fresh"] = True


def is_login_redirect(resp) -> bool:
    # Flask-Login's refusal: to the login page with ?next= (a logout's redirect has no next).
    loc = resp.headers.get("Location", "")
    return resp.status_code in (301, 302, 303) and "/login?next=" in loc


def expectation_failures(rule, method, role, resp, owns, access) -> list[str]:
    code = resp.status_code
    where = f"{method} {rule.rule} as {role}: got {code}"
    problems = []
    if code >= 500:
        return [f"{where} (server error)"]
    allowed = access.allows(ROLE_OF[role])
    if not allowed:
        if role == "anonymous":
            if not is_login_redirect(resp):
                problems.append(f"{where}, expected a redirect to the login page")
        elif code != 403:
            problems.append(f"{where}, expected 403")
        return problems
    if code == 403 or (role != "anonymous" and is_login_redirect(resp)):
        problems.append(f"{where}, expected access ({access.kind})")
    if owns and role in ("other_unit", "expert") and code != 404:
        problems.append(f"{where}, expected 404 for another unit's / an unassigned expert's object")
    if owns and access.kind == "public" and role == "anonymous" and code != 404:
        problems.append(f"{where}, expected 404: the object is not public")
    if owns and role == "unit" and method == "GET" and code == 404:
        problems.append(f"{where}: the owner cannot see its own object")
    return problems


@pytest.fixture
def world(app):
    w = World(app)
    app._world = w
    yield w
    del app._world


def test_every_view_declares_its_access(app):
    undeclared = sorted({r.endpoint for r in app.url_map.iter_rules()
                         if r.endpoint != "static" and declared_access(app.view_functions[r.endpoint]) is None})
    assert undeclared == [], (
        "views without an access marker (use public_view / login_only / roles_required from "
        f"contest.accounts.permissions): {undeclared}")


def test_route_role_matrix(app, world):
    failures = []
    checked = 0
    all_routes = routes(app)
    # GETs first, then writes; the organizer goes last so that its writes cannot hide others' checks.
    for reading in (True, False):
        for role in ROLES:
            c = client_for(app, world, role)
            for rule, method, url, owns in all_routes:
                if (method == "GET") != reading:
                    continue
                access = declared_access(app.view_functions[rule.endpoint])
                if access is None:
                    continue  # reported by test_every_view_declares_its_access
                relogin(c, world, role)
                resp = c.get(url) if reading else c.open(url, method=method, data={})
                failures += expectation_failures(rule, method, role, resp, owns, access)
                checked += 1
    assert checked >= len(all_routes) * len(ROLES)
    assert failures == []


def test_every_write_without_csrf_token_is_refused(app, world):
    failures = []
    writes = [(rule, m, url) for rule, m, url, _ in routes(app) if m in WRITE_METHODS]
    assert len([w for w in writes if w[1] == "POST"]) >= 2, "the app has POST routes (at least login and logout)"
    for role in ROLES:
        c = client_for(app, world, role)
        for rule, method, url in writes:
            relogin(c, world, role)
            resp = c.open(url, method=method, data={"x": "1"}, csrf=False)
            if resp.status_code != 400 or "CSRF" not in resp.get_data(as_text=True):
                failures.append(f"{method} {rule.rule} as {role} without CSRF token: {resp.status_code}")
    assert failures == []


# --- XSS --------------------------------------------------------------------------------------------

SKIP_COLUMNS = {"password_hash", "storage_key", "sha256", "content_type", "purpose", "action", "target_type",
                "ip", "voter_hash", "ip_hash", "net_hash", "ua_hash", "phone_hash"}
PAYLOAD_RE = re.compile(r"<q\d+>")


def fill_text_columns_with_payloads() -> dict[str, str]:
    """Write a distinct ``"'<qN>`` into every free-text column of every row; return payload -> column."""
    from contest.core import audit
    from contest.core.models import AuditLog

    counter = itertools.count(1)
    written = {}
    # Audit entries are append-only: add one carrying payloads instead of editing the existing ones.
    n1, n2 = next(counter), next(counter)
    audit.record("login", actor=None, summary=f"\"'<q{n1}>", target_type="user", target_id=1)
    db.session.flush()
    db.session.execute(sa.update(AuditLog.__table__).where(AuditLog.summary == f"\"'<q{n1}>")
                       .values(actor_label=f"\"'<q{n2}>"))
    written.update({f"<q{n1}>": "AuditLog.summary", f"<q{n2}>": "AuditLog.actor_label"})
    for mapper in db.Model.registry.mappers:
        if mapper.class_ is AuditLog:
            continue
        for obj in db.session.scalars(sa.select(mapper.class_)).all():
            for attr in mapper.column_attrs:
                col = attr.columns[0]
                if col.table is not mapper.local_table or col.key in SKIP_COLUMNS or col.primary_key:
                    continue
                if not isinstance(col.type, (sa.String, sa.Text)) or isinstance(col.type, sa.Enum):
                    continue
                n = next(counter)
                payload = f"\"'<q{n}>"
                if col.type.length is not None and len(payload) > col.type.length:
                    continue
                setattr(obj, attr.key, payload)
                written[f"<q{n}>"] = f"{mapper.class_.__name__}.{attr.key}"
    db.session.commit()
    return written


def test_text_fields_are_rendered_escaped_on_every_page(app, world):
    written = fill_text_columns_with_payloads()
    assert len(written) >= 20
    raw_hits, escaped_seen = [], set()
    for role in ROLES:
        c = client_for(app, world, role)
        for rule, method, url, _ in routes(app):
            if method != "GET":
                continue
            relogin(c, world, role)
            resp = c.get(url)
            if not resp.mimetype or "html" not in resp.mimetype:
                continue
            body = resp.get_data(as_text=True)
            for tag in PAYLOAD_RE.findall(body):
                raw_hits.append(f"{rule.rule} as {role}: {written.get(tag, tag)} rendered unescaped")
            escaped_seen.update(re.findall(r"&lt;q\d+&gt;", body))
    assert raw_hits == []
    # The payloads really reached pages (so the check above could have failed).
    shown = {written[e.replace("&lt;", "<").replace("&gt;", ">")] for e in escaped_seen}
    assert {"Contest.title", "User.display_name", "Unit.name"} <= shown


# --- headers and cookies ----------------------------------------------------------------------------

def test_security_headers_on_pages(client):
    resp = client.get("/login")
    assert resp.status_code == 200
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert "script-src 'self' 'unsafe-inline'" not in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in resp.headers  # plain HTTP: no HSTS


def test_https_gets_hsts_and_secure_cookies(make_app):
    from tests.factories import PASSWORD

    app = make_app(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True, RATELIMIT_ENABLED=False)
    with app.app_context():
        from tests.conftest import _truncate_all
        _truncate_all()
        make_organizer(username="boss")
        db.session.commit()
        c = app.test_client()
        page = c.get("/login", base_url="https://localhost")
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
        resp = c.post("/login", data={"username": "boss", "password": PASSWORD}, base_url="https://localhost",
                      headers={"Referer": "https://localhost/login"})
        assert resp.status_code == 302
        cookies = [v for k, v in resp.headers.items() if k == "Set-Cookie" and v.startswith("session=")]
        assert len(cookies) == 1
        attrs = [a.strip().lower() for a in cookies[0].split(";")]
        assert "secure" in attrs and "httponly" in attrs and "samesite=lax" in attrs
        _truncate_all()


def test_error_pages_carry_security_headers(client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "页面不存在" in resp.get_data(as_text=True)
