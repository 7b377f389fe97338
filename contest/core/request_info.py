"""Small helpers that read the request for views (services get plain values)."""
from __future__ import annotations

from typing import Optional

from flask import request
from werkzeug.routing import IntegerConverter

# Ids are INTEGER columns: PostgreSQL refuses a larger number in a query ("integer out of range") and
# SQLite's driver one beyond 64 bits, so a bigger id in a URL or a query argument names nothing.
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """The app's ``<int:…>`` URL converter: a number above ``MAX_ID`` matches no route (404) instead of
    reaching the database."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def client_ip() -> str:
    """The client address; X-Forwarded-For counts only through ProxyFix with a trusted proxy count."""
    return request.remote_addr or ""


def arg_id(name: str) -> Optional[int]:
    """The query argument ``name`` as an id (1..MAX_ID, ASCII digits), else None."""
    value = request.args.get(name, "")
    if not (value.isascii() and value.isdigit()) or len(value) > 10:
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


MAX_PAGE = 1_000_000  # far past any list's last page, well inside a database's OFFSET


def arg_page() -> int:
    """The ``page`` query argument of a paged list: 1 when missing or not a number, at most ``MAX_PAGE``
    (a page past the end is an empty page; a number past the database's OFFSET would be an error)."""
    value = request.args.get("page", "")
    if not (value.isascii() and value.isdigit()):
        return 1
    return max(1, min(int(value[:10]), MAX_PAGE))
