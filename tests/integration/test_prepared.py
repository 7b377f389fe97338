"""contest.core.prepared on the real database (SQLite here, PostgreSQL in the PG run): parameters and
typed columns convert the way the ORM does, and an empty result is None."""
from datetime import datetime, timedelta

import sqlalchemy as sa

from contest.contests.models import Phase, PhaseWindow
from contest.core.prepared import Prepared
from contest.extensions import db
from tests.factories import make_contest, open_schedule

WINDOW = Prepared("""
SELECT w.starts_at AS starts_at, w.ends_at AS ends_at, c.show_counts AS show_counts, c.title AS title
FROM phase_window w JOIN contest c ON c.id = w.contest_id
WHERE w.contest_id = :contest_id AND w.phase = :phase AND w.starts_at <= :at
""", binds={"at": sa.DateTime()}, columns={"starts_at": sa.DateTime(), "ends_at": sa.DateTime(),
                                           "show_counts": sa.Boolean()})
MOVE = Prepared("UPDATE phase_window SET ends_at = :ends_at WHERE contest_id = :contest_id AND phase = :phase "
                "RETURNING id", binds={"ends_at": sa.DateTime()})


def test_prepared_round_trip_matches_the_orm(app):
    contest = make_contest(schedule=open_schedule(Phase.VOTING), title="预编译语句", show_counts=False)
    db.session.commit()
    window = contest.window(Phase.VOTING)
    dialect = db.engine.dialect
    conn = db.engine.raw_connection()
    try:
        cur = conn.cursor()
        row = WINDOW.first(dialect, cur, {"contest_id": contest.id, "phase": "voting", "at": window.starts_at})
        assert row == {"starts_at": window.starts_at, "ends_at": window.ends_at, "show_counts": False,
                       "title": "预编译语句"}
        before = window.starts_at - timedelta(seconds=1)
        assert WINDOW.first(dialect, cur, {"contest_id": contest.id, "phase": "voting", "at": before}) is None
        new_end = datetime(2031, 1, 2, 3, 4, 5, 678)
        assert MOVE.scalar(dialect, cur, {"ends_at": new_end, "contest_id": contest.id, "phase": "voting"}) == window.id
        assert MOVE.scalar(dialect, cur, {"ends_at": new_end, "contest_id": contest.id + 1, "phase": "voting"}) is None
        conn.commit()
    finally:
        conn.close()
    db.session.expire_all()
    assert db.session.get(PhaseWindow, window.id).ends_at == new_end
