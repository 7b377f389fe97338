"""Fraud monitor queries and voiding (organizers). Every query is bounded by an index on the vote table."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Optional

import sqlalchemy as sa

from contest.accounts.models import User
from contest.contests.models import Contest, Phase
from contest.core import audit
from contest.core.timeutil import beijing_date, format_beijing
from contest.extensions import db
from contest.submissions.models import Entry
from contest.voting import policy as pol
from contest.voting.models import Vote


class MonitorError(ValueError):
    """A refused monitor action (Chinese message); nothing changed."""


SOURCE_COLUMNS = {"ip": Vote.ip_hash, "net": Vote.net_hash}
SOURCE_LABELS = {"ip": "同一IP", "net": "同一网段（/24）"}


# Votes per minute (bursts) and per hour (the hourly series) are counted in SQL by the vote time
# truncated to that unit. created_at is naive UTC; Beijing is UTC+8 whole hours, so UTC minutes and
# hours are Beijing minutes and hours too.
_SQLITE_TRUNCATED = {"minute": "%Y-%m-%d %H:%M", "hour": "%Y-%m-%d %H:00"}
_PYTHON_TRUNCATE = {"minute": pol.minute_of, "hour": pol.hour_of}


def _truncated_time(unit: str):
    """Vote.created_at truncated to ``unit`` ('minute' or 'hour'), as a SQL expression."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.date_trunc(unit, Vote.created_at)
    return sa.func.strftime(_SQLITE_TRUNCATED[unit], Vote.created_at)


def _as_time(value, unit: str) -> datetime:
    """A ``_truncated_time`` value read back (a datetime on PostgreSQL, text on SQLite) as a naive datetime."""
    if isinstance(value, datetime):
        return _PYTHON_TRUNCATE[unit](value.replace(tzinfo=None))
    return datetime.strptime(str(value)[:16], "%Y-%m-%d %H:%M")


@dataclass
class Summary:
    valid: int
    voided: int
    today: int
    voters_today: int


def summary(contest: Contest, now: datetime) -> Summary:
    """Totals: valid votes (the denormalised counts), voided votes, and today's valid votes and their distinct
    voters (voided votes count nowhere but in ``voided``, like on the rest of the page)."""
    valid = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Entry.vote_count), 0))
                              .where(Entry.contest_id == contest.id)) or 0
    voided = db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(
        Vote.contest_id == contest.id, Vote.valid.is_(False))) or 0
    today = beijing_date(now)
    row = db.session.execute(sa.select(sa.func.count(), sa.func.count(sa.distinct(Vote.voter_hash))).where(
        Vote.contest_id == contest.id, Vote.day == today, Vote.valid.is_(True))).one()
    return Summary(int(valid), int(voided), int(row[0]), int(row[1]))


def daily_series(contest: Contest, now: datetime, entry_id: Optional[int] = None) -> list[tuple[date, int]]:
    """Valid votes per Beijing day over the voting window (up to today), for one entry or all."""
    window = contest.window(Phase.VOTING)
    if window is None:
        return []
    first = beijing_date(window.starts_at)
    last = min(beijing_date(window.ends_at - timedelta(seconds=1)), beijing_date(now))
    if last < first:
        return []
    where = [Vote.contest_id == contest.id, Vote.valid.is_(True), Vote.day >= first, Vote.day <= last]
    if entry_id is not None:
        where.append(Vote.entry_id == entry_id)
    counts = dict(db.session.execute(sa.select(Vote.day, sa.func.count()).where(*where).group_by(Vote.day)).all())
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)][-60:]
    return [(d, int(counts.get(d, 0))) for d in days]


def hourly_series(contest: Contest, now: datetime, entry_id: Optional[int] = None, hours: int = 24) -> list[int]:
    """Valid votes per clock hour over the ``hours`` hours ending with the one ``now`` is in, oldest first,
    hours without votes as 0: the window is [start, start + hours h) with start = now truncated to the hour
    minus (hours - 1) h. Counted by the database (one row per hour with votes)."""
    start = pol.hour_of(now) - timedelta(hours=hours - 1)
    end = start + timedelta(hours=hours)
    hour = _truncated_time("hour").label("hour")
    where = [Vote.contest_id == contest.id, Vote.valid.is_(True), Vote.created_at >= start, Vote.created_at < end]
    if entry_id is not None:
        where.append(Vote.entry_id == entry_id)
    rows = db.session.execute(sa.select(hour, sa.func.count()).where(*where).group_by(hour))
    return pol.hourly_counts({_as_time(h, "hour"): int(n) for h, n in rows}, start, hours)


def busiest(contest: Contest, kind: str, since: datetime, limit: int = 10) -> list[tuple[str, int, int]]:
    """(hash, votes, distinct entries) of the sources with most votes since ``since``: kind 'ip', 'net' or 'voter'."""
    col = {**SOURCE_COLUMNS, "voter": Vote.voter_hash}[kind]
    rows = db.session.execute(
        sa.select(col, sa.func.count().label("n"), sa.func.count(sa.distinct(Vote.entry_id)))
        .where(Vote.contest_id == contest.id, Vote.created_at >= since, Vote.valid.is_(True))
        .group_by(col).order_by(sa.desc("n"), col).limit(limit))
    return [(h, int(n), int(e)) for h, n, e in rows]


def bursts(contest: Contest, since: datetime, threshold: Optional[int] = None) -> list[pol.Burst]:
    """Minutes since ``since`` with more than ``threshold`` valid votes for one entry from one IP or /24."""
    threshold = contest.burst_votes_per_minute if threshold is None else threshold
    minute = _truncated_time("minute").label("minute")
    rows = []
    for kind, col in SOURCE_COLUMNS.items():
        q = (sa.select(Vote.entry_id, col, minute, sa.func.count())
             .where(Vote.contest_id == contest.id, Vote.created_at >= since, Vote.valid.is_(True))
             .group_by(Vote.entry_id, col, minute).having(sa.func.count() > threshold))
        rows += [(e, kind, s, _as_time(m, "minute"), int(n)) for e, s, m, n in db.session.execute(q)]
    return pol.find_bursts(rows, threshold)


def _burst_where(contest: Contest, entry_id: int, kind: str, source: str, minute: datetime) -> Optional[list]:
    """The WHERE of one burst's votes (entry, IP or /24, one minute), valid or not; None for an unknown kind."""
    col = SOURCE_COLUMNS.get(kind)
    if col is None:
        return None
    return [Vote.contest_id == contest.id, Vote.entry_id == entry_id, col == source,
            Vote.created_at >= minute, Vote.created_at < minute + timedelta(minutes=1)]


def burst_votes(contest: Contest, entry_id: int, kind: str, source: str, minute: datetime) -> list[Vote]:
    """The votes of one burst (valid or not), oldest first."""
    where = _burst_where(contest, entry_id, kind, source, minute)
    if where is None:
        return []
    return list(db.session.scalars(sa.select(Vote).where(*where).order_by(Vote.created_at, Vote.id)))


def void_votes(contest: Contest, vote_ids: Iterable[int], reason: str, *, actor: User, now: datetime,
               ip: str = "", summary_prefix: str = "") -> int:
    """Mark the given valid votes of ``contest`` void and lower each entry's count by as many. Returns how many
    were voided (already void ones and other contests' votes are left alone). Raises MonitorError without a reason
    or without votes. Audit-logged with the per-entry numbers."""
    reason = (reason or "").strip()
    if not reason:
        raise MonitorError("请填写作废原因。")
    if len(reason) > 200:
        raise MonitorError("作废原因不能超过200字。")
    ids = sorted(set(int(i) for i in vote_ids))
    if not ids:
        raise MonitorError("请先选择要作废的投票。")
    # The counts come from the rows this UPDATE changed (RETURNING), not from an earlier SELECT: a concurrent
    # void of the same votes waits on the rows (or SQLite's write lock) and then changes none of them, so each
    # vote lowers its entry's count exactly once.
    # Locks are taken in one global order — vote rows by id, chunk after chunk, then entries by id — so two
    # organizers voiding overlapping sets wait for each other instead of deadlocking. An UPDATE alone locks
    # rows in the order its scan meets them (heap order on PostgreSQL, which is not id order once vacuumed
    # space is reused), hence the SELECT ... ORDER BY id FOR NO KEY UPDATE first (the UPDATE's own lock
    # strength; ignored by SQLite, whose write lock serialises voids anyway).
    per_entry: dict[int, int] = {}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start:chunk_start + 500]
        where = (Vote.id.in_(chunk), Vote.contest_id == contest.id, Vote.valid.is_(True))
        db.session.execute(sa.select(Vote.id).where(*where).order_by(Vote.id).with_for_update(key_share=True))
        changed = db.session.scalars(
            sa.update(Vote).where(*where)
            .values(valid=False, void_reason=reason, voided_at=now, voided_by_id=actor.id)
            .returning(Vote.entry_id).execution_options(synchronize_session=False))
        for entry_id in changed:
            per_entry[entry_id] = per_entry.get(entry_id, 0) + 1
    total = sum(per_entry.values())
    if total == 0:
        raise MonitorError("所选投票已全部作废或不存在，无需重复操作。")
    for entry_id, n in sorted(per_entry.items()):
        db.session.execute(sa.update(Entry).where(Entry.id == entry_id)
                           .values(vote_count=Entry.vote_count - n).execution_options(synchronize_session=False))
    db.session.flush()
    titles = dict(db.session.execute(sa.select(Entry.id, Entry.title).where(Entry.id.in_(list(per_entry)))).all())
    audit.record("votes_voided", actor=actor, contest_id=contest.id, target_type="vote", ip=ip, now=now,
                 summary=f"{summary_prefix}作废 {total} 票（{reason}）",
                 detail={"reason": reason, "entries": {titles.get(e, str(e)): n for e, n in per_entry.items()},
                         "vote_ids": ids[:1000]})
    return total


def void_burst(contest: Contest, entry_id: int, kind: str, source: str, minute: datetime, reason: str, *,
               actor: User, now: datetime, ip: str = "") -> int:
    """Void every valid vote of one burst (entry, IP or /24, minute). See ``void_votes``."""
    where = _burst_where(contest, entry_id, kind, source, minute)
    votes = [] if where is None else list(db.session.scalars(sa.select(Vote.id).where(*where, Vote.valid.is_(True))))
    if not votes:
        raise MonitorError("该批投票已全部作废或不存在，无需重复操作。")
    label = SOURCE_LABELS.get(kind, kind)
    return void_votes(contest, votes, reason, actor=actor, now=now, ip=ip,
                      summary_prefix=f"{label}在 {format_beijing(minute)} 的集中投票：")
