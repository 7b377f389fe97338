"""Which contest the current request is about (every page is scoped to one contest)."""
from __future__ import annotations

from flask import g, session
import sqlalchemy as sa

from contest.contests.models import Contest
from contest.extensions import db

_MISSING = object()


def get_current_contest() -> Contest | None:
    """The contest chosen in this session, else the newest one; None when there is none."""
    cached = g.get("_current_contest", _MISSING)
    if cached is not _MISSING:
        return cached
    contest = None
    chosen = session.get("contest_id")
    if chosen:
        contest = db.session.get(Contest, chosen)
    if contest is None:
        contest = db.session.scalar(sa.select(Contest).order_by(Contest.id.desc()).limit(1))
    g._current_contest = contest
    return contest


def set_current_contest(contest: Contest) -> None:
    session["contest_id"] = contest.id
    g._current_contest = contest
