"""Failure tests on real servers: kill -9 in the middle of a storm, interrupted uploads, a full disk."""
from __future__ import annotations

import http.client
import json
import queue
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from contest.accounts.models import Role, User
from contest.core.models import AuditLog
from contest.extensions import db
from contest.media.models import StoredFile
from tests.factories import PASSWORD, make_user
from tests.servers import AppServer, HttpClient, cluster, redis_server, require_endpoint  # noqa: F401

pytestmark = pytest.mark.slow


def run_storm(server: AppServer, usernames: list[str], *, kill_after: int, threads: int = 8):
    """Log every account in once from ``threads`` clients; SIGKILL the server after ``kill_after``
    acknowledged logins. Returns (acknowledged, failed) username sets."""
    todo: queue.Queue[str] = queue.Queue()
    for name in usernames:
        todo.put(name)
    acknowledged, failed = set(), set()
    lock = threading.Lock()
    killed = threading.Event()

    def worker():
        while True:
            try:
                name = todo.get_nowait()
            except queue.Empty:
                return
            try:
                ok = HttpClient(server.base_url, timeout=10).login(name, PASSWORD).status == 302
            except (OSError, http.client.HTTPException):  # the server died under us
                ok = False
            with lock:
                (acknowledged if ok else failed).add(name)
                if len(acknowledged) >= kill_after and not killed.is_set():
                    killed.set()
                    server.kill9()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    return acknowledged, failed


def logged_in_usernames() -> set[str]:
    db.session.expire_all()
    rows = db.session.execute(sa.select(User.username).join(AuditLog, AuditLog.target_id == User.id)
                              .where(AuditLog.action == "login", AuditLog.target_type == "user")).scalars()
    return set(rows)


def test_kill9_during_login_storm_keeps_every_acknowledged_login(app, cluster):
    usernames = [make_user(Role.UNIT, username=f"storm{i:03d}").username for i in range(60)]
    db.session.commit()
    (server,) = cluster(1, LOGIN_RATE_LIMIT="100000 per minute")
    acknowledged, failed = run_storm(server, usernames, kill_after=15)
    assert len(acknowledged) >= 15 and failed, "the kill happened in the middle of the storm"
    assert acknowledged | failed == set(usernames)

    # Restart on the same database: every login that was answered with success is there,
    # and nothing appears that was never attempted.
    (restarted,) = cluster(1, LOGIN_RATE_LIMIT="100000 per minute")
    stored = logged_in_usernames()
    assert acknowledged <= stored
    assert stored <= set(usernames)
    with_last_login = set(db.session.execute(sa.select(User.username).where(User.last_login_at.is_not(None))).scalars())
    assert with_last_login == stored  # the audit row and the account update were one transaction
    # The restarted server takes the retries.
    retried, still_failed = run_storm(restarted, sorted(failed), kill_after=10**6)
    assert still_failed == set() and retried == failed
    assert logged_in_usernames() == set(usernames)


# --- uploads ----------------------------------------------------------------------------------------

def upload_world():
    from contest.contests.models import Phase
    from tests.factories import make_contest, make_unit, make_video, open_schedule

    contest = make_contest(schedule=open_schedule(Phase.SUBMISSION))
    unit = make_unit(name="雁塔区信用办")
    user = make_user(Role.UNIT, unit=unit, username="yanta")
    video = make_video(contest, unit, submitted=False, title="诚信小店")
    db.session.commit()
    return user, video


def files_under(root) -> list[Path]:
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def raw_put_half(server: AppServer, client: HttpClient, path: str, body: bytes) -> None:
    """Send the headers and half of ``body`` over a raw socket, then hang up (a dropped connection)."""
    head = (f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Cookie: {'; '.join(f'{k}={v}' for k, v in client.cookies.items())}\r\n"
            f"X-CSRFToken: {client.csrf}\r\nX-File-Name: video.mp4\r\nAccept: application/json\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(head + body[: len(body) // 2])
        time.sleep(0.3)  # the server is now reading the body
        s.shutdown(socket.SHUT_RDWR)


def wait_for_log(server: AppServer, needle: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if needle in server.log_text():
            return
        time.sleep(0.1)
    raise AssertionError(f"{needle!r} never appeared in the server log:\n{server.log_text()[-2000:]}")


def test_interrupted_upload_leaves_nothing_and_a_retry_succeeds(app, cluster):
    require_endpoint(app, "videos.upload")
    from contest.submissions.models import Video
    from tests.video_support import library

    body = library()["portrait_faststart"].read_bytes()
    user, video = upload_world()
    (server,) = cluster(1)
    client = HttpClient(server.base_url)
    assert client.login(user.username, PASSWORD).status == 302
    client.get(f"/videos/{video.id}/edit")
    path = f"/videos/{video.id}/file"

    raw_put_half(server, client, path, body)
    wait_for_log(server, f'"PUT {path} HTTP/1.1" 400')  # the server noticed the hang-up and answered
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    assert db.session.get(Video, video.id).video_file_id is None
    assert files_under(app.config["UPLOAD_ROOT"]) == []  # no orphan, not even a partial temp file

    resp = client.request("PUT", path, body=body, headers={
        "X-CSRFToken": client.csrf, "X-File-Name": "video.mp4", "Accept": "application/json",
        "Content-Type": "application/octet-stream"})
    assert resp.status == 200, resp.body
    assert json.loads(resp.body)["ok"] is True
    db.session.expire_all()
    stored = db.session.get(Video, video.id).video_file
    assert stored is not None and stored.size == len(body)
    assert (Path(app.config["UPLOAD_ROOT"]) / stored.storage_key).read_bytes() == body


@pytest.fixture
def tiny_upload_root(tmp_path):
    """A 64 KB tmpfs as the upload folder: a real full disk (ENOSPC), not a simulated one."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", str(mnt)], check=True)


def test_full_disk_gives_a_clear_error_and_changes_nothing(app, make_app, tiny_upload_root):
    require_endpoint(app, "videos.upload")
    from contest.submissions.models import Video
    from tests.conftest import login
    from tests.video_support import library

    body = library()["portrait"].read_bytes()
    assert len(body) > 64 * 1024
    user, video = upload_world()
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    full = make_app(UPLOAD_ROOT=str(tiny_upload_root))
    with full.app_context():
        c = full.test_client()
        assert login(c, user.username, PASSWORD).status_code == 302
        resp = c.put(f"/videos/{video.id}/file", data=body, content_type="application/octet-stream",
                     headers={"X-CSRFToken": c.csrf_token(), "X-File-Name": "video.mp4", "Accept": "application/json"},
                     csrf=False)
    assert resp.status_code == 400
    assert resp.get_json()["reasons"] == ["服务器存储空间不足，文件未保存。请稍后重试或联系市信用办。"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    assert db.session.get(Video, video.id).video_file_id is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audit_before + 1  # the login only
    assert files_under(tiny_upload_root) == []


# --- votes ------------------------------------------------------------------------------------------

def test_kill9_during_vote_storm_keeps_every_acknowledged_vote(app, cluster):
    require_endpoint(app, "voting.vote")
    from contest.submissions.models import Entry
    from contest.voting.models import Vote
    from tests.integration.test_ops_scaleout import Voter, voting_world

    # One voter per entry: a vote that got a success answer is identified by its entry.
    contest, entry_ids = voting_world(60, ip_votes_per_entry_per_day=10_000)
    (server,) = cluster(1, VOTE_RATE_LIMIT="100000 per minute")
    voters = []
    for entry_id in entry_ids:
        v = Voter(server.base_url)
        v.open(server, contest.id, entry_id)
        voters.append((v, entry_id))
    todo: queue.Queue = queue.Queue()
    for item in voters:
        todo.put(item)
    acknowledged, failed = set(), set()
    lock = threading.Lock()

    def worker():
        while True:
            try:
                v, entry_id = todo.get_nowait()
            except queue.Empty:
                return
            try:
                status, payload = v.vote(server, contest.id, entry_id)
                ok = status == 200 and payload.get("ok") is True
            except (OSError, http.client.HTTPException):
                ok = False
            with lock:
                (acknowledged if ok else failed).add(entry_id)
                if len(acknowledged) == 20:
                    server.kill9()

    pool = [threading.Thread(target=worker) for _ in range(8)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(120)
    assert len(acknowledged) >= 20 and failed

    (restarted,) = cluster(1, VOTE_RATE_LIMIT="100000 per minute")
    db.session.expire_all()
    voted = set(db.session.scalars(sa.select(Vote.entry_id).where(Vote.entry_id.in_(entry_ids))))
    assert acknowledged <= voted
    counts = dict(db.session.execute(sa.select(Entry.id, Entry.vote_count).where(Entry.id.in_(entry_ids))).all())
    assert counts == {e: (1 if e in voted else 0) for e in entry_ids}  # the counter moved with its row
    # The voters whose vote was lost retry on the restarted server and it counts once.
    for v, entry_id in voters:
        if entry_id not in voted:
            status, payload = v.vote(restarted, contest.id, entry_id)
            assert status == 200 and payload["ok"] is True, payload
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.entry_id.in_(entry_ids))) == 60


def test_body_cut_short_is_an_error_not_a_shorter_body(app, cluster):
    """A client that hangs up mid-body gets a 400, never a request handled with half a body."""
    (server,) = cluster(1)
    client = HttpClient(server.base_url)
    client.get("/login")
    body = f"csrf_token={client.csrf}&username=boss&password=long-password-here".encode()
    head = (f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            f"Cookie: {'; '.join(f'{k}={v}' for k, v in client.cookies.items())}\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body) + 500}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(head + body)
        time.sleep(0.3)
        s.shutdown(socket.SHUT_RDWR)
    wait_for_log(server, '"POST /login HTTP/1.1" 400')
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 0  # not even a failed login
