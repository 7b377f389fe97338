"""The demo seeder uploads a real generated clip through the video service."""
import sqlalchemy as sa

from contest.demo import seed_demo
from contest.extensions import db
from contest.submissions.models import EntryState, ScreeningStatus, Video


def test_demo_videos_are_real_checked_uploads(app):
    ctx = seed_demo()
    db.session.commit()
    videos = db.session.scalars(sa.select(Video).where(Video.contest_id == ctx["contest"].id)).all()
    assert len(videos) == 6
    assert all(v.probe["ok"] and v.poster_file_id and v.thumb_file_id for v in videos)
    assert {v.duration_label for v in videos} == {"2分5秒"}
    public = [v for v in videos if v.state == EntryState.SUBMITTED and v.screening_status == ScreeningStatus.PASSED]
    # Later demo steps (screening) may screen the pending one; these four are passed by this seeder.
    assert {v.title for v in public} >= {"诚信小店", "信易贷：数据多跑路，企业少跑腿", "信用修复，重新出发", "守信小课堂"}
    client = app.test_client()
    with client.get(f"/files/{public[0].video_file_id}", headers={"Range": "bytes=0-9"}) as resp:
        assert resp.status_code == 206
