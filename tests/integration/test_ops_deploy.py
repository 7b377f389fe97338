"""The deployment files work: deploy/nginx (checked by ``nginx -t``, then a real nginx with TLS in front
of a real gunicorn), deploy/gunicorn.conf.py and the systemd unit."""
from __future__ import annotations

import http.client
import os
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from contest.config import PROJECT_ROOT
from contest.extensions import db
from tests.factories import PASSWORD, make_organizer
from tests.servers import HttpClient, cluster, free_port, redis_server, wait_for_port  # noqa: F401

DEPLOY = PROJECT_ROOT / "deploy"

needs_nginx = pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("openssl")),
                                 reason="nginx and openssl are not installed (scripts/system-deps.sh installs them)")


def site_config(app_port: int, http_port: int, https_port: int, workdir: Path) -> str:
    """deploy/nginx/contest.conf with the machine paths replaced by test ones (each must be present)."""
    text = (DEPLOY / "nginx" / "contest.conf").read_text()
    replacements = [
        ("server 127.0.0.1:8000", f"server 127.0.0.1:{app_port}"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("/srv/contest/static/", f"{PROJECT_ROOT / 'static'}/"),
        ("/etc/ssl/contest/", f"{workdir}/"),
        ("/etc/nginx/snippets/contest-proxy.conf", str(DEPLOY / "nginx" / "contest-proxy.conf")),
        ("/var/log/nginx/", f"{workdir}/"),
    ]
    for old, new in replacements:
        assert old in text, f"deploy/nginx/contest.conf no longer contains {old!r}"
        text = text.replace(old, new)
    # IPv6 listeners may not exist on a test machine.
    return "\n".join(line for line in text.splitlines() if "listen [::]" not in line)


def main_config(workdir: Path, site: Path) -> Path:
    temp = {name: workdir / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for d in temp.values():
        d.mkdir(exist_ok=True)
    conf = workdir / "nginx.conf"
    conf.write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {workdir}/access.log;
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
    include {site};
}}
""")
    return conf


def self_signed_certificate(workdir: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(workdir / "privkey.pem"),
                    "-out", str(workdir / "fullchain.pem")], check=True, capture_output=True)


@pytest.fixture
def nginx_front(app, cluster, tmp_path):
    """A real nginx (deploy/nginx config, TLS) in front of one gunicorn configured as in production."""
    (server,) = cluster(1, TRUSTED_PROXY_COUNT=1, COOKIE_SECURE=1)
    workdir = tmp_path / "nginx"
    workdir.mkdir()
    self_signed_certificate(workdir)
    http_port, https_port = free_port(), free_port()
    site = workdir / "contest.conf"
    site.write_text(site_config(server.port, http_port, https_port, workdir))
    conf = main_config(workdir, site)
    check = subprocess.run(["nginx", "-t", "-p", str(workdir), "-c", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen(["nginx", "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(https_port, proc=proc)
        yield {"https": f"https://127.0.0.1:{https_port}", "http": f"http://127.0.0.1:{http_port}",
               "https_port": https_port, "app": server}
    finally:
        proc.terminate()
        proc.wait(10)


@needs_nginx
@pytest.mark.slow
def test_nginx_serves_static_files_itself(nginx_front):
    resp = HttpClient(nginx_front["https"]).get("/static/css/app.css")
    assert resp.status == 200
    assert resp.body == (PROJECT_ROOT / "static" / "css" / "app.css").read_text()
    assert resp.headers["cache-control"] == "public"  # set by nginx's /static/ location, not by Flask
    assert "expires" in resp.headers


@needs_nginx
@pytest.mark.slow
def test_nginx_proxies_to_the_app_over_https(app, nginx_front):
    make_organizer(username="boss")
    db.session.commit()
    client = HttpClient(nginx_front["https"])
    page = client.get("/login")
    assert page.status == 200 and "登录" in page.body
    # The app sees HTTPS through X-Forwarded-Proto: HSTS and Secure cookies.
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    cookie = page.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie
    resp = client.post("/login", {"username": "boss", "password": PASSWORD},
                       headers={"Referer": nginx_front["https"] + "/login"})
    assert resp.status == 302
    assert resp.location in ("/dashboard", nginx_front["https"] + "/dashboard")
    assert client.get("/dashboard").status == 200


@needs_nginx
@pytest.mark.slow
def test_plain_http_redirects_to_https(nginx_front):
    resp = HttpClient(nginx_front["http"]).get("/login")
    assert resp.status == 301
    assert resp.location.startswith("https://127.0.0.1")


@needs_nginx
@pytest.mark.slow
def test_spoofed_forwarded_for_does_not_escape_the_login_limit(app, nginx_front):
    make_organizer(username="boss")
    db.session.commit()
    client = HttpClient(nginx_front["https"])
    client.get("/login")
    referer = {"Referer": nginx_front["https"] + "/login"}
    codes = [client.post("/login", {"username": "boss", "password": "bad"},
                         headers={**referer, "X-Forwarded-For": f"10.0.0.{i}"}).status for i in range(11)]
    # nginx appends the real address; the app trusts only that last hop, so all 11 share one counter.
    assert codes == [200] * 10 + [429]


@needs_nginx
@pytest.mark.slow
def test_nginx_allows_a_one_gigabyte_upload_and_refuses_larger(nginx_front):
    def declared_body(size: int) -> tuple[int, str]:
        conn = http.client.HTTPSConnection("127.0.0.1", nginx_front["https_port"], timeout=10,
                                           context=ssl._create_unverified_context())
        conn.putrequest("POST", "/videos/upload")
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        if size < 2000 * 1024 * 1024:
            conn.send(b"x" * 1024)  # a start of body; the app answers before the rest arrives
        resp = conn.getresponse()
        out = resp.status, resp.read().decode("utf-8", "replace")
        conn.close()
        return out

    status, body = declared_body(1200 * 1024 * 1024)
    assert status == 413 and "nginx" in body  # nginx refuses before reading anything
    # Within the cap nginx streams the body to the app as it comes (no buffering under /videos/):
    # the app itself answers after 1 KB of a declared 1 GB (404 page in Chinese: no such route).
    status, body = declared_body(1024 * 1024 * 1024)
    assert status == 404 and "页面不存在" in body


def test_gunicorn_config_loads_with_environment_overrides(tmp_path):
    env = dict(os.environ, GUNICORN_BIND="127.0.0.1:9999", GUNICORN_WORKERS="3", GUNICORN_THREADS="2")
    out = subprocess.run(["python", "-c", "import runpy,json;c=runpy.run_path('deploy/gunicorn.conf.py');"
                          "print(json.dumps([c['bind'],c['workers'],c['threads'],c['worker_class'],c['timeout']]))"],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == '["127.0.0.1:9999", 3, 2, "gthread", 600]'


def test_env_example_holds_no_secret_and_names_only_known_settings():
    text = (PROJECT_ROOT / "deploy" / "contest.env.example").read_text()
    values = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert values["CONTEST_SECRET_KEY"] == ""
    assert "PGPASSWORD" not in values
    config_src = (PROJECT_ROOT / "contest" / "config.py").read_text() + (DEPLOY / "gunicorn.conf.py").read_text()
    assert [k for k in values if f'"{k}"' not in config_src] == []


def test_env_example_sources_cleanly_in_a_shell():
    # The README loads it with `set -a && . /etc/contest/contest.env`: an unquoted value with a space
    # would run its second word as a command. systemd's EnvironmentFile strips the double quotes.
    path = DEPLOY / "contest.env.example"
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    expected = {k: v[1:-1] if v[:1] == v[-1:] == '"' else v for k, v in (line.split("=", 1) for line in lines)}
    script = f'set -a && . "{path}" && set +a && ' + " && ".join(
        f'printf "%s=%s\\n" {k} "${k}"' for k in expected)
    result = subprocess.run(["sh", "-c", script], env={"PATH": os.environ["PATH"]},
                            capture_output=True, text=True)
    assert result.stderr == ""
    assert result.returncode == 0
    assert dict(line.split("=", 1) for line in result.stdout.splitlines()) == expected
    assert expected["LOGIN_RATE_LIMIT"] == "10 per minute"


def test_systemd_unit_runs_the_gunicorn_config():
    unit = (DEPLOY / "systemd" / "contest.service").read_text()
    assert "ExecStart=/srv/contest/.venv/bin/gunicorn -c deploy/gunicorn.conf.py wsgi:app" in unit
    assert "EnvironmentFile=/etc/contest/contest.env" in unit
    assert "User=contest" in unit
