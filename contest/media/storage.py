"""The file store under UPLOAD_ROOT.

Files are streamed to a temporary name in chunks (memory stays flat whatever the size), hashed on
the way, size-capped, then renamed into a random directory under a generated name. The client's
file name is kept only as metadata. A failure at any point removes the partial file.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Optional

from contest.media import sniff as sniffing
from contest.media.models import StoredFile
from contest.extensions import db

CHUNK = 1024 * 1024
TMP_DIR = "tmp"  # under the upload root: files being received or produced, not yet in the store


class StorageError(ValueError):
    """A user-facing refusal (Chinese message): too large, wrong type, disk full, broken upload.
    ``status`` is the HTTP status a view answers with: 413 for a file over its size cap, else 400."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Received:
    """A file streamed into the temporary area, not yet committed to its final place."""
    tmp_path: Path
    size: int
    sha256: str
    head: bytes
    type_code: Optional[str]

    def discard(self) -> None:
        self.tmp_path.unlink(missing_ok=True)


def temp_path(upload_root: str | Path, suffix: str) -> Path:
    """A fresh random name ending in ``suffix`` in the temporary area (created if missing). Nothing
    is created at that name; whoever writes there removes the file or adopts it (``store_path``)."""
    d = Path(upload_root) / TMP_DIR
    d.mkdir(parents=True, exist_ok=True)
    return d / f"{secrets.token_hex(16)}{suffix}"


def receive(stream: BinaryIO, *, upload_root: str | Path, max_bytes: int, label: str = "文件",
            on_chunk: Optional[Callable[[int], None]] = None) -> Received:
    """Stream ``stream`` to a temporary file. Raises StorageError (nothing left behind) when the
    file is empty, larger than ``max_bytes``, or the disk is full / the connection breaks."""
    tmp = temp_path(upload_root, ".part")
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(tmp, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise StorageError(f"{label}超过 {format_size(max_bytes)} 的大小上限，请压缩后重新上传。", status=413)
                if len(head) < sniffing.HEAD_BYTES:
                    head += chunk[: sniffing.HEAD_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
                if on_chunk:
                    on_chunk(size)
    except StorageError:
        tmp.unlink(missing_ok=True)
        raise
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno == 28:  # ENOSPC
            raise StorageError("服务器存储空间不足，文件未保存。请稍后重试或联系市信用办。") from exc
        raise StorageError("文件上传中断，未保存。请检查网络后重新上传。") from exc
    except Exception as exc:  # client disconnect surfaces as various werkzeug/IO errors
        tmp.unlink(missing_ok=True)
        raise StorageError("文件上传中断，未保存。请检查网络后重新上传。") from exc
    if size == 0:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"{label}是空文件，请重新选择。")
    return Received(tmp, size, digest.hexdigest(), head, sniffing.sniff(head))


def commit(received: Received, *, upload_root: str | Path, purpose: str, type_code: str,
           original_name: str = "", unit_id: Optional[int] = None, uploaded_by_id: Optional[int] = None,
           width: Optional[int] = None, height: Optional[int] = None) -> StoredFile:
    """Move a received file to its final generated path and add its StoredFile row (flushed)."""
    key = generate_key(purpose, sniffing.extension_of(type_code))
    final = Path(upload_root) / key
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(received.tmp_path, final)
    return _add_row(key, purpose, sniffing.mime_of(type_code), received.size, received.sha256,
                    original_name, unit_id, uploaded_by_id, width, height)


def store_path(path: Path, *, upload_root: str | Path, purpose: str, content_type: str, extension: str,
               unit_id: Optional[int] = None, uploaded_by_id: Optional[int] = None,
               width: Optional[int] = None, height: Optional[int] = None) -> StoredFile:
    """Adopt a file the server itself produced (poster, thumbnail, rendition) into the store."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            digest.update(chunk)
    key = generate_key(purpose, extension)
    final = Path(upload_root) / key
    final.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, final)
    return _add_row(key, purpose, content_type, final.stat().st_size, digest.hexdigest(), "",
                    unit_id, uploaded_by_id, width, height)


def _add_row(key, purpose, content_type, size, sha256, original_name, unit_id, uploaded_by_id, width, height):
    row = StoredFile(storage_key=key, purpose=purpose, content_type=content_type, size=size, sha256=sha256,
                     original_name=clean_original_name(original_name), unit_id=unit_id,
                     uploaded_by_id=uploaded_by_id, width=width, height=height)
    db.session.add(row)
    db.session.flush()
    return row


def generate_key(purpose: str, extension: str) -> str:
    """A fresh relative path: <purpose>/<2 hex>/<32 hex>/<32 hex><ext>. Nothing from the client."""
    d = secrets.token_hex(16)
    return f"{purpose}/{d[:2]}/{d}/{secrets.token_hex(16)}{extension}"


def path_of(stored: StoredFile, upload_root: str | Path) -> Path:
    return Path(upload_root) / stored.storage_key


def remove(stored: StoredFile, upload_root: str | Path) -> None:
    """Delete a stored file's bytes and its (now empty) random directory; the row is the caller's."""
    remove_keys([stored.storage_key], upload_root)


def remove_keys(keys: Iterable[str], upload_root: str | Path) -> None:
    """``remove`` by storage key: for files whose rows are already deleted (call after the commit)."""
    for key in keys:
        p = Path(upload_root) / key
        p.unlink(missing_ok=True)
        try:
            p.parent.rmdir()
        except OSError:
            pass


def clean_original_name(name: str | None) -> str:
    """The client's file name reduced to a display label (no directories, no control characters)."""
    if not name:
        return ""
    base = name.replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:200]


def format_size(n: int) -> str:
    if n >= 1024 ** 3:
        return f"{n / 1024 ** 3:.0f} GB" if n % 1024 ** 3 == 0 else f"{n / 1024 ** 3:.1f} GB"
    if n >= 1024 ** 2:
        return f"{n / 1024 ** 2:.0f} MB" if n % 1024 ** 2 == 0 else f"{n / 1024 ** 2:.1f} MB"
    return f"{max(1, n // 1024)} KB"
