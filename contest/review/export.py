"""The raw-scores workbook for organizers (openpyxl): one row per score sheet."""
from __future__ import annotations

from io import BytesIO

import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import selectinload
from openpyxl.styles import Font

from contest.contests.models import Contest
from contest.core.timeutil import format_beijing
from contest.documents.cells import append_row
from contest.extensions import db
from contest.review.models import ScoreSheet
from contest.review.services import ensure_rubric
from contest.submissions.models import Entry, EntryKind


def raw_scores_xlsx(contest: Contest, kind: EntryKind) -> bytes:
    """Every score sheet (drafts included, marked) of ``contest``/``kind``: entry, unit, expert, state,
    one column per criterion, total, comment, submission time in Beijing time."""
    criteria = ensure_rubric(contest, kind)
    sheets = db.session.scalars(sa.select(ScoreSheet).join(Entry, Entry.id == ScoreSheet.entry_id).where(
        Entry.contest_id == contest.id, Entry.kind == kind).order_by(ScoreSheet.entry_id, ScoreSheet.expert_id)
        .options(selectinload(ScoreSheet.items), selectinload(ScoreSheet.expert),
                 selectinload(ScoreSheet.entry).selectinload(Entry.unit)))
    wb = Workbook()
    ws = wb.active
    ws.title = "专家原始评分"
    header = ["作品编号", "作品名称", "申报单位", "专家", "职称", "工作单位", "状态"]
    header += [f"{c.name}（{c.max_score}分）" for c in criteria]
    header += ["合计", "评语", "提交时间（北京时间）"]
    append_row(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for s in sheets:
        values = {i.criterion_id: float(i.value) for i in s.items}
        x = s.expert
        append_row(ws, [s.entry_id, s.entry.title, s.entry.unit.name, x.display_name or x.username, x.title,
                   x.affiliation, s.state.label] + [values.get(c.id) for c in criteria]
                  + [float(s.total), s.comment, format_beijing(s.submitted_at)])
    ws.freeze_panes = "A2"
    for col, width in zip("ABCDEFG", (10, 36, 24, 12, 12, 24, 10)):
        ws.column_dimensions[col].width = width
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
