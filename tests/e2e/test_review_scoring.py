"""The expert's score form in a real browser: the live total, out-of-bounds hints, draft and submit."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.conftest import login
from tests.factories import PASSWORD


@pytest.fixture
def scoring_world(live_server):
    from contest.contests.models import Phase
    from contest.core.timeutil import utcnow
    from contest.review import services
    from contest.submissions.models import EntryKind
    from tests.factories import make_case, make_contest, make_expert, make_organizer, open_schedule

    with live_server.db():
        contest = make_contest(schedule=open_schedule(Phase.REVIEW), title="评审浏览器测试活动")
        case = make_case(contest, passed=True, title="浏览器评分案例")
        expert = make_expert(display_name="浏览器专家")
        services.set_assignments(contest, EntryKind.CASE, {(expert.id, case.id)}, actor=make_organizer(),
                                 now=utcnow())
        ids = {"case": case.id, "expert": expert.username, "expert_id": expert.id}
    return live_server, ids


def test_live_total_hints_and_submit(scoring_world, desktop, page_errors, shot):
    live, ids = scoring_world
    page = desktop.new_page()
    login(page, live, ids["expert"], PASSWORD)
    page.goto(live(f"/review/entries/{ids['case']}"))
    inputs = page.locator("input.score-input")
    assert inputs.count() == 4
    assert page.locator("#score-total").inner_text() == "0"

    inputs.nth(0).fill("25.5")
    inputs.nth(1).fill("28")
    assert page.locator("#score-total").inner_text() == "53.5"

    inputs.nth(2).fill("21")  # 影响范围 is out of 20
    hint = page.locator(".score-hint").nth(2)
    assert hint.is_visible() and hint.inner_text() == "最高20分"
    assert "over" in (inputs.nth(2).get_attribute("class") or "")
    assert page.locator("#score-total").inner_text() == "53.5"

    inputs.nth(2).fill("18")
    inputs.nth(3).fill("19.5")
    assert not page.locator(".score-hint").nth(2).is_visible()
    assert page.locator("#score-total").inner_text() == "91"
    shot(page, "review-score-form")

    page.once("dialog", lambda d: d.accept())
    page.click("button[name=submit_sheet]")
    page.wait_for_url(live("/expert"))
    assert "评分已提交" in page.inner_text("main")

    with live.db() as s:
        import sqlalchemy as sa
        from contest.review.models import ScoreSheet, SheetState
        sheet = s.scalar(sa.select(ScoreSheet).where(ScoreSheet.expert_id == ids["expert_id"]))
        assert (sheet.state, sheet.total) == (SheetState.SUBMITTED, Decimal("91.00"))

    page.goto(live(f"/review/entries/{ids['case']}"))
    assert page.locator("input.score-input").nth(0).is_disabled()
    assert page.locator("#score-total").inner_text() == "91"
    page_errors.assert_none()


def test_score_page_fits_a_tablet(scoring_world, browser, page_errors):
    live, ids = scoring_world
    ctx = browser.new_context(viewport={"width": 768, "height": 1024}, locale="zh-CN", has_touch=True)
    try:
        page = ctx.new_page()
        login(page, live, ids["expert"], PASSWORD)
        page.goto(live(f"/review/entries/{ids['case']}"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 768, f"the score page is {width}px wide on a 768px tablet"
    finally:
        ctx.close()
