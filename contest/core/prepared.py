"""Prepared statements for the few hot paths where SQLAlchemy's per-execution work costs more than
the database: a textual statement is compiled once per dialect with SQLAlchemy (its paramstyle, its
type processors for dates, datetimes and booleans), then run straight on a DB-API cursor.

Use it only where a benchmark shows the need (today: the public vote, and the public list with the
contest choice every page makes, see bench/README.md §1 and §2); the rest of the code goes through
the ORM session. Statements run this way do not pass through the session or SQLAlchemy's events,
and raise the driver's own exceptions (``integrity_error`` gives the class callers usually catch).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine


class Prepared:
    """``Prepared(sql, binds={"day": sa.Date()}, columns={"starts_at": sa.DateTime()})``: named ``:params``
    in ``sql``; ``binds`` and ``columns`` give the types that need converting (the rest pass as they are)."""

    def __init__(self, sql: str, *, binds: Optional[dict[str, TypeEngine]] = None,
                 columns: Optional[dict[str, TypeEngine]] = None):
        self.binds = binds or {}
        self.columns = columns or {}
        self.clause = sa.text(sql).bindparams(*(sa.bindparam(k, type_=t) for k, t in self.binds.items()))
        self._plans: dict[str, tuple] = {}

    def _plan(self, dialect: Dialect) -> tuple:
        plan = self._plans.get(dialect.name)
        if plan is None:
            compiled = self.clause.compile(dialect=dialect)
            order = tuple(compiled.positiontup) if compiled.positional else None
            binders = {k: p for k, t in self.binds.items()
                       if (p := t.dialect_impl(dialect).bind_processor(dialect)) is not None}
            results = {k: p for k, t in self.columns.items()
                       if (p := t.dialect_impl(dialect).result_processor(dialect, None)) is not None}
            plan = self._plans[dialect.name] = (compiled.string, order, binders, results)
        return plan

    def execute(self, dialect: Dialect, cursor, params: dict[str, Any]):
        """Run on ``cursor`` (of a connection of ``dialect``); returns the cursor."""
        sql, order, binders, _ = self._plan(dialect)
        if binders:
            params = {**params, **{k: f(params[k]) for k, f in binders.items() if k in params}}
        cursor.execute(sql, tuple(params[k] for k in order) if order is not None else params)
        return cursor

    def first(self, dialect: Dialect, cursor, params: dict[str, Any]) -> Optional[dict[str, Any]]:
        """The first row as a dict of column name → value (typed columns converted), or None."""
        row = self.execute(dialect, cursor, params).fetchone()
        if row is None:
            return None
        _, _, _, results = self._plan(dialect)
        names = [d[0] for d in cursor.description]
        out = dict(zip(names, row))
        for k, f in results.items():
            if k in out:
                out[k] = f(out[k])
        return out

    def all(self, dialect: Dialect, cursor, params: dict[str, Any]) -> list[tuple]:
        """Every row as a tuple, in the statement's column order (typed columns converted)."""
        rows = self.execute(dialect, cursor, params).fetchall()
        _, _, _, results = self._plan(dialect)
        if not results:
            return rows
        converters = [(i, results[d[0]]) for i, d in enumerate(cursor.description) if d[0] in results]
        out = []
        for row in rows:
            row = list(row)
            for i, f in converters:
                row[i] = f(row[i])
            out.append(tuple(row))
        return out

    def all_in(self, session, params: dict[str, Any]) -> list[tuple]:
        """``all`` on ``session``'s own connection, inside its transaction; like an ORM query it first
        flushes changes pending in the session (unless autoflush is off)."""
        with _session_cursor(session) as (dialect, cursor):
            return self.all(dialect, cursor, params)

    def first_in(self, session, params: dict[str, Any]) -> Optional[dict[str, Any]]:
        """``first`` on ``session``'s own connection, inside its transaction, after the autoflush."""
        with _session_cursor(session) as (dialect, cursor):
            return self.first(dialect, cursor, params)

    def scalar(self, dialect: Dialect, cursor, params: dict[str, Any]) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = self.execute(dialect, cursor, params).fetchone()
        return None if row is None else row[0]


@contextmanager
def _session_cursor(session):
    """(dialect, a DB-API cursor on the session's connection), the cursor closed afterwards. Pending
    changes are flushed first, as the ORM does before a query, so the statement sees them."""
    if session.autoflush:
        session.flush()
    connection = session.connection()
    cursor = connection.connection.cursor()
    try:
        yield connection.dialect, cursor
    finally:
        cursor.close()


def integrity_error(dialect: Dialect) -> type:
    """The driver's IntegrityError class (unique keys, checks), to catch around prepared statements."""
    return dialect.loaded_dbapi.IntegrityError
