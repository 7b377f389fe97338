"""Bad input never makes a server error, on SQLite and PostgreSQL.

- Every POST form on every page every role can see is posted back as the page filled it, with one
  field at a time replaced by garbage — NUL and control characters, a very long text, a huge number,
  characters outside the BMP, markup; for a choice, an id past the database's INTEGER — and once with a
  file that is no PDF, image or video under a hostile name in every file field.
- Every page is asked for with garbage query arguments (those the filter forms show and those views
  read themselves), and each filter field alone with an overflowing number.
- Every URL with an id is asked for with an id past the database's INTEGER: 404, never a query.

Forms are read from the rendered pages, so a new form is covered as soon as a page shows it.
PostgreSQL refuses NUL in text and integers past its column types: such values must be cleaned or
refused before they reach it (``contest.core.text_input``, ``contest.core.request_info``).
"""
from __future__ import annotations

import io
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

from werkzeug.routing import IntegerConverter

from contest.contests.models import Override
from contest.core.request_info import MAX_ID
from contest.extensions import db
from tests.factories import assign_expert, make_case
from tests.integration.test_security_matrix import ROLES, client_for, routes, world  # noqa: F401

GARBAGE = {
    "control characters": "a\x00b\x01c\x1b[31m\u202e\ufeff",
    "long text": "长" * 20_000,
    "huge number": "9" * 40,
    "outside the BMP": "😀𠜎" * 10,
    "markup": "<script>alert(1)</script>' OR '1'='1",
}
TEXT_TYPES = {"text", "textarea", "search", "email", "tel", "number", "password", "url", "date",
              "datetime-local", "time", "hidden"}
SKIP_ACTIONS = {"/logout"}  # it only ends the session; nothing to fill


class FormReader(HTMLParser):
    """The POST forms of a page: action, and each field's name, type and the value the page gives it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"action": a.get("action") or "", "method": (a.get("method") or "get").lower(),
                          "fields": []} 
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "image", "reset"):
                self._form["fields"].append([a["name"], kind, a.get("value") or ""])
        elif tag == "select" and a.get("name"):
            self._select = [a["name"], "select", None]
            self._form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            if self._select[2] is None or "selected" in a:
                self._select[2] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], "textarea", ""]
            self._form["fields"].append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def get_pages(app, extra: tuple[tuple[str, str], ...] = ()) -> list[tuple[str, str]]:
    """(role, url) of every GET route for every role, and the ``extra`` pages."""
    return [(role, url) for role in ROLES for rule, method, url, _ in routes(app) if method == "GET"] + list(extra)


def page_forms(app, world, extra: tuple[tuple[str, str], ...] = (), method: str = "post") -> dict[tuple[str, str], list]:
    """(role, action path) -> the form's fields, for every form of ``method`` on every page of every
    role, and on the ``extra`` (role, url) pages."""
    found = {}
    for role, url in get_pages(app, extra):
        resp = client_for(app, world, role).get(url)
        if not resp.mimetype or "html" not in resp.mimetype or resp.status_code != 200:
            continue
        reader = FormReader()
        reader.feed(resp.get_data(as_text=True))
        for form in reader.forms:
            action = urlsplit(form["action"] or url).path
            if form["method"] == method and action not in SKIP_ACTIONS:
                found.setdefault((role, action), [(n, k, v or "") for n, k, v in form["fields"]])
    return found


def reopen(world) -> None:
    """Every phase open by the organizer's override (a garbage post may have closed one)."""
    db.session.expire_all()
    for window in world.contest.windows:
        window.override = Override.OPEN
    db.session.commit()


def open_everything(world) -> tuple[tuple[str, str], ...]:
    """Every phase open by the organizer's override, a case passed 初筛 and assigned to the expert, another
    waiting for 初筛; returns the (role, url) pages the URL map alone does not reach: the vote and
    scoring forms of the passed case, the ranking pages of both kinds."""
    reopen(world)
    other_unit = world.users["other_unit"].unit
    public = make_case(world.contest, other_unit, passed=True)
    assign_expert(world.users["expert"], public)
    make_case(world.contest, other_unit)
    db.session.commit()
    cid = world.contest.id
    return (("anonymous", f"/vote/{cid}/entry/{public.id}"), ("expert", f"/review/entries/{public.id}"),
            ("organizer", f"/ranking/{cid}/case"), ("organizer", f"/ranking/{cid}/video"))


def test_no_server_error_on_garbage_input(app, world):
    forms = page_forms(app, world, open_everything(world))
    actions = {action for _, action in forms}
    assert {"/login", "/admin/units/new"} <= actions, sorted(actions)
    for part in ("/vote", "/screening/", "/review/entries/", "/cases/", "/videos/", "/ranking/"):
        assert any(a.startswith(part) for a in actions), (part, sorted(actions))
    failures, posted = [], 0

    def post(role, action, data, label):
        nonlocal posted
        resp = client_for(app, world, role).post(action, data=data, content_type="multipart/form-data")
        posted += 1
        if resp.status_code >= 500:
            failures.append(f"POST {action} as {role} with {label}: {resp.status_code}")

    for (role, action), fields in sorted(forms.items()):
        reopen(world)
        plain = [(n, v) for n, k, v in fields if k != "file" and n != "csrf_token"]
        files = [n for n, k, _ in fields if k == "file"]
        for name, kind, _ in fields:
            if kind == "file" or name == "csrf_token":
                continue
            # Choices (select, radio, checkbox) get numbers past the database's integer: a chosen id
            # must be checked against the choices before it is looked up.
            values = GARBAGE if kind in TEXT_TYPES else {"a huge id": "9" * 20, "an id past INTEGER": str(MAX_ID + 1)}
            for label, value in values.items():
                data = {n: v for n, v in plain}
                data[name] = value
                post(role, action, data, f"{label} in {name}")
        if files:
            data = {n: v for n, v in plain}
            for name in files:
                data[name] = (io.BytesIO(b"\x00garbage" * 100), "../../etc/passwd\x00.pdf")
            post(role, action, data, "a garbage file")
    assert posted >= 100
    assert failures == []


def test_ids_beyond_the_database_integer_are_not_found(app, world):
    # PostgreSQL refuses an INTEGER parameter above 2**31 - 1, SQLite's driver one above 2**63 - 1: such an
    # id in a URL or a query argument names nothing (404 / ignored), it never reaches a query.
    open_everything(world)
    cid = world.contest.id
    failures, checked = [], 0
    for huge in (MAX_ID + 1, 10**20):
        for rule, method, _, _ in routes(app):
            ints = [n for n in rule.arguments if isinstance(rule._converters[n], IntegerConverter)]
            if not ints:
                continue
            values = {n: ("case" if n == "kind" else "voting" if n == "phase" else "x.pdf") for n in rule.arguments}
            values.update({n: huge for n in ints})
            url = rule.rule
            for name, value in values.items():
                url = url.replace(f"<int:{name}>", str(value)).replace(f"<path:{name}>", str(value))
                url = url.replace(f"<{name}>", str(value))
            resp = client_for(app, world, "organizer").open(url, method=method)
            checked += 1
            if resp.status_code != 404:
                failures.append(f"{method} {url}: {resp.status_code}")
        for url in (f"/voting/monitor?entry_id={huge}&b_entry={huge}&b_kind=ip&b_source=x&b_minute=2026-01-01T00:00",
                    f"/ranking/{cid}/case/ranking.xlsx?snapshot={huge}"):
            resp = client_for(app, world, "organizer").get(url)
            checked += 1
            if resp.status_code not in (200, 404):
                failures.append(f"GET {url}: {resp.status_code}")
    assert checked >= 40
    assert failures == []


BAD_ARGS = ("99999999999999999999", str(MAX_ID + 1), "-5", "2026-13-45", "\x00%_\\", "😀" * 50)
KNOWN_ARGS = {"page", "q", "kind", "status", "category", "section", "role", "hours", "snapshot", "next", "entry_id",
              "b_entry", "b_kind", "b_source", "b_minute"}


def test_no_server_error_on_garbage_query_arguments(app, world):
    # Every page with every query argument the app reads (its filter forms' fields and the ones views
    # read themselves) set to garbage at once; then each filter field and ``page`` alone with an
    # overflowing number (one bad field must not hide another: filters ignore a bad field each).
    extra = open_everything(world)
    filters = page_forms(app, world, extra, method="get")
    names = KNOWN_ARGS | {name for fields in filters.values() for name, _, _ in fields}
    assert {"page", "unit", "date_from", "q"} <= names, sorted(names)
    failures, checked = [], 0

    def get(role, url, args):
        nonlocal checked
        resp = client_for(app, world, role).get(url + ("&" if "?" in url else "?") + urlencode(args))
        checked += 1
        if resp.status_code >= 500:
            failures.append(f"GET {url} as {role} with {args}: {resp.status_code}")

    pages = get_pages(app, extra)
    for value in BAD_ARGS:
        for role, url in pages:
            get(role, url, {name: value for name in names})
    for role, url in pages:
        get(role, url, {"page": BAD_ARGS[0]})
    for (role, action), fields in filters.items():
        for name, _, _ in fields:
            for value in BAD_ARGS[:2]:
                get(role, action, {name: value})
    assert checked >= 500
    assert failures == []
