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
