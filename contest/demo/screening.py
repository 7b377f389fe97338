"""Demo 初筛, the one place demo entries are screened, through the real service: every submitted
entry of the demo contest (cases and videos alike, so it runs after both seeders) is decided here —
most passed, one rejected with a reason, the last submitted (a video) left pending."""
from __future__ import annotations

import sqlalchemy as sa

from contest.extensions import db
from contest.screening import services
from contest.submissions.models import Entry, EntryState


def seed(ctx: dict) -> None:
    contest, organizer, now = ctx["contest"], ctx["organizer"], ctx["now"]
    entries = list(db.session.scalars(sa.select(Entry).where(
        Entry.contest_id == contest.id, Entry.state == EntryState.SUBMITTED).order_by(Entry.submitted_at, Entry.id)))
    passed = rejected = 0
    for i, entry in enumerate(entries):
        if i == len(entries) - 1 and len(entries) > 3:
            continue  # the newest stays 待初筛
        if i == 2:
            services.screen(entry, contest, "rejected", "案例内容未按“要解决的问题、创新举措、工作成效及意义”三部分撰写，请按模板修改。",
                            actor=organizer, now=now)
            rejected += 1
        else:
            services.screen(entry, contest, "passed", "", actor=organizer, now=now)
            passed += 1
    ctx["screening"] = {"passed": passed, "rejected": rejected}
