"""The expert's Word copy of a case form (附件1), rendered with python-docx from plain values.

In blind review the unit, contact person, phone, e-mail and address rows are left out entirely, so the
unit's name cannot appear in the document.
"""
from __future__ import annotations

from io import BytesIO

from docx import Document


def case_form_docx(fields: list[tuple[str, str]], title: str) -> bytes:
    """A one-table Word document: ``title`` as heading, then each (label, value) as a row."""
    doc = Document()
    doc.add_heading(title, level=1)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in fields:
        row = table.add_row().cells
        row[0].text = label
        row[1].text = value
    buf = BytesIO()
    doc.save(buf)
    return buf.getvalue()


def case_fields(case, *, blind: bool) -> list[tuple[str, str]]:
    """The rows of 附件1 shown to an expert; the unit's identity is omitted when ``blind``."""
    rows: list[tuple[str, str]] = []
    if not blind:
        rows += [("申报单位", case.unit.name), ("联系人", case.contact_name), ("联系电话", case.contact_phone),
                 ("邮箱", case.contact_email), ("单位地址", case.unit_address)]
    rows += [
        ("案例题目", case.title),
        ("案例主题", "、".join(case.themes or [])),
        ("案例特色或亮点", case.highlights),
        ("一、要解决的问题", case.part_problem),
        ("二、创新举措", case.part_measures),
        ("三、工作成效及意义", case.part_effects),
    ]
    return rows
