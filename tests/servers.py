"""Throw-away servers for the scale-out and failure tests: a Redis on a free port in a temp dir and
gunicorn app instances (real processes, real sockets) sharing one database, one Redis and one upload
folder; plus a small cookie-keeping HTTP client that does not follow redirects."""
from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from contest.config import PROJECT_ROOT

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port} after {timeout}s")


class RedisServer:
    """``redis-server`` on a free port with its files in ``workdir``; no persistence."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        # The child keeps its own copy of the log descriptor; ours is closed as soon as it has started.
        with open(self.workdir / "redis.log", "wb") as log:
            self.proc = subprocess.Popen(
                [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.workdir)],
                stdout=log, stderr=subprocess.STDOUT)
        wait_for_port(self.port, proc=self.proc)
        return self

    def flushall(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@dataclass
class AppServer:
    """One gunicorn instance of the app (``wsgi:app``) on its own port."""
    env: dict
    logdir: Path
    workers: int = 2
    threads: int = 4
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "AppServer":
        cmd = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
               "--workers", str(self.workers), "--threads", str(self.threads), "--worker-class", "gthread",
               "--timeout", "60", "--graceful-timeout", "5", "--access-logfile", "-", "wsgi:app"]
        env = dict(os.environ)
        env.update(self.env)
        self.logdir.mkdir(parents=True, exist_ok=True)
        # Own process group: kill -9 reaches the master and its workers, like a machine crash. The child
        # keeps its own copy of the log descriptor; ours is closed as soon as it has started.
        with open(self.logdir / f"gunicorn-{self.port}.log", "ab") as log:
            self.proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        wait_for_port(self.port, proc=self.proc)
        wait_http_ok(self.base_url + "/healthz", proc=self.proc)
        return self

    def kill9(self) -> None:
        """SIGKILL the whole process group (master and workers), no clean shutdown."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill9()

    def log_text(self) -> str:
        p = self.logdir / f"gunicorn-{self.port}.log"
        return p.read_text(errors="replace") if p.exists() else ""


def wait_http_ok(url: str, timeout: float = 30.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if HttpClient(url.rsplit("/", 1)[0]).get("/" + url.rsplit("/", 1)[1]).status == 200:
                return
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"{url} not healthy after {timeout}s: {last}")


@dataclass
class Response:
    status: int
    headers: dict
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class HttpClient:
    """Keeps cookies (one jar shared across hosts, as one browser talking to several instances
    behind a load balancer), never follows redirects, fills the CSRF token from the last page."""

    def __init__(self, base_url: str, timeout: float = 30.0):
        self.base_url = base_url.rstrip("/")
        self.cookies: dict[str, str] = {}
        self.timeout = timeout
        self.csrf: str | None = None

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
                base_url: str | None = None) -> Response:
        parsed = urllib.parse.urlsplit(base_url or self.base_url)
        if parsed.scheme == "https":
            # Test servers use a throw-away self-signed certificate.
            conn = http.client.HTTPSConnection(parsed.hostname, parsed.port, timeout=self.timeout,
                                               context=ssl._create_unverified_context())
        else:
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=self.timeout)
        hdrs = {"Host": f"{parsed.hostname}:{parsed.port}", "Connection": "close"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        hdrs.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            data = resp.read().decode("utf-8", errors="replace")
            for k, v in resp.getheaders():
                if k.lower() == "set-cookie":
                    name, _, rest = v.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            out = Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()
        m = CSRF_RE.search(out.body)
        if m:
            self.csrf = m.group(1)
        return out

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict, csrf: bool = True, **kw) -> Response:
        fields = dict(data)
        if csrf:
            if self.csrf is None:
                self.get("/login", base_url=kw.get("base_url"))
            fields.setdefault("csrf_token", self.csrf)
        body = urllib.parse.urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", **kw.pop("headers", {})}
        return self.request("POST", path, body=body, headers=headers, **kw)

    def login(self, username: str, password: str, base_url: str | None = None) -> Response:
        self.get("/login", base_url=base_url)
        return self.post("/login", {"username": username, "password": password}, base_url=base_url)


def app_env(*, database_url: str, upload_root: Path, redis_url: str | None, **extra) -> dict:
    """The environment shared by every instance of one deployment."""
    env = {
        "DATABASE_URL": database_url,
        "UPLOAD_ROOT": str(upload_root),
        "CONTEST_SECRET_KEY": "scale-out-test-shared-secret",
        "REDIS_URL": redis_url or "",
        "PYTHONUNBUFFERED": "1",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


# --- pytest fixtures (import them into the test module that uses them) -------------------------------

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (scripts/system-deps.sh installs it)")
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def cluster(app, redis_server, tmp_path):
    """``cluster(n, **env)`` starts ``n`` gunicorn instances of the app on the test database (the
    one the ``app`` fixture uses and empties), one Redis and one upload folder."""
    redis_server.flushall()
    started: list[AppServer] = []

    def start(n: int = 2, **extra_env) -> list[AppServer]:
        env = app_env(database_url=app.config["SQLALCHEMY_DATABASE_URI"],
                      upload_root=Path(app.config["UPLOAD_ROOT"]), redis_url=redis_server.url, **extra_env)
        for _ in range(n):
            started.append(AppServer(env=env, logdir=tmp_path / "logs").start())
        return started[-n:]

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def pg_cluster(cluster):
    """The scale-out profile proper: PostgreSQL (from scripts/with-postgres.sh) + Redis + gunicorns."""
    if not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("scale-out runs on PostgreSQL: run under scripts/with-postgres.sh (make test-pg)")
    return cluster


def require_endpoint(app, endpoint: str) -> None:
    """Skip (with the reason) a test of a feature whose route is not on this branch yet."""
    if endpoint not in app.view_functions:
        pytest.skip(f"the route {endpoint} is not on this branch yet")
