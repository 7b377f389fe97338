"""The ranking of 300 entries × 25 experts (7,500 submitted score sheets) at 10,000, 100,000 and
1,000,000 votes in the vote table. The baseline is the 10k-vote time: since the ranking reads the
denormalised ``Entry.vote_count`` and never counts the vote table, the 1M-vote time must stay
within 2× of it. Timed in-process (``contest.ranking.services.ranking_data``, the data behind the
ranking page, the freeze and the exports), median of several warm runs.
Run: ``.venv/bin/python bench/bench_ranking.py``.
"""
from __future__ import annotations

import statistics
import sys
import time

import harness  # noqa: F401
from harness import Row, log, print_table

import data

ENTRIES = 300
EXPERTS = 25
STEPS = (10_000, 100_000, 1_000_000)
RUNS = 9


def time_ranking(contest_id: int) -> tuple[float, dict]:
    from contest.extensions import db
    from contest.ranking.services import ranking_data
    from contest.submissions.models import EntryKind

    times, result = [], None
    for _ in range(RUNS + 1):
        db.session.expire_all()
        t = time.perf_counter()
        result = ranking_data(contest_id, EntryKind.CASE)
        times.append(time.perf_counter() - t)
        db.session.rollback()
    return statistics.median(times[1:]) * 1000, result  # the first run warms caches


def main() -> int:
    work = data.bench_workdir("ranking")
    app = data.make_app(work)
    measured: dict[int, float] = {}
    checks = []
    with app.app_context():
        ids = data.seed_contest(entries=ENTRIES, experts=EXPERTS)
        data.seed_scores(ids["contest_id"], ids["entry_ids"], ids["expert_ids"])
        done = 0
        for target in STEPS:
            t = time.perf_counter()
            data.bulk_votes(ids["contest_id"], ids["entry_ids"], target - done, start=done)
            done = target
            log(f"{target:,} votes in the table (+{time.perf_counter() - t:.1f} s to insert)")
            ms, result = time_ranking(ids["contest_id"])
            measured[target] = ms
            rows = result["rows"]
            total_votes = sum(r["valid_votes"] for r in rows)
            checks.append(len(rows) == ENTRIES and total_votes == target
                          and all(r["expert_count"] == EXPERTS for r in rows))
            log(f"ranking at {target:,} votes: {ms:.1f} ms (median of {RUNS}); "
                f"{len(rows)} entries, {total_votes:,} votes, {rows[0]['expert_count']} experts each")
    base = measured[STEPS[0]]
    table = [Row(f"ranking at {n:,} votes", measured[n], "ms", base, "<= 2.0" if n == STEPS[-1] else "")
             for n in STEPS]
    print_table("Ranking (300 entries × 25 experts)", table, notes=[
        f"{ENTRIES} entries, {EXPERTS} experts, {ENTRIES * EXPERTS:,} submitted score sheets; "
        f"median of {RUNS} warm runs of ranking_data() at each size; baseline = the 10k-vote time",
        f"every run ranked {ENTRIES} entries with the exact vote totals and {EXPERTS} sheets each: {all(checks)}",
        f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}",
    ])
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
