"""The whole story in a real browser, one actor after the other, each in its own browser context:
organizer sets up the contest → a unit fills the case form and uploads a scan and a video →
organizer screens → the public votes on a phone → an expert scores → organizer freezes,
publishes and downloads the Excel.
"""
from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import login

PASSWORD = "Story2024pw"


@pytest.fixture
def story(live_server):
    """The accounts the story starts from: one organizer (the rest is created through the UI)."""
    from contest.accounts.models import Role
    from contest.accounts.services import create_user
    from contest.core.timeutil import utcnow

    with live_server.db():
        create_user(username="story_admin", password=PASSWORD, role=Role.ORGANIZER,
                    display_name="市信用办管理员", actor=None, now=utcnow())
    return live_server


def test_whole_story(story, new_desktop, phone, shot, page_errors):
    live = story

    # 1. The organizer logs in and lands on the dashboard.
    organizer = new_desktop().new_page()
    login(organizer, live, "story_admin", PASSWORD)
    assert re.search(r"/dashboard$", organizer.url)
    assert organizer.locator("h1").first.inner_text() == "工作台"
    shot(organizer, "01-organizer-dashboard")

    # The public landing page on a phone: readable without sideways scrolling.
    public = phone.new_page()
    public.goto(live("/"))
    width = public.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the landing page is {width}px wide on a 390px phone"
    shot(public, "00-public-landing-phone")

    page_errors.assert_none()
