"""Scoring settings (weights, 去掉最高最低分, 盲评) through the settings page: editable before voting and
review begin, locked once they begin and for good once a result was frozen."""
from __future__ import annotations

from contest.contests.models import Contest, Phase
from contest.core.timeutil import beijing
from contest.extensions import db
from tests.factories import assign_expert, make_case, make_contest, make_expert, make_organizer, make_unit
from tests.integration.test_admin_contests import _settings

WEIGHTS_LOCKED_BY_VOTING = ("“网络投票”阶段已于 2024-04-30 00:00（北京时间）开始，"
                            "网络投票与专家评审权重已锁定，不能再修改。")
RULES_LOCKED_BY_REVIEW = ("“专家评审”阶段已于 2024-04-30 00:00（北京时间）开始，"
                          "“去掉最高分和最低分”与“盲评”设置已锁定，不能再修改。")


def _reload(contest):
    db.session.expire_all()
    return db.session.get(Contest, contest.id)


def test_weights_change_refused_once_voting_has_begun(app, login_as, clock):
    org = make_organizer()
    contest = make_contest()
    db.session.commit()
    clock.set(beijing(2024, 4, 30, 9))
    c = login_as(org)
    resp = c.post(f"/admin/contests/{contest.id}/settings",
                  data=_settings(contest, vote_weight_pct="20", expert_weight_pct="80"))
    assert resp.status_code == 200
    assert WEIGHTS_LOCKED_BY_VOTING in resp.get_data(as_text=True)
    contest = _reload(contest)
    assert (contest.vote_weight_pct, contest.expert_weight_pct) == (30, 70)


def test_locked_weights_shown_disabled_and_other_settings_still_saved(app, login_as, clock):
    org = make_organizer()
    contest = make_contest()
    db.session.commit()
    clock.set(beijing(2024, 5, 10))
    c = login_as(org)
    html = c.get(f"/admin/contests/{contest.id}/settings").get_data(as_text=True)
    assert f'<p class="flash flash-warning">{WEIGHTS_LOCKED_BY_VOTING}</p>' in html
    assert 'disabled id="vote_weight_pct"' in html and 'disabled id="expert_weight_pct"' in html
    assert 'disabled id="trim_extremes"' in html and 'disabled id="blind_review"' in html
    # Browsers do not post disabled inputs: the weights keep their values, the rest is saved.
    data = _settings(contest, contact_name="王五")
    del data["vote_weight_pct"], data["expert_weight_pct"]
    resp = c.post(f"/admin/contests/{contest.id}/settings", data=data)
    assert resp.status_code == 302
    contest = _reload(contest)
    assert (contest.contact_name, contest.vote_weight_pct, contest.expert_weight_pct) == ("王五", 30, 70)


def test_weights_editable_before_voting_and_review_begin(app, login_as, clock):
    org = make_organizer()
    contest = make_contest()
    db.session.commit()
    clock.set(beijing(2024, 4, 29, 23, 59))
    c = login_as(org)
    assert 'disabled id="vote_weight_pct"' not in c.get(f"/admin/contests/{contest.id}/settings").get_data(as_text=True)
    resp = c.post(f"/admin/contests/{contest.id}/settings",
                  data=_settings(contest, vote_weight_pct="40", expert_weight_pct="60"))
    assert resp.status_code == 302
    assert (_reload(contest).vote_weight_pct, _reload(contest).expert_weight_pct) == (40, 60)


def test_weights_locked_for_good_once_a_result_was_frozen(app, login_as, clock):
    org = make_organizer()
    # Voting and review have not begun, yet a result was frozen (and unfrozen again) on 2024-04-01.
    contest = make_contest(schedule={Phase.VOTING: (beijing(2024, 5, 1), beijing(2024, 6, 1)),
                                     Phase.REVIEW: (beijing(2024, 5, 1), beijing(2024, 7, 1))})
    make_case(contest, make_unit("测试单位甲"), passed=True, title="信用承诺替代证明")
    db.session.commit()
    clock.set(beijing(2024, 4, 1, 10))
    c = login_as(org)
    c.post(f"/ranking/{contest.id}/case/freeze", data={"confirm_incomplete": "y"})
    c.post(f"/ranking/{contest.id}/case/unfreeze", data={"reason": "核对专家评分"})
    clock.set(beijing(2024, 4, 2))
    resp = c.post(f"/admin/contests/{contest.id}/settings",
                  data=_settings(contest, vote_weight_pct="40", expert_weight_pct="60", trim_extremes="y"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "评选结果已于 2024-04-01 10:00（北京时间）冻结，网络投票与专家评审权重已锁定，不能再修改。" in html
    contest = _reload(contest)
    assert (contest.vote_weight_pct, contest.expert_weight_pct, contest.trim_extremes) == (30, 70, False)


def test_trim_and_blind_switched_on_before_review_show_on_ranking_and_expert_pages(app, login_as, clock):
    org, expert = make_organizer(), make_expert()
    contest = make_contest()
    case = make_case(contest, make_unit("雁塔区信用办"), passed=True, title="信用承诺替代证明")
    assign_expert(expert, case)
    db.session.commit()
    clock.set(beijing(2024, 4, 25))
    c = login_as(org)
    ranking = c.get(f"/ranking/{contest.id}/case").get_data(as_text=True)
    assert "不去掉最高分和最低分" in ranking
    resp = c.post(f"/admin/contests/{contest.id}/settings",
                  data=_settings(contest, trim_extremes="y", blind_review="y"))
    assert resp.status_code == 302
    contest = _reload(contest)
    assert (contest.trim_extremes, contest.blind_review) == (True, True)
    ranking = c.get(f"/ranking/{contest.id}/case").get_data(as_text=True)
    assert "去掉一个最高分和一个最低分（评分不少于 5 份时）" in ranking
    clock.set(beijing(2024, 5, 2))
    page = login_as(expert).get(f"/review/entries/{case.id}").get_data(as_text=True)
    assert "信用承诺替代证明" in page and "雁塔区信用办" not in page


def test_trim_and_blind_change_refused_once_review_has_begun(app, login_as, clock):
    org = make_organizer()
    contest = make_contest(blind_review=True)
    db.session.commit()
    clock.set(beijing(2024, 5, 2))
    c = login_as(org)
    resp = c.post(f"/admin/contests/{contest.id}/settings", data=_settings(contest, trim_extremes="y"))
    assert resp.status_code == 200
    assert RULES_LOCKED_BY_REVIEW in resp.get_data(as_text=True)
    # A disabled checkbox is not posted either: 盲评 stays on.
    assert c.post(f"/admin/contests/{contest.id}/settings", data=_settings(contest)).status_code == 302
    contest = _reload(contest)
    assert (contest.trim_extremes, contest.blind_review) == (False, True)
