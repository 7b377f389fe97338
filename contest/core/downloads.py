"""Attachment headers that survive real servers.

HTTP headers are latin-1 on the wire (gunicorn and werkzeug both encode them so), so a Chinese
file name must go in RFC 5987 ``filename*`` with an ASCII ``filename`` beside it for old clients.
Views that set the header themselves call ``attachment``; ``core.web`` re-encodes any other
non-Latin-1 header after the request as a safety net.
"""
from urllib.parse import quote

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def attachment(filename: str, fallback: str = "download") -> str:
    """The Content-Disposition value for ``filename``; ``fallback`` is the ASCII name."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
