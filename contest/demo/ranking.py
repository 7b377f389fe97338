"""Demo ranking: the finished 2024 contest gets its results frozen and published.

If no other demo seeded entries for the 2024 contest, a compact finished set is added first
(cases and videos that passed 初筛, valid vote counts, submitted expert score sheets), so that
the public results page and every export have something real to show. 初筛, the rubric, the
assignments and the score sheets go through the real services at times inside the 2024 windows.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from contest.core.timeutil import beijing
from contest.extensions import db
from contest.ranking import services
from contest.ranking.models import WinnerMode
from contest.review import services as review_services
from contest.screening import services as screening_services
from contest.submissions.models import (Case, Entry, EntryKind, EntryState, ScreeningStatus, Video,
                                        VideoCategory)

# unit, title, theme, valid votes, expert percentages (of each criterion's maximum)
PAST_CASES = [
    ("西安市市场监督管理局", "“信用+双随机”精准监管 让守信者无事不扰", "行业信用监管", 1864, (92, 88, 90)),
    ("雁塔区", "“信易贷”破解小微企业融资难题", "创新信用融资服务和产品", 2310, (86, 84, 89)),
    ("西咸新区沣西新城管委会", "信用承诺制改革 跑出审批“加速度”", "政务诚信", 1502, (90, 91, 87)),
    ("碑林区", "“诚信街区”建设 让诚信成为街区名片", "诚信文化", 1288, (80, 83, 78)),
    ("西安高新技术产业开发区", "企业信用修复“一件事”集成服务", "提升信用法治化规范化水平", 975, (85, 79, 82)),
    ("西安市发展和改革委员会", "公共信用信息“一张网”归集共享", "信用基础设施建设", 760, (78, 81, 76)),
]
PAST_VIDEOS = [
    ("西安市文化和旅游局", "守信的长安客栈", VideoCategory.DRAMA, 3120, (88, 90, 86)),
    ("未央区", "一张信用卡的温度", VideoCategory.DOCUMENTARY, 2650, (84, 87, 85)),
    ("曲江新区", "诚信小兵闯关记", VideoCategory.ANIMATION, 1980, (82, 80, 85)),
]


def _past_submitted_at(i: int):
    return beijing(2024, 4, 10, 10, 0) + timedelta(hours=7 * i)


def _score(max_score: int, pct: int) -> str:
    """``pct`` % of ``max_score`` rounded to the nearest 0.5 (the step the score sheet accepts)."""
    halves = (Decimal(max_score) * pct / 50).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return str(halves / 2)


def _ensure_entries(ctx: dict) -> None:
    contest = ctx["past_contest"]
    units = ctx["units"]
    experts = ctx.get("experts", [])[:3]
    have = db.session.scalar(sa.select(sa.func.count(Entry.id)).where(
        Entry.contest_id == contest.id, Entry.screening_status == ScreeningStatus.PASSED))
    if have or not experts:
        return
    organizer = ctx["organizer"]
    created: list[tuple[Entry, tuple]] = []
    for i, (unit_name, title, theme, votes, pcts) in enumerate(PAST_CASES):
        unit = units[unit_name]
        case = Case(contest_id=contest.id, unit_id=unit.id, title=title, themes=[theme],
                    contact_name=unit.contact_name, contact_phone=unit.contact_phone, unit_address=unit.address,
                    highlights="做法可复制、可推广，成效经第三方评估。",
                    part_problem="企业和群众办事中信用信息不对称、证明材料多。",
                    part_measures="以信用承诺、信用评价和分级分类监管为抓手，打通数据共享。",
                    part_effects="办事时间明显缩短，守信主体获得感增强。",
                    state=EntryState.SUBMITTED, submitted_at=_past_submitted_at(i), created_at=_past_submitted_at(i),
                    vote_count=votes)
        db.session.add(case)
        created.append((case, pcts))
    for i, (unit_name, title, category, votes, pcts) in enumerate(PAST_VIDEOS):
        unit = units[unit_name]
        video = Video(contest_id=contest.id, unit_id=unit.id, title=title, category=category,
                      duration_seconds=180.0, director=unit.contact_name, producer=unit_name,
                      contact=f"{unit.contact_name} {unit.contact_phone}",
                      synopsis="以真实故事讲述诚信的力量。", introduction="原创短视频，竖屏 1080×1920。",
                      state=EntryState.SUBMITTED, submitted_at=_past_submitted_at(10 + i),
                      created_at=_past_submitted_at(10 + i), vote_count=votes)
        db.session.add(video)
        created.append((video, pcts))
    db.session.flush()
    screened = beijing(2024, 4, 25, 10, 0)
    for entry, _ in created:
        screening_services.screen(entry, contest, ScreeningStatus.PASSED.value, "", actor=organizer, now=screened)
    submitted = beijing(2024, 6, 20, 15, 0)
    for kind in EntryKind:
        wanted = {(expert.id, entry.id) for entry, _ in created if entry.kind == kind for expert in experts}
        review_services.set_assignments(contest, kind, wanted, actor=organizer, now=submitted, only_add=True)
    criteria = {kind: review_services.ensure_rubric(contest, kind) for kind in EntryKind}
    for entry, pcts in created:
        for expert, pct in zip(experts, pcts):
            raw = {c.id: _score(c.max_score, pct) for c in criteria[entry.kind]}
            review_services.save_sheet(expert, entry, contest, raw, "做法扎实，成效明显。", submit=True,
                                       now=submitted)


def seed(ctx: dict) -> None:
    contest, organizer = ctx["past_contest"], ctx["organizer"]
    _ensure_entries(ctx)
    frozen_at = beijing(2024, 6, 28, 10, 0)
    published_at = beijing(2024, 6, 30, 9, 0)
    for kind, top_n in ((EntryKind.CASE, 3), (EntryKind.VIDEO, 2)):
        data = services.ranking_data(contest, kind, now=frozen_at)
        if not data["rows"]:
            continue
        services.set_winner_rule(contest, kind, mode=WinnerMode.TOP_N, top_n=top_n, actor=organizer, now=frozen_at)
        services.freeze(contest, kind, actor=organizer, now=frozen_at, confirm_incomplete=True)
        services.publish(contest, kind, actor=organizer, now=published_at)
    ctx["ranking_published_contest"] = contest
