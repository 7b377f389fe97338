"""Case services (附件1): create, edit, scan, submit, withdraw, delete a draft, import from Word, lists.

Every write checks the submission window at ``now`` (Beijing-time schedule, naive UTC values),
flushes and writes an audit entry; the request edge commits once.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Optional

import sqlalchemy as sa

from contest.accounts.models import Unit, UnitKind, User
from contest.contests.models import Contest
from contest.documents.case_form import ParsedForm, parse_case_form
from contest.extensions import db
from contest.submissions import lifecycle
from contest.submissions.case_rules import (
    PART_FIELDS, Completeness, check_fields, check_submittable, clean_themes, content_count, content_error,
    length_errors,
    normalize_text,
)
from contest.submissions.lifecycle import SubmissionError
from contest.submissions.models import Case, EntryState

EDITABLE_FIELDS = ("title", "contact_name", "contact_phone", "contact_email", "unit_address", "themes",
                   "highlights", "part_problem", "part_measures", "part_effects", "recommender_opinion", "remarks")


class CaseInvalid(SubmissionError):
    """The data breaks the case rules; ``errors`` maps field -> Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name in EDITABLE_FIELDS:
        if name not in data:
            continue
        out[name] = clean_themes(data[name]) if name == "themes" else normalize_text(str(data[name] or ""))
    return out


def case_values(case: Case) -> dict[str, Any]:
    """The editable fields of a case as plain data."""
    return {name: (list(case.themes or []) if name == "themes" else getattr(case, name) or "")
            for name in EDITABLE_FIELDS}


def content_count_of(case: Case) -> int:
    """字数 of a case's 案例内容 by the one counting rule."""
    return content_count({f: getattr(case, f) for f in PART_FIELDS})


def draft_errors(data: dict[str, Any], limit: int) -> dict[str, str]:
    """What even a draft must respect: a title, column lengths and the 字数 limit."""
    errors: dict[str, str] = {}
    if not str(data.get("title") or "").strip():
        errors["title"] = "请填写案例题目（保存草稿也需要题目，便于区分）。"
    errors.update(length_errors(data))
    msg = content_error({f: str(data.get(f) or "") for f in PART_FIELDS}, limit)
    if msg:
        errors["content"] = msg
    return errors


def create_case(contest: Contest, unit: Unit, data: dict[str, Any], *, actor: User, now: datetime,
                ip: str = "") -> Case:
    """A new draft case of ``unit``. Raises SubmissionError when the window is closed and
    CaseInvalid when the draft rules are broken."""
    lifecycle.require_editable(contest, now)
    values = _clean(data)
    errors = draft_errors(values, contest.case_char_limit)
    if errors:
        raise CaseInvalid(errors)
    case = Case(contest_id=contest.id, unit_id=unit.id, state=EntryState.DRAFT, created_by_id=actor.id,
                created_at=now, updated_at=now, **values)
    db.session.add(case)
    db.session.flush()
    lifecycle.record_change(case, "created", actor=actor, now=now, ip=ip)
    return case


def update_case(case: Case, contest: Contest, data: dict[str, Any], *, actor: User, now: datetime,
                ip: str = "") -> list[str]:
    """Change a case's fields; returns the changed field names. A submitted case must stay complete
    and goes back to 待初筛 when anything changed. Raises SubmissionError / CaseInvalid."""
    lifecycle.require_editable(contest, now)
    values = _clean(data)
    merged = {**case_values(case), **values}
    errors = (check_fields(merged, contest.case_char_limit) if case.state == EntryState.SUBMITTED
              else draft_errors(merged, contest.case_char_limit))
    if errors:
        raise CaseInvalid(errors)
    changed = [name for name, value in values.items() if getattr(case, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(case, name, values[name])
    case.updated_at = now
    detail: dict[str, Any] = {"fields": changed}
    lifecycle.reset_screening_after_change(case, detail)
    db.session.flush()
    lifecycle.record_change(case, "updated", actor=actor, now=now, ip=ip, detail=detail)
    return changed


def attach_scan(case: Case, contest: Contest, stream: BinaryIO, *, original_name: str, actor: User,
                now: datetime, upload_root: str | Path, max_bytes: int, ip: str = "") -> None:
    """Store the stamped scan and attach it with its thumbnail (see ``lifecycle.attach_scan``)."""
    stored = lifecycle.attach_scan(case, contest, stream, original_name=original_name, actor=actor, now=now,
                                   upload_root=upload_root, max_bytes=max_bytes, thumbnail=True, ip=ip)
    case.scan_thumb_file_id = stored.thumb.id if stored.thumb else None


def completeness(case: Case, contest: Contest, *, committed: bool = True) -> Completeness:
    """What still blocks this case's submission (the commitment is assumed ticked by default)."""
    return check_submittable(case_values(case), contest.case_char_limit, has_scan=case.scan_file_id is not None,
                             committed=committed)


def submit_case(case: Case, contest: Contest, *, committed: bool, actor: User, now: datetime, ip: str = "") -> None:
    """Submit a complete case. The integrity commitment is recorded with time and account.
    Raises SubmissionError (window closed, already submitted) or CaseInvalid (incomplete)."""
    lifecycle.require_editable(contest, now)
    if case.state == EntryState.SUBMITTED:
        raise SubmissionError("该案例已提交，无需重复提交。")
    result = completeness(case, contest, committed=committed)
    if not result.ok:
        errors = dict(result.field_errors)
        for i, msg in enumerate(result.other):
            errors[f"_{i}"] = msg
        raise CaseInvalid(errors)
    case.commitment_at = now
    case.commitment_by_id = actor.id
    lifecycle.submit(case, contest, actor=actor, now=now, ip=ip)


def withdraw_case(case: Case, contest: Contest, *, actor: User, now: datetime, ip: str = "") -> None:
    """Take a submitted case back (it stops counting toward the quota and leaves screening)."""
    lifecycle.withdraw(case, contest, actor=actor, now=now, ip=ip)


def delete_case_draft(case: Case, contest: Contest, *, actor: User, now: datetime, ip: str = "") -> list[str]:
    """Delete a never-submitted draft case with its scan and scan thumbnail; returns the storage keys
    to remove after the commit. Raises SubmissionError (window closed, submitted or withdrawn)."""
    return lifecycle.delete_draft(case, contest, (case.scan_file, case.scan_thumb_file), actor=actor, now=now,
                                  ip=ip)


def import_docx(contest: Contest, unit: Unit, data: bytes, *, actor: User, now: datetime,
                ip: str = "") -> tuple[Case, ParsedForm]:
    """Read a filled 附件1 into a new draft for the unit to review. Raises SubmissionError (window
    closed) or DocxError (unreadable file). Content over the limit is kept so that nothing typed is
    lost; the edit form then asks for it to be shortened."""
    lifecycle.require_editable(contest, now)
    parsed = parse_case_form(data)
    values = _clean(parsed.fields)
    if not values.get("title"):
        values["title"] = "从Word导入的案例（请填写题目）"
    case = Case(contest_id=contest.id, unit_id=unit.id, state=EntryState.DRAFT, created_by_id=actor.id,
                created_at=now, updated_at=now, **values)
    db.session.add(case)
    db.session.flush()
    lifecycle.record_change(case, "created", actor=actor, now=now, ip=ip, summary=f"{case.title}（从Word导入）",
                            detail={"imported": True, "warnings": parsed.warnings})
    return case, parsed


# ---------------------------------------------------------------- queries

def unit_cases(contest: Contest, unit_id: int) -> list[Case]:
    return list(db.session.scalars(sa.select(Case).where(Case.contest_id == contest.id, Case.unit_id == unit_id)
                                   .order_by(Case.created_at.desc(), Case.id.desc())))


@dataclass
class CaseFilter:
    unit_id: Optional[int] = None
    unit_kind: Optional[UnitKind] = None
    theme: Optional[str] = None
    state: Optional[EntryState] = None


@dataclass
class CaseListing:
    cases: list[Case]
    total: int
    by_state: dict[EntryState, int]
    by_theme: dict[str, int]


def search_cases(contest: Contest, flt: CaseFilter) -> CaseListing:
    """Organizer list: cases of the contest matching the filter, with counts over the matches.
    The theme filter runs in Python because themes are a JSON list (portable across databases)."""
    query = (sa.select(Case).join(Unit, Unit.id == Case.unit_id).where(Case.contest_id == contest.id)
             .order_by(Unit.kind, Unit.name, Case.id))
    if flt.unit_id:
        query = query.where(Case.unit_id == flt.unit_id)
    if flt.unit_kind:
        query = query.where(Unit.kind == flt.unit_kind)
    if flt.state:
        query = query.where(Case.state == flt.state)
    cases = list(db.session.scalars(query))
    if flt.theme:
        cases = [c for c in cases if flt.theme in (c.themes or [])]
    by_state = Counter(c.state for c in cases)
    by_theme: Counter = Counter()
    for c in cases:
        by_theme.update(c.themes or [])
    return CaseListing(cases, len(cases), {s: by_state.get(s, 0) for s in EntryState}, dict(by_theme))
