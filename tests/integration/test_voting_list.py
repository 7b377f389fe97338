"""The public voting list (/vote/<contest>): which entries it shows, in which order, the search and
category filter, and the voting window's message — through the route, on SQLite and PostgreSQL
(the list's statements are prepared SQL, not ORM queries)."""
from __future__ import annotations

import re
from datetime import timedelta

from contest.contests.models import Override, Phase
from contest.core.timeutil import format_deadline, utcnow
from contest.extensions import db
from contest.submissions.models import EntryKind, VideoCategory
from tests.factories import make_case, make_contest, make_unit, make_video, open_schedule
from tests.integration.voting_support import passed_case, voting_contest

CARD_TITLE_RE = re.compile(r'<div class="vote-card-title">(?:<span class="vote-rank">(\d+)</span>)?([^<]*)</div>')


def _cards(html: str, section: str) -> list[tuple[str, str]]:
    """(rank or '', title) of the cards in the section with id ``section`` ("cases" or "videos")."""
    start = html.index(f'id="{section}"')
    end = html.find("</section>", start)
    return CARD_TITLE_RE.findall(html[start:end])


def _list(app, contest_id: int, query: str = "") -> str:
    resp = app.test_client().get(f"/vote/{contest_id}{query}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_only_submitted_passed_entries_of_this_contest_are_listed(app):
    contest = voting_contest()
    other = voting_contest(title="另一个活动")
    passed_case(contest, title="通过初筛的案例")
    make_case(contest, title="待初筛的案例")
    make_case(contest, submitted=False, title="草稿案例")
    passed_case(other, title="别的活动的案例")
    make_video(contest, passed=True, title="通过初筛的视频")
    make_video(contest, title="待初筛的视频")
    db.session.commit()
    html = _list(app, contest.id)
    assert [t for _, t in _cards(html, "cases")] == ["通过初筛的案例"]
    assert [t for _, t in _cards(html, "videos")] == ["通过初筛的视频"]
    assert "典型案例 <span class=\"muted small\">（1）</span>" in html


def test_most_votes_first_with_shared_ranks_when_counts_are_shown(app):
    contest = voting_contest(show_counts=True)
    for title, votes in (("乙", 5), ("甲", 9), ("丙", 5), ("丁", 0)):
        passed_case(contest, title=title, vote_count=votes)
    db.session.commit()
    html = _list(app, contest.id)
    assert _cards(html, "cases") == [("1", "甲"), ("2", "乙"), ("2", "丙"), ("4", "丁")]
    assert "<strong>9</strong> 票" in html


def test_by_title_without_counts_or_ranks_when_counts_are_hidden(app):
    contest = voting_contest(show_counts=False)
    # Titles every collation orders alike (SQLite compares bytes, PostgreSQL its locale).
    for title, votes in (("Charlie", 1), ("Alpha", 9), ("Bravo", 5), ("Alpha", 2)):
        passed_case(contest, title=title, vote_count=votes)
    db.session.commit()
    html = _list(app, contest.id)
    assert _cards(html, "cases") == [("", "Alpha"), ("", "Alpha"), ("", "Bravo"), ("", "Charlie")]
    assert " 票</div>" not in html


def test_search_ignores_ascii_case_in_titles_and_unit_names(app):
    contest = voting_contest()
    xa = make_unit("XA高新区管委会")
    passed_case(contest, title="Credit+ 信易贷")
    passed_case(contest, unit=xa, title="企业信用修复")
    passed_case(contest, title="诚信街区")
    db.session.commit()
    assert [t for _, t in _cards(_list(app, contest.id, "?q=credit"), "cases")] == ["Credit+ 信易贷"]
    assert [t for _, t in _cards(_list(app, contest.id, "?q=xa高新"), "cases")] == ["企业信用修复"]
    none = _list(app, contest.id, "?q=不存在的词")
    assert _cards(none, "cases") == [] and "没有找到与“不存在的词”相关的案例。" in none
    for odd in ("'", "%27%3B--", "\\", "%5C"):
        assert app.test_client().get(f"/vote/{contest.id}?q={odd}").status_code == 200, odd
        assert _cards(_list(app, contest.id, f"?q={odd}"), "cases") == [], odd


def test_search_finds_percent_and_underscore_as_typed(app):
    contest = voting_contest()
    for title in ("信用承诺100%兑现", "信用承诺100兑现", "a_b 诚信", "axb 诚信", "路径\\说明"):
        passed_case(contest, title=title)
    db.session.commit()
    assert [t for _, t in _cards(_list(app, contest.id, "?q=100%25"), "cases")] == ["信用承诺100%兑现"]
    assert [t for _, t in _cards(_list(app, contest.id, "?q=%25"), "cases")] == ["信用承诺100%兑现"]
    assert [t for _, t in _cards(_list(app, contest.id, "?q=a_b"), "cases")] == ["a_b 诚信"]
    assert [t for _, t in _cards(_list(app, contest.id, "?q=%5C"), "cases")] == ["路径\\说明"]


def test_search_with_control_characters_finds_the_words_around_them(app):
    # PostgreSQL refuses NUL in a parameter; the query argument loses it (and other control characters).
    contest = voting_contest()
    passed_case(contest, title="信用承诺兑现")
    passed_case(contest, title="诚信建设")
    db.session.commit()
    assert [t for _, t in _cards(_list(app, contest.id, "?q=%E6%89%BF%00%01%E8%AF%BA"), "cases")] == ["信用承诺兑现"]


def test_category_filters_videos_only(app):
    contest = voting_contest()
    passed_case(contest, title="案例甲")
    make_video(contest, passed=True, title="剧情片", category=VideoCategory.DRAMA)
    make_video(contest, passed=True, title="纪实片", category=VideoCategory.DOCUMENTARY)
    db.session.commit()
    html = _list(app, contest.id, "?category=drama")
    assert [t for _, t in _cards(html, "cases")] == ["案例甲"]
    assert [t for _, t in _cards(html, "videos")] == ["剧情片"]
    from contest.voting import services
    assert [r.title for r in services.public_entries(contest, EntryKind.CASE, category=VideoCategory.DRAMA)] == ["案例甲"]


def test_search_and_category_together_and_ranks_only_on_the_full_list(app):
    contest = voting_contest(show_counts=True)
    make_video(contest, passed=True, title="诚信剧场", category=VideoCategory.DRAMA, vote_count=3)
    make_video(contest, passed=True, title="诚信纪实", category=VideoCategory.DOCUMENTARY, vote_count=7)
    make_video(contest, passed=True, title="守信故事", category=VideoCategory.DRAMA, vote_count=1)
    db.session.commit()
    assert _cards(_list(app, contest.id, "?section=video"), "videos") == [
        ("1", "诚信纪实"), ("2", "诚信剧场"), ("3", "守信故事")]
    assert _cards(_list(app, contest.id, "?section=video&category=drama"), "videos") == [
        ("", "诚信剧场"), ("", "守信故事")]
    assert _cards(_list(app, contest.id, "?section=video&category=drama&q=诚信"), "videos") == [("", "诚信剧场")]
    assert _cards(_list(app, contest.id, "?q=诚信"), "videos") == [("", "诚信纪实"), ("", "诚信剧场")]


def test_the_list_says_why_voting_is_closed(app):
    now = utcnow()
    before = voting_contest()
    passed_case(before, title="案例")
    start, end = now + timedelta(days=2), now + timedelta(days=9)
    before.window(Phase.VOTING).starts_at, before.window(Phase.VOTING).ends_at = start, end
    ended = make_contest(schedule=open_schedule(), title="已截止")
    closed = voting_contest(title="已关闭")
    closed.window(Phase.VOTING).override = Override.CLOSED
    open_ = voting_contest(title="进行中", votes_per_entry_per_day=1, votes_per_voter_per_day=10)
    db.session.commit()
    assert "“网络投票”阶段尚未开始" in _list(app, before.id)
    deadline = format_deadline(ended.window(Phase.VOTING).ends_at)
    assert f"“网络投票”阶段已于 {deadline}（北京时间）截止。" in _list(app, ended.id)
    assert "“网络投票”阶段已由市信用办关闭" in _list(app, closed.id)
    html = _list(app, open_.id)
    assert 'class="vote-closed"' not in html
    assert "每人每天每个作品限投1票，每天最多投10票。" in html
