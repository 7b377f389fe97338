"""The public voting list page with 300 entries and 1,000,000 votes in the vote table, against the
same page rendered from memory (same template, same 300 items captured once, no database).

The ratio shows what the database costs per page view; with ``Entry.vote_count`` kept by the
voting service the page never counts the vote table, so it must not grow with the votes.
Run: ``.venv/bin/python bench/bench_vote_list.py``.
"""
from __future__ import annotations

import json
import os
import sys
import time
import urllib.request

import harness
from harness import Row, Server, log, print_table, run_wrk, summarize_rounds

import data

ENTRIES = 300
VOTES = int(os.environ.get("BENCH_VOTES", "1000000"))
CONNECTIONS = 8
THREADS = 2
DURATION = float(os.environ.get("BENCH_DURATION", "15"))  # per page, over all rounds
# The two pages are measured in alternating short rounds (memory, page, page, memory, ...): on a shared
# VM the machine's speed drifts within a minute, and one long run of each would put the drift into the
# ratio (2026-12-02: 1.74x and 1.28x for the same code minutes apart).
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))


def fetch(url: str) -> tuple[int, str, int]:
    with urllib.request.urlopen(url, timeout=60) as resp:
        body = resp.read().decode()
        return resp.status, body, int(resp.headers.get("X-Bench-Queries", "-1"))


def main() -> int:
    work = data.bench_workdir("vote-list")
    app = data.make_app(work)
    with app.app_context():
        ids = data.seed_contest(entries=ENTRIES)
        t = time.perf_counter()
        data.bulk_votes(ids["contest_id"], ids["entry_ids"], VOTES)
        log(f"{VOTES:,} votes inserted in {time.perf_counter() - t:.1f} s")
    page = f"/vote/{ids['contest_id']}"
    env = {"BENCH_APP_CONFIG": json.dumps(data.app_config(work)), "BENCH_MEMORY_PAGE": page}
    with Server("wsgi_contest:app", env=env, workers=WORKERS, ready_path=page) as srv:
        status, real_html, real_queries = fetch(srv.url(page))
        _, memory_html, _ = fetch(srv.url("/bench/memory"))  # first call per worker captures
        for _ in range(WORKERS * 3):
            status_m, memory_html, memory_queries = fetch(srv.url("/bench/memory"))
        cards = real_html.count('class="vote-card"')
        assert cards == ENTRIES, f"the page shows {cards} entries, expected {ENTRIES}"
        assert memory_html.count('class="vote-card"') == ENTRIES
        assert memory_queries == 0, f"the memory page ran {memory_queries} SQL statements"
        for url in (srv.url(page), srv.url("/bench/memory")):
            run_wrk(url, connections=CONNECTIONS, threads=THREADS, duration=3)
        runs: dict[str, list] = {"memory": [], "page": []}
        for i in range(ROUNDS):
            order = [("memory", "/bench/memory"), ("page", page)]
            for name, path in (order if i % 2 == 0 else order[::-1]):
                srv.wait_idle()  # requests of the previous run still queued would delay this run's first ones
                runs[name].append(run_wrk(srv.url(path), connections=CONNECTIONS, threads=THREADS,
                                          duration=max(1.0, DURATION / ROUNDS)))
    mem, real = summarize_rounds(runs["memory"]), summarize_rounds(runs["page"])
    ratios = [r.p50_ms / m.p50_ms for r, m in zip(runs["page"], runs["memory"])]
    log(f"page: p50 {real['p50']:.1f} ms; memory: p50 {mem['p50']:.1f} ms; "
        f"ratio by round {', '.join(f'{x:.2f}' for x in ratios)}")
    rows = [
        Row("p50 latency", real["p50"], "ms", mem["p50"], "<= 1.5"),
        Row("p99 latency", real["p99"], "ms", mem["p99"]),
        Row("pages/s", real["rps"], "/s", mem["rps"]),
        Row("SQL statements per page view", real_queries, "", None),
        Row("non-2xx responses", real["bad"] + mem["bad"], "", None, "<= 0", on_ratio=False),
    ]
    print_table("Voting list page (300 entries, 1,000,000 votes)", rows, notes=[
        f"{ENTRIES} public entries, {VOTES:,} rows in the vote table; page {page} ({len(real_html) // 1024} KB)",
        f"baseline: the same template and the same {ENTRIES} items captured once per worker and rendered "
        f"from memory, 0 SQL statements",
        f"wrk {THREADS} threads, {CONNECTIONS} connections, {DURATION:.0f} s each after 3 s warm-up, in "
        f"{ROUNDS} alternating rounds; latencies are the medians of the rounds' figures; p50 ratio by round: "
        f"{', '.join(f'{x:.2f}' for x in ratios)}",
        f"gunicorn {WORKERS} sync workers; database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}",
    ])
    return 0 if status == 200 and status_m == 200 and real["bad"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
