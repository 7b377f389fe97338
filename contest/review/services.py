"""Expert review services: the rubric, assignments (with conflicts of interest), score sheets,
progress for organizers and the submitted totals ranking reads.

Services flush, never commit; they take ``actor=`` and ``now=`` explicitly and raise ReviewError
(or scoring.ScoreInputError) with Chinese messages, in which case nothing was changed.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from contest.accounts.models import Role, User
from contest.contests.models import Contest, Override, Phase
from contest.contests.services import ContestError, is_phase_open, require_phase_open
from contest.core import audit
from contest.core.db import is_unique_violation
from contest.extensions import db
from contest.review import rubric, scoring
from contest.review.models import Assignment, RubricCriterion, ScoreItem, ScoreSheet, SheetState
from contest.submissions.models import Entry, EntryKind, EntryState, ScreeningStatus

COMMENT_MAX = 2000
REASON_MAX = 500


class ReviewError(ValueError):
    """A user-facing refusal with a Chinese message; nothing was changed."""


# --------------------------------------------------------------------------- rubric

def criteria_for(contest_id: int, kind: EntryKind) -> list[RubricCriterion]:
    """The stored criteria of a contest and kind in display order (may be empty)."""
    return list(db.session.scalars(sa.select(RubricCriterion).where(
        RubricCriterion.contest_id == contest_id, RubricCriterion.kind == kind).order_by(RubricCriterion.position)))


def ensure_rubric(contest: Contest, kind: EntryKind) -> list[RubricCriterion]:
    """The contest's criteria for ``kind``, created from the notice's defaults the first time."""
    rows = criteria_for(contest.id, kind)
    if rows:
        return rows
    try:
        with db.session.begin_nested():
            for pos, spec in enumerate(rubric.default_rubric(kind.value)):
                db.session.add(RubricCriterion(contest_id=contest.id, kind=kind, position=pos, name=spec.name,
                                               description=spec.description, max_score=spec.max_score))
    except sa.exc.IntegrityError:
        pass  # a concurrent request created them first; use those
    return criteria_for(contest.id, kind)


def as_scoring_criteria(rows: Iterable[RubricCriterion]) -> list[scoring.Criterion]:
    return [scoring.Criterion(r.id, r.name, r.max_score) for r in rows]


def review_started(contest: Contest, kind: EntryKind, now: datetime) -> bool:
    """True once the review window has opened (by clock or by hand) or any score sheet exists."""
    window = contest.window(Phase.REVIEW)
    if window is not None and (window.override == Override.OPEN or
                               (window.override is None and now >= window.starts_at)):
        return True
    return db.session.scalar(sa.select(ScoreSheet.id).join(Entry, Entry.id == ScoreSheet.entry_id).where(
        Entry.contest_id == contest.id, Entry.kind == kind).limit(1)) is not None


@dataclass
class RubricRow:
    """One edited criterion; ``id`` None for a new one. Stored criteria missing from the list are deleted."""
    id: Optional[int]
    name: str
    description: str
    max_score: int


def update_rubric(contest: Contest, kind: EntryKind, rows: list[RubricRow], *, actor: User, now: datetime,
                  ip: str = "") -> list[RubricCriterion]:
    """Replace the rubric of ``contest``/``kind``. Raises ReviewError when review has started or the
    rows are invalid (see rubric.validate_rubric: names, maximums ≥ 1, total exactly 100)."""
    if review_started(contest, kind, now):
        raise ReviewError("专家评审已开始，评分标准已锁定，不能再修改。")
    errors = rubric.validate_rubric([rubric.CriterionSpec(r.name.strip(), r.max_score, r.description)
                                     for r in rows])
    if errors:
        raise ReviewError(" ".join(errors))
    existing = {c.id: c for c in ensure_rubric(contest, kind)}
    unknown = [r.id for r in rows if r.id is not None and r.id not in existing]
    if unknown:
        raise ReviewError("评分指标不存在或已被删除，请刷新页面后重试。")
    kept = {r.id for r in rows if r.id is not None}
    for cid, crit in existing.items():
        if cid not in kept:
            db.session.delete(crit)
    db.session.flush()
    next_pos = max([existing[cid].position for cid in kept], default=-1) + 1
    old = [f"{c.name}{c.max_score}" for c in existing.values()]
    for r in rows:
        if r.id is None:
            db.session.add(RubricCriterion(contest_id=contest.id, kind=kind, position=next_pos,
                                           name=r.name.strip(), description=r.description.strip(),
                                           max_score=r.max_score))
            next_pos += 1
        else:
            crit = existing[r.id]
            crit.name, crit.description, crit.max_score = r.name.strip(), r.description.strip(), r.max_score
    db.session.flush()
    result = criteria_for(contest.id, kind)
    audit.record("rubric_updated", actor=actor, contest_id=contest.id, target_type="rubric", ip=ip, now=now,
                 summary=f"{kind.label}：" + "、".join(f"{c.name}{c.max_score}分" for c in result),
                 detail={"kind": kind.value, "old": old, "new": [f"{c.name}{c.max_score}" for c in result]})
    return result


# --------------------------------------------------------------------------- assignment

def has_conflict(expert: User, entry: Entry) -> bool:
    """True when the expert is linked to the entry's unit (回避)."""
    return expert.conflict_unit_id is not None and expert.conflict_unit_id == entry.unit_id


def passed_entries(contest: Contest, kind: EntryKind) -> list[Entry]:
    """Submitted entries of ``kind`` that passed 初筛, in submission order."""
    return list(db.session.scalars(sa.select(Entry).where(
        Entry.contest_id == contest.id, Entry.kind == kind, Entry.state == EntryState.SUBMITTED,
        Entry.screening_status == ScreeningStatus.PASSED).options(selectinload(Entry.unit)).order_by(Entry.id)))


def active_experts() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.role == Role.EXPERT, User.active.is_(True))
                                    .order_by(User.id)))


@dataclass
class AssignResult:
    added: int = 0
    removed: int = 0
    conflicts: list[str] = field(default_factory=list)  # "expert → entry" pairs refused for conflict
    kept_submitted: list[str] = field(default_factory=list)  # removals refused: already submitted

    def message(self) -> str:
        parts = [f"新增分配{self.added}项", f"移除分配{self.removed}项"]
        text = "，".join(parts) + "。"
        if self.conflicts:
            text += f" 因利益冲突回避未分配{len(self.conflicts)}项：{'；'.join(self.conflicts[:5])}。"
        if self.kept_submitted:
            text += (f" 已提交评分的{len(self.kept_submitted)}项未移除（{'；'.join(self.kept_submitted[:5])}），"
                     "如需移除请先退回评分。")
        return text


def _assignments(contest: Contest, kind: EntryKind) -> dict[tuple[int, int], Assignment]:
    rows = db.session.scalars(sa.select(Assignment).join(Entry, Entry.id == Assignment.entry_id).where(
        Entry.contest_id == contest.id, Entry.kind == kind))
    return {(a.expert_id, a.entry_id): a for a in rows}


def _sheets(contest: Contest, kind: EntryKind) -> dict[tuple[int, int], ScoreSheet]:
    rows = db.session.scalars(sa.select(ScoreSheet).join(Entry, Entry.id == ScoreSheet.entry_id).where(
        Entry.contest_id == contest.id, Entry.kind == kind))
    return {(s.expert_id, s.entry_id): s for s in rows}


def set_assignments(contest: Contest, kind: EntryKind, wanted: set[tuple[int, int]], *, actor: User,
                    now: datetime, ip: str = "", only_add: bool = False) -> AssignResult:
    """Make the (expert id, entry id) assignments of ``contest``/``kind`` equal to ``wanted``
    (or only add them when ``only_add``). Pairs must name active experts and entries that passed 初筛,
    else ReviewError. Only the active experts' assignments are changed (the matrix shows no others):
    assignments and sheets of disabled experts are left as they are. Conflicted pairs are never assigned;
    assignments with a submitted score sheet are never removed (a draft sheet is removed with its
    assignment). Audit-logged."""
    experts = {e.id: e for e in active_experts()}
    entries = {e.id: e for e in passed_entries(contest, kind)}
    for expert_id, entry_id in wanted:
        if expert_id not in experts or entry_id not in entries:
            raise ReviewError("所选专家或作品无效（作品须已通过初筛、专家账号须为启用状态），请刷新页面后重试。")
    current = {pair: a for pair, a in _assignments(contest, kind).items() if pair[0] in experts}
    sheets = _sheets(contest, kind)
    result = AssignResult()
    for pair in sorted(wanted - set(current)):
        expert, entry = experts[pair[0]], entries[pair[1]]
        if has_conflict(expert, entry):
            result.conflicts.append(f"{expert.display_name or expert.username} → {entry.title}")
            continue
        db.session.add(Assignment(expert_id=pair[0], entry_id=pair[1], created_at=now))
        result.added += 1
    if not only_add:
        for pair in sorted(set(current) - wanted):
            sheet = sheets.get(pair)
            if sheet is not None and sheet.is_submitted:
                expert = sheet.expert
                result.kept_submitted.append(f"{expert.display_name or expert.username} → {sheet.entry.title}")
                continue
            if sheet is not None:
                db.session.delete(sheet)
            db.session.delete(current[pair])
            result.removed += 1
    db.session.flush()
    if result.added or result.removed:
        audit.record("assignment_changed", actor=actor, contest_id=contest.id, target_type="assignment", ip=ip,
                     now=now, summary=f"{kind.label}：{result.message()}",
                     detail={"kind": kind.value, "added": result.added, "removed": result.removed})
    return result


def assign_default(contest: Contest, kind: EntryKind, *, actor: User, now: datetime, ip: str = "") -> AssignResult:
    """Default assignment: every active expert × every entry of ``kind`` that passed 初筛 (conflicts skipped).
    Existing assignments are kept."""
    wanted = {(x.id, e.id) for x in active_experts() for e in passed_entries(contest, kind)}
    return set_assignments(contest, kind, wanted, actor=actor, now=now, ip=ip, only_add=True)


# --------------------------------------------------------------------------- the expert's workspace

def load_assigned_entry(expert: User, entry_id: int) -> Optional[Entry]:
    """The entry when ``expert`` is assigned to it, has no conflict of interest and the entry is still
    in review (submitted, passed 初筛); else None, which views turn into 404."""
    entry = db.session.get(Entry, entry_id)
    if entry is None or not expert.is_expert or has_conflict(expert, entry) or not entry.is_public:
        return None
    assigned = db.session.scalar(sa.select(Assignment.id).where(
        Assignment.expert_id == expert.id, Assignment.entry_id == entry.id))
    return entry if assigned is not None else None


def sheet_of(expert: User, entry: Entry) -> Optional[ScoreSheet]:
    return db.session.scalar(sa.select(ScoreSheet).where(
        ScoreSheet.expert_id == expert.id, ScoreSheet.entry_id == entry.id))


@dataclass
class WorkItem:
    entry: Entry
    sheet: Optional[ScoreSheet]

    @property
    def state_label(self) -> str:
        if self.sheet is None:
            return "待评"
        return "已评" if self.sheet.is_submitted else "草稿（待提交）"


def workspace(expert: User, contest: Contest) -> list[WorkItem]:
    """The expert's assigned entries in ``contest`` (conflicts and entries no longer in review left out),
    cases first, with the expert's own sheet if any."""
    entries = db.session.scalars(sa.select(Entry).join(Assignment, Assignment.entry_id == Entry.id).where(
        Assignment.expert_id == expert.id, Entry.contest_id == contest.id)
        .options(selectinload(Entry.unit)).order_by(Entry.kind, Entry.id))
    sheets = {s.entry_id: s for s in db.session.scalars(sa.select(ScoreSheet).join(
        Entry, Entry.id == ScoreSheet.entry_id).where(ScoreSheet.expert_id == expert.id,
                                                     Entry.contest_id == contest.id))}
    return [WorkItem(e, sheets.get(e.id)) for e in entries if e.is_public and not has_conflict(expert, e)]


def save_sheet(expert: User, entry: Entry, contest: Contest, raw: dict[int, Optional[str]], comment: str, *,
               submit: bool, now: datetime, ip: str = "") -> ScoreSheet:
    """Save the expert's scores for ``entry`` as a draft, or submit them (then locked).

    Raises ReviewError when the entry is not assigned / conflicted, the review window is closed, or the
    sheet is already submitted; scoring.ScoreInputError when a score is non-numeric, negative, above its
    maximum, not a multiple of 0.5, or (on submit) missing. Nothing changes on any error.
    """
    if load_assigned_entry(expert, entry.id) is None:
        raise ReviewError("该作品未分配给您评审，不能评分。")
    try:
        require_phase_open(contest, Phase.REVIEW, now)
    except ContestError as exc:
        raise ReviewError(f"{exc} 评审时间以外不能评分。") from exc
    sheet = sheet_of(expert, entry)
    if sheet is not None and sheet.is_submitted:
        raise ReviewError("您对该作品的评分已提交并锁定，不能再修改；如确需修改，请联系市信用办退回。")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ReviewError(f"评语不能超过{COMMENT_MAX}字，当前{len(comment)}字。")
    criteria = ensure_rubric(contest, entry.kind)
    values = scoring.parse_sheet(as_scoring_criteria(criteria), raw, complete=submit)
    if sheet is None:
        sheet = ScoreSheet(expert_id=expert.id, entry_id=entry.id, state=SheetState.DRAFT, updated_at=now)
        db.session.add(sheet)
    items = {i.criterion_id: i for i in sheet.items}
    for cid, value in values.items():
        if value is None:
            if cid in items:
                sheet.items.remove(items[cid])
        elif cid in items:
            items[cid].value = value
        else:
            sheet.items.append(ScoreItem(criterion_id=cid, value=value))
    sheet.total = scoring.total(values)
    sheet.comment = comment
    sheet.updated_at = now
    if submit:
        sheet.state = SheetState.SUBMITTED
        sheet.submitted_at = now
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            # Two tabs saved the first draft at the same moment: the unique sheet constraint won.
            raise ReviewError("同一评分正在另一个窗口中保存，请刷新页面后重试。") from None
        raise
    if submit:
        audit.record("score_submitted", actor=expert, contest_id=contest.id, target=sheet, ip=ip, now=now,
                     summary=f"作品#{entry.id}：合计{sheet.total}分",
                     detail={"entry_id": entry.id, "total": str(sheet.total)})
    return sheet


def reopen(sheet: ScoreSheet, reason: str, *, actor: User, now: datetime, ip: str = "") -> ScoreSheet:
    """An organizer sends a submitted sheet back to the expert as a draft. ``reason`` is required.
    Audit-logged with the reason. Raises ReviewError when the sheet is not submitted, no reason is given,
    or the review window is not open (the expert could not resubmit, and the draft would drop out of the
    ranking)."""
    reason = (reason or "").strip()
    if not actor.is_organizer:
        raise ReviewError("只有市信用办可以退回评分。")
    if not sheet.is_submitted:
        raise ReviewError("该评分尚未提交，无需退回。")
    if not is_phase_open(db.session.get(Contest, sheet.entry.contest_id), Phase.REVIEW, now):
        raise ReviewError("评审时间已结束，不能退回评分。如确需修改，请先在活动日程中重新开放专家评审。")
    if not reason:
        raise ReviewError("请填写退回原因。")
    if len(reason) > REASON_MAX:
        raise ReviewError(f"退回原因不能超过{REASON_MAX}字。")
    sheet.state = SheetState.DRAFT
    sheet.submitted_at = None
    sheet.updated_at = now
    db.session.flush()
    expert = sheet.expert
    audit.record("score_reopened", actor=actor, contest_id=sheet.entry.contest_id, target=sheet, ip=ip, now=now,
                 summary=f"{expert.display_name or expert.username} 对“{sheet.entry.title}”的评分：{reason}",
                 detail={"entry_id": sheet.entry_id, "expert_id": sheet.expert_id, "reason": reason,
                         "total": str(sheet.total)})
    return sheet


# --------------------------------------------------------------------------- progress and totals

CELL_LABELS = {"none": "—", "conflict": "回避", "conflict_scored": "回避（已评分，不计入）", "pending": "待评",
               "draft": "草稿", "submitted": "已提交"}


@dataclass
class Cell:
    # conflict_scored: the conflict was recorded after the expert submitted; the sheet is not counted
    # but stays reachable so the organizer can send it back.
    state: str  # none | conflict | conflict_scored | pending | draft | submitted
    sheet: Optional[ScoreSheet] = None

    @property
    def label(self) -> str:
        return CELL_LABELS[self.state]


@dataclass
class ExpertProgress:
    expert: User
    assigned: int
    submitted: int
    drafts: int

    @property
    def remaining(self) -> int:
        return self.assigned - self.submitted

    @property
    def percent(self) -> int:
        return scoring.completion_percent(self.submitted, self.assigned)


@dataclass
class Progress:
    experts: list[User]
    entries: list[Entry]
    cells: dict[tuple[int, int], Cell]
    per_expert: list[ExpertProgress]

    @property
    def behind(self) -> list[ExpertProgress]:
        """Active experts with assigned entries still not submitted, most remaining first (a disabled
        expert cannot log in, so there is nobody to remind)."""
        rows = [p for p in self.per_expert if p.remaining > 0 and p.expert.active]
        return sorted(rows, key=lambda p: (-p.remaining, p.expert.id))

    def cell(self, expert: User, entry: Entry) -> Cell:
        return self.cells[(expert.id, entry.id)]


def progress(contest: Contest, kind: EntryKind, *, with_disabled_scorers: bool = True) -> Progress:
    """The experts × entries matrix of ``contest``/``kind`` with each cell's state, and per-expert completion.

    The experts are the active ones plus, when ``with_disabled_scorers``, disabled experts holding a
    submitted sheet for one of these entries (it counts in the ranking unless a conflict of interest
    excludes it); ordered by id.
    The assignment matrix passes False: it shows exactly the experts ``set_assignments`` changes."""
    experts = active_experts()
    entries = passed_entries(contest, kind)
    assigned = _assignments(contest, kind)
    sheets = _sheets(contest, kind)
    if with_disabled_scorers:
        shown, entry_ids = {x.id for x in experts}, {e.id for e in entries}
        scorers = {x for (x, e), s in sheets.items() if s.is_submitted and e in entry_ids and x not in shown}
        if scorers:
            experts = sorted(experts + list(db.session.scalars(sa.select(User).where(User.id.in_(scorers)))),
                             key=lambda x: x.id)
    cells: dict[tuple[int, int], Cell] = {}
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for x in experts:
        for e in entries:
            key = (x.id, e.id)
            sheet = sheets.get(key)
            if has_conflict(x, e):
                cell = Cell("conflict_scored", sheet) if sheet is not None and sheet.is_submitted else Cell("conflict")
            elif key not in assigned:
                cell = Cell("none", sheet)
            else:
                cell = Cell("pending" if sheet is None else sheet.state.value, sheet)
                counts[x.id][0] += 1
                counts[x.id][1] += cell.state == "submitted"
                counts[x.id][2] += cell.state == "draft"
            cells[key] = cell
    per_expert = [ExpertProgress(x, *counts[x.id]) for x in experts]
    return Progress(experts, entries, cells, per_expert)


# The SQL form of has_conflict() for a row joining the expert (User) and the entry: a NULL conflict unit
# means no conflict.
_NO_CONFLICT = sa.or_(User.conflict_unit_id.is_(None), User.conflict_unit_id != Entry.unit_id)


def assigned_counts(contest_id: int, kind: EntryKind) -> dict[int, int]:
    """Entry id -> how many experts are assigned to it and may score it (an expert with a conflict of
    interest for the entry's unit, also one recorded after the assignment, does not count): the
    number ``submitted_totals_by_expert`` is measured against. Entries without one are absent."""
    rows = db.session.execute(sa.select(Assignment.entry_id, sa.func.count(Assignment.id))
                              .join(Entry, Entry.id == Assignment.entry_id).join(User, User.id == Assignment.expert_id)
                              .where(Entry.contest_id == contest_id, Entry.kind == kind, _NO_CONFLICT)
                              .group_by(Assignment.entry_id))
    return {entry_id: int(n) for entry_id, n in rows}


def submitted_totals_by_expert(contest_id: int, kind: EntryKind) -> dict[int, dict[int, Decimal]]:
    """Entry id -> {expert id -> total} of every *submitted* score sheet for the entries of ``contest_id``
    and ``kind`` (totals to two decimals). This is the one definition of an entry's expert scores: the
    ranking reads it. Drafts, reopened sheets and sheets of an expert with a conflict of interest for
    the entry's unit (回避, also when recorded after the sheet was submitted) are not included; entries
    without a counted sheet are absent."""
    rows = db.session.execute(sa.select(ScoreSheet.entry_id, ScoreSheet.expert_id, ScoreSheet.total).join(
        Entry, Entry.id == ScoreSheet.entry_id).join(User, User.id == ScoreSheet.expert_id).where(
        Entry.contest_id == contest_id, Entry.kind == kind, ScoreSheet.state == SheetState.SUBMITTED, _NO_CONFLICT)
        .order_by(ScoreSheet.entry_id, ScoreSheet.expert_id))
    result: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for entry_id, expert_id, value in rows:
        result[entry_id][expert_id] = Decimal(value).quantize(Decimal("0.01"))
    return dict(result)
