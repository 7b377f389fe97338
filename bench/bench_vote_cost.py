"""Where the time of one vote goes, in-process (no HTTP server, no load generator): the WSGI call
of the platform's vote endpoint against the WSGI call of the baseline insert endpoint
(``baseline_app.py``), and, inside the platform's request, ``services.cast_vote`` — the policy
read, the insert, the count update and the commit. The rest of the request is the web layer
(Flask, session and CSRF check, rate limit, voter cookie and hashes, JSON). Then ``cast_vote`` against
the baseline's SQL alone (its INSERT on its own connection), and on SQLite the database pages one
vote and one baseline insert commit (WAL frames): each unique key and index a row enters is a page.

It explains the figures of ``bench_vote.py``: under wrk each request also pays the HTTP server and
the client, the same for both endpoints. Medians of 5 rounds, one process, SQLite (WAL).
Run: ``.venv/bin/python bench/bench_vote_cost.py``.
"""
from __future__ import annotations

import io
import os
import re
import sqlite3
import statistics
import sys
import time

import harness  # noqa: F401  (puts the project on sys.path)
from harness import Row, log, print_table

import data

VOTES = 3000  # platform votes timed (distinct voter × entry pairs), in 5 rounds
VOTERS = 100
WAL_WRITES = 50  # writes whose WAL frames are counted (50 × ~11 pages stays under the 1,000-page autocheckpoint)
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def environ(path: str, body: bytes, headers: dict[str, str]) -> dict:
    env = {"REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
           "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
           "REMOTE_ADDR": "127.0.0.1", "CONTENT_TYPE": "application/x-www-form-urlencoded",
           "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
           "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
           "wsgi.run_once": False, "wsgi.version": (1, 0)}
    env.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    return env


def timed_rounds(wsgi, envs: list[dict], statuses: dict, inner: list | None = None) -> tuple[float, float]:
    """Median over 5 equal rounds of the mean µs per request, and the same for the time recorded in
    ``inner`` (seconds appended by the timed function) during those rounds."""
    def start_response(status, headers, exc_info=None):
        statuses[status] = statuses.get(status, 0) + 1

    size = len(envs) // 5
    per, per_inner = [], []
    for r in range(5):
        if inner is not None:
            inner.clear()
        t = time.perf_counter()
        for env in envs[r * size:(r + 1) * size]:
            b"".join(wsgi(env, start_response))
        per.append((time.perf_counter() - t) / size * 1e6)
        per_inner.append(sum(inner) / size * 1e6 if inner else 0.0)
    return statistics.median(per), statistics.median(per_inner)


def wal_pages_per_write(path: str, write, n: int = WAL_WRITES) -> float:
    """Database pages one write commits on SQLite (WAL mode): checkpoint the WAL away (TRUNCATE), make
    ``n`` writes through ``write(i)``, and count the frames now in the WAL file (one frame per page)."""
    conn = sqlite3.connect(path)
    try:
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0, "the WAL could not be truncated (a reader was open)"
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    for i in range(n):
        write(i)
    size = os.path.getsize(path + "-wal")
    return (size - 32) / (24 + page_size) / n  # WAL header 32 bytes, each frame a 24-byte header + a page


def main() -> int:
    from contest.contests.models import CaptchaMode
    from contest.voting import services

    work = data.bench_workdir("vote-cost")
    app = data.make_app(work, VOTE_RATE_LIMIT="1000000 per minute", RATELIMIT_ENABLED=True)
    with app.app_context():
        ids = data.seed_contest(entries=300, captcha_mode=CaptchaMode.OFF, votes_per_entry_per_day=1,
                                votes_per_voter_per_day=100_000, ip_votes_per_entry_per_day=1_000_000,
                                burst_votes_per_minute=1_000_000)
    contest_id, entry_ids = ids["contest_id"], ids["entry_ids"]
    voters = []
    for k in range(VOTERS):
        c = app.test_client()
        page = c.get(f"/vote/{contest_id}/entry/{entry_ids[0]}").get_data(as_text=True)
        token = CSRF_RE.search(page).group(1)
        voters.append(("; ".join(f"{ck.key}={ck.value}" for ck in c._cookies.values()), token))
    envs = []
    for i in range(VOTES + 200 + WAL_WRITES):  # the first 200 warm up; the last ones count WAL pages
        cookie, token = voters[i % VOTERS]
        envs.append(environ(f"/vote/{contest_id}/entry/{entry_ids[(i // VOTERS) % len(entry_ids)]}/vote",
                            f"csrf_token={token}".encode(),
                            {"Cookie": cookie, "X-CSRFToken": token, "Accept": "application/json",
                             "User-Agent": "bench"}))

    # Time cast_vote inside the real requests (wrapping the module function the view calls).
    inner = []
    real_cast = services.cast_vote

    def cast_timed(*args, **kwargs):
        t = time.perf_counter()
        try:
            return real_cast(*args, **kwargs)
        finally:
            inner.append(time.perf_counter() - t)

    statuses: dict = {}
    services.cast_vote = cast_timed
    try:
        timed_rounds(app.wsgi_app, envs[:200], {})
        platform, cast = timed_rounds(app.wsgi_app, envs[200:200 + VOTES], statuses, inner)
    finally:
        services.cast_vote = real_cast
    log(f"platform: {platform:.0f} µs per vote, cast_vote {cast:.0f} µs; statuses {statuses}")

    os.environ["BASELINE_DB"] = str(work / "baseline.db")
    import baseline_app
    base_envs = [environ("/vote", f"entry_id={i % 300 + 1}".encode(), {"Cookie": f"voter=v{i % VOTERS}",
                                                                       "Accept": "application/json"})
                 for i in range(VOTES + 200 + WAL_WRITES)]
    base_statuses: dict = {}
    timed_rounds(baseline_app.app.wsgi_app, base_envs[:200], {})
    base, _ = timed_rounds(baseline_app.app.wsgi_app, base_envs[200:200 + VOTES], base_statuses)
    log(f"baseline: {base:.0f} µs per request; statuses {base_statuses}")

    # The baseline's SQL alone: the same INSERT on its own autocommit connection, no request around it.
    conn = baseline_app._db()
    times = []
    for _ in range(5):
        t = time.perf_counter()
        for i in range(VOTES // 5):
            conn.execute("INSERT INTO vote (entry_id, voter) VALUES (?, ?)", (i % 300 + 1, f"v{i % VOTERS}"))
        times.append((time.perf_counter() - t) / (VOTES // 5) * 1e6)
    base_sql = statistics.median(times)
    log(f"baseline SQL: {base_sql:.0f} µs per INSERT + commit")

    pages = base_pages = None
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        def sink(status, headers, exc_info=None):
            assert status.startswith("200"), status
        tail, base_tail = envs[200 + VOTES:], base_envs[200 + VOTES:]
        pages = wal_pages_per_write(url[len("sqlite:///"):], lambda i: b"".join(app.wsgi_app(tail[i], sink)))
        base_pages = wal_pages_per_write(os.environ["BASELINE_DB"],
                                         lambda i: b"".join(baseline_app.app.wsgi_app(base_tail[i], sink)))
        log(f"pages written per commit: vote {pages:.1f}, baseline insert {base_pages:.1f}")

    ok = statuses == {"200 OK": VOTES} and base_statuses == {"200 OK": VOTES}
    print_table("Cost of one vote, in-process", [
        Row("whole request", platform, "µs", base),
        Row("… cast_vote: policy read, insert, count, commit", cast, "µs", base),
        Row("… web layer: Flask, session + CSRF, rate limit, voter cookie, JSON", platform - cast, "µs", base),
        Row("cast_vote against the baseline's SQL alone (INSERT + commit)", cast, "µs", base_sql),
        *([Row("database pages written per commit (WAL frames)", pages, "", base_pages)] if pages else []),
    ], notes=[
        f"{VOTES} votes (distinct voter × entry pairs, all answered 200: {ok}) against {VOTES} baseline inserts, "
        "per-request means, median of 5 rounds, one process, SQLite (WAL); baseline = the whole request of "
        "baseline_app.py",
        "baseline's SQL alone: its INSERT on its autocommit sqlite3 connection, no request around it; pages per "
        f"commit: WAL frames after {WAL_WRITES} writes from a truncated WAL (each index a write touches is a page)",
    ])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
