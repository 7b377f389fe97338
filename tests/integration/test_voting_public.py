"""The public voting pages without JavaScript (the captcha in the page), phone-code limits and the
voting zone's rate-limit answers."""
from __future__ import annotations

import logging
import re
from datetime import timedelta

import sqlalchemy as sa

from contest.contests.models import CaptchaMode, Phase
from contest.core.timeutil import beijing, format_deadline
from contest.extensions import db
from contest.voting import services
from contest.voting.models import CaptchaChallenge, PhoneCode
from tests.factories import make_contest, open_schedule
from tests.integration.voting_support import Visitor, captcha_answer, count_of, passed_case, voting_contest

TOKEN_RE = re.compile(r'<input[^>]*name="captcha_token"[^>]*value="([^"]*)"')
IMG_RE = re.compile(r'<img id="captcha-img"[^>]*src="([^"]*)"')


def _setup(**settings):
    contest = voting_contest(**settings)
    case = passed_case(contest, title="告知承诺制改革")
    db.session.commit()
    return contest, case


def _captchas() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CaptchaChallenge))


def _page_captcha(resp) -> tuple[str, str]:
    """(token, img src) as the page renders them, '' when absent."""
    html = resp.get_data(as_text=True)
    token, img = TOKEN_RE.search(html), IMG_RE.search(html)
    return (token.group(1) if token else ""), (img.group(1) if img else "")


def _plain_post(v: Visitor, contest_id: int, entry_id: int, **data):
    """The vote form posted by a browser without JavaScript (no Accept: application/json)."""
    return v.client.post(f"/vote/{contest_id}/entry/{entry_id}/vote", data={"csrf_token": v.token, **data},
                         environ_base={"REMOTE_ADDR": v.ip}, csrf=False)


# --- the captcha is part of the entry page ---------------------------------------------------------

def test_entry_page_reloaded_in_a_loop_makes_at_most_thirty_captchas_a_minute(app):
    contest, case = _setup(captcha_mode=CaptchaMode.ALWAYS)
    v = Visitor(app, ip="10.9.9.9")
    pages = [v.open(contest.id, case.id) for _ in range(32)]
    assert _captchas() == 30
    assert [bool(_page_captcha(p)[0]) for p in pages] == [True] * 30 + [False] * 2
    assert all(p.status_code == 200 for p in pages)
    other = Visitor(app, ip="10.9.9.10")  # another client is not affected
    assert _page_captcha(other.open(contest.id, case.id))[0]


def test_captcha_always_plain_form_votes_without_javascript(app):
    contest, case = _setup(captcha_mode=CaptchaMode.ALWAYS)
    v = Visitor(app)
    page = v.open(contest.id, case.id)
    token, img = _page_captcha(page)
    assert len(token) == 32
    assert img.startswith("data:image/png;base64,")
    assert page.headers["Cache-Control"] == "no-store"
    resp = _plain_post(v, contest.id, case.id, captcha_token=token, captcha_answer=captcha_answer(token).lower())
    assert resp.status_code == 302
    assert resp.headers["Location"] == f"/vote/{contest.id}/entry/{case.id}"
    after = v.client.get(resp.headers["Location"], environ_base={"REMOTE_ADDR": v.ip})
    assert "投票成功，感谢您的支持！" in after.get_data(as_text=True)
    assert count_of(case.id) == 1
    assert db.session.get(CaptchaChallenge, token).used_at is not None


def test_refused_plain_form_post_leads_back_to_a_fresh_captcha(app):
    contest, case = _setup(captcha_mode=CaptchaMode.ALWAYS)
    v = Visitor(app)
    token, _ = _page_captcha(v.open(contest.id, case.id))
    wrong = _plain_post(v, contest.id, case.id, captcha_token=token, captcha_answer="ZZZZZ")
    assert wrong.status_code == 403
    html = wrong.get_data(as_text=True)
    assert "图片验证码错误或已失效，请看清新的验证码后重新输入。" in html
    assert f'href="/vote/{contest.id}/entry/{case.id}"' in html
    again = v.open(contest.id, case.id)
    fresh, img = _page_captcha(again)
    assert fresh and fresh != token
    assert img.startswith("data:image/png;base64,")
    ok = _plain_post(v, contest.id, case.id, captcha_token=fresh, captcha_answer=captcha_answer(fresh))
    assert ok.status_code == 302
    assert count_of(case.id) == 1


def test_captcha_after_k_votes_comes_with_the_page(app):
    contest = voting_contest(captcha_mode=CaptchaMode.AFTER, captcha_after=2)
    cases = [passed_case(contest) for _ in range(3)]
    db.session.commit()
    v = Visitor(app)
    for c in cases[:2]:
        v.open(contest.id, c.id)
        assert _plain_post(v, contest.id, c.id).status_code == 302
    assert _captchas() == 0  # the first two pages needed none and wrote none
    token, img = _page_captcha(v.open(contest.id, cases[2].id))
    assert token and img.startswith("data:image/png;base64,")
    assert _plain_post(v, contest.id, cases[2].id, captcha_token=token,
                       captcha_answer=captcha_answer(token)).status_code == 302
    assert count_of(cases[2].id) == 1


def test_captcha_after_counts_the_ip_for_a_visitor_without_cookie(app):
    contest = voting_contest(captcha_mode=CaptchaMode.AFTER, captcha_after=1)
    a, b = passed_case(contest), passed_case(contest)
    db.session.commit()
    assert Visitor(app, ip="10.4.4.4").vote(contest.id, a.id).status_code == 200
    token, _ = _page_captcha(Visitor(app, ip="10.4.4.4").open(contest.id, b.id))
    assert token


def test_entry_page_writes_no_captcha_when_none_is_needed(app):
    contest, case = _setup(captcha_mode=CaptchaMode.OFF)
    page = Visitor(app).open(contest.id, case.id)
    assert _page_captcha(page) == ("", "")
    assert "Cache-Control" not in page.headers
    closed, closed_case = _setup(captcha_mode=CaptchaMode.ALWAYS, phases=())
    assert _page_captcha(Visitor(app).open(closed.id, closed_case.id)) == ("", "")
    phone, phone_case = _setup(captcha_mode=CaptchaMode.ALWAYS, phone_verification=True)
    assert _page_captcha(Visitor(app).open(phone.id, phone_case.id)) == ("", "")
    assert _captchas() == 0


# --- phone codes: daily caps and only while voting is open -------------------------------------------

def _phone_contest(at, *, phases=(Phase.VOTING,)):
    contest = make_contest(schedule=open_schedule(*phases, now=at), captcha_mode=CaptchaMode.OFF,
                           phone_verification=True)
    db.session.commit()
    return contest


def _send(app, contest_id: int, number: str, ip: str):
    c = app.test_client()
    return c.post(f"/vote/{contest_id}/phone", data={"s-phone": number, "s-send": "1"},
                  environ_base={"REMOTE_ADDR": ip})


def _codes() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(PhoneCode))


def test_phone_gets_at_most_five_codes_per_beijing_day(app, clock):
    morning = beijing(2024, 5, 2, 9)
    contest = _phone_contest(morning)
    for i in range(5):
        clock.set(morning + timedelta(minutes=2 * i))
        # A new IP each time: only the phone's own cap is tested here.
        assert "验证码已发送，请查看短信。" in _send(app, contest.id, "13800138000", f"10.5.0.{i}").get_data(as_text=True)
    clock.set(beijing(2024, 5, 2, 23, 59))
    sixth = _send(app, contest.id, "138 0013 8000", "10.5.0.9").get_data(as_text=True)
    assert "该手机号码今天已获取5次验证码，已达每天上限，请明天（北京时间）再试。" in sixth
    assert "验证码已发送" not in sixth
    assert _codes() == 5
    services.prune(now=clock.now)  # the day's codes have expired, but they still count today
    db.session.commit()
    assert "已达每天上限" in _send(app, contest.id, "13800138000", "10.5.0.10").get_data(as_text=True)
    other = _send(app, contest.id, "13900139000", "10.5.0.11").get_data(as_text=True)
    assert "验证码已发送，请查看短信。" in other
    clock.set(beijing(2024, 5, 3, 0, 0, 30))  # a new Beijing day
    assert "验证码已发送，请查看短信。" in _send(app, contest.id, "13800138000", "10.5.0.12").get_data(as_text=True)
    # Yesterday's expired codes go once the day is over; the one sent at 23:59 is still valid, today's too.
    assert services.prune(now=clock.now) == (0, 5)
    assert _codes() == 2


def test_ip_gets_at_most_the_configured_codes_per_day(app, clock):
    app.config["PHONE_CODES_PER_IP_PER_DAY"] = 3
    at = clock.set(beijing(2024, 5, 2, 9))
    contest = _phone_contest(at)
    for number in ("13800000001", "13800000002", "13800000003"):
        assert "验证码已发送，请查看短信。" in _send(app, contest.id, number, "10.6.6.6").get_data(as_text=True)
    refused = _send(app, contest.id, "13800000004", "10.6.6.6").get_data(as_text=True)
    assert "同一网络地址24小时内最多获取3次验证码，已达上限，请明天再试。" in refused
    assert "验证码已发送" not in refused
    assert _codes() == 3
    assert "验证码已发送，请查看短信。" in _send(app, contest.id, "13800000004", "10.6.6.7").get_data(as_text=True)


def test_no_code_is_sent_while_voting_is_closed(app, clock, caplog):
    at = clock.set(beijing(2024, 5, 2, 9))
    contest = _phone_contest(at, phases=())
    logging.getLogger("contest.sms").disabled = False
    with caplog.at_level(logging.WARNING, logger="contest.sms"):
        html = _send(app, contest.id, "13800138000", "10.7.0.1").get_data(as_text=True)
    closed = format_deadline(at - timedelta(days=20))
    assert f"现在不能获取验证码：“网络投票”阶段已于 {closed}（北京时间）截止。" in html
    assert "验证码为" not in caplog.text
    assert _codes() == 0


# --- the voting zone's 429 answers fit the route ----------------------------------------------------

def test_phone_page_flood_says_so_and_leads_back_to_the_phone_page(app):
    contest = make_contest(schedule=open_schedule(Phase.VOTING), captcha_mode=CaptchaMode.OFF,
                           phone_verification=True)
    case = passed_case(contest)
    db.session.commit()
    c = app.test_client()
    url = f"/vote/{contest.id}/phone?next=/vote/{contest.id}/entry/{case.id}"
    codes = [c.post(url, data={"s-phone": "12345", "s-send": "1"}, environ_base={"REMOTE_ADDR": "10.8.0.1"}).status_code
             for _ in range(10)]
    assert codes == [200] * 10
    resp = c.post(url, data={"v-phone": "13800138000", "v-code": "123456", "v-verify": "1"},
                  environ_base={"REMOTE_ADDR": "10.8.0.1"})
    assert resp.status_code == 429
    html = resp.get_data(as_text=True)
    assert "<h1>操作过于频繁</h1>" in html
    assert "获取或校验验证码过于频繁，请1分钟后再试。" in html
    assert "投票请求" not in html
    assert f'href="/vote/{contest.id}/phone?next=/vote/{contest.id}/entry/{case.id}">返回手机验证</a>' in html
    assert c.get(url, environ_base={"REMOTE_ADDR": "10.8.0.1"}).status_code == 200  # the way back is open


def test_captcha_flood_answers_json(app):
    c = app.test_client()
    codes = [c.get("/vote/captcha", environ_base={"REMOTE_ADDR": "10.8.0.2"}).status_code for _ in range(30)]
    assert codes == [200] * 30
    resp = c.get("/vote/captcha", environ_base={"REMOTE_ADDR": "10.8.0.2"})
    assert resp.status_code == 429
    assert resp.get_json() == {"ok": False, "error": "验证码刷新过于频繁，请1分钟后再试。", "code": "rate_limited"}


def test_vote_flood_without_javascript_keeps_the_vote_text_and_leads_back_to_the_entry(app):
    app.config["VOTE_RATE_LIMIT"] = "1 per minute"
    contest, case = _setup()
    v = Visitor(app, ip="10.8.0.3")
    v.open(contest.id, case.id)
    assert _plain_post(v, contest.id, case.id).status_code == 302
    resp = _plain_post(v, contest.id, case.id)
    assert resp.status_code == 429
    html = resp.get_data(as_text=True)
    assert "<h1>未能投票</h1>" in html
    assert "操作过于频繁，请稍后再试。同一网络地址每分钟的投票请求有次数限制。" in html
    assert f'href="/vote/{contest.id}/entry/{case.id}">返回作品页面</a>' in html
