"""Many simultaneous votes from one voter through the real app: the unique keys decide, not luck."""
import threading

import sqlalchemy as sa

from contest.extensions import db
from contest.voting.models import Vote
from tests.integration.voting_support import CSRF_RE, count_of, passed_case, voting_contest

THREADS = 16


def _fire(app, contest_id, entry_ids, cookies, token):
    """POST one vote per entry id in parallel threads, each with its own client holding the same cookies."""
    barrier = threading.Barrier(len(entry_ids))
    results: list[int] = []
    lock = threading.Lock()

    def worker(entry_id):
        client = app.test_client()
        for name, value in cookies.items():
            client.set_cookie(name, value)
        barrier.wait()
        resp = client.post(f"/vote/{contest_id}/entry/{entry_id}/vote", data={"csrf_token": token},
                           headers={"Accept": "application/json"}, csrf=False)
        with lock:
            results.append(resp.status_code)

    threads = [threading.Thread(target=worker, args=(e,)) for e in entry_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return sorted(results)


def _browser(app, contest_id, entry_id):
    c = app.test_client()
    page = c.get(f"/vote/{contest_id}/entry/{entry_id}").get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)
    cookies = {name: c.get_cookie(name).value for name in ("session", "cv_voter")}
    return cookies, token


def test_simultaneous_votes_for_one_entry_count_once(app):
    app.config["VOTE_RATE_LIMIT"] = "1000 per minute"
    contest = voting_contest()
    case = passed_case(contest)
    db.session.commit()
    cookies, token = _browser(app, contest.id, case.id)
    codes = _fire(app, contest.id, [case.id] * THREADS, cookies, token)
    assert codes.count(200) == 1
    assert set(codes) <= {200, 409}
    assert count_of(case.id) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 1


def test_simultaneous_votes_for_many_entries_respect_daily_cap(app):
    app.config["VOTE_RATE_LIMIT"] = "1000 per minute"
    contest = voting_contest(votes_per_voter_per_day=3)
    cases = [passed_case(contest) for _ in range(THREADS)]
    db.session.commit()
    cookies, token = _browser(app, contest.id, cases[0].id)
    codes = _fire(app, contest.id, [c.id for c in cases], cookies, token)
    assert codes.count(200) == 3, codes
    assert set(codes) <= {200, 409, 429}
    assert sum(count_of(c.id) for c in cases) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 3


def test_vote_waiting_on_an_uncommitted_identical_vote_is_refused_once_it_commits(app):
    """Another transaction holds an uncommitted vote of the same voter for the same entry. The request's
    INSERT waits for it — on PostgreSQL at the unique key, then fails and the vote is read and tried
    again; on SQLite at the write lock, then its own recount sees the row — and either way the answer
    is 409 "already voted", with no second row."""
    import time
    from datetime import datetime

    from contest.core.timeutil import beijing_date
    from contest.voting import voter as voter_mod
    from contest.voting.policy import keyed_hash

    app.config["VOTE_RATE_LIMIT"] = "1000 per minute"
    contest = voting_contest()
    case = passed_case(contest)
    db.session.commit()
    cookies, token = _browser(app, contest.id, case.id)
    status, voter_id = voter_mod._verified(app.secret_key, cookies["cv_voter"])
    assert status == voter_mod.VALID
    now = datetime.utcnow()
    other = db.engine.connect()
    tx = other.begin()
    other.execute(sa.insert(Vote).values(
        contest_id=contest.id, entry_id=case.id, created_at=now, day=beijing_date(now),
        voter_hash=keyed_hash(app.secret_key, "voter", voter_id), ip_hash="f" * 64, net_hash="", ua_hash="",
        phone_hash="", entry_slot=1, day_slot=1, ip_slot=1, valid=True, void_reason=""))
    answer = {}

    def vote():
        client = app.test_client()
        for name, value in cookies.items():
            client.set_cookie(name, value)
        resp = client.post(f"/vote/{contest.id}/entry/{case.id}/vote", data={"csrf_token": token},
                           headers={"Accept": "application/json"}, csrf=False)
        answer.update(status=resp.status_code, body=resp.get_json())

    voter_thread = threading.Thread(target=vote)
    voter_thread.start()
    time.sleep(1.0)  # let the request reach its INSERT and wait there
    assert voter_thread.is_alive(), f"the vote did not wait for the open transaction: {answer}"
    tx.commit()
    other.close()
    voter_thread.join(60)
    assert answer["status"] == 409, answer
    assert answer["body"]["code"] == "already_voted"
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 1
    assert count_of(case.id) == 0  # the other transaction wrote only the row, not the count
