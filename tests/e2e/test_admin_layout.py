"""The organizer back office in a real browser: the header menu on a 390px phone, and a unit import."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import login
from tests.factories import PASSWORD

ADMIN_PAGES = ["/dashboard", "/admin/accounts", "/admin/units", "/admin/contests", "/admin/quotas", "/admin/audit"]


@pytest.fixture
def admin_world(live_server):
    from contest.accounts.models import Role
    from tests.factories import make_contest, make_organizer, make_unit, make_user

    with live_server.db():
        contest = make_contest(title="版面测试活动")
        org = make_organizer(display_name="市信用办一位名字特别长的管理员")
        unit_user = make_user(Role.UNIT, unit=make_unit(), display_name="雁塔区信用办")
        ids = {"org": org.username, "unit": unit_user.username, "contest": contest.id}
    return live_server, ids


def _overflow(page) -> dict:
    """Horizontal overflow of the page and of each header menu link (right edge past the viewport)."""
    return page.evaluate("""() => ({
        page: document.documentElement.scrollWidth - window.innerWidth,
        clipped: [...document.querySelectorAll('.main-nav a, .user-box a, .user-box button')]
            .filter(a => a.getBoundingClientRect().right > window.innerWidth + 0.5
                      || a.getBoundingClientRect().left < -0.5)
            .map(a => a.textContent.trim()),
    })""")


def test_header_menu_fits_a_phone(admin_world, phone, page_errors, shot):
    live, ids = admin_world
    page = phone.new_page()
    login(page, live, ids["org"], PASSWORD)
    for path in ADMIN_PAGES:
        page.goto(live(path))
        assert _overflow(page) == {"page": 0, "clipped": []}, path
    links = page.locator(".main-nav a")
    assert links.count() >= 6
    for i in range(links.count()):
        assert links.nth(i).is_visible()
    shot(page, "admin-phone-audit")
    unit_page = phone.new_page()
    phone.clear_cookies()
    login(unit_page, live, ids["unit"], PASSWORD)
    assert _overflow(unit_page) == {"page": 0, "clipped": []}
    assert unit_page.locator(".unit-quota .quota-count").inner_text() == "0/3"
    page_errors.assert_none()


def test_unit_import_in_the_browser(admin_world, desktop, page_errors, tmp_path):
    live, ids = admin_world
    page = desktop.new_page()
    login(page, live, ids["org"], PASSWORD)
    csv_path = tmp_path / "units.csv"
    csv_path.write_bytes("单位名称,单位类型,联系人,联系电话,地址,账号用户名,账号名称\n"
                         "浏览器测试区,区县,王五,029-88880000,西安市,browser_unit,浏览器测试区信用办\n".encode("gb18030"))
    page.goto(live("/admin/units/import"))
    page.set_input_files("input[type=file]", str(csv_path))
    page.click("main form button[type=submit]")
    assert "将创建 1 个单位、1 个申报单位账号" in page.inner_text("main")
    page.click("text=确认导入")
    password = page.locator("code.secret").inner_text()
    assert len(password) == 12
    page_errors.assert_none()
    other = desktop.browser.new_context()
    try:
        p2 = other.new_page()
        login(p2, live, "browser_unit", password)
        assert "浏览器测试区" in p2.inner_text("main")
    finally:
        other.close()
