"""Every admin page: organizers only (403 for units and experts, login redirect for anonymous)."""
import pytest

from contest.accounts.models import Role
from contest.extensions import db
from tests.factories import make_contest, make_expert, make_organizer, make_unit, make_user

GET_PAGES = [
    "/admin/accounts", "/admin/accounts/new", "/admin/accounts/{user}/edit", "/admin/units", "/admin/units/new",
    "/admin/units/{unit}/edit", "/admin/units/import", "/admin/units/import/preview",
    "/admin/units/import/template.xlsx", "/admin/contests", "/admin/contests/new",
    "/admin/contests/{contest}/settings", "/admin/contests/{contest}/schedule", "/admin/quotas",
    "/admin/quotas.xlsx", "/admin/audit",
]
POST_PAGES = [
    "/admin/accounts/new", "/admin/accounts/{user}/edit", "/admin/accounts/{user}/disable",
    "/admin/accounts/{user}/enable", "/admin/accounts/{user}/reset-password", "/admin/units/new",
    "/admin/units/{unit}/edit", "/admin/units/import", "/admin/units/import/confirm", "/admin/units/import/cancel",
    "/admin/contests/new", "/admin/contests/{contest}/switch", "/admin/contests/{contest}/settings",
    "/admin/contests/{contest}/schedule", "/admin/contests/{contest}/phases/submission/override",
]


@pytest.fixture
def world(app):
    contest = make_contest()
    unit = make_unit()
    org = make_organizer()
    unit_user = make_user(Role.UNIT, unit=unit)
    expert = make_expert()
    db.session.commit()
    ids = {"user": unit_user.id, "unit": unit.id, "contest": contest.id}
    return org, unit_user, expert, ids


def test_admin_pages_forbidden_for_unit_and_expert(world, login_as):
    _, unit_user, expert, ids = world
    for user in (unit_user, expert):
        c = login_as(user)
        for page in GET_PAGES:
            assert c.get(page.format(**ids)).status_code == 403, (user.role, page)
        for page in POST_PAGES:
            assert c.post(page.format(**ids), data={}).status_code == 403, (user.role, "POST", page)


def test_admin_pages_redirect_anonymous_to_login(world, client):
    _, _, _, ids = world
    for page in GET_PAGES:
        resp = client.get(page.format(**ids))
        assert resp.status_code == 302, page
        assert "/login" in resp.headers["Location"]
    for page in POST_PAGES:
        resp = client.post(page.format(**ids), data={})
        assert resp.status_code == 302, ("POST", page)


def test_admin_pages_open_for_organizer(world, login_as):
    org, _, _, ids = world
    c = login_as(org)
    for page in GET_PAGES:
        expected = 302 if page.endswith("/preview") else 200  # no upload pending -> back to the upload form
        assert c.get(page.format(**ids)).status_code == expected, page


def test_empty_posts_never_500(world, login_as):
    org, _, _, ids = world
    c = login_as(org)
    for page in POST_PAGES:
        if page.endswith("/disable") or page.endswith("/reset-password") or page.endswith("/enable"):
            continue  # these act on an empty form by design (tested elsewhere)
        resp = c.post(page.format(**ids), data={})
        assert resp.status_code in (200, 302), (page, resp.status_code)


def test_dashboard_links_to_admin_pages(world, login_as):
    org, _, _, _ = world
    html = login_as(org).get("/dashboard").get_data(as_text=True)
    for href in ("/admin/quotas", "/admin/units", "/admin/accounts", "/admin/contests", "/admin/audit"):
        assert f'href="{href}"' in html
    assert "联系人：郭方泽" in html  # organizer contact in the footer
