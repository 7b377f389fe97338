"""The demo seeder uploads a real generated clip through the video service."""
import sqlalchemy as sa

from contest.core.models import AuditLog
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
    # Submitted ones carry the stamped scan of their 附件2 form; the draft has none.
    assert {v.title: v.scan_file is not None and v.scan_file.purpose == "scan" for v in videos} == {
        v.title: v.state != EntryState.DRAFT for v in videos}
    assert any(v.state == EntryState.DRAFT for v in videos)
    public = [v for v in videos if v.state == EntryState.SUBMITTED and v.screening_status == ScreeningStatus.PASSED]
    # The screening seeder passes these four; the last submitted one stays 待初筛.
    assert {v.title for v in public} == {"诚信小店", "信易贷：数据多跑路，企业少跑腿", "信用修复，重新出发", "守信小课堂"}
    pending = [v.title for v in videos
               if v.state == EntryState.SUBMITTED and v.screening_status == ScreeningStatus.PENDING]
    assert pending == ["一诺千金"]
    # Screened once, through the 初筛 service: one audit entry per decided video.
    screened = db.session.scalars(sa.select(AuditLog.target_id).where(
        AuditLog.action == "screened", AuditLog.target_type == "video", AuditLog.contest_id == ctx["contest"].id)).all()
    assert sorted(screened) == sorted(v.id for v in public)
    assert all(v.screened_by_id == ctx["organizer"].id and v.screened_at == ctx["now"] for v in public)
    client = app.test_client()
    with client.get(f"/files/{public[0].video_file_id}", headers={"Range": "bytes=0-9"}) as resp:
        assert resp.status_code == 206
