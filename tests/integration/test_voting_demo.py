from datetime import timedelta

import sqlalchemy as sa

from contest.demo import base, screening as demo_screening, voting as demo_voting
from contest.core.timeutil import utcnow
from contest.extensions import db
from contest.submissions.models import Entry
from contest.voting import monitor
from contest.voting.models import Vote
from tests.factories import make_case


def test_demo_screening_and_votes_are_consistent(app):
    ctx = {"now": utcnow()}
    base.seed(ctx)
    contest = ctx["contest"]
    for i in range(5):
        make_case(contest, title=f"演示案例{i}")
    demo_screening.seed(ctx)
    demo_voting.seed(ctx)
    db.session.commit()
    assert ctx["screening"] == {"passed": 3, "rejected": 1}
    statuses = sorted(e.screening_status.value for e in db.session.scalars(sa.select(Entry)))
    assert statuses == ["passed", "passed", "passed", "pending", "rejected"]
    valid = db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.valid.is_(True)))
    assert valid == ctx["votes"] > 30
    assert db.session.scalar(sa.select(sa.func.sum(Entry.vote_count))) == valid
    flagged = monitor.bursts(contest, ctx["now"] - timedelta(hours=24))
    assert any(b.votes == 30 and b.kind == "ip" for b in flagged)
