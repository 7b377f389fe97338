"""Helpers for the voting tests: a contest with voting open and a browser-like public visitor."""
from __future__ import annotations

import re

import sqlalchemy as sa

from contest.contests.models import CaptchaMode, Phase
from contest.extensions import db
from contest.submissions.models import Entry
from contest.voting.models import CaptchaChallenge, Vote
from tests.factories import make_case, make_contest, open_schedule

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def voting_contest(*, phases=(Phase.VOTING,), **settings):
    settings.setdefault("captcha_mode", CaptchaMode.OFF)
    return make_contest(schedule=open_schedule(*phases), **settings)


class Visitor:
    """A phone browser: opens the entry page (gets the voter cookie and a CSRF token), then votes via fetch."""

    def __init__(self, app, ip: str = "10.0.0.1", headers: dict | None = None):
        self.client = app.test_client()
        self.ip = ip
        self.headers = headers or {}
        self.token = None

    def open(self, contest_id: int, entry_id: int):
        resp = self.client.get(f"/vote/{contest_id}/entry/{entry_id}", environ_base={"REMOTE_ADDR": self.ip},
                               headers=self.headers)
        match = CSRF_RE.search(resp.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        elif self.token is None:
            # The page has no vote form (voting closed): a tab left open still holds a token.
            login_page = self.client.get("/login", environ_base={"REMOTE_ADDR": self.ip})
            self.token = CSRF_RE.search(login_page.get_data(as_text=True)).group(1)
        return resp

    def vote(self, contest_id: int, entry_id: int, open_first: bool = True, **data):
        if open_first or self.token is None:
            self.open(contest_id, entry_id)
        payload = {"csrf_token": self.token or ""}
        payload.update(data)
        headers = {"Accept": "application/json"}
        headers.update(self.headers)
        return self.client.post(f"/vote/{contest_id}/entry/{entry_id}/vote", data=payload, headers=headers,
                                environ_base={"REMOTE_ADDR": self.ip}, csrf=False)


def count_of(entry_id: int) -> int:
    db.session.expire_all()
    return db.session.get(Entry, entry_id).vote_count


def rows_of(entry_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.entry_id == entry_id))


def captcha_answer(token: str) -> str:
    db.session.expire_all()
    return db.session.get(CaptchaChallenge, token).answer


def passed_case(contest, **kw):
    return make_case(contest, passed=True, **kw)
