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


WINDOWS = Prepared("SELECT w.phase AS phase, w.starts_at AS starts_at, c.show_counts AS show_counts "
                   "FROM phase_window w JOIN contest c ON c.id = w.contest_id "
                   "WHERE w.contest_id = :contest_id ORDER BY w.starts_at, w.id",
                   columns={"starts_at": sa.DateTime(), "show_counts": sa.Boolean()})


def test_all_rows_in_the_sessions_transaction(app):
    contest = make_contest(schedule=open_schedule(Phase.VOTING), title="全部行", show_counts=True)
    db.session.commit()
    expected = [(w.phase.value, w.starts_at, True) for w in sorted(contest.windows, key=lambda w: (w.starts_at, w.id))]
    assert len(expected) == len(Phase)
    assert WINDOWS.all_in(db.session, {"contest_id": contest.id}) == expected
    assert WINDOWS.all_in(db.session, {"contest_id": contest.id + 1}) == []
    # The session's own connection, after the autoflush: a pending change is seen, a rolled-back one is gone.
    window = contest.window(Phase.VOTING)
    earlier = window.starts_at - timedelta(hours=1, microseconds=5)
    window.starts_at = earlier
    with db.session.no_autoflush:
        assert WINDOWS.all_in(db.session, {"contest_id": contest.id}) == expected
    assert WINDOW.first_in(db.session, {"contest_id": contest.id, "phase": "voting", "at": earlier})["starts_at"] == earlier
    assert (Phase.VOTING.value, earlier, True) in WINDOWS.all_in(db.session, {"contest_id": contest.id})
    db.session.rollback()
    assert WINDOWS.all_in(db.session, {"contest_id": contest.id}) == expected
