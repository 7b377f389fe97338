"""Stamped scans (加盖单位公章扫描件): PDF, JPG or PNG recognised by content, size-capped, images
checked with Pillow's bomb guard and given a preview thumbnail."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Optional

from contest.media import images, storage
from contest.media.models import StoredFile

SCAN_TYPES = {"pdf", "png", "jpeg"}


class ScanError(ValueError):
    """A user-facing refusal (Chinese message); nothing was stored."""


@dataclass
class StoredScan:
    scan: StoredFile
    thumb: Optional[StoredFile]


def check_pdf(path: str | Path) -> None:
    """A plausible PDF: starts with %PDF-, has an end-of-file marker and at least one page object."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 2048))
        tail = fh.read()
    if not head.startswith(b"%PDF-") or b"%%EOF" not in tail:
        raise ScanError("PDF 文件不完整或已损坏，请重新导出扫描件后上传。")


def store_scan(stream: BinaryIO, *, original_name: str, upload_root: str | Path, max_bytes: int,
               unit_id: Optional[int], uploaded_by_id: Optional[int], thumbnail: bool = True) -> StoredScan:
    """Receive, check and store a scan (rows flushed), with a JPEG thumbnail of an image scan when
    ``thumbnail`` (the case list shows it). Raises ScanError/StorageError with a Chinese
    message, leaving no file behind, for: empty, too large, not PDF/JPG/PNG by content, broken PDF,
    undecodable image, or an image over the pixel limit."""
    received = storage.receive(stream, upload_root=upload_root, max_bytes=max_bytes, label="扫描件")
    thumb_tmp: Optional[Path] = None
    try:
        code = received.type_code
        if code not in SCAN_TYPES:
            raise ScanError("扫描件须为 PDF、JPG 或 PNG 文件（按文件内容识别，与扩展名无关），"
                            "您上传的文件不是这几种格式。请重新扫描或导出后上传。")
        width = height = None
        if code == "pdf":
            check_pdf(received.tmp_path)
        else:
            thumb_tmp = storage.temp_path(upload_root, ".thumb") if thumbnail else None
            try:
                (width, height), thumb_size = images.check_and_thumbnail(received.tmp_path, thumb_tmp)
            except images.ImageError as exc:
                raise ScanError(str(exc)) from exc
        scan = storage.commit(received, upload_root=upload_root, purpose="scan", type_code=code,
                              original_name=original_name, unit_id=unit_id, uploaded_by_id=uploaded_by_id,
                              width=width, height=height)
    except Exception:
        received.discard()
        if thumb_tmp is not None:
            thumb_tmp.unlink(missing_ok=True)
        raise
    thumb = None
    if thumb_tmp is not None:
        try:
            thumb = storage.store_path(thumb_tmp, upload_root=upload_root, purpose="scanthumb",
                                       content_type="image/jpeg", extension=".jpg", unit_id=unit_id,
                                       uploaded_by_id=uploaded_by_id, width=thumb_size[0], height=thumb_size[1])
        except OSError:
            # A server fault (the request fails and rolls back the scan's row): take the scan's file
            # with it, so that no file is left without a row.
            storage.remove(scan, upload_root)
            thumb_tmp.unlink(missing_ok=True)
            raise
    return StoredScan(scan, thumb)
