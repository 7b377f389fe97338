"""The live 字数 counter of the case form in a real browser agrees with the server's rule."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import login

PASSWORD = "Cases2024pw"


@pytest.fixture(scope="module")
def unit_account(live_server):
    from contest.accounts.models import Role, Unit, UnitKind
    from contest.accounts.services import create_user
    from contest.contests.models import Phase
    from contest.contests.services import create_contest
    from contest.core.timeutil import utcnow
    from tests.factories import open_schedule

    with live_server.db() as session:
        now = utcnow()
        create_contest(title="字数计数测试活动", schedule=open_schedule(Phase.SUBMISSION, now=now), actor=None, now=now)
        unit = Unit(name="字数测试区", kind=UnitKind.DISTRICT, contact_name="王五", contact_phone="029-88886666",
                    address="西安市")
        session.add(unit)
        session.flush()
        create_user(username="e2e_cases_unit", password=PASSWORD, role=Role.UNIT, unit=unit, actor=None, now=now)
    return live_server


def counter_text(page) -> str:
    return page.locator('[data-count-for="content"]').inner_text()


def test_live_counter_matches_server_rule_and_boundary(unit_account, desktop, shot, page_errors):
    from contest.submissions.counting import count_chars

    live = unit_account
    page = desktop.new_page()
    login(page, live, "e2e_cases_unit", PASSWORD)
    page.goto(live("/cases/new"))
    assert counter_text(page) == "已输入 0 字 / 上限 2000 字"

    mixed = "信用 ABC\n１２３，,。.！!\u3000\t𠀀好"
    page.fill("textarea[name=part_problem]", mixed)
    assert counter_text(page) == f"已输入 {count_chars(mixed)} 字 / 上限 2000 字"
    assert count_chars(mixed) == 14

    # Latin words and figures count like Word's 字数统计: one per run, split by spaces and 汉字.
    figures = "通过ISO 9001认证，产值12.5亿元，增长3,200万；APP用户👍达50%。\n第１名"
    page.fill("textarea[name=part_problem]", figures)
    assert counter_text(page) == f"已输入 {count_chars(figures)} 字 / 上限 2000 字"
    assert count_chars(figures) == 28
    samples = ["ISO 9001认证", "3,200", "12.5", "１２３", "👍👍", "好👍", "e-mail, hello.", "“信用”——……·",
               "𠀀a", "1\ufe0f\u20e32\ufe0f\u20e3", " \n\t\u3000\ufeff\u00a0"]
    assert [page.evaluate("t => window.contestCountChars(t)", t) for t in samples] == \
        [count_chars(t) for t in samples]

    # Exactly 2000 across the three parts: accepted by the counter (not marked over).
    page.fill("textarea[name=part_problem]", "信" * 1000)
    page.fill("textarea[name=part_measures]", "举措 " * 450)
    page.fill("textarea[name=part_effects]", "成效。" * 33 + "好")
    assert counter_text(page) == "已输入 2000 字 / 上限 2000 字"
    assert "over" not in (page.locator('[data-count-for="content"]').get_attribute("class") or "")

    # 2001: the counter turns red and says by how much; the server refuses with the same count.
    page.fill("textarea[name=part_effects]", "成效。" * 33 + "好！")
    assert counter_text(page) == "已输入 2001 字 / 上限 2000 字（超出 1 字）"
    assert "over" in page.locator('[data-count-for="content"]').get_attribute("class")
    page.fill("input[name=title]", "字数边界测试")
    page.check("input[name=themes][value=政务诚信]")
    shot(page, "10-case-form-over-limit")
    page.click("form.case-form button[type=submit]")
    page.wait_for_load_state("domcontentloaded")
    assert "案例内容（三部分合计）共 2001 字，超过 2000 字的上限（多 1 字）" in page.inner_text("main")
    # What was typed is still there, and the counter shows it again after the reload.
    assert page.input_value("textarea[name=part_problem]") == "信" * 1000
    assert counter_text(page) == "已输入 2001 字 / 上限 2000 字（超出 1 字）"

    page.fill("textarea[name=part_effects]", "成效。" * 33 + "好")
    page.click("form.case-form button[type=submit]")
    page.wait_for_url(lambda url: "/cases/new" not in url)
    assert "案例已保存为草稿" in page.inner_text("main")
    assert "2000 / 2000 字" in page.inner_text("main")
    page_errors.assert_none()


def test_case_form_fits_a_phone(unit_account, phone, page_errors):
    live = unit_account
    page = phone.new_page()
    login(page, live, "e2e_cases_unit", PASSWORD)
    page.goto(live("/cases/new"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the case form is {width}px wide on a 390px phone"
    page.fill("textarea[name=part_problem]", "手机上 输入")
    assert counter_text(page) == "已输入 5 字 / 上限 2000 字"
    page_errors.assert_none()
