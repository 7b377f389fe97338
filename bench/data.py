"""Bench data: a contest with hundreds of public entries, experts with submitted score sheets and
up to millions of votes, written fast (one INSERT ... SELECT over a generated series, not one ORM
object per row).

The database is SQLite in a temporary folder unless ``BENCH_DATABASE_URL`` names a PostgreSQL
database (which is then emptied: use a throw-away one, e.g. under scripts/with-postgres.sh).
"""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

import harness  # noqa: F401  (puts the project on sys.path)
from contest import create_app
from contest.extensions import db

BENCH_SECRET = "bench-secret-key-not-for-production"


def bench_workdir(name: str) -> Path:
    """A fresh temporary folder for one run (database, uploads, files), removed when the script exits —
    a run of the list and ranking benches leaves ~0.75 GB each otherwise. ``BENCH_KEEP=1`` keeps it
    (its path is printed) for looking into afterwards."""
    path = Path(tempfile.mkdtemp(prefix=f"contest-bench-{name}-"))
    if os.environ.get("BENCH_KEEP"):
        harness.log(f"work folder kept: {path}")
    else:
        atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def database_url(workdir: Path) -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if url:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return f"sqlite:///{workdir / 'bench.db'}"


def app_config(workdir: Path, **overrides) -> dict:
    """The platform's config for a bench run (also passed to gunicorn as BENCH_APP_CONFIG)."""
    url = database_url(workdir)
    config = {
        "SECRET_KEY": BENCH_SECRET,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {},
        "UPLOAD_ROOT": str(workdir / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "INSTANCE_PATH": str(workdir / "instance"),
    }
    config.update(overrides)
    return config


def make_app(workdir: Path, **overrides):
    """The app on an empty schema (all tables dropped and created)."""
    config = app_config(workdir, **overrides)
    app = create_app(config, instance_path=config["INSTANCE_PATH"])
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def seed_contest(*, entries: int = 300, experts: int = 0, now=None, **contest_settings) -> dict:
    """A contest whose voting and review phases are open at ``now``, with ``entries`` public cases
    (submitted, passed 初筛) of 30 units, and ``experts`` expert accounts. Needs an app context.
    Returns ids: contest_id, entry_ids (consecutive), expert_ids, organizer_id."""
    from contest.accounts.models import Role
    from contest.contests.models import Phase
    from contest.core.timeutil import utcnow
    from tests import factories as f

    now = now or utcnow()
    schedule = f.open_schedule(Phase.VOTING, Phase.REVIEW, now=now)
    contest = f.make_contest(schedule=schedule, now=now, title="基准测试活动", **contest_settings)
    organizer = f.make_organizer(username="bench_admin")
    units = [f.make_unit(name=f"基准单位{i:02d}") for i in range(30)]
    entry_ids = []
    for i in range(entries):
        case = f.make_case(contest, units[i % len(units)], passed=True, title=f"基准信用案例第{i + 1:03d}号",
                           now=now - timedelta(days=2))
        entry_ids.append(case.id)
    assert entry_ids == list(range(entry_ids[0], entry_ids[0] + entries)), "entry ids must be consecutive"
    expert_ids = [f.make_user(Role.EXPERT, username=f"bench_expert{i:02d}", display_name=f"专家{i:02d}").id
                  for i in range(experts)]
    db.session.commit()
    return {"contest_id": contest.id, "entry_ids": entry_ids, "expert_ids": expert_ids,
            "organizer_id": organizer.id, "now": now}


def bulk_votes(contest_id: int, entry_ids: list[int], count: int, *, start: int = 0, now=None) -> None:
    """Insert ``count`` valid votes spread evenly over ``entry_ids`` (numbered from ``start``, so that
    repeated calls add distinct voters), then set each entry's denormalised ``vote_count`` to the
    number of its valid votes — exactly what the voting service maintains. Commits."""
    from contest.core.timeutil import beijing_date, utcnow

    now = now or utcnow()
    first, n_entries = entry_ids[0], len(entry_ids)
    created = (now - timedelta(hours=1)).replace(microsecond=0)
    params = {"contest": contest_id, "first": first, "ne": n_entries, "start": start, "stop": start + count,
              "created": created, "day": beijing_date(created)}
    pg = db.engine.dialect.name == "postgresql"
    exprs = {
        "contest_id": ":contest", "entry_id": ":first + (n % :ne)", "created_at": ":created", "day": ":day",
        "voter_hash": "lpad(to_hex(n), 64, '0')" if pg else "printf('%064x', n)",
        "ip_hash": "lpad(to_hex(n % 65536), 64, '0')" if pg else "printf('%064x', n % 65536)",
        "valid": "true" if pg else "1",
    }
    from contest.voting.models import Vote

    for col in Vote.__table__.columns:
        # Every other column the voting feature has (slots, hashes, reasons) takes its model default.
        if col.name in exprs or col.primary_key:
            continue
        default = col.default.arg if col.default is not None and col.default.is_scalar else None
        if default is None:
            continue
        key = f"d_{col.name}"
        params[key] = default
        exprs[col.name] = f":{key}"
    cols = ", ".join(exprs)
    values = ", ".join(exprs.values())
    if pg:
        sql = f"INSERT INTO vote ({cols}) SELECT {values} FROM generate_series(:start, :stop - 1) AS n"
    else:
        sql = ("WITH RECURSIVE seq(n) AS (SELECT :start UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < :stop) "
               f"INSERT INTO vote ({cols}) SELECT {values} FROM seq")
    if not pg:
        # A bulk load: a large page cache keeps the vote table's indexes in memory while they grow.
        db.session.execute(sa.text("PRAGMA cache_size=-1048576"))
    db.session.execute(sa.text(sql), params)
    db.session.execute(sa.text(
        "UPDATE entry SET vote_count = (SELECT count(*) FROM vote WHERE vote.entry_id = entry.id AND vote.valid) "
        "WHERE contest_id = :contest"), {"contest": contest_id})
    db.session.commit()


def seed_scores(contest_id: int, entry_ids: list[int], expert_ids: list[int], *, now=None,
                criteria=(("创新性", 30), ("实效性", 30), ("可复制推广性", 20), ("规范性", 20))) -> None:
    """Rubric criteria, every expert assigned to every entry, and one submitted score sheet per
    (expert, entry) with its items; totals vary deterministically. Commits."""
    from contest.core.timeutil import utcnow
    from contest.review.models import Assignment, RubricCriterion, ScoreItem, ScoreSheet, SheetState
    from contest.submissions.models import EntryKind

    now = now or utcnow()
    crits = [RubricCriterion(contest_id=contest_id, kind=EntryKind.CASE, position=i, name=name, max_score=mx)
             for i, (name, mx) in enumerate(criteria)]
    db.session.add_all(crits)
    db.session.flush()
    db.session.execute(sa.insert(Assignment), [
        {"expert_id": x, "entry_id": e, "created_at": now} for x in expert_ids for e in entry_ids])
    sheets, values = [], {}
    for xi, x in enumerate(expert_ids):
        for ei, e in enumerate(entry_ids):
            vals = [Decimal(max(0, c.max_score - ((ei * 7 + xi * 3 + ci * 5) % (c.max_score // 2))))
                    for ci, c in enumerate(crits)]
            values[(x, e)] = vals
            sheets.append({"expert_id": x, "entry_id": e, "state": SheetState.SUBMITTED, "total": sum(vals),
                           "comment": "", "updated_at": now, "submitted_at": now})
    db.session.execute(sa.insert(ScoreSheet), sheets)
    ids = dict(((x, e), sid) for sid, x, e in db.session.execute(
        sa.select(ScoreSheet.id, ScoreSheet.expert_id, ScoreSheet.entry_id)
        .where(ScoreSheet.entry_id.in_(entry_ids))))
    db.session.execute(sa.insert(ScoreItem), [
        {"sheet_id": ids[key], "criterion_id": c.id, "value": v}
        for key, vals in values.items() for c, v in zip(crits, vals)])
    db.session.commit()
