"""Which contest the current request is about (every page is scoped to one contest)."""
from __future__ import annotations

from flask import g, session
from flask_login import current_user

from contest.contests.models import Contest
from contest.contests.services import public_contest
from contest.core.clock import now
from contest.extensions import db

_MISSING = object()


def get_current_contest() -> Contest | None:
    """The contest of this request; None when there is none.

    Organizers get the contest chosen in their session (they switch in the back office). Everyone
    else — units, experts, the public — gets the contest the schedule points to now
    (``services.public_contest``), so creating next year's contest does not move them; a session
    choice is ignored for them. Organizers without a choice get the same as everyone else.
    """
    cached = g.get("_current_contest", _MISSING)
    if cached is not _MISSING:
        return cached
    contest = None
    chosen = session.get("contest_id")
    if chosen and getattr(current_user, "is_organizer", False):
        contest = db.session.get(Contest, chosen)
    if contest is None:
        contest = public_contest(now())
    g._current_contest = contest
    return contest


def get_public_contest() -> Contest | None:
    """The contest units, experts and the public see in this request, whoever is asking."""
    return public_contest(now())


def set_current_contest(contest: Contest) -> None:
    """Remember an organizer's choice for this session."""
    session["contest_id"] = contest.id
    g._current_contest = contest
