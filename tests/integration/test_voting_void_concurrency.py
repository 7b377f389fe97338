"""Organizers voiding overlapping sets of votes at the same time, through the real routes, while the public
keeps voting: no error page, every vote voided once, every entry's count equal to its valid vote rows."""
import hashlib
import random
import re
import threading
from datetime import timedelta

import sqlalchemy as sa

from contest.core.models import AuditLog
from contest.core.timeutil import beijing_date, utcnow
from contest.extensions import db
from contest.submissions.models import Entry
from contest.voting.models import Vote
from tests.factories import make_organizer
from tests.integration.voting_support import Visitor, passed_case, voting_contest

ROUNDS = 6
ENTRIES = 3
VOTES_PER_ENTRY = 300  # per round: 900 votes, so a void of 650 ids spans two 500-id chunks
BURST_IPS = ["a" * 64, "b" * 64, "c" * 64]
# (size of the ticked set) per organizer thread; None voids a whole burst instead.
VOIDERS = [650, 550, 200, None, 120]
VOTER_THREADS = 2
SEEDED_IDS = 1_000_000  # ids given to the seeded votes, far above those the public's votes get
VOTES_PER_VOTER = 6

DONE_RE = re.compile(r"已作废 (\d+) 票，相关作品的票数已同步更新。")
NOTHING_LEFT = ("所选投票已全部作废或不存在，无需重复操作。", "该批投票已全部作废或不存在，无需重复操作。")


def _seed_votes(contest, entries, round_no, minute):
    """VOTES_PER_ENTRY valid votes per entry in one minute, from three IPs (so each entry has bursts), entries
    interleaved by id; returns {entry id: [vote ids]}."""
    rows = []
    for i in range(VOTES_PER_ENTRY):
        for entry in entries:
            voter = hashlib.sha256(f"r{round_no}-e{entry.id}-v{i}".encode()).hexdigest()
            rows.append(dict(contest_id=contest.id, entry_id=entry.id, created_at=minute + timedelta(seconds=5),
                             day=beijing_date(minute), voter_hash=voter, ip_hash=BURST_IPS[i % 3], net_hash="",
                             ua_hash="", phone_hash="", entry_slot=1, day_slot=1,
                             ip_slot=round_no * 1000 + i // 3 + 1, valid=True, void_reason=""))
    # Rows are written in a shuffled id order, as a long-running vote table has them once vacuumed space is
    # reused: on PostgreSQL a scan then meets the rows in another order than their ids.
    ids = list(range(len(rows)))
    random.Random(-round_no).shuffle(ids)
    for row, n in zip(rows, ids):
        row["id"] = SEEDED_IDS + round_no * 10_000 + n
    db.session.execute(sa.insert(Vote), rows)
    for entry in entries:
        db.session.execute(sa.update(Entry).where(Entry.id == entry.id)
                           .values(vote_count=Entry.vote_count + VOTES_PER_ENTRY))
    db.session.commit()
    return {e.id: list(db.session.scalars(sa.select(Vote.id).where(
        Vote.entry_id == e.id, Vote.created_at == minute + timedelta(seconds=5)).order_by(Vote.id)))
        for e in entries}


def _run_round(app, clients, contest, entries, round_no, minute):
    by_entry = _seed_votes(contest, entries, round_no, minute)
    pool = [i for ids in by_entry.values() for i in ids]
    rnd = random.Random(round_no)
    burst_entry = entries[round_no % ENTRIES]
    burst_ip = BURST_IPS[round_no % 3]
    jobs = []
    for k, size in enumerate(VOIDERS):
        client = clients[k]
        if size is None:
            data = {"entry_id": str(burst_entry.id), "source_kind": "ip", "source": burst_ip,
                    "minute": minute.strftime("%Y-%m-%dT%H:%M"), "reason": f"第{round_no}轮集中投票"}
        else:
            ids = rnd.sample(pool, size)  # a random subset, in random order in the request
            data = {"vote_ids": [str(i) for i in ids], "reason": f"第{round_no}轮核实为机器投票"}
        jobs.append((client, data))
    burst_ids = set(db.session.scalars(sa.select(Vote.id).where(
        Vote.entry_id == burst_entry.id, Vote.ip_hash == burst_ip, Vote.created_at == minute + timedelta(seconds=5))))
    targeted = burst_ids.union(*(set(map(int, d["vote_ids"])) for _, d in jobs if "vote_ids" in d))

    contest_id, entry_ids = contest.id, [e.id for e in entries]  # plain values: the threads have no app context
    voters = [[Visitor(app, ip=f"10.{round_no}.{t}.{n}") for n in range(VOTES_PER_VOTER)]
              for t in range(VOTER_THREADS)]
    barrier = threading.Barrier(len(jobs) + len(voters))
    lock = threading.Lock()
    void_answers, vote_codes, errors = [], [], []

    def void(client, data):
        try:
            barrier.wait()
            resp = client.post("/voting/monitor/void", data=data, follow_redirects=True)
            with lock:
                void_answers.append(([r.status_code for r in resp.history], resp.status_code,
                                     resp.get_data(as_text=True)))
        except BaseException as exc:  # surfaced by the assertion below
            with lock:
                errors.append(repr(exc))

    def vote(visitors):
        try:
            barrier.wait()
            for n, visitor in enumerate(visitors):
                code = visitor.vote(contest_id, entry_ids[n % ENTRIES]).status_code
                with lock:
                    vote_codes.append(code)
        except BaseException as exc:
            with lock:
                errors.append(repr(exc))

    threads = [threading.Thread(target=void, args=job) for job in jobs]
    threads += [threading.Thread(target=vote, args=(v,)) for v in voters]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a request did not finish"
    assert errors == []
    assert vote_codes == [200] * (VOTER_THREADS * VOTES_PER_VOTER)

    voided_by_answers = 0
    refusals = 0
    for history, status, body in void_answers:
        done = DONE_RE.search(body)
        if history == [302] and status == 200 and done:
            voided_by_answers += int(done.group(1))
        else:
            assert (history, status) == ([], 400), (history, status, body[:2000])
            assert any(m in body for m in NOTHING_LEFT), body[:2000]
            refusals += 1
    assert len(void_answers) == len(jobs)
    return targeted, voided_by_answers, len(jobs) - refusals


def test_overlapping_voids_while_voting_void_each_vote_once_and_keep_counts_exact(app, login_as):
    app.config["VOTE_RATE_LIMIT"] = "1000 per minute"
    contest = voting_contest(ip_votes_per_entry_per_day=100000)
    entries = [passed_case(contest) for _ in range(ENTRIES)]
    organizers = [make_organizer(), make_organizer()]
    db.session.commit()
    # One browser per organizer thread (two organizers), logged in once; the CSRF token is fetched before
    # the race, as the open monitor page already holds it.
    clients = [login_as(organizers[k % 2]) for k in range(len(VOIDERS))]
    for client in clients:
        client.csrf_token()
    base = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=ROUNDS + 1)
    all_targeted: set[int] = set()
    successes = 0
    for round_no in range(ROUNDS):
        targeted, voided, ok = _run_round(app, clients, contest, entries, round_no,
                                          base + timedelta(minutes=round_no))
        assert voided == len(targeted)  # the successful voids together voided each targeted vote exactly once
        all_targeted |= targeted
        successes += ok
        db.session.expire_all()
        invalid = set(db.session.scalars(sa.select(Vote.id).where(Vote.valid.is_(False))))
        assert invalid == all_targeted
        for entry in entries:
            valid_rows = db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(
                Vote.entry_id == entry.id, Vote.valid.is_(True)))
            assert db.session.get(Entry, entry.id).vote_count == valid_rows, (round_no, entry.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.action == "votes_voided")) == successes
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.valid.is_(True))) == (
        ROUNDS * (ENTRIES * VOTES_PER_ENTRY + VOTER_THREADS * VOTES_PER_VOTER) - len(all_targeted))
