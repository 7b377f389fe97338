"""What the case and video pages share: the current contest, loading an entry for the current user
(404 otherwise), and the submission window as the pages show it."""
from __future__ import annotations

from typing import Callable, TypeVar

from flask import abort, current_app
from flask_login import current_user

from contest.contests.context import get_current_contest
from contest.contests.models import Contest, Phase
from contest.contests.services import is_phase_open, seconds_left
from contest.core.clock import now as clock_now
from contest.core.request_info import client_ip
from contest.extensions import db
from contest.media.scans import ScanError
from contest.media.storage import StorageError
from contest.submissions.lifecycle import SubmissionError, load_own
from contest.submissions.models import Entry

E = TypeVar("E", bound=Entry)


def current_contest() -> Contest:
    """The contest of this request; 404 when none has been created yet."""
    contest = get_current_contest()
    if contest is None:
        abort(404, "尚未创建征集活动，请联系市信用办。")
    return contest


def own_entry(model: type[E], entry_id: int) -> E:
    """The entry if the current user may see it (its unit, or an organizer); else 404."""
    entry = load_own(model, entry_id, current_user)
    if entry is None:
        abort(404)
    return entry


def unit_entry(model: type[E], entry_id: int) -> tuple[E, Contest]:
    """The entry and its contest for a change by its own unit; 404 for anyone else (organizers only read)."""
    entry = own_entry(model, entry_id)
    if not current_user.is_unit:
        abort(404)
    return entry, db.session.get(Contest, entry.contest_id)


def submission_window(contest: Contest) -> dict:
    """The submission window for the page: deadline, seconds left, and whether changes are allowed."""
    now = clock_now()
    return {"window": contest.window(Phase.SUBMISSION), "seconds_left": seconds_left(contest, Phase.SUBMISSION, now),
            "editable": is_phase_open(contest, Phase.SUBMISSION, now)}


def attach_scan_upload(entry: Entry, contest: Contest, form, attach: Callable, page: Callable):
    """Run a stamped-scan upload posted with ``form`` (a ScanForm) through ``attach`` (the kind's
    ``attach_scan`` service) and commit. Returns None on success, else the error response built by
    ``page(status, **context)``: 400 with the field's message for a refused file, 409 when the window is closed."""
    if not form.validate_on_submit():
        return page(400, scan_form=form)
    upload = form.scan.data
    try:
        attach(entry, contest, upload.stream, original_name=upload.filename or "", actor=current_user,
               now=clock_now(), upload_root=current_app.config["UPLOAD_ROOT"],
               max_bytes=current_app.config["MAX_SCAN_BYTES"], ip=client_ip())
    except (ScanError, StorageError) as exc:
        db.session.rollback()
        form.scan.errors = [str(exc)]
        return page(400, scan_form=form)
    except SubmissionError as exc:
        db.session.rollback()
        return page(409, loose=[str(exc)])
    db.session.commit()
    return None
