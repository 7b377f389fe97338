"""Where the time of one vote goes, in-process (no HTTP server, no load generator): the WSGI call
of the platform's vote endpoint against the WSGI call of the baseline insert endpoint
(``baseline_app.py``), and, inside the platform's request, ``services.cast_vote`` — the policy
read, the insert, the count update and the commit. The rest of the request is the web layer
(Flask, session and CSRF check, rate limit, voter cookie and hashes, JSON).

It explains the figures of ``bench_vote.py``: under wrk each request also pays the HTTP server and
the client, the same for both endpoints. Medians of 5 rounds, one process, SQLite (WAL).
Run: ``.venv/bin/python bench/bench_vote_cost.py``.
"""
from __future__ import annotations

import io
import os
import re
import statistics
import sys
import time

import harness  # noqa: F401  (puts the project on sys.path)
from harness import Row, log, print_table

import data

VOTES = 3000  # platform votes timed (distinct voter × entry pairs), in 5 rounds
VOTERS = 100
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
    for i in range(VOTES + 200):  # the first 200 warm up
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
        platform, cast = timed_rounds(app.wsgi_app, envs[200:], statuses, inner)
    finally:
        services.cast_vote = real_cast
    log(f"platform: {platform:.0f} µs per vote, cast_vote {cast:.0f} µs; statuses {statuses}")

    os.environ["BASELINE_DB"] = str(work / "baseline.db")
    import baseline_app
    base_envs = [environ("/vote", f"entry_id={i % 300 + 1}".encode(), {"Cookie": f"voter=v{i % VOTERS}",
                                                                       "Accept": "application/json"})
                 for i in range(VOTES + 200)]
    base_statuses: dict = {}
    timed_rounds(baseline_app.app.wsgi_app, base_envs[:200], {})
    base, _ = timed_rounds(baseline_app.app.wsgi_app, base_envs[200:], base_statuses)
    log(f"baseline: {base:.0f} µs per request; statuses {base_statuses}")

    ok = statuses == {"200 OK": VOTES} and base_statuses == {"200 OK": VOTES}
    print_table("Cost of one vote, in-process", [
        Row("whole request", platform, "µs", base),
        Row("… cast_vote: policy read, insert, count, commit", cast, "µs", base),
        Row("… web layer: Flask, session + CSRF, rate limit, voter cookie, JSON", platform - cast, "µs", base),
    ], notes=[
        f"{VOTES} votes (distinct voter × entry pairs, all answered 200: {ok}) against {VOTES} baseline inserts, "
        "per-request means, median of 5 rounds, one process, SQLite (WAL); baseline = the whole request of "
        "baseline_app.py",
    ])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
