"""Exports: Excel of a ranking, Word 公示名单 of the winners, ZIP of all submissions by unit, CSV of votes.

The Excel and Word files are small (one row per entry) and built from the plain ranking data. The ZIP
and the vote CSV can be large: the ZIP is written file by file into a temporary file on disk and
streamed back in chunks; the CSV is generated row by row from a server-side cursor.
"""
from __future__ import annotations

import csv
import io
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import IO, Iterator, Optional

import sqlalchemy as sa
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import contains_eager, selectinload, with_polymorphic
from werkzeug.wsgi import FileWrapper

from contest.accounts.models import Unit
from contest.core.downloads import DOCX_MIME, XLSX_MIME
from contest.core.timeutil import format_beijing, to_beijing
from contest.documents.case_form import case_docx_bytes, word_lines
from contest.documents.cells import append_row, csv_row
from contest.documents.video_form import video_docx_bytes
from contest.extensions import db
from contest.media import storage
from contest.media.models import StoredFile
from contest.ranking import scoring
from contest.submissions.models import Case, Entry, EntryKind, EntryState, Video
from contest.voting.models import Vote


CHUNK = 1024 * 1024


def _exact_number(text: str) -> float | int:
    value = scoring.parse_fraction_text(text)
    return int(value) if value.denominator == 1 else float(value)


# --------------------------------------------------------------------------- Excel


def ranking_xlsx(data: dict, *, frozen_label: str = "") -> bytes:
    """The full ranking of one kind as .xlsx: one row per entry with valid votes, vote score, each
    expert's total, expert score, final score, rank and winner; a second sheet 计算说明 holds the
    weights, the trim rule and the maximum votes, so the final scores can be recomputed from the
    file alone."""
    wb = Workbook()
    ws = wb.active
    ws.title = "排名"
    experts = data["experts"]
    is_video = data["kind"] == EntryKind.VIDEO.value
    header = ["排名", "作品编号", "作品名称", "申报单位"]
    if is_video:
        header.append("视频类别")
    header += ["提交时间（北京时间）", "有效票数", "投票得分"]
    header += [f"专家{e['name']}（{e['id']}）" for e in experts]
    header += ["去掉的评分", "有效评分份数", "专家得分", "最终得分", "是否获奖"]
    append_row(ws, header)
    names = {str(e["id"]): e["name"] for e in experts}
    for r in data["rows"]:
        line = [r["rank"], r["entry_id"], r["title"], r["unit"]]
        if is_video:
            line.append(r["category_label"])
        submitted = ""
        if r["submitted_at"]:
            submitted = format_beijing(datetime.fromisoformat(r["submitted_at"]), "%Y-%m-%d %H:%M:%S")
        line += [submitted, r["valid_votes"], _exact_number(r["vote_score"])]
        for e in experts:
            total = r["expert_totals"].get(str(e["id"]))
            line.append(_exact_number(total) if total is not None else None)
        dropped = "、".join(names.get(str(x), str(x)) for x in r["dropped_experts"])
        line += [dropped, r["expert_count"] - len(r["dropped_experts"]), _exact_number(r["expert_score"]),
                 _exact_number(r["final_score"]), "是" if r["winner"] else "否"]
        append_row(ws, line)
    # Scores get two decimals (the exact value stays in the cell); counts and ranks stay integers.
    score_headers = ["投票得分"] + header[header.index("投票得分") + 1:header.index("去掉的评分")] + ["专家得分", "最终得分"]
    for name in score_headers:
        letter = get_column_letter(header.index(name) + 1)
        for cell in ws[letter][1:]:
            if isinstance(cell.value, (int, float)):
                cell.number_format = "0.00"
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = "A2"
    ws.column_dimensions["C"].width = 36
    ws.column_dimensions["D"].width = 22

    info = wb.create_sheet("计算说明")
    f = data["formula"]
    append_row(info, ["活动", data["contest_title"]])
    append_row(info, ["作品类别", data["kind_label"] + (f"（{data['category_label']}）" if data.get("category") else "")])
    append_row(info, ["结果状态", frozen_label or "未冻结（按当前数据实时计算）"])
    append_row(info, ["投票权重（%）", f["vote_weight_pct"]])
    append_row(info, ["专家权重（%）", f["expert_weight_pct"]])
    append_row(info, ["去掉一个最高分和一个最低分", "是" if f["trim_extremes"] else "否"])
    append_row(info, ["去掉最高最低分的最少评分份数", f["trim_min_sheets"]])
    append_row(info, ["同类作品最高有效票数", f["max_votes"]])
    append_row(info, ["获奖规则", f"{data['winner_rule']['mode_label']}，N = {data['winner_rule']['top_n']}"])
    append_row(info, ["计算公式", f["text"]])
    for c in data["winner_rule"]["changes"]:
        append_row(info, ["手动调整", f"作品 {c['entry_id']}：{'设为获奖' if c['is_winner'] else '取消获奖'}，原因：{c['reason']}"])
    info.column_dimensions["A"].width = 30
    info.column_dimensions["B"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- Word 公示名单


def winners_docx(contest, results: list[dict], *, published_on=None) -> bytes:
    """公示名单: per kind, the winners in rank order (序号, 作品名称, 申报单位, 最终得分), ready to send to
    新华信用 / 信用中国（陕西西安）. ``results`` items carry ``kind`` (EntryKind) and ``rows``."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(12)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(f"{contest.title}评选结果公示名单")
    run.bold = True
    run.font.size = Pt(16)
    doc.add_paragraph(
        f"根据{contest.doc_number or '活动通知'}，经案例初筛、网络投票（权重 {contest.vote_weight_pct}%）和"
        f"专家评审（权重 {contest.expert_weight_pct}%），评选结果如下：")
    for section in results:
        kind = section["kind"]
        winners = [r for r in section["rows"] if r["winner"]]
        doc.add_heading(f"{kind.label}（{len(winners)} 个）", level=2)
        table = doc.add_table(rows=1, cols=4)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ["序号", "作品名称", "申报单位", "最终得分"]):
            cell.text = text
        for i, r in enumerate(winners, start=1):
            cells = table.add_row().cells
            cells[0].text = str(i)
            cells[1].text = " ".join(word_lines(r["title"]))
            cells[2].text = " ".join(word_lines(r["unit"]))
            cells[3].text = r["final_score_2dp"]
    doc.add_paragraph("")
    sign = doc.add_paragraph(contest.organizer_name or "")
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if published_on is not None:
        date_p = doc.add_paragraph(to_beijing(published_on).strftime("%Y年%m月%d日"))
        date_p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------- ZIP of submissions

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def safe_component(text: str, limit: int = 60) -> str:
    """A path component for inside the ZIP: no separators, no control or reserved characters."""
    cleaned = _UNSAFE.sub("_", text or "").strip(" .") or "未命名"
    return cleaned[:limit]


def form_docx(entry: Entry) -> bytes:
    """The entry's Word form: 附件1 for a case, 附件2 for a video."""
    return case_docx_bytes(entry) if isinstance(entry, Case) else video_docx_bytes(entry)


def submitted_entries(contest_id: int) -> list[Entry]:
    """Every submitted entry of the contest, ordered by unit name, kind and id, loaded as its Case or
    Video with its unit, scan and (videos) video file: a fixed number of queries however many entries."""
    entry = with_polymorphic(Entry, [Case, Video])
    return list(db.session.scalars(
        sa.select(entry).join(Unit, Unit.id == entry.unit_id)
        .where(entry.contest_id == contest_id, entry.state == EntryState.SUBMITTED)
        .options(contains_eager(entry.unit), selectinload(entry.scan_file),
                 selectinload(entry.Video.video_file))
        .order_by(Unit.name, entry.kind, entry.id)))


def write_submissions_zip(contest_id: int, upload_root: str | Path, out: IO[bytes]) -> int:
    """Write every submitted entry into ``out`` as a ZIP organised by unit:
    ``<单位>/<案例|短视频>-<编号>-<名称>/`` holding the Word form, the stamped scan and (videos) the
    video file, plus ``清单.csv`` listing every entry and its files. Files are copied from disk in
    chunks. Returns the number of entries written."""
    import zipfile

    entries = submitted_entries(contest_id)
    listing = io.StringIO()
    writer = csv.writer(listing)
    writer.writerow(["申报单位", "作品类别", "作品编号", "作品名称", "提交时间（北京时间）", "初筛结果", "文件"])
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for entry in entries:
            unit_dir = safe_component(entry.unit.name)
            kind_word = "案例" if entry.kind == EntryKind.CASE else "短视频"
            folder = f"{unit_dir}/{kind_word}-{entry.id}-{safe_component(entry.title, 40)}"
            files = []
            form_name = "申报表.docx" if entry.kind == EntryKind.CASE else "推荐表.docx"
            zf.writestr(f"{folder}/{form_name}", form_docx(entry))
            files.append(form_name)
            attachments: list[tuple[str, Optional[StoredFile]]] = [("盖章扫描件", entry.scan_file)]
            if isinstance(entry, Video):
                attachments.append(("视频", entry.video_file))
            for label, stored in attachments:
                if stored is None:
                    continue
                path = storage.path_of(stored, upload_root)
                if not path.exists():
                    files.append(f"{label}（文件缺失）")
                    continue
                name = f"{label}{Path(stored.storage_key).suffix}"
                compress = zipfile.ZIP_STORED if stored.purpose == "video" else zipfile.ZIP_DEFLATED
                zf.write(path, f"{folder}/{name}", compress_type=compress)
                files.append(name)
            writer.writerow(csv_row([entry.unit.name, entry.kind.label, entry.id, entry.title,
                                     format_beijing(entry.submitted_at, "%Y-%m-%d %H:%M:%S"),
                                     entry.screening_status.label, "；".join(files)]))
        zf.writestr("清单.csv", "\ufeff" + listing.getvalue())
    return len(entries)


def submissions_zip_stream(contest_id: int, upload_root: str | Path) -> tuple[Iterator[bytes], int]:
    """Build the ZIP into an anonymous temporary file and return (chunk iterator, size). Memory stays
    flat whatever the size of the videos; the temporary file disappears when the iterator ends or is
    closed, even if it never started (a HEAD request)."""
    tmp = tempfile.TemporaryFile()
    try:
        write_submissions_zip(contest_id, upload_root, tmp)
        size = tmp.tell()
        tmp.seek(0)
    except BaseException:
        tmp.close()
        raise

    # Werkzeug's FileWrapper reads in blocks and closes the file when the response is closed (also
    # when a HEAD request closes the body unstarted).
    return FileWrapper(tmp, CHUNK), size


# --------------------------------------------------------------------------- CSV of votes


VOTE_CSV_HEADER = ["投票编号", "作品编号", "作品类别", "作品名称", "投票时间（北京时间）", "投票日（北京时间）",
                   "是否有效", "作废原因", "作废时间（北京时间）", "投票人标识（哈希）", "IP（哈希）", "网段（哈希）"]


def votes_csv_rows(contest_id: int, batch: int = 2000) -> Iterator[str]:
    """Every vote of the contest as CSV text, generated in batches (constant memory). Starts with a
    BOM so that Excel opens the Chinese text correctly."""
    titles = {eid: (kind, title) for eid, kind, title in db.session.execute(
        sa.select(Entry.id, Entry.kind, Entry.title).where(Entry.contest_id == contest_id))}
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(VOTE_CSV_HEADER)
    yield "\ufeff" + buf.getvalue()
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(Vote.id, Vote.entry_id, Vote.created_at, Vote.day, Vote.valid, Vote.void_reason,
                      Vote.voided_at, Vote.voter_hash, Vote.ip_hash, Vote.net_hash)
            .where(Vote.contest_id == contest_id, Vote.id > last_id).order_by(Vote.id).limit(batch)).all()
        if not rows:
            break
        buf = io.StringIO()
        writer = csv.writer(buf)
        for vid, eid, created, day, valid, reason, voided, voter, ip, net in rows:
            kind, title = titles.get(eid, (None, ""))
            writer.writerow(csv_row([vid, eid, kind.label if kind else "", title,
                                     format_beijing(created, "%Y-%m-%d %H:%M:%S"), day.isoformat() if day else "",
                                     "有效" if valid else "无效", reason or "",
                                     format_beijing(voided, "%Y-%m-%d %H:%M:%S"), voter, ip, net]))
        last_id = rows[-1][0]
        yield buf.getvalue()

