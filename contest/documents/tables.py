"""Reading a small table (the unit import) from .xlsx or .csv bytes, checked by content.

Pure: bytes in, list of rows out; raises TableError with a Chinese message.
"""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime

from openpyxl import Workbook, load_workbook

from contest.documents.cells import append_row

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc


class TableError(ValueError):
    """The file cannot be read as a table; the message says what is required."""


def decode_text(data: bytes) -> str:
    """Decode CSV bytes: UTF-8 (with or without BOM), UTF-16 (with BOM, or NULs in ASCII text), else GB18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if len(data) >= 4 and b"\x00" in data[:200]:
        # UTF-16 without BOM: ASCII characters leave a NUL byte on one side.
        even_nuls = data[0:200:2].count(0)
        odd_nuls = data[1:200:2].count(0)
        try:
            return data.decode("utf-16-le" if odd_nuls >= even_nuls else "utf-16-be")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise TableError("无法识别文件的文字编码。请另存为 UTF-8 或 GB18030 编码的 CSV，或直接上传 .xlsx 文件。")


def _clean(value):
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value


def read_table(data: bytes) -> list[list]:
    """Rows of the first worksheet of an .xlsx, or of a CSV (comma, tab or semicolon separated)."""
    if not data.strip():
        raise TableError("上传的文件是空的，请选择填写好的导入文件。")
    if data.startswith(OLE_MAGIC):
        raise TableError("不支持旧版 Excel（.xls）文件，请在 Excel 中“另存为” .xlsx 或 CSV 后再上传。")
    if data.startswith(ZIP_MAGIC):
        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise TableError("无法读取该 Excel 文件（可能已损坏或不是 .xlsx 格式），请重新保存后上传。") from exc
        try:
            ws = wb.worksheets[0]
            rows = [[_clean(v) for v in row] for row in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
        return [r for r in rows if any(v not in (None, "") for v in r)] if rows else []
    text = decode_text(data)
    if "\x00" in text:
        raise TableError("文件不是 .xlsx 或 CSV 表格，请使用下载的导入模板。")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    if delimiter == "，":  # a full-width comma cannot be a csv delimiter for the csv module
        text, delimiter = text.replace("，", ","), ","
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:
        raise TableError(f"CSV 文件格式有误：{exc}。请使用下载的导入模板。") from exc
    return [r for r in rows if any(v.strip() for v in r)]


def build_xlsx(header: list[str], rows: list[list], *, title: str = "Sheet1", widths: list[int] | None = None) -> bytes:
    """A one-sheet .xlsx with a bold header row."""
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title
    append_row(ws, header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(ws, row)
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = width
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
