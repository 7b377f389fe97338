"""The demo seeds a finished 2024 contest whose results are frozen and published."""
from contest.demo import seed_demo
from contest.extensions import db
from contest.ranking import services
from contest.submissions.models import EntryKind


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
