"""Demo votes: a week of ordinary voting on every passed entry, plus one flagged burst for the monitor."""
from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from contest.core.timeutil import beijing_date
from contest.extensions import db
from contest.submissions.models import Entry, EntryState, ScreeningStatus
from contest.voting.models import Vote
from contest.voting.policy import keyed_hash

_SECRET = "demo-votes"


def seed(ctx: dict) -> None:
    contest, now = ctx["contest"], ctx["now"]
    entries = list(db.session.scalars(sa.select(Entry).where(
        Entry.contest_id == contest.id, Entry.state == EntryState.SUBMITTED,
        Entry.screening_status == ScreeningStatus.PASSED).order_by(Entry.id)))
    if not entries:
        ctx["votes"] = 0
        return
    rnd = random.Random(2024)
    rows, day_slots = [], {}
    for e_index, entry in enumerate(entries):
        for n in range(rnd.randint(8, 40) + 5 * (len(entries) - e_index)):
            at = now - timedelta(minutes=rnd.randint(5, 7 * 24 * 60))
            voter = f"v{rnd.randint(1, 400)}"
            key = (voter, beijing_date(at))
            if (voter, beijing_date(at), entry.id) in day_slots:
                continue
            day_slots[(voter, beijing_date(at), entry.id)] = True
            slot = day_slots[key] = (day_slots.get(key) or 0) + 1
            if slot > contest.votes_per_voter_per_day:
                continue
            ip = f"36.{rnd.randint(40, 46)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
            rows.append(_vote(contest.id, entry.id, at, voter, ip, slot))
    # One burst: 30 fresh "voters" from one address within a minute, for the fraud monitor to flag.
    target = entries[-1]
    start = (now - timedelta(hours=2)).replace(second=0, microsecond=0)
    for i in range(30):
        rows.append(_vote(contest.id, target.id, start + timedelta(seconds=i * 2), f"burst{i}", "113.200.7.9", 1,
                          ip_slot=i + 1))
    _fix_ip_slots(rows)
    db.session.add_all(rows)
    counts: dict[int, int] = {}
    for v in rows:
        counts[v.entry_id] = counts.get(v.entry_id, 0) + 1
    for entry in entries:
        entry.vote_count = counts.get(entry.id, 0)
    db.session.flush()
    ctx["votes"] = len(rows)


def _vote(contest_id, entry_id, at, voter, ip, day_slot, ip_slot=1):
    net = ".".join(ip.split(".")[:3]) + ".0/24"
    return Vote(contest_id=contest_id, entry_id=entry_id, created_at=at, day=beijing_date(at),
                voter_hash=keyed_hash(_SECRET, "voter", voter), ip_hash=keyed_hash(_SECRET, "ip", ip),
                net_hash=keyed_hash(_SECRET, "net", net), ua_hash=keyed_hash(_SECRET, "ua", "MicroMessenger"),
                entry_slot=1, day_slot=day_slot, ip_slot=ip_slot)


def _fix_ip_slots(rows) -> None:
    # Random addresses may repeat for one entry on one day: number them so the unique key holds.
    seen: dict[tuple, int] = {}
    for v in rows:
        key = (v.entry_id, v.ip_hash, v.day)
        seen[key] = seen.get(key, 0) + 1
        v.ip_slot = seen[key]
