"""Attachment headers that survive real servers.

HTTP headers are latin-1 on the wire (gunicorn and werkzeug both encode them so), so a Chinese
file name must go in RFC 5987 ``filename*`` with an ASCII ``filename`` beside it for old clients.
Views that set the header themselves call ``attachment``; ``core.web`` re-encodes any other
non-Latin-1 header after the request as a safety net.
"""
import re
from urllib.parse import quote

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# Control characters (a title typed over two lines brings "\n") make the header invalid: the server
# refuses it and the user gets a 500.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def download_name(stem: str, suffix: str = "", limit: int | None = None) -> str:
    """A file name for a download: control characters become spaces, runs of spaces collapse, and
    with ``limit`` the ``stem`` is cut so that the whole name (``suffix`` kept intact) fits in it."""
    cleaned = " ".join(_CONTROL.sub(" ", stem or "").split()) or "download"
    if limit is not None:
        cleaned = cleaned[: max(1, limit - len(suffix))].rstrip()
    return cleaned + suffix


def attachment(filename: str, fallback: str = "download") -> str:
    """The Content-Disposition value for ``filename``; ``fallback`` is the ASCII name."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(download_name(filename))}"
