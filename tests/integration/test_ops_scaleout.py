"""Scale-out profile: two gunicorn instances on one PostgreSQL and one Redis behave as one site."""
from __future__ import annotations

import pytest

from contest.extensions import db
from tests.factories import PASSWORD, make_organizer
from tests.servers import HttpClient, cluster, pg_cluster, redis_server  # noqa: F401  (fixtures)

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
