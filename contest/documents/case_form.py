"""附件1 (2024年西安市优秀信用案例征集活动申报表) as a Word document, from and to plain data.

``render_case_form`` lays the form out like 附件1: one table with the same rows in the same order,
the chosen themes ☑ and the others ☐, and 案例内容 under its three headings.
``parse_case_form`` reads a filled 附件1 (ours or one typed in Word/WPS) back into plain fields; it
tolerates blank paragraphs, merged cells and ☑/■/√ marks, and refuses corrupt files and zip bombs
with a Chinese message before python-docx ever opens them. No database, no request.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any, Optional

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from contest.submissions.case_rules import LABELS, MAX_LENGTHS, PARTS, THEMES, normalize_text

FORM_TITLE = "2024年西安市优秀信用案例征集活动申报表"
CONTENT_HINT = "2000字以内，需按照模板要求撰写案例"
CHECKED = "☑"
UNCHECKED = "☐"
# Marks people use in Word/WPS for a ticked box (☒ is what Word's checkbox control shows).
CHECKED_MARKS = set("☑■√✓✔☒▣◼●✅")  # single characters; bracketed marks are matched by parse_themes

# Zip-bomb and sanity limits, checked on the zip directory before anything is decompressed.
MAX_MEMBERS = 1000
MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_RATIO = 200

FIELDS = ("unit_name", "contact_name", "contact_phone", "contact_email", "unit_address", "title", "themes",
          "highlights", "part_problem", "part_measures", "part_effects", "recommender_opinion", "remarks")


class DocxError(ValueError):
    """The upload is not a readable 附件1 Word file (Chinese message for the user)."""


@dataclass
class ParsedForm:
    fields: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def _font(run, size: float | None = None, bold: bool = False, name: str = "宋体") -> None:
    run.font.name = name
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)
    if size:
        run.font.size = Pt(size)
    run.bold = bold


_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def word_lines(text: str | None) -> list[str]:
    """``text`` as the lines of Word paragraphs: line endings unified, and the control characters
    XML cannot hold (a vertical tab pasted into a title) replaced by spaces, so rendering never fails."""
    cleaned = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return _XML_ILLEGAL.sub(" ", cleaned).split("\n")


def _write(cell, text: str, *, bold: bool = False, center: bool = False) -> None:
    """Replace a cell's content with ``text`` (one paragraph per line)."""
    lines = word_lines(text)
    para = cell.paragraphs[0]
    for i, line in enumerate(lines):
        if i:
            para = cell.add_paragraph()
        if center:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(para.add_run(line), 11, bold)


def render_case_form(data: dict[str, Any]) -> bytes:
    """The filled 附件1 as .docx bytes. ``data`` holds the FIELDS (missing ones print empty)."""
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.2)
    head = doc.add_paragraph()
    _font(head.add_run("附件1"), 12, True, "黑体")
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(FORM_TITLE), 16, True, "方正小标宋简体")

    rows = ["unit_name", "contact_name", "phone_email", "unit_address", "title", "themes", "highlights",
            "content", "recommender_opinion", "remarks"]
    table = doc.add_table(rows=len(rows), cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = (Cm(3.2), Cm(5.6), Cm(2.2), Cm(5.6))
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
    for r, key in enumerate(rows):
        cells = table.rows[r].cells
        if key == "phone_email":
            _write(cells[0], LABELS["contact_phone"], bold=True, center=True)
            _write(cells[1], str(data.get("contact_phone") or ""))
            _write(cells[2], LABELS["contact_email"], bold=True, center=True)
            _write(cells[3], str(data.get("contact_email") or ""))
            continue
        label = "案例内容" if key == "content" else LABELS[key]
        value_cell = cells[1].merge(cells[3])
        _write(cells[0], label, bold=True, center=True)
        if key == "themes":
            chosen = set(data.get("themes") or [])
            _write(value_cell, "\n".join(f"{CHECKED if t in chosen else UNCHECKED} {t}" for t in THEMES))
        elif key == "content":
            _write_content(value_cell, data)
        elif key == "recommender_opinion":
            _write(value_cell, str(data.get(key) or "") + "\n\n（盖章）")
        else:
            _write(value_cell, str(data.get(key) or ""))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _write_content(cell, data: dict[str, Any]) -> None:
    para = cell.paragraphs[0]
    _font(para.add_run(f"（{CONTENT_HINT}）"), 9)
    for name, number, heading, _hint in PARTS:
        p = cell.add_paragraph()
        _font(p.add_run(f"{number}、{heading}"), 11, True, "黑体")
        for line in word_lines(normalize_text(str(data.get(name) or ""))):
            body = cell.add_paragraph()
            body.paragraph_format.first_line_indent = Pt(22)
            _font(body.add_run(line), 11)


def case_docx_bytes(case) -> bytes:
    """The filled 附件1 for a Case (any object with the Case attributes and ``unit.name``)."""
    return render_case_form(case_data(case))


def case_data(case) -> dict[str, Any]:
    unit = getattr(case, "unit", None)
    data = {name: getattr(case, name, "") for name in FIELDS if name != "unit_name"}
    data["unit_name"] = getattr(unit, "name", "") if unit is not None else ""
    data["themes"] = list(getattr(case, "themes", None) or [])
    return data


# ---------------------------------------------------------------- import

def check_zip(data: bytes) -> None:
    """Refuse anything that is not a plausible .docx before decompressing a byte of it."""
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DocxError("这是旧版 Word（.doc）文件。请在 Word 或 WPS 中“另存为”.docx 格式后再上传。")
    if not data.startswith(b"PK\x03\x04"):
        raise DocxError("文件不是 Word（.docx）文档，无法读取。请上传用 Word 或 WPS 保存的 .docx 格式申报表。")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise DocxError("Word 文件已损坏，无法读取。请重新保存为 .docx 后再上传。") from exc
    if len(infos) > MAX_MEMBERS:
        raise DocxError(f"Word 文件结构异常（内部包含 {len(infos)} 个文件），已拒绝读取。请上传正常的申报表。")
    total = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if total > MAX_UNCOMPRESSED or total / packed > MAX_RATIO:
        raise DocxError("Word 文件解压后异常巨大（疑似压缩炸弹），已拒绝读取。请上传正常保存的申报表。")
    names = {i.filename for i in infos}
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        raise DocxError("文件不是 Word（.docx）文档，无法读取。请上传用 Word 或 WPS 保存的 .docx 格式申报表。")


def _norm(text: str) -> str:
    return re.sub(r"[\s\u3000:：*＊]+", "", text or "")


_LABEL_TO_FIELD = {_norm(v): k for k, v in LABELS.items() if k not in {"part_problem", "part_measures", "part_effects"}}
_LABEL_TO_FIELD[_norm("案例内容")] = "content"
_LABEL_TO_FIELD[_norm("电话")] = "contact_phone"
_LABEL_TO_FIELD[_norm("联系方式")] = "contact_phone"
_LABEL_TO_FIELD[_norm("电子邮箱")] = "contact_email"
_LABEL_TO_FIELD[_norm("案例名称")] = "title"


def _cell_lines(cell) -> list[str]:
    """Non-blank paragraph texts of a cell, nested tables included."""
    lines = [p.text for p in cell.paragraphs if p.text.strip()]
    for inner in cell.tables:
        for row in inner.rows:
            for c in _unique_cells(row):
                lines.extend(_cell_lines(c))
    return lines


def _unique_cells(row) -> list:
    """A row's cells with horizontally merged duplicates removed (python-docx repeats them)."""
    seen, out = set(), []
    for c in row.cells:
        if id(c._tc) in seen:
            continue
        seen.add(id(c._tc))
        out.append(c)
    return out


def parse_case_form(data: bytes) -> ParsedForm:
    """Read a filled 附件1 into plain fields. Raises DocxError for files that are not readable .docx
    or that contain no 附件1 table; missing fields come back empty with a warning."""
    check_zip(data)
    try:
        doc = Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many types for broken packages
        raise DocxError("Word 文件已损坏或不是 .docx 格式，无法读取。请在 Word 或 WPS 中重新保存后再上传。") from exc

    raw: dict[str, list[str]] = {}
    for table in doc.tables:
        for row in table.rows:
            cells = _unique_cells(row)
            i = 0
            while i < len(cells):
                key = _LABEL_TO_FIELD.get(_norm(cells[i].text))
                if key is None:
                    i += 1
                    continue
                # The value is the next cell unless that cell is itself a label.
                value: list[str] = []
                j = i + 1
                if j < len(cells) and _LABEL_TO_FIELD.get(_norm(cells[j].text)) is None:
                    value = _cell_lines(cells[j])
                    j += 1
                if key not in raw or (not raw[key] and value):
                    raw[key] = value
                i = j
    if not raw:
        raise DocxError("没有在 Word 文件中找到附件1申报表的表格（申报单位、联系人、案例题目等栏目）。请使用附件1模板填写后再上传。")

    result: dict[str, Any] = {name: "" for name in FIELDS}
    result["themes"] = []
    warnings: list[str] = []
    for key, lines in raw.items():
        if key == "themes":
            result["themes"] = parse_themes("\n".join(lines))
        elif key == "content":
            content, content_warnings = parse_content(lines)
            result.update(content)
            warnings.extend(content_warnings)
        elif key == "recommender_opinion":
            text = "\n".join(lines)
            result[key] = normalize_text(re.sub(r"[（(]\s*盖\s*章\s*[）)]", "", text))
        elif key in SINGLE_LINE:
            result[key] = single_line(lines)
        else:
            result[key] = normalize_text("\n".join(lines))
    for name, maximum in MAX_LENGTHS.items():
        if len(result[name]) > maximum:
            warnings.append(f"{LABELS[name]}超过 {maximum} 个字符，已截断，请核对。")
            result[name] = result[name][:maximum]
    for name in ("title", "contact_name", "contact_phone", "contact_email", "unit_address"):
        if not result[name]:
            warnings.append(f"未读到“{LABELS[name]}”，请补充。")
    if not result["themes"]:
        warnings.append("未读到勾选的案例主题，请在表单中选择。")
    for name, number, heading, _hint in PARTS:
        if not result[name]:
            warnings.append(f"未读到案例内容“{number}、{heading}”部分，请补充。")
    return ParsedForm(result, warnings)


# Fields that are one line on the web form: a value typed over two lines in Word is joined.
SINGLE_LINE = {"unit_name", "contact_name", "contact_phone", "contact_email", "unit_address", "title"}
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def single_line(lines: list[str]) -> str:
    """Cell lines joined into one line: Chinese pieces are joined directly, a space is kept only
    between two Latin letters or digits (an English name or address split over two lines); control
    characters (line breaks, tabs) inside a line become spaces."""
    pieces = [p.strip() for line in lines for p in _LINE_BREAKS.split(line) if p.strip()]
    out = ""
    for piece in pieces:
        if out and out[-1].isascii() and out[-1].isalnum() and piece[0].isascii() and piece[0].isalnum():
            out += " "
        out += piece
    return " ".join(out.split())


def parse_themes(text: str) -> list[str]:
    """Themes whose box is ticked: the mark right before the theme name (☑ ■ √ ✓ ☒ …)."""
    chosen = []
    for theme in THEMES:
        for m in re.finditer(re.escape(theme), text):
            before = text[: m.start()].rstrip(" \t\u3000\u00a0")
            if not before:
                continue
            if before[-1] in CHECKED_MARKS or before.endswith(("[√]", "[x]", "[X]", "(√)", "（√）")):
                chosen.append(theme)
                break
    return chosen


# The part headings of 案例内容: "一、" as in the template, or "（一）" when a unit numbered them that way.
# A document uses one style for its part headings (the first one found); the other style is then
# ordinary text (sub-points such as "（一）建立……" inside a part).
_HEADING_STYLES = (
    re.compile(r"^\s*([一二三])\s*[、.．,，]\s*"),
    re.compile(r"^\s*[（(]\s*([一二三])\s*[）)]\s*"),
)
_NUMBERS = "一二三"
_TEMPLATE_HINTS = tuple(re.sub(r"\s", "", h) for h in (CONTENT_HINT, *(hint for *_x, hint in PARTS)))


def _is_template_hint(line: str) -> bool:
    """Whether ``line`` is one of the template's hints ("2000字以内，需按照模板要求撰写案例", a part's hint),
    with or without its brackets and spaces, as units leave them in the filled form."""
    text = re.sub(r"[\s（）()]", "", line)
    return len(text) >= 6 and any(hint in text or text in hint for hint in _TEMPLATE_HINTS)


def _heading_style(lines: list[str]) -> Optional[re.Pattern]:
    for style in _HEADING_STYLES:
        if any(style.match(line) for line in lines):
            return style
    return None


def parse_content(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """Split 案例内容 into its three parts by their numbered headings, and say what needs checking.

    A heading is recognised by its number (一/二/三 in order, "一、" or "（一）"), whatever its words: the
    template's own words (or a shortened form of them) and its bracketed hint are removed, other words
    are kept as the part's first line. No text is ever dropped: text before the first heading (other
    than the template's hint) goes to the first part. Returns (parts, warnings in Chinese)."""
    parts = {name: [] for name, *_ in PARTS}
    by_number = {number: (name, heading) for name, number, heading, _hint in PARTS}
    first = PARTS[0][0]
    style = _heading_style(lines)
    current: Optional[int] = None  # index in _NUMBERS of the part being read
    unplaced = reworded = False
    for line in lines:
        m = style.match(line) if style else None
        if m and (current is None or _NUMBERS.index(m.group(1)) > current):
            current = _NUMBERS.index(m.group(1))
            name, heading = by_number[m.group(1)]
            rest = line[m.end():].strip()
            words = re.match(r"[^（(：:]*", rest).group(0).strip()
            if words and (heading.startswith(words) or words.startswith(heading)):
                rest = rest[len(words):]
                rest = re.sub(r"^\s*[（(][^）)]*[）)]", "", rest)  # the template's hint in brackets
                rest = rest.lstrip(" ：:\u3000")
            elif rest:
                reworded = True
            if rest:
                parts[name].append(rest)
            continue
        stripped = line.strip()
        if _is_template_hint(stripped):
            continue
        if current is None:
            if stripped:
                unplaced = True
            parts[first].append(stripped)
        else:
            parts[by_number[_NUMBERS[current]][0]].append(stripped)
    warnings = []
    first_label = f"{PARTS[0][1]}、{PARTS[0][2]}"
    if style is None and unplaced:
        warnings.append(f"案例内容中未找到“一、二、三”分段小标题，全部内容已放入“{first_label}”，请按三部分核对后分开填写。")
    elif unplaced:
        warnings.append(f"案例内容第一个小标题之前的文字已放入“{first_label}”，请核对。")
    if reworded:
        warnings.append("案例内容的小标题与模板不一致，已按序号分段并保留原小标题文字，请核对三部分内容。")
    return {name: normalize_text("\n".join(v)) for name, v in parts.items()}, warnings


def blank_form_bytes() -> bytes:
    """An empty 附件1 for units that prefer to fill it in Word first."""
    return render_case_form({"themes": []})
