"""The demo seeds a finished 2024 contest whose results are frozen and published."""
from decimal import Decimal

import sqlalchemy as sa

from contest.core.models import AuditLog
from contest.demo import seed_demo
from contest.extensions import db
from contest.ranking import services
from contest.review.models import ScoreItem, ScoreSheet
from contest.submissions.models import Entry, EntryKind


def test_demo_publishes_2024_results(app, client):
    ctx = seed_demo()
    db.session.commit()
    past = ctx["past_contest"]
    for kind in (EntryKind.CASE, EntryKind.VIDEO):
        snap = services.current_snapshot(past.id, kind)
        assert snap is not None and snap.published_at is not None
    case_snap = services.current_snapshot(past.id, EntryKind.CASE)
    winners = [r["title"] for r in case_snap.data["rows"] if r["winner"]]
    assert len(winners) == 3
    html = client.get(f"/results/{past.id}").get_data(as_text=True)
    for title in winners:
        assert title in html
    assert "典型案例（3 个）" in html and "优秀短视频（2 个）" in html


def test_demo_2024_inputs_went_through_the_services(app):
    ctx = seed_demo()
    db.session.commit()
    past, organizer = ctx["past_contest"], ctx["organizer"]
    entries = db.session.scalars(sa.select(Entry).where(Entry.contest_id == past.id)).all()
    assert len(entries) == 9
    # 初筛 by the organizer inside the 2024 screening window (24–29 April, Beijing time).
    assert {(e.screened_by_id, e.screened_at.isoformat()) for e in entries} == {(organizer.id, "2024-04-25T02:00:00")}
    sheets = db.session.scalars(sa.select(ScoreSheet).join(Entry, Entry.id == ScoreSheet.entry_id)
                                .where(Entry.contest_id == past.id)).all()
    assert len(sheets) == 27 and all(s.is_submitted for s in sheets)
    items = db.session.scalars(sa.select(ScoreItem.value).where(ScoreItem.sheet_id.in_([s.id for s in sheets]))).all()
    assert items and all(v % Decimal("0.5") == 0 for v in items)
    audited = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.action == "score_submitted", AuditLog.contest_id == past.id))
    assert audited == 27
