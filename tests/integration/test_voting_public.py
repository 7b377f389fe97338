"""The public voting pages without JavaScript (the captcha in the page), phone-code limits and the
voting zone's rate-limit answers."""
from __future__ import annotations

import re

import sqlalchemy as sa

from contest.contests.models import CaptchaMode
from contest.extensions import db
from contest.voting.models import CaptchaChallenge
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
