"""Recognise a file's type from its first bytes (never from its name). Pure."""
from __future__ import annotations

from typing import Optional

# type code -> (MIME type, extension used in generated names)
TYPES = {
    "pdf": ("application/pdf", ".pdf"),
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
    "zip": ("application/zip", ".zip"),
    "mp4": ("video/mp4", ".mp4"),
    "mov": ("video/quicktime", ".mov"),
    "webm": ("video/webm", ".webm"),
    "avi": ("video/x-msvideo", ".avi"),
    "ole": ("application/x-ole-storage", ".bin"),
}

HEAD_BYTES = 64


def sniff(head: bytes) -> Optional[str]:
    """The type code for the file starting with ``head`` (at least 12 bytes), or None if unknown."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"  # legacy .doc/.xls
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        return "mov" if brand == b"qt  " else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    return None


def mime_of(code: str) -> str:
    return TYPES[code][0]


def extension_of(code: str) -> str:
    return TYPES[code][1]
