"""Contest services: creating contests, the schedule, phase checks and quota progress."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from contest.accounts.models import Unit, UnitKind, User
from contest.contests import phases
from contest.contests.models import Contest, Override, Phase, PhaseWindow, Quota
from contest.core import audit
from contest.core.prepared import Prepared
from contest.core.timeutil import beijing, format_beijing, format_deadline
from contest.extensions import db

NOTICE_2024_TITLE = "2024年度西安市社会信用体系建设典型案例及优秀短视频征集活动"
NOTICE_2024_DOC = "市信用办发〔2024〕3号"
NOTICE_2024_TEXT = (
    "为贯彻落实党中央、国务院关于加强社会信用体系建设的决策部署和相关文件要求，扎实推进信用理念、"
    "信用制度、信用手段与经济社会发展深度融合，发挥典型案例的示范引领作用，现组织开展2024年度西安市"
    "社会信用体系建设典型案例及优秀短视频征集活动。\n"
    "信用典型案例和短视频紧紧围绕探索运用信用理念和方式解决制约经济社会运行的难点、堵点、痛点问题，"
    "在健全信用机制、打造良好信用环境、信用促进金融服务实体经济、信用监管和信用服务、重点行业从业人员"
    "个人信用体系、诚信文化建设等领域探索实践中，改革创新力度大、效果好、影响广，具有可推广性可复制性，"
    "已经显现实践效果的典型案例做法。\n"
    "案例申报字数不超过2000字。市级各部门报送典型案例不少于1个，各区县、西咸新区、各开发区报送典型案例不少于3个。\n"
    "短视频作品主要分为剧情类、纪实类、动画类三大类别，时长2-5分钟，拍摄格式为9:16，分辨率1080*1920，须为原创作品。\n"
    "本次评选采取“专家评审+网络投票”的方式：案例初筛、网络投票（权重30%）、专家评审（权重70%）。"
)

# The 2024 notice's schedule in Beijing wall-clock time; ends are exclusive (24:00 = next day 00:00).
NOTICE_2024_SCHEDULE = {
    Phase.SUBMISSION: (beijing(2024, 2, 27), beijing(2024, 4, 23, 24)),
    Phase.SCREENING: (beijing(2024, 4, 24), beijing(2024, 4, 29, 24)),
    Phase.VOTING: (beijing(2024, 4, 30), beijing(2024, 5, 31, 24)),
    Phase.REVIEW: (beijing(2024, 4, 30), beijing(2024, 6, 30, 24)),
    Phase.PUBLICATION: (beijing(2024, 7, 1), beijing(2024, 12, 31, 24)),
}

DEFAULT_QUOTAS = {
    UnitKind.CITY_DEPT: 1,
    UnitKind.DISTRICT: 3,
    UnitKind.XIXIAN: 3,
    UnitKind.DEV_ZONE: 3,
}


class ContestError(ValueError):
    """A user-facing refusal with a Chinese message."""


def create_contest(*, title: str, schedule: dict[Phase, tuple[datetime, datetime]], actor: Optional[User],
                   now: datetime, quotas: Optional[dict[UnitKind, int]] = None, **settings) -> Contest:
    """Create a contest with its five phase windows (naive UTC) and quotas. Audit-logged."""
    contest = Contest(title=title, **settings)
    for phase, (start, end) in schedule.items():
        errors = phases.validate_window(start, end)
        if errors:
            raise ContestError(f"{phase.label}：{errors[0]}")
        contest.windows.append(PhaseWindow(phase=phase, starts_at=start, ends_at=end))
    for kind, minimum in (quotas or DEFAULT_QUOTAS).items():
        contest.quotas.append(Quota(unit_kind=kind, min_cases=minimum))
    db.session.add(contest)
    db.session.flush()
    audit.record("contest_created", actor=actor, contest_id=contest.id, target=contest, summary=title, now=now)
    return contest


def create_notice_2024_contest(*, actor: Optional[User], now: datetime) -> Contest:
    """The default contest, seeded from notice 市信用办发〔2024〕3号 with its real dates."""
    return create_contest(
        title=NOTICE_2024_TITLE, schedule=NOTICE_2024_SCHEDULE, actor=actor, now=now,
        doc_number=NOTICE_2024_DOC, notice_text=NOTICE_2024_TEXT,
        organizer_name="西安市社会信用体系建设领导小组办公室",
        contact_name="郭方泽", contact_phone="15619369561", contact_email="xiancredit@163.com",
    )


# Asked on every page (the base template shows the contest): prepared, see bench/README.md §2.
_EARLIEST_STARTS = Prepared("""
SELECT c.id, min(w.starts_at) AS first_start FROM contest c LEFT JOIN phase_window w ON w.contest_id = c.id
GROUP BY c.id
""", columns={"first_start": sa.DateTime()})


def public_contest(now: datetime) -> Optional[Contest]:
    """The contest units, experts and the public see at ``now`` (naive UTC): the rule of
    ``phases.public_contest_id`` over each contest's earliest phase start. None when there is none."""
    contest_id = phases.public_contest_id(_EARLIEST_STARTS.all_in(db.session, {}), now)
    return db.session.get(Contest, contest_id) if contest_id is not None else None


def _window_value(w: PhaseWindow) -> phases.Window:
    return phases.Window(w.phase.value, w.starts_at, w.ends_at, w.override.value if w.override else None)


def is_phase_open(contest: Contest, phase: Phase, now: datetime) -> bool:
    """True when ``phase`` of ``contest`` accepts actions at ``now`` (naive UTC), overrides included."""
    window = contest.window(phase)
    return window is not None and phases.is_open(_window_value(window), now)


def open_phases(contest: Contest, now: datetime) -> list[Phase]:
    """The phases open at ``now`` in schedule order."""
    return [Phase(p) for p in phases.current_phases([_window_value(w) for w in contest.windows], now)]


def seconds_left(contest: Contest, phase: Phase, now: datetime) -> Optional[float]:
    """Seconds until the phase closes by the clock, or None when it is not open or closes by hand only."""
    window = contest.window(phase)
    if window is None or not is_phase_open(contest, phase, now):
        return None
    if window.override == Override.OPEN and now >= window.ends_at:
        return None
    return (window.ends_at - now).total_seconds()


def require_phase_open(contest: Contest, phase: Phase, now: datetime) -> None:
    """Raise ContestError with a Chinese message stating the window when ``phase`` is closed."""
    window = contest.window(phase)
    reason = phase_closed_reason(phase, _window_value(window) if window is not None else None, now)
    if reason:
        raise ContestError(reason)


def phase_closed_reason(phase: Phase, window: Optional[phases.Window], now: datetime) -> Optional[str]:
    """None when ``window`` (the plain value of ``phase``'s window, or None when the contest has none) is
    open at ``now``; else the Chinese reason, stating the window in Beijing time."""
    if window is not None and phases.is_open(window, now):
        return None
    if window is None:
        return f"本活动未设置“{phase.label}”阶段。"
    span = f"{format_beijing(window.starts_at)} 至 {format_deadline(window.ends_at)}（北京时间）"
    if window.override == Override.CLOSED.value:
        return f"“{phase.label}”阶段已由市信用办关闭。规定时间：{span}。"
    if now < window.starts_at:
        return f"“{phase.label}”阶段尚未开始，时间为 {span}。"
    return f"“{phase.label}”阶段已于 {format_deadline(window.ends_at)}（北京时间）截止。"


def update_window(contest: Contest, phase: Phase, starts_at: datetime, ends_at: datetime, *,
                  actor: User, now: datetime, ip: str = "") -> PhaseWindow:
    """Change a phase's window; raises ContestError (nothing changes) when end ≤ start."""
    errors = phases.validate_window(starts_at, ends_at)
    if errors:
        raise ContestError(f"{phase.label}：{errors[0]}")
    window = contest.window(phase)
    old = None
    if window is None:
        window = PhaseWindow(phase=phase, starts_at=starts_at, ends_at=ends_at)
        contest.windows.append(window)
    else:
        old = [format_beijing(window.starts_at), format_deadline(window.ends_at)]
        window.starts_at, window.ends_at = starts_at, ends_at
    db.session.flush()
    audit.record("phase_changed", actor=actor, contest_id=contest.id, target=window, ip=ip, now=now,
                 summary=f"{phase.label}：{format_beijing(starts_at)} 至 {format_deadline(ends_at)}",
                 detail={"phase": phase.value, "old": old,
                         "new": [format_beijing(starts_at), format_deadline(ends_at)]})
    return window


def set_override(contest: Contest, phase: Phase, override: Optional[Override], *, actor: User,
                 now: datetime, reason: str = "", ip: str = "") -> PhaseWindow:
    """Open or close a phase by hand (None returns it to the clock). Audit-logged with the reason."""
    window = contest.window(phase)
    if window is None:
        raise ContestError(f"本活动未设置“{phase.label}”阶段。")
    window.override = override
    db.session.flush()
    label = {None: "恢复按时间自动开关", Override.OPEN: "手动开启", Override.CLOSED: "手动关闭"}[override]
    audit.record("phase_override", actor=actor, contest_id=contest.id, target=window, ip=ip, now=now,
                 summary=f"{phase.label}：{label}" + (f"（{reason}）" if reason else ""),
                 detail={"phase": phase.value, "override": override.value if override else None,
                         "reason": reason})
    return window


@dataclass
class QuotaRow:
    unit: Unit
    required: int
    submitted: int
    drafts: int

    @property
    def behind(self) -> bool:
        return self.submitted < self.required


def quota_progress(contest: Contest, unit_ids: Optional[list[int]] = None) -> list[QuotaRow]:
    """Every unit (or the given ones) with submitted cases against its quota, units behind first."""
    from contest.submissions.models import Case, EntryState

    counts = dict(db.session.execute(
        sa.select(Case.unit_id, sa.func.count()).where(
            Case.contest_id == contest.id, Case.state == EntryState.SUBMITTED).group_by(Case.unit_id)).all())
    drafts = dict(db.session.execute(
        sa.select(Case.unit_id, sa.func.count()).where(
            Case.contest_id == contest.id, Case.state == EntryState.DRAFT).group_by(Case.unit_id)).all())
    query = sa.select(Unit).order_by(Unit.kind, Unit.name)
    if unit_ids is not None:
        query = query.where(Unit.id.in_(unit_ids))
    rows = [QuotaRow(u, contest.quota_for(u.kind), counts.get(u.id, 0), drafts.get(u.id, 0))
            for u in db.session.scalars(query)]
    rows.sort(key=lambda r: (not r.behind, r.unit.kind.value, r.unit.name))
    return rows


# --- Settings edited by organizers (admin feature) ---------------------------------------------

SETTING_FIELDS = ("title", "doc_number", "notice_text", "organizer_name", "contact_name", "contact_phone",
                  "contact_email", "vote_weight_pct", "expert_weight_pct", "trim_extremes", "blind_review",
                  "case_char_limit", "video_min_seconds", "video_max_seconds", "video_width", "video_height")

# Settings that decide the result. Changing them once voting or review has begun (or after a result
# was frozen) would let an organizer steer the outcome, so they lock then.
WEIGHT_FIELDS = ("vote_weight_pct", "expert_weight_pct")
REVIEW_RULE_FIELDS = ("trim_extremes", "blind_review")


def phase_begun(contest: Contest, phase: Phase, now: datetime) -> Optional[str]:
    """None while ``phase`` has not begun at ``now``; else a Chinese clause saying since when. A phase has
    begun once the clock passed its start (even if it was closed by hand later) or it was opened by hand."""
    window = contest.window(phase)
    if window is None:
        return None
    if now >= window.starts_at:
        return f"“{phase.label}”阶段已于 {format_beijing(window.starts_at)}（北京时间）开始"
    if window.override == Override.OPEN:
        return f"“{phase.label}”阶段已由市信用办手动开启"
    return None


def _first_frozen_at(contest: Contest) -> Optional[datetime]:
    from contest.ranking.models import ResultSnapshot  # ranking builds on contests; imported late

    return db.session.scalar(sa.select(sa.func.min(ResultSnapshot.frozen_at))
                             .where(ResultSnapshot.contest_id == contest.id))


def locked_settings(contest: Contest, now: datetime) -> dict[str, str]:
    """The scoring settings that can no longer change, each with the Chinese reason (empty when none).

    The weights lock once the first of 网络投票 / 专家评审 has begun; 去掉最高最低分 and 盲评 lock once
    专家评审 has begun; all of them lock for good once any result snapshot of the contest was frozen
    (unfreezing does not unlock them)."""
    frozen_at = _first_frozen_at(contest)
    if frozen_at is not None:
        since = f"评选结果已于 {format_beijing(frozen_at)}（北京时间）冻结"
        weights_since = rules_since = since
    else:
        # The earlier of the two windows (voting first on a tie, as the notice lists it) gives the reason.
        begun = [(contest.window(p).starts_at, reason) for p in (Phase.VOTING, Phase.REVIEW)
                 if (reason := phase_begun(contest, p, now))]
        weights_since = min(begun, key=lambda b: b[0])[1] if begun else None
        rules_since = phase_begun(contest, Phase.REVIEW, now)
    locks = {}
    if weights_since:
        message = f"{weights_since}，网络投票与专家评审权重已锁定，不能再修改。"
        locks.update(dict.fromkeys(WEIGHT_FIELDS, message))
    if rules_since:
        message = f"{rules_since}，“去掉最高分和最低分”与“盲评”设置已锁定，不能再修改。"
        locks.update(dict.fromkeys(REVIEW_RULE_FIELDS, message))
    return locks


def update_settings(contest: Contest, *, actor: User, now: datetime, quotas: dict[UnitKind, int],
                    ip: str = "", **settings) -> Contest:
    """Change a contest's settings and quotas. Raises ContestError (nothing changes) for a change of a
    locked scoring setting (see ``locked_settings``), weights that do not add up to 100, a non-positive
    character limit or a video duration range that is reversed."""
    unknown = set(settings) - set(SETTING_FIELDS)
    if unknown:
        raise TypeError(f"unknown contest settings: {sorted(unknown)}")
    locks = locked_settings(contest, now)
    for field, value in settings.items():
        if field in locks and getattr(contest, field) != value:
            raise ContestError(locks[field])
    merged = {f: getattr(contest, f) for f in SETTING_FIELDS} | settings
    errors = phases.validate_weights(merged["vote_weight_pct"], merged["expert_weight_pct"])
    if not str(merged["title"]).strip():
        errors.append("请填写活动名称。")
    if merged["case_char_limit"] <= 0:
        errors.append("案例字数上限必须大于 0。")
    if not 0 < merged["video_min_seconds"] <= merged["video_max_seconds"]:
        errors.append("短视频最短时长必须大于 0 且不超过最长时长。")
    if merged["video_width"] <= 0 or merged["video_height"] <= 0:
        errors.append("短视频分辨率必须大于 0。")
    if any(v < 0 for v in quotas.values()):
        errors.append("报送数量下限不能为负数。")
    if errors:
        raise ContestError(errors[0])
    changed = {f: [getattr(contest, f), v] for f, v in settings.items() if getattr(contest, f) != v}
    for field, value in settings.items():
        setattr(contest, field, value)
    for kind, minimum in quotas.items():
        quota = next((q for q in contest.quotas if q.unit_kind == kind), None)
        if quota is None:
            contest.quotas.append(Quota(unit_kind=kind, min_cases=minimum))
            changed[f"quota_{kind.value}"] = [None, minimum]
        elif quota.min_cases != minimum:
            changed[f"quota_{kind.value}"] = [quota.min_cases, minimum]
            quota.min_cases = minimum
    db.session.flush()
    audit.record("contest_updated", actor=actor, contest_id=contest.id, target=contest, ip=ip, now=now,
                 summary=f"{contest.title}：修改了 {len(changed)} 项设置",
                 detail={k: [str(a) if a is not None else None, str(b)] for k, (a, b) in changed.items()})
    return contest


def phase_states(contest: Contest, now: datetime) -> list[tuple[PhaseWindow, str]]:
    """Each window of ``contest`` with its display state (see phases.phase_state)."""
    return [(w, phases.phase_state(_window_value(w), now)) for w in contest.windows]


def default_schedule(start: datetime) -> dict[Phase, tuple[datetime, datetime]]:
    """A schedule for a new contest starting at ``start`` (naive UTC): 征集 8 weeks, 初筛 1 week,
    then 网络投票 and 专家评审 side by side for 4 weeks, then 结果发布 for 6 months."""
    d = timedelta(days=1)
    return {
        Phase.SUBMISSION: (start, start + 56 * d),
        Phase.SCREENING: (start + 56 * d, start + 63 * d),
        Phase.VOTING: (start + 63 * d, start + 91 * d),
        Phase.REVIEW: (start + 63 * d, start + 91 * d),
        Phase.PUBLICATION: (start + 91 * d, start + 274 * d),
    }
