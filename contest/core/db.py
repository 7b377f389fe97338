"""Database helpers shared by every feature."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


def install_sqlite_pragmas() -> None:
    """WAL journal, foreign keys and a busy timeout on every SQLite connection."""
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(Engine, "connect")
    def _on_connect(dbapi_conn, _record):
        if type(dbapi_conn).__module__.startswith("sqlite3"):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()


def is_unique_violation(exc: Exception) -> bool:
    """True for a unique-constraint violation on SQLite or PostgreSQL, raised through SQLAlchemy
    (which wraps the driver's error) or straight by the driver (prepared statements)."""
    orig = exc.orig if isinstance(exc, sa.exc.DBAPIError) else exc
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if code == "23505":
        return True
    return "UNIQUE constraint failed" in str(orig)


@contextmanager
def refused_on_unique_violation(session, refusal: Callable[[], Exception]) -> Iterator[None]:
    """Run the block's writes in a SAVEPOINT of ``session``. When a unique key refuses them — another
    request took the value after the caller checked it — the savepoint is rolled back (the session stays
    usable) and ``refusal()`` is raised instead; it may query, the other request's row is committed."""
    try:
        with session.begin_nested():
            yield
    except sa.exc.IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise refusal() from None
