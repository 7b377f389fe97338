"""The life cycle shared by cases and videos: draft → submitted (→ withdrawn), edits only while the
submission window is open (server-enforced in Beijing time), every change audit-logged."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Optional, TypeVar

import sqlalchemy as sa

from contest.accounts.models import User
from contest.contests.models import Contest, Phase
from contest.contests.services import ContestError, require_phase_open
from contest.core import audit
from contest.extensions import db
from contest.media.models import StoredFile
from contest.media.scans import StoredScan, store_scan
from contest.submissions.models import Entry, EntryKind, EntryState, ScreeningStatus

E = TypeVar("E", bound=Entry)


class SubmissionError(ValueError):
    """A user-facing refusal (Chinese message); nothing was changed."""


def require_editable(contest: Contest, now: datetime) -> None:
    """Raise SubmissionError unless the submission window is open at ``now``."""
    try:
        require_phase_open(contest, Phase.SUBMISSION, now)
    except ContestError as exc:
        raise SubmissionError(f"{exc} 截止后不能再新建、修改、提交或撤回。") from exc


def load_own(model: type[E], entry_id: int, user: User) -> Optional[E]:
    """The entry if it exists and belongs to the user's unit (organizers: any entry), else None.
    Views turn None into 404 so that guessing another unit's URL reveals nothing."""
    entry = db.session.get(model, entry_id)
    if entry is None:
        return None
    if user.is_organizer or (user.is_unit and entry.unit_id == user.unit_id):
        return entry
    return None


def _prefix(entry: Entry) -> str:
    return "case" if entry.kind == EntryKind.CASE else "video"


def record_change(entry: Entry, action: str, *, actor: User, now: datetime, ip: str = "",
                  summary: str = "", detail: Optional[dict] = None) -> None:
    """Audit an entry change: ``action`` is 'created', 'updated', 'submitted', 'withdrawn' or 'deleted'."""
    audit.record(f"{_prefix(entry)}_{action}", actor=actor, contest_id=entry.contest_id, target=entry,
                 target_type=_prefix(entry), summary=summary or entry.title, detail=detail, ip=ip, now=now)


def reset_screening_after_change(entry: Entry, detail: dict[str, Any]) -> None:
    """A submitted entry changed after its 初筛 decision goes back to 待初筛, and ``detail`` (the
    change's audit detail) records the status it had as ``screening_reset_from``. Drafts, withdrawn
    entries and entries still 待初筛 are left as they are."""
    if entry.state == EntryState.SUBMITTED and entry.screening_status != ScreeningStatus.PENDING:
        detail["screening_reset_from"] = entry.screening_status.value
        entry.clear_screening()


def attach_scan(entry: Entry, contest: Contest, stream: BinaryIO, *, original_name: str, actor: User,
                now: datetime, upload_root: str | Path, max_bytes: int, thumbnail: bool, ip: str = "") -> StoredScan:
    """Store the stamped scan of the entry's form and attach it (an earlier one stays stored: the audit
    entry names it as ``replaced_file_id``); a submitted entry goes back to 待初筛. Returns the stored
    scan (and its thumbnail when ``thumbnail``). Raises SubmissionError when the window is closed,
    ScanError/StorageError for a refused file (nothing stored)."""
    require_editable(contest, now)
    stored = store_scan(stream, original_name=original_name, upload_root=upload_root, max_bytes=max_bytes,
                        unit_id=entry.unit_id, uploaded_by_id=actor.id, thumbnail=thumbnail)
    replaced = entry.scan_file_id
    entry.scan_file_id = stored.scan.id
    entry.updated_at = now
    detail: dict[str, Any] = {"scan_file_id": stored.scan.id, "content_type": stored.scan.content_type,
                              "size": stored.scan.size, "sha256": stored.scan.sha256}
    if replaced:
        detail["replaced_file_id"] = replaced
    reset_screening_after_change(entry, detail)
    db.session.flush()
    record_change(entry, "updated", actor=actor, now=now, ip=ip, summary=f"{entry.title}：上传盖章扫描件",
                  detail=detail)
    return stored


def submit(entry: Entry, contest: Contest, *, actor: User, now: datetime, ip: str = "") -> None:
    """Mark a complete entry submitted, waiting for 初筛. The caller validated completeness (fields, scan,
    commitment). A withdrawn entry submitted again is screened again: it may have been edited while
    withdrawn (edits of withdrawn entries do not reset screening), so an earlier 通过 must not make it
    public unseen."""
    require_editable(contest, now)
    if entry.state == EntryState.SUBMITTED:
        raise SubmissionError("该作品已提交，无需重复提交。")
    entry.clear_screening()
    entry.state = EntryState.SUBMITTED
    entry.submitted_at = now
    db.session.flush()
    record_change(entry, "submitted", actor=actor, now=now, ip=ip)


def withdraw(entry: Entry, contest: Contest, *, actor: User, now: datetime, ip: str = "") -> None:
    """Take a submitted entry back to the unit (it no longer counts toward the quota)."""
    require_editable(contest, now)
    if entry.state != EntryState.SUBMITTED:
        raise SubmissionError("只有已提交的作品可以撤回。")
    entry.state = EntryState.WITHDRAWN
    db.session.flush()
    record_change(entry, "withdrawn", actor=actor, now=now, ip=ip)


def delete_draft(entry: Entry, contest: Contest, files: Iterable[Optional[StoredFile]], *, actor: User,
                 now: datetime, ip: str = "") -> list[str]:
    """Delete a draft that was never submitted, with its stored files (``files``; None entries are
    skipped), and audit it as ``<kind>_deleted`` with the title. Returns the storage keys whose bytes
    the caller removes after the commit (``storage.remove_keys``). Submitted and withdrawn entries
    are kept: they have a submission history that the audit trail and the organizers refer to.
    Raises SubmissionError (window closed, not a draft)."""
    require_editable(contest, now)
    if entry.state == EntryState.SUBMITTED:
        raise SubmissionError("已提交的作品不能删除。如不再参选，请在截止前撤回（撤回后不计入报送数量）。")
    if entry.state != EntryState.DRAFT or entry.submitted_at is not None:
        raise SubmissionError("已撤回的作品保留提交记录，不能删除；它不计入报送数量，无需处理。")
    stored = [f for f in files if f is not None]
    record_change(entry, "deleted", actor=actor, now=now, ip=ip,
                  detail={"file_ids": [f.id for f in stored]})
    db.session.delete(entry)
    db.session.flush()  # the entry row first: it references the files
    keys = []
    for f in stored:
        keys.append(f.storage_key)
        db.session.delete(f)
    db.session.flush()
    return keys


def count_by_state(contest: Contest, unit_id: int, kind: EntryKind) -> dict[EntryState, int]:
    rows = db.session.execute(sa.select(Entry.state, sa.func.count()).where(
        Entry.contest_id == contest.id, Entry.unit_id == unit_id, Entry.kind == kind).group_by(Entry.state))
    return {state: n for state, n in rows}
