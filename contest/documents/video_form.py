"""附件2 2024年西安市信用应用场景优秀微视频评选推荐表 as Word (python-docx), from plain data.

``video_form_docx(data)`` renders a dict (no database, no request); ``video_docx_bytes(video)``
adapts a Video for the pages and for the ranking ZIP export.
"""
from __future__ import annotations

from io import BytesIO
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from contest.documents.case_form import word_lines

TITLE = "2024年西安市信用应用场景优秀微视频评选推荐表"

# (label, key) in the order of the printed form.
ROWS = [
    ("作品名称", "title"),
    ("作品类别", "category"),
    ("时长", "duration"),
    ("导演", "director"),
    ("制片人或制片单位", "producer"),
    ("参选单位", "unit"),
    ("参选单位联系人及电话", "contact"),
    ("曾获区县级以上主要荣誉", "honors"),
    ("参选作品剧情摘要（100字以内）", "synopsis"),
    ("参选作品简介（800字以内）", "introduction"),
    ("推荐单位意见", "recommender_opinion"),
    ("备注", "remarks"),
]


def _font(run, size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = "宋体"
    run._element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")


def video_form_docx(data: dict[str, Any]) -> bytes:
    """The filled form; ``data`` holds the ROWS keys as strings plus optional 'declaration'."""
    doc = Document()
    section = doc.sections[0]
    section.left_margin = section.right_margin = Cm(2.5)
    head = doc.add_paragraph()
    _font(head.add_run("附件2"), 12, bold=True)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(TITLE), 16, bold=True)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, key in ROWS:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Cm(4.5), Cm(11.5)
        _font(cells[0].paragraphs[0].add_run(label), 11, bold=True)
        lines = word_lines(str(data.get(key) or ""))
        para = cells[1].paragraphs[0]
        for i, line in enumerate(lines):
            if i:
                para = cells[1].add_paragraph()
            _font(para.add_run(line), 11)
    if data.get("declaration"):
        p = doc.add_paragraph()
        _font(p.add_run("原创声明：" + str(data["declaration"])), 10.5)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()


def video_form_data(video) -> dict[str, str]:
    """Plain data for the form from a Video (attribute reads only)."""
    from contest.core.timeutil import format_beijing
    from contest.submissions.video_rules import DECLARATION_TEXT

    data = {key: getattr(video, key, "") or "" for _, key in ROWS
            if key not in ("category", "duration", "unit")}
    data["category"] = video.category.label if video.category else ""
    data["duration"] = video.duration_label
    data["unit"] = video.unit.name if video.unit else ""
    if video.commitment_at:
        data["declaration"] = f"{DECLARATION_TEXT}（{format_beijing(video.commitment_at)} 确认）"
    return data


def video_docx_bytes(video) -> bytes:
    """The filled 附件2 of ``video`` as .docx bytes (used by the video page and the ranking ZIP)."""
    return video_form_docx(video_form_data(video))
