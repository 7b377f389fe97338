"""Which contest units, experts and the public see: the schedule decides, not the newest id, and an
organizer's switch only changes the organizer's own pages."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from contest.contests.models import Contest, Phase
from contest.core.timeutil import beijing
from contest.extensions import db
from contest.submissions.models import Case
from tests.factories import assign_expert, make_case, make_contest, make_expert, make_organizer, make_unit, \
    make_user, open_schedule
from tests.integration.test_cases import FORM

T0 = beijing(2025, 3, 10, 10)  # the running contest's submission and review windows are open
NEW_START = beijing(2025, 9, 26)  # T0 + 200 days, Beijing midnight


@pytest.fixture
def world(app, clock, login_as):
    clock.set(T0)
    old = make_contest(schedule=open_schedule(Phase.SUBMISSION, Phase.REVIEW, now=T0), title="2025年度活动", now=T0)
    unit = make_unit("雁塔区")
    unit_user = make_user(unit=unit, username="yanta")
    case = make_case(old, unit, passed=True, title="老活动的案例", now=T0)
    expert = make_expert(username="zhuanjia")
    assign_expert(expert, case)
    organizer = make_organizer(username="admin")
    db.session.commit()
    org = login_as(organizer)
    resp = org.post("/admin/contests/new", data={"title": "2026年度活动", "doc_number": "", "start_date": "2025-09-26"})
    assert resp.status_code == 302
    new = db.session.scalar(sa.select(Contest).where(Contest.title == "2026年度活动"))
    assert min(w.starts_at for w in new.windows) == NEW_START
    return {"old": old, "new": new, "case": case, "unit_user": unit_user, "expert": expert,
            "organizer": organizer, "org": org}


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def _assigned(client) -> str:
    page = _text(client.get("/expert"))
    start = page.index('id="review-assigned">') + len('id="review-assigned">')
    return page[start:page.index("<", start)]


def test_new_future_contest_leaves_units_on_running_contest(world, login_as):
    c = login_as(world["unit_user"])
    page = _text(c.get("/cases/"))
    assert "老活动的案例" in page and "2025年度活动" in page and "2026年度活动" not in page
    resp = c.post("/cases/new", data=dict(FORM))
    assert resp.status_code == 302
    created = db.session.scalar(sa.select(Case).where(Case.title == FORM["title"]))
    assert created.contest_id == world["old"].id


def test_new_future_contest_leaves_public_vote_and_experts_on_running_contest(world, app, login_as):
    old, new = world["old"], world["new"]
    resp = app.test_client().get("/vote")
    assert (resp.status_code, resp.headers["Location"]) == (302, f"/vote/{old.id}")
    assert app.test_client().get(f"/vote/{new.id}").status_code == 200  # an explicit id still works
    assert _assigned(login_as(world["expert"])) == "1"


def test_public_contest_follows_the_clock_past_the_new_start(world, app, clock, login_as):
    old, new = world["old"], world["new"]
    unit, expert = login_as(world["unit_user"]), login_as(world["expert"])
    clock.set(NEW_START - timedelta(seconds=1))
    assert app.test_client().get("/vote").headers["Location"] == f"/vote/{old.id}"
    clock.set(NEW_START)
    assert app.test_client().get("/vote").headers["Location"] == f"/vote/{new.id}"
    page = _text(unit.get("/cases/"))
    assert "2026年度活动" in page and "老活动的案例" not in page
    assert unit.post("/cases/new", data=dict(FORM)).status_code == 302
    created = db.session.scalar(sa.select(Case).where(Case.title == FORM["title"]))
    assert created.contest_id == new.id
    assert _assigned(expert) == "0"


def test_organizer_switch_changes_only_the_organizers_pages(world, app, login_as):
    old, new, org = world["old"], world["new"], world["org"]
    page = _text(org.get("/admin/contests"))
    assert "公众与申报单位当前看到：“2025年度活动”" in page
    assert '<div class="contest-bar"><div class="wrap">2026年度活动</div></div>' in page  # the organizer's choice
    org.post(f"/admin/contests/{old.id}/switch")
    org.post(f"/admin/contests/{new.id}/switch")
    unit = login_as(world["unit_user"])
    with unit.session_transaction() as sess:
        sess["contest_id"] = new.id  # a leftover choice in a non-organizer session is ignored
    assert "老活动的案例" in _text(unit.get("/cases/"))
    assert app.test_client().get("/vote").headers["Location"] == f"/vote/{old.id}"
    assert "公众与申报单位当前看到：“2025年度活动”" in _text(org.get("/admin/contests"))


def test_organizer_without_a_choice_sees_the_public_contest(world, login_as):
    page = _text(login_as(world["organizer"]).get("/admin/contests"))
    assert '<div class="contest-bar"><div class="wrap">2025年度活动</div></div>' in page
