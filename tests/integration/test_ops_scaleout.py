"""Scale-out profile: two gunicorn instances on one PostgreSQL and one Redis behave as one site."""
from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from contest.extensions import db
from tests.factories import PASSWORD, make_organizer
from tests.servers import HttpClient, cluster, pg_cluster, redis_server, require_endpoint  # noqa: F401

pytestmark = pytest.mark.slow


def test_login_rate_limit_is_shared_across_instances(app, pg_cluster):
    make_organizer(username="boss")
    db.session.commit()
    a, b = pg_cluster(2)
    client = HttpClient(a.base_url)
    client.get("/login")
    codes = []
    for i in range(10):  # LOGIN_RATE_LIMIT is 10 per minute per client address, alternating instances
        server = a if i % 2 == 0 else b
        codes.append(client.post("/login", {"username": "boss", "password": "wrong"}, base_url=server.base_url).status)
    assert codes == [200] * 10
    # The eleventh attempt is refused by either instance: the counter lives in Redis.
    assert client.post("/login", {"username": "boss", "password": PASSWORD}, base_url=a.base_url).status == 429
    refused = client.post("/login", {"username": "boss", "password": PASSWORD}, base_url=b.base_url)
    assert refused.status == 429
    assert "操作过于频繁" in refused.body


def test_session_from_one_instance_is_valid_on_the_other(app, pg_cluster):
    make_organizer(username="boss")
    db.session.commit()
    a, b = pg_cluster(2)
    client = HttpClient(a.base_url)
    resp = client.login("boss", PASSWORD, base_url=a.base_url)
    assert resp.status == 302 and resp.location.endswith("/dashboard")
    assert client.get("/dashboard", base_url=b.base_url).status == 200
    assert client.get("/healthz", base_url=b.base_url).status == 200


# --- voting across instances --------------------------------------------------------------------------

class Voter:
    """One phone: opens an entry page on some instance (voter cookie + CSRF token), then votes as
    vote.js does (form post asking for JSON)."""

    def __init__(self, base_url: str):
        self.http = HttpClient(base_url)

    def open(self, server, contest_id: int, entry_id: int):
        resp = self.http.get(f"/vote/{contest_id}/entry/{entry_id}", base_url=server.base_url)
        assert resp.status == 200, resp.body[:300]
        assert "cv_voter" in self.http.cookies

    def vote(self, server, contest_id: int, entry_id: int) -> tuple[int, dict]:
        resp = self.http.post(f"/vote/{contest_id}/entry/{entry_id}/vote", {}, base_url=server.base_url,
                              headers={"Accept": "application/json"})
        try:
            return resp.status, json.loads(resp.body)
        except ValueError:
            return resp.status, {}


def voting_world(n_entries: int, **settings):
    from tests.integration.voting_support import passed_case, voting_contest

    contest = voting_contest(**settings)
    entries = [passed_case(contest, title=f"信用案例{i}") for i in range(n_entries)]
    db.session.commit()
    return contest, [e.id for e in entries]


def counts_and_rows(entry_ids):
    from contest.submissions.models import Entry
    from contest.voting.models import Vote

    db.session.expire_all()
    counts = dict(db.session.execute(sa.select(Entry.id, Entry.vote_count).where(Entry.id.in_(entry_ids))).all())
    rows = dict(db.session.execute(sa.select(Vote.entry_id, sa.func.count()).where(Vote.entry_id.in_(entry_ids))
                                   .group_by(Vote.entry_id)).all())
    return {e: counts[e] for e in entry_ids}, {e: rows.get(e, 0) for e in entry_ids}


def test_votes_are_exact_across_two_instances(app, pg_cluster):
    require_endpoint(app, "voting.vote")
    contest, entry_ids = voting_world(6, votes_per_voter_per_day=4, ip_votes_per_entry_per_day=10_000)
    a, b = pg_cluster(2, VOTE_RATE_LIMIT="100000 per minute")
    voters = [Voter(a.base_url) for _ in range(12)]
    for i, v in enumerate(voters):
        v.open(a if i % 2 else b, contest.id, entry_ids[0])

    results: list[tuple[int, int, int, dict]] = []
    lock = threading.Lock()

    def run(i: int, v: Voter):
        # Every voter tries every entry twice, once on each instance, at the same time as the others.
        for entry_id in entry_ids:
            for server in (a, b) if i % 2 else (b, a):
                status, payload = v.vote(server, contest.id, entry_id)
                with lock:
                    results.append((i, entry_id, status, payload))

    threads = [threading.Thread(target=run, args=(i, v)) for i, v in enumerate(voters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)

    assert len(results) == 12 * 6 * 2
    assert {s for _, _, s, _ in results} <= {200, 409, 429}, sorted({s for _, _, s, _ in results})
    ok = [(i, e) for i, e, s, p in results if s == 200 and p.get("ok") is True]
    # Exactly votes_per_voter_per_day successes per voter, never twice the same entry.
    per_voter = {i: [e for j, e in ok if j == i] for i in range(12)}
    assert all(len(es) == 4 and len(set(es)) == 4 for es in per_voter.values()), per_voter
    counts, rows = counts_and_rows(entry_ids)
    assert counts == rows
    assert rows == {e: sum(1 for _, x in ok if x == e) for e in entry_ids}
    assert sum(rows.values()) == 48


def test_vote_rate_limit_is_shared_across_instances(app, pg_cluster):
    require_endpoint(app, "voting.vote")
    contest, entry_ids = voting_world(1, votes_per_voter_per_day=100, ip_votes_per_entry_per_day=10_000)
    a, b = pg_cluster(2, VOTE_RATE_LIMIT="8 per minute")
    voters = [Voter(a.base_url) for _ in range(9)]
    for v in voters:
        v.open(a, contest.id, entry_ids[0])
    statuses = [v.vote(a if i % 2 else b, contest.id, entry_ids[0])[0] for i, v in enumerate(voters[:8])]
    assert statuses == [200] * 8  # eight different voters from one address, alternating instances
    status, payload = voters[8].vote(b, contest.id, entry_ids[0])
    assert status == 429 and payload["code"] == "rate_limited"
    assert voters[8].vote(a, contest.id, entry_ids[0])[0] == 429
    counts, rows = counts_and_rows(entry_ids)
    assert counts == rows == {entry_ids[0]: 8}
