"""Sending an .xlsx built by contest.documents.tables as a download."""
from __future__ import annotations

from flask import Response

from contest.core.downloads import XLSX_MIME, attachment
from contest.documents.tables import build_xlsx


def xlsx_response(header: list[str], rows: list[list], filename: str, **kwargs) -> Response:
    """An attachment response; the Chinese file name goes in RFC 5987 ``filename*`` (core.downloads)."""
    resp = Response(build_xlsx(header, rows, **kwargs), mimetype=XLSX_MIME)
    resp.headers["Content-Disposition"] = attachment(filename, "export.xlsx")
    resp.headers["Cache-Control"] = "no-store"
    return resp
