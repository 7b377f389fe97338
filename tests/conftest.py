"""Shared fixtures: the app on a real database (SQLite file, or PostgreSQL when TEST_DATABASE_URL is
set), a test client that fills in the CSRF token the way a browser would, login helpers and a clock."""
from __future__ import annotations

import os
import re
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from contest import create_app
from contest.extensions import db, limiter

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _database_url(tmp_root: Path) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_root / 'test.db'}"


def make_test_config(tmp_root: Path, **overrides) -> dict:
    url = _database_url(tmp_root)
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {},
        "UPLOAD_ROOT": str(tmp_root / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    return config


class CSRFClient(FlaskClient):
    """Adds the CSRF token to form posts, as the browser would from the rendered form.

    Pass ``csrf=False`` to send a post without it (to test that CSRF is enforced).

    Closing a response also closes its request body: Werkzeug encodes a body over 500 KB into a
    temporary file and ties it to the response only when following redirects.
    """

    _token: str | None = None

    def csrf_token(self) -> str:
        if self._token is None:
            resp = super().open("/login", follow_redirects=True)
            match = CSRF_RE.search(resp.get_data(as_text=True))
            assert match, "no CSRF token found on the login/home page"
            self._token = match.group(1)
        return self._token

    def open(self, *args, **kwargs):
        use_csrf = kwargs.pop("csrf", True)
        method = (kwargs.get("method") or "GET").upper()
        if use_csrf and method in {"POST", "PUT", "PATCH", "DELETE"}:
            data = kwargs.get("data")
            if data is None and kwargs.get("json") is None:
                kwargs["data"] = data = {}
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
            elif kwargs.get("json") is not None:
                headers = dict(kwargs.get("headers") or {})
                headers.setdefault("X-CSRFToken", self.csrf_token())
                kwargs["headers"] = headers
        resp = super().open(*args, **kwargs)
        body = resp.request.environ.get("wsgi.input")
        if body is not None:
            resp.call_on_close(body.close)
        return resp

    def forget_csrf(self) -> None:
        self._token = None


@pytest.fixture(scope="session")
def session_tmp(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("contest")


@pytest.fixture(scope="session")
def _app(session_tmp):
    app = create_app(make_test_config(session_tmp), instance_path=session_tmp / "instance")
    app.test_client_class = CSRFClient
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _truncate_all() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{t}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for t in reversed(tables):
            db.session.execute(sa.text(f'DELETE FROM "{t}"'))
    db.session.commit()


@pytest.fixture
def app(_app):
    """The app with an empty database, fresh rate limits and the real clock."""
    saved = dict(_app.config)
    with _app.app_context():
        _truncate_all()
        limiter.reset()
        yield _app
        db.session.remove()
    _app.config.clear()
    _app.config.update(saved)


@pytest.fixture
def make_app(session_tmp, request):
    """Build a separate app with config overrides (shares the database with ``app``)."""
    created = []
    # Flask-Limiter's ``enabled`` lives on the one shared Limiter and init_app overwrites it: an app built
    # with RATELIMIT_ENABLED=False would switch rate limits off for every later test.
    limiter_enabled = limiter.enabled

    def factory(**overrides):
        a = create_app(make_test_config(session_tmp, **overrides), instance_path=session_tmp / "instance")
        a.test_client_class = CSRFClient
        created.append(a)
        return a

    yield factory
    limiter.enabled = limiter_enabled
    for a in created:
        with a.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def fresh_database(app, tmp_path):
    """The URL of a new, empty database of the same kind as the test database."""
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield str(url.set(database=str(tmp_path / "restored.db")))
        return
    name = f"contest_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class StatementWatch:
    """Counts the SQL statements matching ``pattern`` that any connection of ``engine`` starts, from any
    thread; ``wait(n)`` returns once n have started (False after ``timeout`` seconds)."""

    def __init__(self, pattern: str):
        self._pattern = re.compile(pattern)
        self._cond = threading.Condition()
        self.count = 0

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if self._pattern.search(statement):
            with self._cond:
                self.count += 1
                self._cond.notify_all()

    def wait(self, n: int, timeout: float = 60) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.count >= n, timeout)


@contextmanager
def watch_statements(engine, pattern: str):
    """``with watch_statements(db.engine, r'INSERT INTO "?user"? ') as watch: ... watch.wait(2)``"""
    watch = StatementWatch(pattern)
    sa.event.listen(engine, "before_cursor_execute", watch)
    try:
        yield watch
    finally:
        sa.event.remove(engine, "before_cursor_execute", watch)


@contextmanager
def writes_held(table: str):
    """Another transaction keeps every write to ``table`` waiting (reads go on) until the block ends, so
    that concurrent requests all pass their checks before any of them can write."""
    other = db.engine.connect()
    tx = other.begin()
    if db.engine.dialect.name == "postgresql":
        other.execute(sa.text(f'LOCK TABLE "{table}" IN EXCLUSIVE MODE'))
    else:
        other.execute(sa.text(f'UPDATE "{table}" SET id = id WHERE 1 = 0'))  # takes SQLite's one write lock
    try:
        yield
    finally:
        tx.rollback()
        other.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clock(app):
    """Freeze the request clock: ``clock.set(naive_utc)``; ``clock.now`` reads it back."""

    class Clock:
        now = None

        def set(self, value):
            self.now = value
            app.config["CLOCK"] = lambda: self.now
            return value

    return Clock()


def login(client, username: str, password: str):
    client.forget_csrf()
    resp = client.post("/login", data={"username": username, "password": password})
    client.forget_csrf()  # the session changed; fetch a fresh token next time
    return resp


@pytest.fixture
def login_as(app):
    """``login_as(user)`` -> a new client logged in as that user (password from the factories)."""
    from tests.factories import PASSWORD

    def do(user):
        c = app.test_client()
        resp = login(c, user.username, PASSWORD)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return c

    return do
