"""Failure tests on real servers: kill -9 in the middle of a storm, interrupted uploads, a full disk."""
from __future__ import annotations

import http.client
import queue
import threading

import pytest
import sqlalchemy as sa

from contest.accounts.models import Role, User
from contest.core.models import AuditLog
from contest.extensions import db
from tests.factories import PASSWORD, make_user
from tests.servers import AppServer, HttpClient, cluster, redis_server  # noqa: F401  (fixtures)

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
