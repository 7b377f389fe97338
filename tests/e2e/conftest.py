"""Browser tests: Debian's chromium driven by Playwright (sync API) against a live server.

The server is the real app served by werkzeug in a thread on a free port, with its own temporary
SQLite database and upload folder. Screenshots of the key pages go to tests/e2e/screenshots/
(git-ignored). Never downloads a browser: without /usr/bin/chromium the tests are skipped.
"""
from __future__ import annotations

import os
import re
import socket
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync",
                 "--disable-dev-shm-usage"]
WECHAT_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")
DEFAULT_TIMEOUT_MS = 15_000

pytestmark = pytest.mark.slow


def pytest_collection_modifyitems(config, items):
    reason = None
    if not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is not installed (Debian package chromium; `make system-deps` installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright Python package is not installed (pip install -r requirements.txt)"
    if reason:
        here = Path(__file__).resolve().parent
        for item in items:
            if Path(str(item.fspath)).resolve().is_relative_to(here):
                item.add_marker(pytest.mark.skip(reason=reason))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    app: object
    url: str
    root: Path
    _server: object = None
    _thread: threading.Thread | None = None
    extra: dict = field(default_factory=dict)

    def __call__(self, path: str = "/") -> str:
        return self.url + path

    @contextmanager
    def db(self):
        """An app context for arranging data or checking what the browser did, committed on exit."""
        from contest.extensions import db

        with self.app.app_context():
            try:
                yield db.session
                db.session.commit()
            finally:
                db.session.remove()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The app on http://127.0.0.1:<free port>, served in a background thread for the whole session."""
    from werkzeug.serving import make_server

    from contest import create_app
    from contest.extensions import db
    from tests.conftest import make_test_config

    root = tmp_path_factory.mktemp("e2e")
    config = make_test_config(
        root,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{root / 'e2e.db'}",
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 30, "check_same_thread": False}},
        LOGIN_RATE_LIMIT="1000 per minute",
    )
    config["TESTING"] = False  # behave like production: real error pages, no exception propagation
    app = create_app(config, instance_path=root / "instance")
    with app.app_context():
        db.create_all()
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    live = LiveServer(app=app, url=f"http://127.0.0.1:{port}", root=root, _server=server, _thread=thread)
    yield live
    server.shutdown()
    thread.join(10)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageErrors:
    """Console errors and uncaught exceptions (a CSP violation shows up here) of the pages watched."""

    def __init__(self):
        self.messages: list[str] = []
        self.allowed: list[str] = []

    def allow(self, pattern: str) -> None:
        """An error the test provokes on purpose (e.g. a refused second vote answering 409)."""
        self.allowed.append(pattern)

    def watch(self, page):
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.messages.append(f"pageerror: {exc}"))
        page.on("response", self._response)
        return page

    def _console(self, msg):
        # Failed loads are reported by _response with their URL (the browser's own
        # /favicon.ico probe is not the app's concern).
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            self.messages.append(f"console error: {msg.text}")

    def _response(self, resp):
        if resp.status >= 500 or (resp.status >= 400 and resp.request.resource_type != "document"
                                  and not resp.url.endswith("/favicon.ico")):
            self.messages.append(f"HTTP {resp.status} {resp.request.method} {resp.url}")

    def assert_none(self, ignore: str | None = None):
        allowed = self.allowed + ([ignore] if ignore else [])
        found = [m for m in self.messages if not any(re.search(p, m) for p in allowed)]
        assert found == [], "errors in the browser:\n" + "\n".join(found)


@pytest.fixture
def page_errors():
    return PageErrors()


def _context(browser, page_errors, **kwargs):
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **kwargs)
    ctx.set_default_timeout(DEFAULT_TIMEOUT_MS)
    ctx.on("page", page_errors.watch)
    return ctx


@pytest.fixture
def desktop(browser, page_errors):
    """A new desktop browser context (its own cookies): ``desktop.new_page()``."""
    ctx = _context(browser, page_errors, viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def new_desktop(browser, page_errors):
    """A factory of separate desktop contexts, one per actor of the story."""
    made = []

    def make():
        ctx = _context(browser, page_errors, viewport={"width": 1280, "height": 900})
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def phone(browser, page_errors):
    """A phone-sized context (390×844) opened from WeChat, as the public votes."""
    ctx = _context(browser, page_errors, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                   is_mobile=True, has_touch=True, user_agent=WECHAT_UA)
    yield ctx
    ctx.close()


@pytest.fixture
def shot():
    """``shot(page, "03-case-form")`` writes tests/e2e/screenshots/03-case-form.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def login(page, live: LiveServer, username: str, password: str) -> None:
    """Log in through the login form and wait for the home page of the role."""
    page.goto(live("/login"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "/login" not in page.url, page.inner_text("main")[:500]


def logout(page) -> None:
    page.click("form[action$='/logout'] button[type=submit]")
    page.wait_for_url(re.compile(r".*/login$"))
