"""Vote endpoint under load, with every check on (contest policy, CSRF, per-IP rate limit; captcha
off), against a minimal Flask + SQLite insert endpoint served the same way (gunicorn, same
workers) and loaded the same way (wrk, 32 connections, from another process).

Then the exact count: a closed-loop client where every response is read, each vote attempted
twice at the same time by two threads — successes must equal the new rows and the increase of
``Entry.vote_count``, and equal the number of distinct (voter, entry) pairs: not one vote lost or
counted twice. Run: ``.venv/bin/python bench/bench_vote.py``.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import sys
import threading
from collections import Counter
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import harness
from harness import Row, Server, log, print_table, run_wrk, summarize_rounds

import data

CONNECTIONS = 32
THREADS = 2
DURATION = float(os.environ.get("BENCH_DURATION", "15"))  # per server, over all rounds
# Baseline and platform are measured in alternating short rounds (baseline, platform, platform,
# baseline, ...), both servers up: on a shared VM the machine's speed drifts within a minute, and one
# long run of each would put the drift into the ratio (see bench/README.md §2).
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
WARMUP = 3
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
VOTERS = 256  # distinct browsers in the wrk run (each with its own voter cookie and session)
EXACT_THREADS = 32
EXACT_PAIRS = 40  # (voter, entry) pairs per thread pair in the exact count
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A keep-alive HTTP client with a cookie jar, like one phone opening the voting pages."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        hdrs = dict(headers or {})
        if self.cookies:
            hdrs["Cookie"] = self.cookie_header()
        self.conn.request(method, path, body=body, headers=hdrs)
        resp = self.conn.getresponse()
        payload = resp.read()
        for value in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(value)
            for k, morsel in jar.items():
                self.cookies[k] = morsel.value
        return resp.status, payload

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def open_entry(self, contest_id: int, entry_id: int) -> None:
        status, body = self.request("GET", f"/vote/{contest_id}/entry/{entry_id}")
        assert status == 200, (status, body[:300])
        match = CSRF_RE.search(body.decode())
        assert match, "no CSRF token on the entry page"
        self.token = match.group(1)

    def vote(self, contest_id: int, entry_id: int) -> tuple[int, dict]:
        status, body = self.request(
            "POST", f"/vote/{contest_id}/entry/{entry_id}/vote", urlencode({"csrf_token": self.token}),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
             "X-CSRFToken": self.token})
        try:
            return status, json.loads(body)
        except ValueError:
            return status, {"raw": body[:200].decode("utf-8", "replace")}


def vote_script(voters: list[Browser], contest_id: int, first_entry: int, n_entries: int, start: int = 0) -> str:
    """wrk Lua: thread t of T walks its own voters (t, t+T, ...) and, for each voter, the entries in
    turn from the ``start``-th one, so that no voter votes for the same entry twice in a run (the
    policy's per-day limit); rounds start far enough apart not to meet."""
    rows = ",\n".join(f"  {{{harness.lua_string(b.cookie_header())}, {harness.lua_string(b.token)}}}"
                      for b in voters)
    return f"""
local voters = {{
{rows}
}}
local nthreads = 1
local mine = {{}}
function __setup(thread, index) thread:set('tid', index - 1) end
function init(args)
  nthreads = tonumber(args[1] or '1')
  for k = (tid or 0) + 1, #voters, nthreads do table.insert(mine, voters[k]) end
  i = 0
end
function request()
  local v = mine[(i % #mine) + 1]
  local e = {first_entry} + (({start} + math.floor(i / #mine)) % {n_entries})
  i = i + 1
  return wrk.format('POST', '/vote/{contest_id}/entry/' .. e .. '/vote',
    {{['Cookie'] = v[1], ['X-CSRFToken'] = v[2], ['Accept'] = 'application/json',
      ['Content-Type'] = 'application/x-www-form-urlencoded'}}, 'csrf_token=' .. v[2])
end
"""


def baseline_script(n_entries: int) -> str:
    items = [("/vote", {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"voter=v{i % VOTERS}",
                        "Accept": "application/json"}, f"entry_id={i % n_entries + 1}")
             for i in range(VOTERS * 4)]
    return harness.post_rotation_script(items)


def db_counts(app, contest_id: int) -> tuple[int, int]:
    import sqlalchemy as sa

    from contest.extensions import db
    with app.app_context():
        rows = db.session.execute(sa.text("SELECT count(*) FROM vote WHERE contest_id = :c AND valid"),
                                  {"c": contest_id}).scalar_one()
        counted = db.session.execute(sa.text("SELECT coalesce(sum(vote_count), 0) FROM entry WHERE contest_id = :c"),
                                     {"c": contest_id}).scalar_one()
        db.session.remove()
    return int(rows), int(counted)


def exact_count(port: int, contest_id: int, entry_ids: list[int]) -> dict:
    """Thread pairs share voters and entries: every vote is sent twice at once. Returns tallies."""
    statuses: Counter = Counter()
    successes = 0
    lock = threading.Lock()
    pairs_per_group = []
    browsers = []
    for g in range(EXACT_THREADS // 2):
        b = Browser(port)
        b.open_entry(contest_id, entry_ids[0])
        browsers.append(b)
        pairs_per_group.append([entry_ids[(g * 7 + k) % len(entry_ids)] for k in range(EXACT_PAIRS)])
    barrier = threading.Barrier(EXACT_THREADS)

    def worker(g: int):
        nonlocal successes
        twin = Browser(port)  # same cookies (same voter and session), its own connection
        twin.cookies, twin.token = dict(browsers[g].cookies), browsers[g].token
        barrier.wait()
        for entry_id in pairs_per_group[g]:
            status, payload = twin.vote(contest_id, entry_id)
            with lock:
                statuses[status] += 1
                if status == 200 and payload.get("ok") is True:
                    successes += 1

    threads = [threading.Thread(target=worker, args=(g // 2,)) for g in range(EXACT_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"successes": successes, "statuses": dict(statuses),
            "distinct_pairs": sum(len(set(p)) for p in pairs_per_group)}


def main() -> int:
    from contest.contests.models import CaptchaMode

    work = data.bench_workdir("vote")
    overrides = {"VOTE_RATE_LIMIT": "1000000 per minute", "RATELIMIT_ENABLED": True}
    app = data.make_app(work, **overrides)
    with app.app_context():
        ids = data.seed_contest(entries=300, captcha_mode=CaptchaMode.OFF, votes_per_entry_per_day=1,
                                votes_per_voter_per_day=100_000, ip_votes_per_entry_per_day=1_000_000,
                                burst_votes_per_minute=1_000_000)
    contest_id, entry_ids = ids["contest_id"], ids["entry_ids"]

    log(f"baseline: Flask + SQLite insert; platform: vote endpoint; gunicorn {WORKERS} workers each, "
        f"wrk {CONNECTIONS} connections, {ROUNDS} alternating rounds")
    env = {"BENCH_APP_CONFIG": json.dumps(data.app_config(work, **overrides))}
    per_round = len(entry_ids) // ROUNDS  # entries each round's voters start from, apart
    with Server("baseline_app:app", env={"BASELINE_DB": str(work / "baseline.db")}, workers=WORKERS) as base_srv, \
            Server("wsgi_contest:app", env=env, workers=WORKERS, ready_path=f"/vote/{contest_id}") as srv:
        voters = []
        for k in range(VOTERS):
            b = Browser(srv.port)
            b.open_entry(contest_id, entry_ids[k % len(entry_ids)])
            voters.append(b)
        base_script = baseline_script(len(entry_ids))
        run_wrk(base_srv.url("/vote"), connections=CONNECTIONS, threads=THREADS, duration=WARMUP, script=base_script)
        # Warm-up on the voting list page (no votes), so that the measured rounds are the only ones voting.
        run_wrk(srv.url(f"/vote/{contest_id}"), connections=CONNECTIONS, threads=THREADS, duration=WARMUP)
        rows0, counted0 = db_counts(app, contest_id)
        runs: dict[str, list] = {"baseline": [], "platform": []}
        for r in range(ROUNDS):
            order = ["baseline", "platform"] if r % 2 == 0 else ["platform", "baseline"]
            for name in order:
                # Requests of the previous run still queued (the list page is slow: up to 32 of them when
                # wrk stops) would delay this run's first ones: wait until both servers are idle.
                base_srv.wait_idle()
                srv.wait_idle()
                if name == "baseline":
                    result = run_wrk(base_srv.url("/vote"), connections=CONNECTIONS, threads=THREADS,
                                     duration=max(1.0, DURATION / ROUNDS), script=base_script)
                else:
                    script = vote_script(voters, contest_id, entry_ids[0], len(entry_ids), start=r * per_round)
                    result = run_wrk(srv.url("/"), connections=CONNECTIONS, threads=THREADS,
                                     duration=max(1.0, DURATION / ROUNDS), script=script)
                    if result.requests > per_round * VOTERS:
                        log(f"round {r}: {result.requests} votes passed the next round's entries (409s follow)")
                runs[name].append(result)
                log(f"round {r} {name}: {result.s2xx / result.seconds:.0f} 2xx/s, p50 {result.p50_ms:.1f} ms, "
                    f"p99 {result.p99_ms:.1f} ms, other {result.sbad} {result.first_bad[:200]}")
        rows1, counted1 = harness.settle(lambda: db_counts(app, contest_id))
        log("exact count: 16 voters × 40 entries, every vote sent twice at once by two threads")
        rows_before, counted_before = rows1, counted1
        exact = exact_count(srv.port, contest_id, entry_ids)
        rows2, counted2 = db_counts(app, contest_id)

    base, res = summarize_rounds(runs["baseline"]), summarize_rounds(runs["platform"])
    ratios = [(p.s2xx / p.seconds) / (b.s2xx / b.seconds) for p, b in zip(runs["platform"], runs["baseline"])]
    in_flight = (rows1 - rows0) - res["s2xx"]  # accepted by the server after wrk stopped reading
    new_rows, new_counted = rows2 - rows_before, counted2 - counted_before
    exact_ok = exact["successes"] == new_rows == new_counted == exact["distinct_pairs"]
    rows = [
        Row("votes/s (2xx)", res["rate_2xx"], "/s", base["rate_2xx"], ">= 0.6"),
        Row("p50 latency", res["p50"], "ms", base["p50"]),
        Row("p99 latency", res["p99"], "ms", base["p99"], "<= 2.0"),
        Row("refused or failed responses in the load run", res["bad"], "", None, "<= 0", on_ratio=False),
        Row("vote rows − sum(vote_count) after the load run", rows1 - counted1, "", None, "<= 0", on_ratio=False),
        Row("exact count: successes", exact["successes"], "", exact["distinct_pairs"], ">= 1.0"),
        Row("exact count: new vote rows", new_rows, "", exact["successes"], "<= 1.0"),
        Row("exact count: vote_count increase", new_counted, "", exact["successes"], "<= 1.0"),
    ]
    print_table("Vote endpoint (32 connections)", rows, notes=[
        f"wrk {THREADS} threads, {CONNECTIONS} connections, {DURATION:.0f} s per server after {WARMUP} s warm-up, "
        f"in {ROUNDS} alternating rounds (latencies: medians of the rounds'); votes/s ratio by round: "
        f"{', '.join(f'{x:.2f}' for x in ratios)}; "
        f"gunicorn {WORKERS} sync workers; database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}",
        f"platform: every check on — CSRF token, signed voter cookie, per-voter/per-entry/per-IP daily "
        f"policy, per-IP rate limit on Flask-Limiter's storage (set high: {overrides['VOTE_RATE_LIMIT']}), captcha off; "
        f"{VOTERS} voters × 300 entries",
        f"load runs: {res['s2xx']} votes answered 2xx, {rows1 - rows0} rows written "
        f"({in_flight} still in flight when wrk stopped counting, over all rounds), sum(vote_count) = rows: "
        f"{rows1 == counted1}",
        f"exact count: {exact['distinct_pairs']} distinct (voter, entry) pairs each sent twice at once; "
        f"statuses {exact['statuses']}; successes = rows = vote_count increase = pairs: {exact_ok}",
    ])
    ok = exact_ok and rows1 == counted1 and 0 <= in_flight <= CONNECTIONS * ROUNDS
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
