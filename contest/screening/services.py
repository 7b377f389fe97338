"""初筛 services: listing submitted entries, deciding 通过/不通过 (singly or in bulk), audit-logged.
Decisions are accepted only while the 初筛 phase is open (an organizer override in the contest
settings opens it by hand)."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from contest.accounts.models import Unit, User
from contest.contests.models import Contest, Phase
from contest.contests.services import ContestError, require_phase_open
from contest.core import audit
from contest.extensions import db
from contest.screening import rules
from contest.submissions.models import Entry, EntryKind, EntryState, ScreeningStatus


class ScreeningError(ValueError):
    """A refused decision (Chinese message); ``status`` is 409 for a closed window, else 400."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def require_open(contest: Contest, now: datetime) -> None:
    try:
        require_phase_open(contest, Phase.SCREENING, now)
    except ContestError as exc:
        raise ScreeningError(f"{exc} 现在不能进行初筛。", 409) from exc


def list_entries(contest: Contest, *, kind: Optional[EntryKind] = None, status: Optional[ScreeningStatus] = None,
                 q: str = "") -> list[Entry]:
    """Submitted entries of the contest, pending first, then by unit and title."""
    query = (sa.select(Entry).join(Unit, Unit.id == Entry.unit_id)
             .where(Entry.contest_id == contest.id, Entry.state == EntryState.SUBMITTED)
             .options(selectinload(Entry.unit)))
    if kind is not None:
        query = query.where(Entry.kind == kind)
    if status is not None:
        query = query.where(Entry.screening_status == status)
    q = (q or "").strip()
    if q:
        query = query.where(sa.or_(Entry.title.ilike(f"%{q}%"), Unit.name.ilike(f"%{q}%")))
    order = sa.case((Entry.screening_status == ScreeningStatus.PENDING, 0), else_=1)
    return list(db.session.scalars(query.order_by(order, Unit.name, Entry.title, Entry.id)))


def counts(contest: Contest) -> dict[ScreeningStatus, int]:
    rows = db.session.execute(sa.select(Entry.screening_status, sa.func.count()).where(
        Entry.contest_id == contest.id, Entry.state == EntryState.SUBMITTED).group_by(Entry.screening_status))
    result = {s: 0 for s in ScreeningStatus}
    result.update({s: n for s, n in rows})
    return result


def screen(entry: Entry, contest: Contest, decision: str, reason: str, *, actor: User, now: datetime,
           ip: str = "") -> None:
    """Record one decision. Raises ScreeningError (409 window closed, 400 invalid); nothing changes then."""
    require_open(contest, now)
    error = rules.decision_error(decision, reason, entry.state.value)
    if error:
        raise ScreeningError(error)
    _apply(entry, ScreeningStatus(decision), (reason or "").strip(), actor=actor, now=now, ip=ip)


def screen_many(contest: Contest, entry_ids: Iterable[int], decision: str, reason: str, *, actor: User,
                now: datetime, ip: str = "") -> int:
    """The same decision for several entries of ``contest``; all or nothing. Returns how many changed.
    Unknown ids or entries of another contest or not submitted refuse the whole batch."""
    require_open(contest, now)
    ids = sorted(set(entry_ids))
    if not ids:
        raise ScreeningError("请先勾选要初筛的作品。")
    error = rules.decision_error(decision, reason)
    if error:
        raise ScreeningError(error)
    entries = list(db.session.scalars(sa.select(Entry).where(Entry.id.in_(ids), Entry.contest_id == contest.id)))
    if len(entries) != len(ids) or any(e.state != EntryState.SUBMITTED for e in entries):
        raise ScreeningError("所选作品中有不存在、不属于本活动或未提交的作品，请刷新页面后重新选择。")
    for entry in entries:
        _apply(entry, ScreeningStatus(decision), (reason or "").strip(), actor=actor, now=now, ip=ip)
    return len(entries)


def _apply(entry: Entry, status: ScreeningStatus, reason: str, *, actor: User, now: datetime, ip: str) -> None:
    old = entry.screening_status
    entry.screening_status = status
    entry.screening_reason = reason
    entry.screened_at = now
    entry.screened_by_id = actor.id
    db.session.flush()
    audit.record("screened", actor=actor, contest_id=entry.contest_id, target=entry,
                 target_type=entry.kind.value, ip=ip, now=now,
                 summary=f"{entry.title}：{status.label}" + (f"（{reason}）" if reason else ""),
                 detail={"old": old.value, "new": status.value, "reason": reason})
