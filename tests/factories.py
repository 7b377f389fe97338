"""Test data factories. Each returns a flushed object; tests commit when they need a route to see it."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from contest.accounts.models import Role, Unit, UnitKind, User
from contest.contests.models import Contest, Phase
from contest.contests.services import NOTICE_2024_SCHEDULE, create_contest, create_notice_2024_contest
from contest.core.timeutil import utcnow
from contest.extensions import db

PASSWORD = "Passw0rd123"
_seq = itertools.count(1)


def make_unit(name: str | None = None, kind: UnitKind = UnitKind.DISTRICT, **kw) -> Unit:
    unit = Unit(name=name or f"测试单位{next(_seq)}", kind=kind, contact_name=kw.pop("contact_name", "张三"),
                contact_phone=kw.pop("contact_phone", "029-88886666"), address=kw.pop("address", "西安市雁塔区"),
                **kw)
    db.session.add(unit)
    db.session.flush()
    return unit


def make_user(role: Role = Role.UNIT, username: str | None = None, unit: Unit | None = None,
              password: str = PASSWORD, **kw) -> User:
    if role == Role.UNIT and unit is None:
        unit = make_unit()
    user = User(username=username or f"{role.value}{next(_seq)}", role=role, unit=unit,
                display_name=kw.pop("display_name", ""), **kw)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def make_organizer(**kw) -> User:
    return make_user(Role.ORGANIZER, **kw)


def make_expert(**kw) -> User:
    return make_user(Role.EXPERT, display_name=kw.pop("display_name", "专家"), **kw)


def make_contest(schedule: dict | None = None, now: datetime | None = None, **settings) -> Contest:
    """The 2024 notice contest by default; ``schedule`` overrides windows (naive UTC)."""
    now = now or utcnow()
    if schedule is None and not settings:
        return create_notice_2024_contest(actor=None, now=now)
    full = dict(NOTICE_2024_SCHEDULE)
    full.update(schedule or {})
    return create_contest(title=settings.pop("title", "测试活动"), schedule=full, actor=None, now=now, **settings)


def open_schedule(*open_phases: Phase, now: datetime | None = None) -> dict:
    """A schedule where the given phases are open at ``now`` and the others are closed."""
    now = now or utcnow()
    sched = {}
    for phase in Phase:
        if phase in open_phases:
            sched[phase] = (now - timedelta(days=1), now + timedelta(days=1))
        else:
            sched[phase] = (now - timedelta(days=30), now - timedelta(days=20))
    return sched


def make_case(contest: Contest, unit: Unit | None = None, *, submitted: bool = True, passed: bool = False,
              title: str | None = None, **fields):
    """A case of ``unit`` (a new one by default); ``passed`` also marks it as passed 初筛."""
    from contest.submissions.models import Case, EntryState, ScreeningStatus

    unit = unit or make_unit()
    now = fields.pop("now", None) or utcnow()
    case = Case(contest_id=contest.id, unit_id=unit.id, title=title or f"信用案例{next(_seq)}",
                contact_name=fields.pop("contact_name", "张三"), contact_phone=fields.pop("contact_phone", "13800138000"),
                contact_email=fields.pop("contact_email", "zhangsan@example.cn"),
                unit_address=fields.pop("unit_address", unit.address), themes=fields.pop("themes", ["行业信用监管"]),
                highlights=fields.pop("highlights", "以信用承诺替代证明材料。"),
                part_problem=fields.pop("part_problem", "企业办事需要反复提交证明材料。"),
                part_measures=fields.pop("part_measures", "推行告知承诺制，事后核查。"),
                part_effects=fields.pop("part_effects", "办事时间缩短一半。"),
                state=EntryState.SUBMITTED if submitted else EntryState.DRAFT,
                submitted_at=now if submitted else None, created_at=now,
                screening_status=ScreeningStatus.PASSED if passed else ScreeningStatus.PENDING, **fields)
    db.session.add(case)
    db.session.flush()
    return case


def make_video(contest: Contest, unit: Unit | None = None, *, submitted: bool = True, passed: bool = False,
               title: str | None = None, **fields):
    """A video entry record (no media file unless given); ``passed`` marks it as passed 初筛."""
    from contest.submissions.models import EntryState, ScreeningStatus, Video, VideoCategory

    unit = unit or make_unit()
    now = fields.pop("now", None) or utcnow()
    video = Video(contest_id=contest.id, unit_id=unit.id, title=title or f"信用短视频{next(_seq)}",
                  category=fields.pop("category", VideoCategory.DOCUMENTARY), duration_seconds=fields.pop("duration_seconds", 180.0),
                  director=fields.pop("director", "李四"), producer=fields.pop("producer", unit.name),
                  contact=fields.pop("contact", "李四 13900139000"), synopsis=fields.pop("synopsis", "讲述诚信经营的故事。"),
                  introduction=fields.pop("introduction", "纪实短片。"),
                  state=EntryState.SUBMITTED if submitted else EntryState.DRAFT,
                  submitted_at=now if submitted else None, created_at=now,
                  screening_status=ScreeningStatus.PASSED if passed else ScreeningStatus.PENDING, **fields)
    db.session.add(video)
    db.session.flush()
    return video


# ---- ranking helpers (ranking feature) -------------------------------------------------------------


def add_votes(entry, count: int, *, valid: bool = True, day=None, now: datetime | None = None) -> list:
    """``count`` Vote rows for ``entry`` from distinct voters; valid ones also raise ``entry.vote_count``
    (the denormalised count the voting service maintains)."""
    import hashlib

    from contest.core.timeutil import beijing_date
    from contest.voting.models import Vote

    now = now or utcnow()
    votes = []
    for _ in range(count):
        n = next(_seq)
        h = hashlib.sha256(f"voter-{n}".encode()).hexdigest()
        vote = Vote(contest_id=entry.contest_id, entry_id=entry.id, created_at=now, day=day or beijing_date(now),
                    voter_hash=h, ip_hash=hashlib.sha256(f"ip-{n}".encode()).hexdigest(), valid=valid,
                    void_reason="" if valid else "刷票嫌疑")
        db.session.add(vote)
        votes.append(vote)
    if valid:
        entry.vote_count = (entry.vote_count or 0) + count
    db.session.flush()
    return votes


def assign_expert(expert, entry):
    from contest.review.models import Assignment

    assignment = Assignment(expert_id=expert.id, entry_id=entry.id)
    db.session.add(assignment)
    db.session.flush()
    return assignment


def add_score_sheet(expert, entry, total, *, submitted: bool = True, assign: bool = True,
                    now: datetime | None = None):
    """A score sheet with ``total`` (str/Decimal) from ``expert`` for ``entry`` (assigning the expert
    first unless ``assign=False``)."""
    from decimal import Decimal

    from contest.review.models import ScoreSheet, SheetState

    if assign:
        assign_expert(expert, entry)
    now = now or utcnow()
    sheet = ScoreSheet(expert_id=expert.id, entry_id=entry.id, total=Decimal(str(total)),
                       state=SheetState.SUBMITTED if submitted else SheetState.DRAFT,
                       submitted_at=now if submitted else None, updated_at=now)
    db.session.add(sheet)
    db.session.flush()
    return sheet
