"""The platform as the benchmarks serve it: ``create_app`` with the config given as JSON in
``BENCH_APP_CONFIG`` (database, upload folder, secret key, limits), so that gunicorn runs exactly
the production app on the bench's own database.

Every response carries ``X-Bench-Queries``: the number of SQL statements the request ran (those
through SQLAlchemy, counted by its cursor event, and the prepared ones of ``contest.core.prepared``,
which bypass SQLAlchemy's events and are counted by wrapping ``Prepared.execute``).

With ``BENCH_MEMORY_PAGE=/some/path`` the app also serves ``/bench/memory``: the page at that path
rendered from memory — the view's template and context are captured once per worker, then each
request only renders them again, with no database at all (the baseline of bench_vote_list.py).
"""
import json
import os

import sqlalchemy as sa
from flask import g, has_request_context, render_template, template_rendered
from sqlalchemy.engine import Engine

from contest import create_app
from contest.core.prepared import Prepared

_config = json.loads(os.environ["BENCH_APP_CONFIG"])
app = create_app(_config, instance_path=_config["INSTANCE_PATH"])


@sa.event.listens_for(Engine, "before_cursor_execute")
def _count_query(*_args, **_kw):
    if has_request_context():
        g.bench_queries = g.get("bench_queries", 0) + 1


_prepared_execute = Prepared.execute


def _counted_execute(self, *args, **kwargs):
    _count_query()
    return _prepared_execute(self, *args, **kwargs)


Prepared.execute = _counted_execute


@app.after_request
def _queries_header(resp):
    resp.headers["X-Bench-Queries"] = str(g.get("bench_queries", 0))
    return resp


# Names Flask and the app's context processors add to every template context; the rest is what
# the view itself passed.
_INJECTED = {"g", "request", "session", "config", "current_user", "csrf_token", "get_flashed_messages",
             "url_for", "current_contest", "nav_items"}
_memory: dict = {}


def _capture(path: str) -> None:
    seen = []

    def record(sender, template, context, **extra):
        seen.append((template.name, dict(context)))

    with template_rendered.connected_to(record, app):
        resp = app.test_client().get(path)
    assert resp.status_code == 200 and seen, (path, resp.status_code)
    name, context = seen[0]  # the page template (macros imported by it are not "rendered")
    _memory["template"] = name
    _memory["context"] = {k: v for k, v in context.items() if k not in _INJECTED}
    _memory["current_contest"] = context.get("current_contest")


if os.environ.get("BENCH_MEMORY_PAGE"):
    @app.route("/bench/memory")
    def bench_memory_page():
        if not _memory:
            _capture(os.environ["BENCH_MEMORY_PAGE"])
            g.bench_queries = 0  # the one-off capture is not this request's work
        g._current_contest = _memory["current_contest"]  # the base template's contest, from memory
        return render_template(_memory["template"], **_memory["context"])
