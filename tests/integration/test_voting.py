import logging
import re

import sqlalchemy as sa

from contest.contests.models import CaptchaMode, Phase
from contest.extensions import db
from contest.submissions.models import ScreeningStatus, VideoCategory
from contest.voting.models import Vote
from tests.factories import make_case, make_unit, make_video
from tests.integration.voting_support import (Visitor, captcha_answer, count_of, passed_case, rows_of,
                                              voting_contest)


def _setup(**settings):
    contest = voting_contest(**settings)
    case = passed_case(contest, title="告知承诺制改革")
    db.session.commit()
    return contest, case


def test_vote_counts_once_and_returns_new_count(app):
    contest, case = _setup()
    resp = Visitor(app).vote(contest.id, case.id)
    assert resp.status_code == 200
    assert resp.get_json() == {"ok": True, "message": "投票成功，感谢您的支持！", "captcha_required": False,
                               "count": 1}
    assert count_of(case.id) == 1
    vote = db.session.scalar(sa.select(Vote))
    assert vote.valid is True
    assert len(vote.voter_hash) == 64 and len(vote.ip_hash) == 64 and len(vote.ua_hash) == 64
    assert "10.0.0.1" not in (vote.ip_hash + vote.net_hash)


def test_second_vote_same_day_refused_with_409(app):
    contest, case = _setup()
    v = Visitor(app)
    assert v.vote(contest.id, case.id).status_code == 200
    resp = v.vote(contest.id, case.id)
    assert resp.status_code == 409
    assert resp.get_json()["error"] == "您今天已经为该作品投过票了，每人每天每个作品限投1票，请明天再来。"
    assert count_of(case.id) == 1
    assert rows_of(case.id) == 1


def test_replayed_request_not_counted(app):
    contest, case = _setup()
    v = Visitor(app)
    first = v.vote(contest.id, case.id)
    replay = v.vote(contest.id, case.id, open_first=False)
    assert (first.status_code, replay.status_code) == (200, 409)
    assert count_of(case.id) == 1


def test_vote_next_day_allowed(app, clock):
    from contest.core.timeutil import beijing
    contest = voting_contest(phases=())
    contest.window(Phase.VOTING).starts_at = beijing(2024, 5, 1)
    contest.window(Phase.VOTING).ends_at = beijing(2024, 5, 10)
    case = passed_case(contest)
    db.session.commit()
    v = Visitor(app)
    clock.set(beijing(2024, 5, 2, 23, 59))
    assert v.vote(contest.id, case.id).status_code == 200
    assert v.vote(contest.id, case.id).status_code == 409
    clock.set(beijing(2024, 5, 3, 0, 1))  # a new Beijing day
    assert v.vote(contest.id, case.id).status_code == 200
    assert count_of(case.id) == 2


def test_daily_cap_refused_with_429(app):
    contest = voting_contest(votes_per_voter_per_day=2)
    cases = [passed_case(contest) for _ in range(3)]
    db.session.commit()
    v = Visitor(app)
    codes = [v.vote(contest.id, c.id).status_code for c in cases]
    assert codes == [200, 200, 429]
    assert "每天最多投2票" in v.vote(contest.id, cases[2].id).get_json()["error"]
    assert [count_of(c.id) for c in cases] == [1, 1, 0]


def test_vote_outside_window_refused_with_409(app):
    contest = voting_contest(phases=(Phase.SCREENING,))
    case = passed_case(contest)
    db.session.commit()
    resp = Visitor(app).vote(contest.id, case.id)
    assert resp.status_code == 409
    assert "“网络投票”阶段已于" in resp.get_json()["error"]
    assert count_of(case.id) == 0


def test_vote_before_window_says_not_started(app, clock):
    from contest.core.timeutil import beijing
    contest = voting_contest(phases=())
    contest.window(Phase.VOTING).starts_at = beijing(2030, 5, 1)
    contest.window(Phase.VOTING).ends_at = beijing(2030, 5, 10)
    case = passed_case(contest)
    db.session.commit()
    resp = Visitor(app).vote(contest.id, case.id)
    assert resp.status_code == 409
    assert "“网络投票”阶段尚未开始" in resp.get_json()["error"]


def test_vote_on_entry_not_passed_refused_404_and_invisible(app):
    contest = voting_contest()
    pending = make_case(contest, title="待初筛的案例")
    rejected = make_case(contest, title="未通过的案例")
    rejected.screening_status = ScreeningStatus.REJECTED
    passed = passed_case(contest, title="通过的案例")
    db.session.commit()
    page = app.test_client().get(f"/vote/{contest.id}").get_data(as_text=True)
    assert "通过的案例" in page and "待初筛的案例" not in page and "未通过的案例" not in page
    for e in (pending, rejected):
        assert app.test_client().get(f"/vote/{contest.id}/entry/{e.id}").status_code == 404
        v = Visitor(app)
        v.open(contest.id, passed.id)
        resp = v.vote(contest.id, e.id, open_first=False)
        assert resp.status_code == 404
        assert resp.get_json()["error"] == "该作品不存在或未通过初筛，不能投票。"
        assert count_of(e.id) == 0


def test_vote_on_missing_entry_or_other_contest_404(app):
    contest, case = _setup()
    other = voting_contest(title="另一活动")
    db.session.commit()
    v = Visitor(app)
    v.open(contest.id, case.id)
    assert v.vote(contest.id, 999999, open_first=False).status_code == 404
    assert v.vote(other.id, case.id, open_first=False).status_code == 404
    assert count_of(case.id) == 0


def test_vote_without_csrf_refused_400(app):
    contest, case = _setup()
    v = Visitor(app)
    v.open(contest.id, case.id)
    v.token = "forged-token"
    resp = v.vote(contest.id, case.id, open_first=False)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "页面已过期或安全校验失败（CSRF），请刷新页面后重新提交。"
    assert count_of(case.id) == 0


def test_forged_voter_cookie_refused_403_and_replaced(app):
    contest, case = _setup()
    v = Visitor(app)
    v.open(contest.id, case.id)
    good = v.client.get_cookie("cv_voter").value
    v.client.set_cookie("cv_voter", good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"))
    resp = v.vote(contest.id, case.id, open_first=False)
    assert resp.status_code == 403
    assert "投票凭证无效" in resp.get_json()["error"]
    assert count_of(case.id) == 0
    fresh = v.client.get_cookie("cv_voter").value
    assert fresh not in (good,)
    assert v.vote(contest.id, case.id, open_first=False).status_code == 200


def test_vote_without_voter_cookie_refused_403(app):
    contest, case = _setup()
    v = Visitor(app)
    v.open(contest.id, case.id)
    v.client.delete_cookie("cv_voter")
    resp = v.vote(contest.id, case.id, open_first=False)
    assert resp.status_code == 403
    assert "未识别到投票凭证" in resp.get_json()["error"]
    assert count_of(case.id) == 0


def test_clearing_cookies_does_not_escape_ip_cap(app):
    contest = voting_contest(ip_votes_per_entry_per_day=2)
    case = passed_case(contest)
    db.session.commit()
    codes = [Visitor(app, ip="10.9.9.9").vote(contest.id, case.id).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert count_of(case.id) == 2


def test_spoofed_forwarded_for_changes_nothing_without_trusted_proxy(app):
    contest = voting_contest(ip_votes_per_entry_per_day=1)
    case = passed_case(contest)
    db.session.commit()
    first = Visitor(app, ip="10.1.1.1", headers={"X-Forwarded-For": "1.1.1.1"}).vote(contest.id, case.id)
    second = Visitor(app, ip="10.1.1.1", headers={"X-Forwarded-For": "2.2.2.2"}).vote(contest.id, case.id)
    assert (first.status_code, second.status_code) == (200, 429)
    assert "同一网络地址每天每个作品最多1票" in second.get_json()["error"]
    assert count_of(case.id) == 1
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Vote.ip_hash)))) == 1


def test_forwarded_for_believed_with_trusted_proxy(make_app, app):
    contest = voting_contest(ip_votes_per_entry_per_day=1)
    case = passed_case(contest)
    db.session.commit()
    proxied = make_app(TRUSTED_PROXY_COUNT=1)
    a = Visitor(proxied, ip="10.1.1.1", headers={"X-Forwarded-For": "1.1.1.1"}).vote(contest.id, case.id)
    b = Visitor(proxied, ip="10.1.1.1", headers={"X-Forwarded-For": "2.2.2.2"}).vote(contest.id, case.id)
    assert (a.status_code, b.status_code) == (200, 200)
    assert count_of(case.id) == 2


def test_flood_from_one_ip_rate_limited_429(app):
    app.config["VOTE_RATE_LIMIT"] = "5 per minute"
    contest = voting_contest(votes_per_voter_per_day=100)
    cases = [passed_case(contest) for _ in range(6)]
    db.session.commit()
    codes = [Visitor(app, ip="10.7.7.7").vote(contest.id, c.id).status_code for c in cases]
    assert codes == [200] * 5 + [429]
    resp = Visitor(app, ip="10.7.7.7", headers={"X-Forwarded-For": "8.8.8.8"}).vote(contest.id, cases[5].id)
    assert resp.status_code == 429
    assert "操作过于频繁" in resp.get_json()["error"]
    assert count_of(cases[5].id) == 0
    assert Visitor(app, ip="10.7.7.8").vote(contest.id, cases[5].id).status_code == 200


def test_addresses_of_one_ipv6_64_share_the_ip_cap(app):
    contest = voting_contest(ip_votes_per_entry_per_day=2)
    case = passed_case(contest)
    db.session.commit()
    addresses = ["2001:db8:1:2::1", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::ffff"]
    resps = [Visitor(app, ip=ip).vote(contest.id, case.id) for ip in addresses]
    assert [r.status_code for r in resps] == [200, 200, 429]
    assert resps[2].get_json()["code"] == "ip_cap"
    assert "同一网络地址每天每个作品最多2票" in resps[2].get_json()["error"]
    assert Visitor(app, ip="2001:db8:1:3::1").vote(contest.id, case.id).status_code == 200  # the next /64
    assert count_of(case.id) == 3
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Vote.ip_hash)))) == 2


def test_addresses_of_one_ipv6_64_share_the_captcha_threshold(app):
    contest = voting_contest(captcha_mode=CaptchaMode.AFTER, captcha_after=2)
    cases = [passed_case(contest) for _ in range(3)]
    db.session.commit()
    codes = [Visitor(app, ip=f"2001:db8:5:6::{i + 1}").vote(contest.id, c.id).status_code
             for i, c in enumerate(cases)]
    assert codes == [200, 200, 403]
    assert count_of(cases[2].id) == 0


def test_addresses_of_one_ipv6_64_share_the_rate_limit(app):
    app.config["VOTE_RATE_LIMIT"] = "2 per minute"
    contest = voting_contest(votes_per_voter_per_day=100)
    cases = [passed_case(contest) for _ in range(3)]
    db.session.commit()
    resps = [Visitor(app, ip=f"2001:db8:7:8::{i + 1:x}").vote(contest.id, c.id) for i, c in enumerate(cases)]
    assert [r.status_code for r in resps] == [200, 200, 429]
    assert resps[2].get_json()["error"] == "操作过于频繁，请稍后再试。同一网络地址每分钟的投票请求有次数限制。"
    assert count_of(cases[2].id) == 0


def test_captcha_always_required_then_one_time(app):
    contest, case = _setup(captcha_mode=CaptchaMode.ALWAYS)
    other = passed_case(contest)
    db.session.commit()
    v = Visitor(app)
    missing = v.vote(contest.id, case.id)
    assert missing.status_code == 403
    assert missing.get_json()["captcha_required"] is True
    assert missing.get_json()["error"] == "请先填写图片验证码再投票。"
    challenge = v.client.get("/vote/captcha").get_json()
    assert challenge["image"].startswith("data:image/png;base64,")
    wrong = v.vote(contest.id, case.id, captcha_token=challenge["token"], captcha_answer="ZZZZZ")
    assert wrong.status_code == 403
    assert wrong.get_json()["error"] == "图片验证码错误或已失效，请看清新的验证码后重新输入。"
    challenge = v.client.get("/vote/captcha").get_json()
    answer = captcha_answer(challenge["token"]).lower()
    ok = v.vote(contest.id, case.id, captcha_token=challenge["token"], captcha_answer=answer)
    assert ok.status_code == 200
    replay = v.vote(contest.id, other.id, captcha_token=challenge["token"], captcha_answer=answer)
    assert replay.status_code == 403
    assert (count_of(case.id), count_of(other.id)) == (1, 0)


def test_wrong_captcha_answer_burns_the_captcha(app):
    contest, case = _setup(captcha_mode=CaptchaMode.ALWAYS)
    v = Visitor(app)
    challenge = v.client.get("/vote/captcha").get_json()
    answer = captcha_answer(challenge["token"])
    wrong = v.vote(contest.id, case.id, captcha_token=challenge["token"], captcha_answer="ZZZZZ")
    assert wrong.status_code == 403
    assert wrong.get_json()["code"] == "captcha_wrong"
    right_too_late = v.vote(contest.id, case.id, captcha_token=challenge["token"], captcha_answer=answer)
    assert right_too_late.status_code == 403
    assert right_too_late.get_json()["error"] == "图片验证码错误或已失效，请看清新的验证码后重新输入。"
    assert right_too_late.get_json()["captcha_required"] is True
    assert count_of(case.id) == 0
    fresh = v.client.get("/vote/captcha").get_json()
    ok = v.vote(contest.id, case.id, captcha_token=fresh["token"], captcha_answer=captcha_answer(fresh["token"]))
    assert ok.status_code == 200
    assert count_of(case.id) == 1


def test_captcha_after_k_votes(app):
    contest = voting_contest(captcha_mode=CaptchaMode.AFTER, captcha_after=2)
    cases = [passed_case(contest) for _ in range(3)]
    db.session.commit()
    v = Visitor(app)
    first, second, third = (v.vote(contest.id, c.id) for c in cases)
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 403)
    assert second.get_json()["captcha_required"] is True  # the page shows the captcha for the next vote
    assert third.get_json()["captcha_required"] is True
    page = v.client.get(f"/vote/{contest.id}/entry/{cases[2].id}", environ_base={"REMOTE_ADDR": v.ip})
    assert 'data-need-captcha="1"' in page.get_data(as_text=True)
    assert count_of(cases[2].id) == 0


def test_show_counts_off_hides_counts(app):
    contest, case = _setup(show_counts=False)
    v = Visitor(app)
    page = v.open(contest.id, case.id).get_data(as_text=True)
    assert 'id="vote-count"' not in page
    resp = v.vote(contest.id, case.id, open_first=False)
    assert resp.get_json() == {"ok": True, "message": "投票成功，感谢您的支持！", "captcha_required": False}
    listing = app.test_client().get(f"/vote/{contest.id}").get_data(as_text=True)
    assert " 票</div>" not in listing


def test_entry_page_shows_case_parts_rank_and_share_link(app):
    contest, case = _setup()
    page = app.test_client().get(f"/vote/{contest.id}/entry/{case.id}").get_data(as_text=True)
    for text in ("一、要解决的问题", "企业办事需要反复提交证明材料。", "二、创新举措", "推行告知承诺制，事后核查。",
                 "三、工作成效及意义", "办事时间缩短一半。", "典型案例第 <strong>1</strong> 名",
                 f"http://localhost/vote/{contest.id}/entry/{case.id}", "js/vote.js"):
        assert text in page, text


def test_plain_form_post_without_javascript_redirects_with_flash(app):
    contest, case = _setup()
    v = Visitor(app)
    v.open(contest.id, case.id)
    resp = v.client.post(f"/vote/{contest.id}/entry/{case.id}/vote", data={"csrf_token": v.token},
                         environ_base={"REMOTE_ADDR": v.ip}, csrf=False, follow_redirects=True)
    assert resp.status_code == 200
    assert "投票成功，感谢您的支持！" in resp.get_data(as_text=True)
    assert count_of(case.id) == 1


def test_list_search_and_video_category_filter(app):
    contest = voting_contest()
    unit = make_unit("碑林区")
    passed_case(contest, title="信易贷助企纾困")
    passed_case(contest, unit=unit, title="诚信街区建设")
    make_video(contest, passed=True, title="诚信剧场", category=VideoCategory.DRAMA)
    make_video(contest, passed=True, title="信用纪实", category=VideoCategory.DOCUMENTARY)
    db.session.commit()
    c = app.test_client()
    by_unit = c.get(f"/vote/{contest.id}?q=碑林").get_data(as_text=True)
    assert "诚信街区建设" in by_unit and "信易贷助企纾困" not in by_unit
    by_title = c.get(f"/vote/{contest.id}?q=诚信").get_data(as_text=True)
    assert "诚信街区建设" in by_title and "诚信剧场" in by_title and "信用纪实" not in by_title
    drama = c.get(f"/vote/{contest.id}?section=video&category=drama").get_data(as_text=True)
    assert "诚信剧场" in drama and "信用纪实" not in drama and "诚信街区建设" not in drama
    garbage = c.get(f"/vote/{contest.id}?category=nonsense&section=zzz")
    assert garbage.status_code == 200


def test_vote_index_redirects_to_current_contest(app):
    contest, _ = _setup()
    resp = app.test_client().get("/vote")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/vote/{contest.id}")


def test_garbage_vote_post_does_not_500(app):
    contest, case = _setup()
    v = Visitor(app)
    v.open(contest.id, case.id)
    resp = v.vote(contest.id, case.id, open_first=False, captcha_token="x" * 500, captcha_answer="y" * 500)
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "提交的投票信息有误，请刷新页面后重试。"
    assert count_of(case.id) == 0


def test_phone_verification_one_person_one_vote(app, caplog):
    contest, case = _setup(phone_verification=True)
    v = Visitor(app)
    page = v.open(contest.id, case.id).get_data(as_text=True)
    assert "验证手机号码后投票" in page
    refused = v.vote(contest.id, case.id, open_first=False)
    assert refused.status_code == 403
    assert "手机" in refused.get_json()["error"]
    c = v.client
    c.forget_csrf()
    bad = c.post(f"/vote/{contest.id}/phone", data={"s-phone": "12345", "s-send": "1"})
    assert "手机号码格式不正确" in bad.get_data(as_text=True)
    logging.getLogger("contest.sms").disabled = False  # alembic's fileConfig in another test may disable it
    with caplog.at_level(logging.WARNING, logger="contest.sms"):
        c.post(f"/vote/{contest.id}/phone", data={"s-phone": "138 0013 8000", "s-send": "1"})
    code = re.search(r"验证码为(\d{6})", caplog.text).group(1)
    assert "13800138000" not in caplog.text
    wrong = c.post(f"/vote/{contest.id}/phone", data={"v-phone": "13800138000", "v-code": "000000" if code != "000000" else "111111", "v-verify": "1"})
    assert "验证码不正确" in wrong.get_data(as_text=True)
    ok = c.post(f"/vote/{contest.id}/phone", data={"v-phone": "13800138000", "v-code": code, "v-verify": "1"})
    assert ok.status_code == 302
    assert v.vote(contest.id, case.id).status_code == 200
    # Another browser, same phone: the same voter.
    w = Visitor(app, ip="10.0.0.2")
    w.client.set_cookie("cv_phone", v.client.get_cookie("cv_phone").value)
    assert w.vote(contest.id, case.id).status_code == 409
    assert count_of(case.id) == 1


def test_public_pages_need_no_login_and_set_voter_cookie(app):
    contest, case = _setup()
    c = app.test_client()
    for url in (f"/vote/{contest.id}", f"/vote/{contest.id}/entry/{case.id}"):
        resp = c.get(url)
        assert resp.status_code == 200, url
    assert c.get_cookie("cv_voter") is not None
    assert app.test_client().get("/vote/999999").status_code == 404


def test_owner_and_organizer_preview_unscreened_entry_but_cannot_vote(app, login_as):
    from contest.accounts.models import Role
    from tests.factories import make_organizer, make_user
    contest = voting_contest()
    unit = make_unit()
    owner, org, other = make_user(Role.UNIT, unit=unit), make_organizer(), make_user(Role.UNIT)
    case = make_case(contest, unit=unit, title="尚未初筛的案例")
    db.session.commit()
    for user in (owner, org):
        page = login_as(user).get(f"/vote/{contest.id}/entry/{case.id}")
        assert page.status_code == 200
        assert "此页面仅供预览" in page.get_data(as_text=True)
        assert 'id="vote-form"' not in page.get_data(as_text=True)
    assert login_as(other).get(f"/vote/{contest.id}/entry/{case.id}").status_code == 404
    assert app.test_client().get(f"/vote/{contest.id}/entry/{case.id}").status_code == 404


def test_prune_voting_cli_deletes_expired_captchas(app):
    from datetime import timedelta
    from contest.core.timeutil import utcnow
    from contest.voting import services
    from contest.voting.models import CaptchaChallenge
    old = services.new_captcha(now=utcnow() - timedelta(hours=1))
    fresh = services.new_captcha(now=utcnow())
    db.session.commit()
    old_token, fresh_token = old.token, fresh.token
    result = app.test_cli_runner().invoke(args=["contest", "prune-voting"])
    assert result.exit_code == 0, result.output
    assert "已清理过期图片验证码 1 条、短信验证码 0 条。" in result.output
    db.session.expire_all()
    assert db.session.get(CaptchaChallenge, old_token) is None
    assert db.session.get(CaptchaChallenge, fresh_token) is not None


def test_list_ranks_share_places_on_equal_counts(app):
    contest = voting_contest()
    for title, votes in (("甲案例", 9), ("乙案例", 5), ("丙案例", 5), ("丁案例", 1)):
        passed_case(contest, title=title).vote_count = votes
    db.session.commit()
    page = app.test_client().get(f"/vote/{contest.id}?section=case").get_data(as_text=True)
    ranks = re.findall(r'<span class="vote-rank">(\d+)</span>(\S+?)</div>', page)
    assert ranks == [("1", "甲案例"), ("2", "乙案例"), ("2", "丙案例"), ("4", "丁案例")]


def test_plain_form_refusal_keeps_status_and_message(app):
    contest, case = _setup()
    v = Visitor(app)
    v.open(contest.id, case.id)
    for expected in (302, 409):
        resp = v.client.post(f"/vote/{contest.id}/entry/{case.id}/vote", data={"csrf_token": v.token},
                             environ_base={"REMOTE_ADDR": v.ip}, csrf=False)
        assert resp.status_code == expected
    assert "您今天已经为该作品投过票了" in resp.get_data(as_text=True)
    assert f'href="/vote/{contest.id}/entry/{case.id}"' in resp.get_data(as_text=True)


def test_vote_row_is_stored_like_the_orm_writes_it(app, clock):
    """The vote is written by prepared statements, not the ORM: its row must read back with the same
    types and formats (the monitor filters on created_at and day), and must not touch the entry's
    updated_at (the unit's last edit)."""
    from datetime import timedelta

    from contest.core.timeutil import beijing, beijing_date
    from contest.submissions.models import Entry
    from contest.voting import monitor

    contest = voting_contest(phases=())
    contest.window(Phase.VOTING).starts_at = beijing(2024, 5, 1)
    contest.window(Phase.VOTING).ends_at = beijing(2024, 5, 10)
    case = passed_case(contest)
    db.session.commit()
    edited = db.session.get(Entry, case.id).updated_at
    at = clock.set(beijing(2024, 5, 2, 23, 30, 15) + timedelta(microseconds=250))
    assert Visitor(app).vote(contest.id, case.id).status_code == 200
    db.session.expire_all()
    vote = db.session.scalar(sa.select(Vote))
    assert (vote.created_at, vote.day, vote.valid, vote.void_reason) == (at, beijing_date(at), True, "")
    assert (vote.entry_slot, vote.day_slot, vote.ip_slot) == (1, 1, 1)
    assert db.session.get(Entry, case.id).updated_at == edited
    found = db.session.scalars(sa.select(Vote.id).where(Vote.created_at >= at - timedelta(seconds=1),
                                                        Vote.created_at < at + timedelta(seconds=1))).all()
    assert found == [vote.id]
    assert monitor.daily_series(contest, at, case.id)[-1] == (beijing_date(at), 1)


def test_vote_closed_by_organizer_says_so(app):
    from contest.contests.models import Override

    contest = voting_contest()
    case = passed_case(contest)
    contest.window(Phase.VOTING).override = Override.CLOSED
    db.session.commit()
    resp = Visitor(app).vote(contest.id, case.id)
    assert resp.status_code == 409
    assert "“网络投票”阶段已由市信用办关闭" in resp.get_json()["error"]
    assert (count_of(case.id), rows_of(case.id)) == (0, 0)


def test_vote_in_unknown_contest_or_for_other_contests_entry_is_404(app):
    contest, case = _setup()
    other = voting_contest()
    db.session.commit()
    v = Visitor(app)
    v.open(contest.id, case.id)
    for cid in (other.id, 999999):
        resp = v.vote(cid, case.id, open_first=False)
        assert resp.status_code == 404
        assert resp.get_json()["error"] == "该作品不存在或未通过初筛，不能投票。"
    assert rows_of(case.id) == 0


def test_captcha_after_counts_every_voter_behind_one_ip(app):
    """Mode "after": the IP's votes of the day count too, so a shared network needs the captcha once it
    has cast K votes, whoever cast them."""
    contest = voting_contest(captcha_mode=CaptchaMode.AFTER, captcha_after=2)
    cases = [passed_case(contest) for _ in range(3)]
    db.session.commit()
    codes = [Visitor(app, ip="10.3.3.3").vote(contest.id, c.id).status_code for c in cases]
    assert codes == [200, 200, 403]
    assert Visitor(app, ip="10.3.3.4").vote(contest.id, cases[2].id).status_code == 200
