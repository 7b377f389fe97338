"""Ranking services: load the inputs, rank, check completeness, choose winners, freeze, unfreeze, publish.

The ranking of one kind is always handled as *plain data* (``ranking_data``): a JSON-serialisable
dict with every input and output number. The organizer page, the exports, the CLI, the frozen
snapshots and the backup check all use that same dict.

Cost does not grow with the number of votes: valid votes come from the denormalised
``Entry.vote_count``; expert totals are one row per score sheet.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa

from contest.accounts.models import Unit, User
from contest.contests.models import Contest, Phase
from contest.contests.services import is_phase_open
from contest.core import audit
from contest.core.db import is_unique_violation
from contest.core.timeutil import format_beijing
from contest.extensions import db
from contest.ranking import scoring
from contest.ranking.models import ResultSnapshot, WinnerChange, WinnerMode, WinnerRule
from contest.review import services as review_services
from contest.review.models import Assignment, ScoreSheet, SheetState
from contest.submissions.models import (Entry, EntryKind, EntryState, ScreeningStatus, Video,
                                        VideoCategory)

KINDS = {"case": EntryKind.CASE, "video": EntryKind.VIDEO}
DEFAULT_TOP_N = 10


class RankingError(ValueError):
    """A refusal with a Chinese message for the organizer; nothing was changed."""


class IncompleteError(RankingError):
    """Freezing refused because inputs are missing and the organizer did not confirm."""

    def __init__(self, issues: list[str]):
        super().__init__("评选数据尚不完整，请核对缺失项；如确认仍要冻结，请勾选“确认在数据不完整的情况下冻结”。")
        self.issues = issues


def parse_kind(value: str) -> EntryKind:
    """'case' | 'video' -> EntryKind; raises RankingError otherwise."""
    try:
        return KINDS[value]
    except KeyError:
        raise RankingError("作品类别无效，只能是 case（典型案例）或 video（优秀短视频）。") from None


def parse_category(value: Optional[str]) -> Optional[VideoCategory]:
    if not value:
        return None
    try:
        return VideoCategory(value)
    except ValueError:
        raise RankingError("视频类别无效，只能是剧情类、纪实类或动画类。") from None


# --------------------------------------------------------------------------- inputs


def _ranked_entries_stmt(contest_id: int, kind: EntryKind):
    """Entries that compete: submitted and passed 初筛."""
    return (sa.select(Entry.id, Entry.title, Entry.vote_count, Entry.submitted_at, Entry.unit_id, Unit.name)
            .join(Unit, Unit.id == Entry.unit_id)
            .where(Entry.contest_id == contest_id, Entry.kind == kind,
                   Entry.state == EntryState.SUBMITTED, Entry.screening_status == ScreeningStatus.PASSED)
            .order_by(Entry.id))


@dataclass
class _Inputs:
    entries: list[dict] = field(default_factory=list)
    totals: dict[int, dict[int, Any]] = field(default_factory=dict)
    assigned: dict[int, int] = field(default_factory=dict)
    experts: dict[int, str] = field(default_factory=dict)


def _load_inputs(contest_id: int, kind: EntryKind) -> _Inputs:
    inputs = _Inputs()
    categories: dict[int, Optional[VideoCategory]] = {}
    if kind == EntryKind.VIDEO:
        categories = dict(db.session.execute(
            sa.select(Video.id, Video.category).where(Video.contest_id == contest_id)).all())
    for eid, title, votes, submitted_at, unit_id, unit_name in db.session.execute(
            _ranked_entries_stmt(contest_id, kind)):
        cat = categories.get(eid)
        inputs.entries.append({"entry_id": eid, "title": title, "valid_votes": int(votes or 0),
                               "submitted_at": submitted_at, "unit_id": unit_id, "unit": unit_name,
                               "category": cat.value if cat else None})
    ids = [e["entry_id"] for e in inputs.entries]
    if not ids:
        return inputs
    wanted = set(ids)
    # An entry's expert scores are defined once, by the review module.
    submitted = review_services.submitted_totals_by_expert(contest_id, kind)
    inputs.totals = {eid: by_expert for eid, by_expert in submitted.items() if eid in wanted}
    inputs.assigned = {eid: n for eid, n in review_services.assigned_counts(contest_id, kind).items() if eid in wanted}
    expert_ids = {x for totals in inputs.totals.values() for x in totals}
    if expert_ids:
        for uid, name, username in db.session.execute(
                sa.select(User.id, User.display_name, User.username).where(User.id.in_(expert_ids))):
            inputs.experts[uid] = name or username
    return inputs


def _winner_rule(contest_id: int, kind: EntryKind) -> tuple[WinnerMode, int, dict[int, WinnerChange]]:
    rule = db.session.scalar(sa.select(WinnerRule).where(WinnerRule.contest_id == contest_id,
                                                         WinnerRule.kind == kind))
    mode = rule.mode if rule else WinnerMode.TOP_N
    top_n = rule.top_n if rule else DEFAULT_TOP_N
    changes = {c.entry_id: c for c in db.session.scalars(
        sa.select(WinnerChange).join(Entry, Entry.id == WinnerChange.entry_id)
        .where(WinnerChange.contest_id == contest_id, Entry.kind == kind))}
    return mode, top_n, changes


# --------------------------------------------------------------------------- the ranking as data


def ranking_data(contest: Contest | int, kind: EntryKind | str, category: VideoCategory | str | None = None,
                 *, now: Optional[datetime] = None) -> dict:
    """The live ranking of one kind as plain JSON-serialisable data; with a video ``category`` only that
    category's rows are kept, everything else (vote scale, ranks, winners) is the whole kind's, because
    winners are chosen over the whole kind.

    Contains the formula settings, the experts, and per entry: rank, valid votes, vote score, each
    expert's submitted total, the dropped (trimmed) experts, expert score, final score and whether it
    is a winner under the current winner rule. Exact values are strings ('83.125' or 'p/q'); ``*_2dp``
    are the two-decimal display values. Raises RankingError for an unknown kind/category.
    """
    if not isinstance(contest, Contest):
        contest = db.session.get(Contest, contest)
        if contest is None:
            raise RankingError("活动不存在。")
    kind = parse_kind(kind) if isinstance(kind, str) and not isinstance(kind, EntryKind) else kind
    category = parse_category(category) if isinstance(category, str) and not isinstance(category, VideoCategory) \
        else category
    inputs = _load_inputs(contest.id, kind)
    ranked = scoring.rank(
        [scoring.EntryInput(entry_id=e["entry_id"], valid_votes=e["valid_votes"],
                            expert_totals=inputs.totals.get(e["entry_id"], {}), submitted_at=e["submitted_at"])
         for e in inputs.entries],
        vote_weight_pct=contest.vote_weight_pct, expert_weight_pct=contest.expert_weight_pct,
        trim_extremes=contest.trim_extremes)
    mode, top_n, changes = _winner_rule(contest.id, kind)
    winners = scoring.choose_winners([r.entry_id for r in ranked], top_n=top_n, manual=mode == WinnerMode.MANUAL,
                                     changes={k: c.is_winner for k, c in changes.items()})
    by_id = {e["entry_id"]: e for e in inputs.entries}
    expert_ids = sorted(inputs.experts)
    rows = []
    for r in ranked:
        e = by_id[r.entry_id]
        rows.append({
            "rank": r.rank,
            "entry_id": r.entry_id,
            "title": e["title"],
            "unit": e["unit"],
            "unit_id": e["unit_id"],
            "category": e["category"],
            "category_label": VideoCategory(e["category"]).label if e["category"] else "",
            "submitted_at": e["submitted_at"].isoformat() if e["submitted_at"] else None,
            "valid_votes": r.valid_votes,
            "vote_score": scoring.fraction_text(r.vote_score),
            "vote_score_2dp": scoring.fmt2(r.vote_score),
            "expert_totals": {str(x): scoring.fraction_text(v) for x, v in sorted(r.expert_totals.items())},
            "dropped_experts": list(r.dropped_experts),
            "expert_count": len(r.expert_totals),
            "assigned_count": inputs.assigned.get(r.entry_id, 0),
            "expert_score": scoring.fraction_text(r.expert_score),
            "expert_score_2dp": scoring.fmt2(r.expert_score),
            "final_score": scoring.fraction_text(r.final_score),
            "final_score_2dp": scoring.fmt2(r.final_score),
            "winner": r.entry_id in winners,
        })
    if category is not None:
        rows = [row for row in rows if row["category"] == category.value]
    return {
        "contest_id": contest.id,
        "contest_title": contest.title,
        "kind": kind.value,
        "kind_label": kind.label,
        "category": category.value if category else None,
        "category_label": category.label if category else "",
        "computed_at": now.isoformat() if now else None,
        "formula": {
            "vote_weight_pct": contest.vote_weight_pct,
            "expert_weight_pct": contest.expert_weight_pct,
            "trim_extremes": contest.trim_extremes,
            "trim_min_sheets": scoring.TRIM_MIN_SHEETS,
            "max_votes": max((r.valid_votes for r in ranked), default=0),
            "text": scoring.FORMULA_TEXT,
        },
        "winner_rule": {
            "mode": mode.value,
            "mode_label": mode.label,
            "top_n": top_n,
            "changes": [{"entry_id": c.entry_id, "is_winner": c.is_winner, "reason": c.reason,
                         "changed_at": c.changed_at.isoformat() if c.changed_at else None}
                        for c in sorted(changes.values(), key=lambda c: c.entry_id)],
        },
        "experts": [{"id": x, "name": inputs.experts[x]} for x in expert_ids],
        "rows": rows,
    }


def raw_inputs(contest: Contest) -> dict:
    """The raw inputs of a contest as plain data: valid votes per entry and each expert's
    per-criterion scores on submitted sheets (for ``contest export-raw``)."""
    from contest.review.models import RubricCriterion, ScoreItem

    entries = []
    for eid, kind, title, votes, state, screening in db.session.execute(
            sa.select(Entry.id, Entry.kind, Entry.title, Entry.vote_count, Entry.state, Entry.screening_status)
            .where(Entry.contest_id == contest.id).order_by(Entry.id)):
        entries.append({"entry_id": eid, "kind": kind.value, "title": title, "valid_votes": int(votes or 0),
                        "state": state.value, "screening_status": screening.value})
    criteria = {cid: (name, max_score) for cid, name, max_score in db.session.execute(
        sa.select(RubricCriterion.id, RubricCriterion.name, RubricCriterion.max_score)
        .where(RubricCriterion.contest_id == contest.id))}
    sheets: dict[int, dict] = {}
    for sid, eid, expert_id, total, submitted_at in db.session.execute(
            sa.select(ScoreSheet.id, ScoreSheet.entry_id, ScoreSheet.expert_id, ScoreSheet.total,
                      ScoreSheet.submitted_at)
            .join(Entry, Entry.id == ScoreSheet.entry_id)
            .where(Entry.contest_id == contest.id, ScoreSheet.state == SheetState.SUBMITTED)
            .order_by(ScoreSheet.entry_id, ScoreSheet.expert_id)):
        sheets[sid] = {"entry_id": eid, "expert_id": expert_id, "total": str(total),
                       "submitted_at": submitted_at.isoformat() if submitted_at else None, "items": []}
    if sheets:
        for sid, cid, value in db.session.execute(
                sa.select(ScoreItem.sheet_id, ScoreItem.criterion_id, ScoreItem.value)
                .where(ScoreItem.sheet_id.in_(list(sheets))).order_by(ScoreItem.sheet_id, ScoreItem.criterion_id)):
            name, max_score = criteria.get(cid, ("", None))
            sheets[sid]["items"].append({"criterion_id": cid, "criterion": name, "max_score": max_score,
                                         "value": str(value)})
    return {"contest_id": contest.id, "contest_title": contest.title,
            "vote_weight_pct": contest.vote_weight_pct, "expert_weight_pct": contest.expert_weight_pct,
            "trim_extremes": contest.trim_extremes, "entries": entries, "score_sheets": list(sheets.values())}


# --------------------------------------------------------------------------- completeness


def completeness(contest: Contest, kind: EntryKind, data: dict, now: datetime) -> list[str]:
    """What is missing before freezing, as Chinese sentences (empty when complete): entries with
    fewer submitted expert scores than assigned experts (or none assigned), an open voting window,
    an open review window, and no competing entries at all."""
    issues = []
    if not data["rows"]:
        issues.append(f"没有通过初筛的{kind.label}。")
    for row in data["rows"]:
        if row["assigned_count"] == 0 and row["expert_count"] == 0:
            issues.append(f"《{row['title']}》（{row['unit']}）尚未分配评审专家，也没有专家评分。")
        elif row["expert_count"] < row["assigned_count"]:
            issues.append(f"《{row['title']}》（{row['unit']}）已分配 {row['assigned_count']} 位专家，"
                          f"只提交了 {row['expert_count']} 份评分。")
    for phase in (Phase.VOTING, Phase.REVIEW):
        if is_phase_open(contest, phase, now):
            w = contest.window(phase)
            issues.append(f"{phase.label}仍在进行中（截止 {format_beijing(w.ends_at)}），此后的变化不会计入冻结的结果。")
    return issues


# --------------------------------------------------------------------------- snapshots


def current_snapshot(contest_id: int, kind: EntryKind) -> Optional[ResultSnapshot]:
    return db.session.scalar(sa.select(ResultSnapshot).where(
        ResultSnapshot.current_key == ResultSnapshot.key_for(contest_id, kind)))


def snapshots(contest_id: int, kind: EntryKind) -> list[ResultSnapshot]:
    return list(db.session.scalars(sa.select(ResultSnapshot).where(
        ResultSnapshot.contest_id == contest_id, ResultSnapshot.kind == kind).order_by(ResultSnapshot.id.desc())))


def _refuse_if_frozen(contest_id: int, kind: EntryKind) -> None:
    snap = current_snapshot(contest_id, kind)
    if snap is not None:
        raise RankingError(f"{kind.label}的结果已于 {format_beijing(snap.frozen_at)} 冻结，"
                           "如需修改，请先解冻并填写原因。")


def freeze(contest: Contest, kind: EntryKind, *, actor: User, now: datetime,
           confirm_incomplete: bool = False) -> ResultSnapshot:
    """Freeze the current ranking of ``kind`` into an immutable snapshot (flushed, audit-logged).

    Raises RankingError when already frozen or when there are no competing entries, and
    IncompleteError (listing what is missing) unless ``confirm_incomplete`` when inputs are missing.
    """
    _refuse_if_frozen(contest.id, kind)
    data = ranking_data(contest, kind, now=now)
    if not data["rows"]:
        raise RankingError(f"没有通过初筛的{kind.label}，无法冻结结果。")
    issues = completeness(contest, kind, data, now)
    if issues and not confirm_incomplete:
        raise IncompleteError(issues)
    data["completeness_issues"] = issues
    data["frozen_at"] = now.isoformat()
    data["frozen_by"] = {"id": actor.id, "label": actor.label}
    snap = ResultSnapshot(contest_id=contest.id, kind=kind, current_key=ResultSnapshot.key_for(contest.id, kind),
                          data=data, frozen_at=now, frozen_by_id=actor.id, confirmed_incomplete=bool(issues))
    try:
        with db.session.begin_nested():
            db.session.add(snap)
            db.session.flush()
    except sa.exc.IntegrityError as exc:
        if is_unique_violation(exc):
            raise RankingError(f"{kind.label}的结果刚刚已被冻结，不能重复冻结。") from None
        raise
    winners = [r["entry_id"] for r in data["rows"] if r["winner"]]
    audit.record("results_frozen", actor=actor, contest_id=contest.id, target=snap, now=now,
                 summary=f"冻结{kind.label}结果：{len(data['rows'])} 件作品，获奖 {len(winners)} 件"
                         + ("（确认数据不完整）" if issues else ""),
                 detail={"kind": kind.value, "winners": winners, "issues": issues})
    return snap


def unfreeze(contest: Contest, kind: EntryKind, *, actor: User, now: datetime, reason: str) -> ResultSnapshot:
    """Make the current snapshot non-current (its numbers stay as they were). Raises RankingError
    without a reason or when nothing is frozen."""
    reason = (reason or "").strip()
    if not reason:
        raise RankingError("解冻必须填写原因，请说明为什么需要修改已冻结的结果。")
    if len(reason) > 500:
        raise RankingError("解冻原因不能超过 500 字。")
    snap = current_snapshot(contest.id, kind)
    if snap is None:
        raise RankingError(f"{kind.label}的结果尚未冻结，无需解冻。")
    was_published = snap.published_at is not None
    snap.current_key = None
    snap.unfrozen_at = now
    snap.unfrozen_by_id = actor.id
    snap.unfreeze_reason = reason
    db.session.flush()
    audit.record("results_unfrozen", actor=actor, contest_id=contest.id, target=snap, now=now,
                 summary=f"解冻{kind.label}结果" + ("（已撤下公示）" if was_published else "") + f"：{reason}",
                 detail={"kind": kind.value, "reason": reason, "was_published": was_published})
    return snap


def publish(contest: Contest, kind: EntryKind, *, actor: User, now: datetime) -> ResultSnapshot:
    """Publish the frozen results of ``kind`` on the public results page. Raises RankingError when
    the results are not frozen or already published."""
    snap = current_snapshot(contest.id, kind)
    if snap is None:
        raise RankingError(f"{kind.label}的结果尚未冻结，不能发布。请先核对完整性并冻结结果。")
    if snap.published_at is not None:
        raise RankingError(f"{kind.label}的结果已于 {format_beijing(snap.published_at)} 发布，无需重复发布。")
    snap.published_at = now
    snap.published_by_id = actor.id
    db.session.flush()
    audit.record("results_published", actor=actor, contest_id=contest.id, target=snap, now=now,
                 summary=f"发布{kind.label}结果", detail={"kind": kind.value})
    return snap


# --------------------------------------------------------------------------- winners


def set_winner_rule(contest: Contest, kind: EntryKind, *, mode: WinnerMode, top_n: int, actor: User,
                    now: datetime) -> WinnerRule:
    """Set how winners are chosen. Raises RankingError when frozen or ``top_n`` is out of range."""
    _refuse_if_frozen(contest.id, kind)
    if top_n < 0 or top_n > 1000:
        raise RankingError("获奖数量必须是 0 到 1000 之间的整数。")
    rule = db.session.scalar(sa.select(WinnerRule).where(WinnerRule.contest_id == contest.id,
                                                         WinnerRule.kind == kind))
    if rule is None:
        rule = WinnerRule(contest_id=contest.id, kind=kind)
        db.session.add(rule)
    before = (rule.mode.value if rule.mode else None, rule.top_n)
    rule.mode, rule.top_n, rule.updated_at, rule.updated_by_id = mode, top_n, now, actor.id
    db.session.flush()
    audit.record("winners_changed", actor=actor, contest_id=contest.id, target=rule, now=now,
                 summary=f"{kind.label}获奖规则：{mode.label}，N = {top_n}",
                 detail={"kind": kind.value, "before": list(before), "mode": mode.value, "top_n": top_n})
    return rule


def set_winner_choice(contest: Contest, entry_id: int, *, is_winner: bool, reason: str, actor: User,
                      now: datetime) -> WinnerChange:
    """Record a manual change (winner or not) for one entry, with its reason. Switches the kind's rule
    to manual mode. Raises RankingError without a reason, for an entry that does not compete in this
    contest, or when the results are frozen."""
    reason = (reason or "").strip()
    if not reason:
        raise RankingError("手动调整获奖名单必须填写原因。")
    if len(reason) > 500:
        raise RankingError("调整原因不能超过 500 字。")
    entry = db.session.get(Entry, entry_id)
    if entry is None or entry.contest_id != contest.id or not entry.is_public:
        raise RankingError("该作品不在本次评选范围内（需已提交并通过初筛）。")
    _refuse_if_frozen(contest.id, entry.kind)
    rule = db.session.scalar(sa.select(WinnerRule).where(WinnerRule.contest_id == contest.id,
                                                         WinnerRule.kind == entry.kind))
    if rule is None:
        rule = WinnerRule(contest_id=contest.id, kind=entry.kind, top_n=DEFAULT_TOP_N)
        db.session.add(rule)
    rule.mode, rule.updated_at, rule.updated_by_id = WinnerMode.MANUAL, now, actor.id
    change = db.session.scalar(sa.select(WinnerChange).where(WinnerChange.entry_id == entry.id))
    if change is None:
        change = WinnerChange(contest_id=contest.id, entry_id=entry.id)
        db.session.add(change)
    change.is_winner, change.reason, change.changed_at, change.changed_by_id = is_winner, reason, now, actor.id
    db.session.flush()
    audit.record("winners_changed", actor=actor, contest_id=contest.id, target=entry, target_type="entry", now=now,
                 summary=f"{'设为获奖' if is_winner else '取消获奖'}：《{entry.title}》，原因：{reason}",
                 detail={"entry_id": entry.id, "is_winner": is_winner, "reason": reason})
    return change


# --------------------------------------------------------------------------- public results


def published_results(contest: Contest) -> list[dict]:
    """For the public page: per kind with published current results, the frozen data's winners."""
    out = []
    for kind in (EntryKind.CASE, EntryKind.VIDEO):
        snap = current_snapshot(contest.id, kind)
        if snap is None or snap.published_at is None:
            continue
        winners = [r for r in snap.data["rows"] if r["winner"]]
        out.append({"kind": kind, "snapshot": snap, "winners": winners, "formula": snap.data["formula"]})
    return out


def export_entry_count(contest: Contest) -> int:
    return db.session.scalar(sa.select(sa.func.count(Entry.id)).where(
        Entry.contest_id == contest.id, Entry.state == EntryState.SUBMITTED)) or 0

