from contest.submissions.models import Case, EntryKind, Video
from contest.extensions import db
from tests.factories import make_case, make_contest, make_video


def test_case_and_video_share_entry_table(app):
    contest = make_contest()
    c = make_case(contest, passed=True)
    v = make_video(contest)
    db.session.commit()
    assert c.kind == EntryKind.CASE and v.kind == EntryKind.VIDEO
    assert c.is_public is True and v.is_public is False
    assert db.session.get(Case, c.id).title == c.title
    assert db.session.get(Video, v.id).category.label == "纪实类"
