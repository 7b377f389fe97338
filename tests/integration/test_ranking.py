"""Ranking, winners, freezing and publication through the real routes (see tests/ranking_support.py
for the hand-computed numbers)."""
from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from contest.core.models import AuditLog
from contest.core.timeutil import utcnow
from contest.extensions import db
from contest.ranking import services
from contest.ranking.models import ResultSnapshot, WinnerChange, WinnerRule
from contest.submissions.models import EntryKind, VideoCategory
from tests.factories import add_score_sheet, add_votes, make_expert, make_unit, make_user, make_video
from tests.ranking_support import build_scenario


def _page(client, s, kind="case", **params):
    return client.get(f"/ranking/{s.contest.id}/{kind}", query_string=params)


def _audit_actions():
    return list(db.session.scalars(sa.select(AuditLog.action).order_by(AuditLog.id)))


def _snapshot_count():
    return db.session.scalar(sa.select(sa.func.count(ResultSnapshot.id)))


@pytest.fixture
def scenario(app):
    s = build_scenario()
    db.session.commit()
    return s


@pytest.fixture
def org(scenario, login_as):
    return login_as(scenario.organizer)


def _freeze(org, s, kind="case", confirm=True):
    data = {"confirm_incomplete": "y"} if confirm else {}
    return org.post(f"/ranking/{s.contest.id}/{kind}/freeze", data=data, follow_redirects=True)


# --------------------------------------------------------------------------- the numbers


def test_ranking_data_matches_hand_computed_cases(scenario):
    data = services.ranking_data(scenario.contest, "case")
    rows = [(r["title"], r["rank"], r["valid_votes"], r["vote_score_2dp"], r["expert_score_2dp"], r["final_score_2dp"])
            for r in data["rows"]]
    assert rows == [
        ("信用承诺替代证明", 1, 120, "100.00", "85.00", "89.50"),
        ("信易贷服务小微企业", 2, 60, "50.00", "94.00", "80.80"),
        ("信用修复一件事", 3, 0, "0.00", "99.00", "69.30"),
        ("诚信文化进社区", 4, 30, "25.00", "0.00", "7.50"),
    ]
    assert data["formula"]["max_votes"] == 120
    assert [r["expert_count"] for r in data["rows"]] == [2, 2, 1, 0]
    assert [r["assigned_count"] for r in data["rows"]] == [2, 2, 2, 0]


def test_ranking_data_videos_and_per_category(scenario):
    data = services.ranking_data(scenario.contest, "video")
    assert [(r["title"], r["final_score_2dp"]) for r in data["rows"]] == [("诚信的味道", "79.00"), ("信用让生活更美好", "61.60")]
    # A category is a filter of the whole video ranking: same scores and ranks.
    anim = services.ranking_data(scenario.contest, "video", "animation")
    assert [(r["title"], r["vote_score_2dp"], r["final_score_2dp"], r["rank"]) for r in anim["rows"]] == [
        ("信用让生活更美好", "0.00", "61.60", 2)]


def _table_rows(html):
    """(rank, title, vote score, final score, 获奖) of each row of the ranking table."""
    return [(rank, title, vote, final, award) for rank, title, vote, final, award in re.findall(
        r'<tr class="[^"]*" id="entry-\d+">\s*<td>(\d+)</td>\s*<td>(\S+) .*?</td>.*?'
        r'<td class="num">[\d.]+</td>\s*<td class="num">([\d.]+)</td>.*?'
        r'<td class="num"><strong>([\d.]+)</strong></td>\s*<td>(获奖|)</td>', html, re.S)]


def test_video_category_page_filters_the_whole_video_ranking(scenario, org):
    # A second animation video with 5 votes: within 动画类 alone it would have the most votes (vote
    # score 100, final 86.00, rank 1 and, with N = 1, 获奖); in the whole video ranking it has 50.
    video3 = make_video(scenario.contest, scenario.videos[1].unit, passed=True, title="守信小熊",
                        category=VideoCategory.ANIMATION)
    add_votes(video3, 5)
    add_score_sheet(scenario.experts[0], video3, "80")
    db.session.commit()
    org.post(f"/ranking/{scenario.contest.id}/video/rule", data={"mode": "top_n", "top_n": "1"})
    whole = _table_rows(_page(org, scenario, "video").get_data(as_text=True))
    assert whole == [("1", "诚信的味道", "100.00", "79.00", "获奖"), ("2", "守信小熊", "50.00", "71.00", ""),
                     ("3", "信用让生活更美好", "0.00", "61.60", "")]
    html = _page(org, scenario, "video", category="animation").get_data(as_text=True)
    assert "按类别筛选显示，名次与获奖按视频总排名。" in html
    assert _table_rows(html) == [row for row in whole if row[1] in ("守信小熊", "信用让生活更美好")]


def test_trim_extremes_option_uses_trimmed_mean(app):
    s = build_scenario(trim_extremes=True)
    case = s.cases[3]
    for total in ("60", "80", "85", "90", "99"):
        add_score_sheet(make_expert(), case, total)
    db.session.commit()
    row = next(r for r in services.ranking_data(s.contest, "case")["rows"] if r["entry_id"] == case.id)
    assert row["expert_score"] == "85"
    assert len(row["dropped_experts"]) == 2
    # 0.3 × 25 + 0.7 × 85 = 7.5 + 59.5 = 67
    assert row["final_score_2dp"] == "67.00"


def test_weights_come_from_the_contest(app):
    s = build_scenario(vote_weight_pct=50, expert_weight_pct=50)
    db.session.commit()
    rows = services.ranking_data(s.contest, "case")["rows"]
    # case1: 0.5 × 100 + 0.5 × 85 = 92.5; case2: 25 + 47 = 72; case3: 49.5; case4: 12.5
    assert [r["final_score_2dp"] for r in rows] == ["92.50", "72.00", "49.50", "12.50"]


def test_draft_rejected_and_draft_sheets_do_not_count(scenario):
    add_score_sheet(make_expert(), scenario.cases[3], "10", submitted=False)
    db.session.commit()
    data = services.ranking_data(scenario.contest, "case")
    ids = [r["entry_id"] for r in data["rows"]]
    assert scenario.draft.id not in ids and scenario.rejected.id not in ids
    assert data["rows"][3]["expert_score_2dp"] == "0.00"


# --------------------------------------------------------------------------- organizer page


def test_ranking_page_shows_table_formula_and_missing_scores(scenario, org):
    resp = _page(org, scenario)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "89.50" in html and "80.80" in html and "69.30" in html and "7.50" in html
    assert "投票得分 = 100 × 该作品有效票数" in html
    assert "《信用修复一件事》（测试单位丙）已分配 2 位专家，只提交了 1 份评分。" in html
    assert "《诚信文化进社区》（测试单位甲）尚未分配评审专家" in html
    assert "确认在数据不完整的情况下冻结" in html


def test_ranking_page_video_category_filter(scenario, org):
    html = _page(org, scenario, "video", category="drama").get_data(as_text=True)
    assert "诚信的味道" in html and "信用让生活更美好" not in html


def test_ranking_page_bad_kind_is_404_and_bad_category_is_explained(scenario, org):
    assert _page(org, scenario, "poem").status_code == 404
    resp = org.get(f"/ranking/{scenario.contest.id}/video?category=opera", follow_redirects=True)
    assert resp.status_code == 200
    assert "视频类别无效" in resp.get_data(as_text=True)
    assert org.get("/ranking/999/case").status_code == 404


def test_ranking_index_redirects_to_current_contest(scenario, org):
    resp = org.get("/ranking/")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/ranking/{scenario.contest.id}/case")


# --------------------------------------------------------------------------- completeness + freezing


def test_freeze_incomplete_without_confirmation_is_refused(scenario, org):
    resp = _freeze(org, scenario, confirm=False)
    assert "评选数据尚不完整" in resp.get_data(as_text=True)
    assert _snapshot_count() == 0


def test_freeze_open_voting_window_listed(app, login_as, clock):
    from contest.contests.models import Phase, PhaseWindow

    s = build_scenario()
    w = db.session.scalar(sa.select(PhaseWindow).where(PhaseWindow.contest_id == s.contest.id,
                                                        PhaseWindow.phase == Phase.VOTING))
    w.starts_at, w.ends_at = utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)
    db.session.commit()
    html = login_as(s.organizer).get(f"/ranking/{s.contest.id}/case").get_data(as_text=True)
    assert "网络投票仍在进行中" in html


def test_freeze_with_confirmation_creates_snapshot_and_audit(scenario, org):
    resp = _freeze(org, scenario)
    html = resp.get_data(as_text=True)
    assert "典型案例的结果已冻结" in html
    snap = db.session.scalar(sa.select(ResultSnapshot))
    assert snap.is_current and snap.confirmed_incomplete
    assert snap.frozen_by_id == scenario.organizer.id
    assert [r["final_score"] for r in snap.data["rows"]] == ["89.5", "80.8", "69.3", "7.5"]
    assert len(snap.data["completeness_issues"]) == 2
    assert "results_frozen" in _audit_actions()


def test_freeze_twice_is_refused(scenario, org):
    _freeze(org, scenario)
    resp = _freeze(org, scenario)
    assert "已于" in resp.get_data(as_text=True) and "冻结，如需修改，请先解冻并填写原因。" in resp.get_data(as_text=True)
    assert _snapshot_count() == 1


def test_freeze_with_no_entries_is_refused(app, login_as):
    s = build_scenario()
    db.session.commit()
    c = login_as(s.organizer)
    # No video passed screening in a fresh contest of its own:
    from tests.factories import make_contest
    other = make_contest(title="空活动")
    db.session.commit()
    resp = c.post(f"/ranking/{other.id}/video/freeze", data={"confirm_incomplete": "y"}, follow_redirects=True)
    assert "没有通过初筛的优秀短视频，无法冻结结果。" in resp.get_data(as_text=True)
    assert _snapshot_count() == 0


def test_frozen_snapshot_unchanged_by_later_votes_and_scores(scenario, org):
    _freeze(org, scenario)
    snap = db.session.scalar(sa.select(ResultSnapshot))
    before = json.dumps(snap.data, sort_keys=True)
    add_votes(scenario.cases[3], 500)
    add_score_sheet(scenario.experts[1], scenario.cases[2], "10", assign=False)
    db.session.commit()
    db.session.expire_all()
    snap = db.session.get(ResultSnapshot, snap.id)
    assert json.dumps(snap.data, sort_keys=True) == before
    # The live ranking moved, the frozen page did not.
    live = services.ranking_data(scenario.contest, "case")
    assert live["rows"][0]["title"] == "信易贷服务小微企业"
    assert next(r for r in live["rows"] if r["title"] == "诚信文化进社区")["final_score_2dp"] == "30.00"
    html = _page(org, scenario).get_data(as_text=True)
    assert "冻结的排名" in html and "89.50" in html


def test_snapshot_data_cannot_be_rewritten(scenario, org):
    _freeze(org, scenario)
    snap = db.session.scalar(sa.select(ResultSnapshot))
    snap.data = {"rows": []}
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()


# --------------------------------------------------------------------------- unfreeze + publish


def test_unfreeze_without_reason_is_refused(scenario, org):
    _freeze(org, scenario)
    resp = org.post(f"/ranking/{scenario.contest.id}/case/unfreeze", data={"reason": "  "}, follow_redirects=True)
    assert "解冻必须填写原因" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(ResultSnapshot)).is_current


def test_unfreeze_when_not_frozen_is_refused(scenario, org):
    resp = org.post(f"/ranking/{scenario.contest.id}/case/unfreeze", data={"reason": "复核"}, follow_redirects=True)
    assert "典型案例的结果尚未冻结，无需解冻。" in resp.get_data(as_text=True)


def test_unfreeze_with_reason_keeps_history_and_allows_refreeze(scenario, org):
    _freeze(org, scenario)
    resp = org.post(f"/ranking/{scenario.contest.id}/case/unfreeze", data={"reason": "专家补交评分"},
                    follow_redirects=True)
    assert "结果已解冻" in resp.get_data(as_text=True)
    old = db.session.scalar(sa.select(ResultSnapshot))
    assert not old.is_current and old.unfreeze_reason == "专家补交评分"
    _freeze(org, scenario)
    assert _snapshot_count() == 2
    assert db.session.scalar(sa.select(sa.func.count()).where(ResultSnapshot.current_key.is_not(None))) == 1
    assert _audit_actions().count("results_unfrozen") == 1


def test_publish_unfrozen_is_refused(scenario, org):
    resp = org.post(f"/ranking/{scenario.contest.id}/case/publish", follow_redirects=True)
    assert "典型案例的结果尚未冻结，不能发布。" in resp.get_data(as_text=True)
    assert "results_published" not in _audit_actions()


def test_publish_then_public_page_shows_winners_with_links(scenario, org, client):
    org.post(f"/ranking/{scenario.contest.id}/case/rule", data={"mode": "top_n", "top_n": "2"})
    _freeze(org, scenario)
    html = client.get(f"/results/{scenario.contest.id}").get_data(as_text=True)
    assert "评选结果尚未发布" in html and "信用承诺替代证明" not in html
    resp = org.post(f"/ranking/{scenario.contest.id}/case/publish", follow_redirects=True)
    assert "典型案例的结果已发布" in resp.get_data(as_text=True)
    resp = client.get(f"/results/{scenario.contest.id}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "信用承诺替代证明" in html and "信易贷服务小微企业" in html
    assert "信用修复一件事" not in html
    assert "典型案例（2 个）" in html
    assert "最终得分 89.50" in html
    assert html.count('class="winner-title"') == 2
    assert "投票得分 = 100 × 该作品有效票数" in html
    assert 'name="viewport"' in html
    again = org.post(f"/ranking/{scenario.contest.id}/case/publish", follow_redirects=True)
    assert "无需重复发布" in again.get_data(as_text=True)


def test_unfreeze_takes_published_results_off_the_public_page(scenario, org, client):
    _freeze(org, scenario)
    org.post(f"/ranking/{scenario.contest.id}/case/publish")
    org.post(f"/ranking/{scenario.contest.id}/case/unfreeze", data={"reason": "发现计分错误"})
    assert "信用承诺替代证明" not in client.get(f"/results/{scenario.contest.id}").get_data(as_text=True)


def test_results_current_redirects(scenario, client):
    resp = client.get("/results")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/results/{scenario.contest.id}")
    assert client.get("/results/999").status_code == 404


# --------------------------------------------------------------------------- winners


def test_winner_rule_top_n(scenario, org):
    resp = org.post(f"/ranking/{scenario.contest.id}/case/rule", data={"mode": "top_n", "top_n": "3"},
                    follow_redirects=True)
    assert "获奖规则已保存" in resp.get_data(as_text=True)
    rows = services.ranking_data(scenario.contest, "case")["rows"]
    assert [r["winner"] for r in rows] == [True, True, True, False]


@pytest.mark.parametrize("top_n", ["", "abc", "-1", "1001", "2.5"])
def test_winner_rule_bad_top_n_explained(scenario, org, top_n):
    resp = org.post(f"/ranking/{scenario.contest.id}/case/rule", data={"mode": "top_n", "top_n": top_n},
                    follow_redirects=True)
    assert resp.status_code == 200
    assert "获奖数量" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(WinnerRule)) is None


def test_garbage_and_empty_posts_do_not_500(scenario, org):
    base = f"/ranking/{scenario.contest.id}/case"
    for path in ("rule", "winner", "freeze", "unfreeze", "publish"):
        for data in ({}, {"mode": "x" * 5000, "top_n": "\x00", "entry_id": "🙂", "is_winner": "7", "reason": ""}):
            resp = org.post(f"{base}/{path}", data=dict(data))
            assert resp.status_code == 302, (path, resp.status_code)
    assert _snapshot_count() == 0


def test_manual_winner_change_needs_reason_and_is_applied(scenario, org):
    org.post(f"/ranking/{scenario.contest.id}/case/rule", data={"mode": "top_n", "top_n": "2"})
    url = f"/ranking/{scenario.contest.id}/case/winner"
    resp = org.post(url, data={"entry_id": str(scenario.cases[3].id), "is_winner": "1", "reason": ""},
                    follow_redirects=True)
    assert "手动调整获奖名单必须填写原因。" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(WinnerChange)) is None
    resp = org.post(url, data={"entry_id": str(scenario.cases[3].id), "is_winner": "1", "reason": "社区反响突出"},
                    follow_redirects=True)
    assert "获奖名单已调整" in resp.get_data(as_text=True)
    org.post(url, data={"entry_id": str(scenario.cases[1].id), "is_winner": "0", "reason": "材料存疑"})
    rows = services.ranking_data(scenario.contest, "case")["rows"]
    assert {r["title"] for r in rows if r["winner"]} == {"信用承诺替代证明", "诚信文化进社区"}
    data = services.ranking_data(scenario.contest, "case")
    assert data["winner_rule"]["mode"] == "manual"
    assert [c["reason"] for c in data["winner_rule"]["changes"]] == ["材料存疑", "社区反响突出"]
    assert _audit_actions().count("winners_changed") == 3


def test_manual_winner_for_foreign_or_unscreened_entry_refused(scenario, org):
    url = f"/ranking/{scenario.contest.id}/case/winner"
    for entry_id in (scenario.rejected.id, scenario.draft.id, 99999):
        resp = org.post(url, data={"entry_id": str(entry_id), "is_winner": "1", "reason": "想加"},
                        follow_redirects=True)
        assert "该作品不在本次评选范围内" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(WinnerChange)) is None


def test_winners_cannot_change_while_frozen(scenario, org):
    _freeze(org, scenario)
    resp = org.post(f"/ranking/{scenario.contest.id}/case/rule", data={"mode": "top_n", "top_n": "1"},
                    follow_redirects=True)
    assert "如需修改，请先解冻并填写原因" in resp.get_data(as_text=True)
    resp = org.post(f"/ranking/{scenario.contest.id}/case/winner",
                    data={"entry_id": str(scenario.cases[3].id), "is_winner": "1", "reason": "补充"},
                    follow_redirects=True)
    assert "如需修改，请先解冻并填写原因" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(WinnerRule)) is None


# --------------------------------------------------------------------------- access


ORGANIZER_GETS = ["/ranking/", "/ranking/{cid}/case", "/ranking/{cid}/case/ranking.xlsx", "/ranking/{cid}/winners.docx",
                  "/ranking/{cid}/submissions.zip", "/ranking/{cid}/votes.csv"]
ORGANIZER_POSTS = ["rule", "winner", "freeze", "unfreeze", "publish"]


def test_non_organizers_get_403_and_nothing_changes(scenario, login_as):
    unit_user = make_user(unit=make_unit())
    db.session.commit()
    for user in (unit_user, scenario.experts[0]):
        c = login_as(user)
        for path in ORGANIZER_GETS:
            assert c.get(path.format(cid=scenario.contest.id)).status_code == 403, path
        for action in ORGANIZER_POSTS:
            resp = c.post(f"/ranking/{scenario.contest.id}/case/{action}",
                          data={"confirm_incomplete": "y", "reason": "x", "mode": "top_n", "top_n": "1"})
            assert resp.status_code == 403
    assert _snapshot_count() == 0
    assert db.session.scalar(sa.select(WinnerRule)) is None


def test_anonymous_is_sent_to_login(scenario, client):
    for path in ORGANIZER_GETS:
        resp = client.get(path.format(cid=scenario.contest.id))
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path
    resp = client.post(f"/ranking/{scenario.contest.id}/case/freeze", data={"confirm_incomplete": "y"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert _snapshot_count() == 0


def test_post_without_csrf_refused(scenario, org):
    resp = org.post(f"/ranking/{scenario.contest.id}/case/freeze", data={"confirm_incomplete": "y"}, csrf=False)
    assert resp.status_code == 400
    assert _snapshot_count() == 0


def test_public_results_view_is_marked_public(app):
    from contest.accounts.permissions import declared_access

    assert declared_access(app.view_functions["ranking.results"]).kind == "public"
    assert declared_access(app.view_functions["ranking.results_current"]).kind == "public"
    assert declared_access(app.view_functions["ranking.kind_page"]).kind == "roles"


def test_snapshot_page(scenario, org):
    _freeze(org, scenario)
    snap = db.session.scalar(sa.select(ResultSnapshot))
    html = org.get(f"/ranking/snapshots/{snap.id}").get_data(as_text=True)
    assert "结果快照" in html and "89.50" in html
    assert org.get("/ranking/snapshots/999").status_code == 404


def test_concurrent_current_snapshot_is_unique_in_the_database(scenario):
    from contest.submissions.models import EntryKind as K

    key = ResultSnapshot.key_for(scenario.contest.id, K.CASE)
    db.session.add(ResultSnapshot(contest_id=scenario.contest.id, kind=K.CASE, current_key=key, data={}))
    db.session.flush()
    db.session.add(ResultSnapshot(contest_id=scenario.contest.id, kind=K.CASE, current_key=key, data={}))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert services.current_snapshot(scenario.contest.id, EntryKind.CASE) is None
