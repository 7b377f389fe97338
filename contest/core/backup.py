"""Online backup and restore of one deployment: the database and the uploaded files.

A backup is a directory::

    DEST/database.sqlite3 | DEST/database.pgdump   the database at one instant
    DEST/uploads/<storage_key>                      every stored file that instant's database knows
    DEST/manifest.json                              written last: dialect, time, files (path, size, sha256)

Consistency while the site keeps serving: the database copy is one snapshot (SQLite's online backup
API; on PostgreSQL ``pg_dump --snapshot`` of a snapshot exported by a REPEATABLE READ transaction),
and the file list is read *from that same snapshot*. Stored files are write-once under generated
names, so copying them afterwards yields exactly the bytes that snapshot refers to (each is checked
against its recorded SHA-256 on the way).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterable

import sqlalchemy as sa

MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
FORMAT_VERSION = 1
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    """A refusal or failure with a Chinese message for the operator."""


@dataclass
class BackupResult:
    dest: Path
    dialect: str
    files: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f["size"] for f in self.files)


@dataclass
class RestoreResult:
    dialect: str
    files: int
    total_bytes: int


# --- helpers -------------------------------------------------------------------------------------------

def find_pg_tool(name: str, bin_dir: str = "") -> str:
    """The newest installed PostgreSQL client tool ``name`` (pg_dump, pg_restore)."""
    candidates = []
    if bin_dir:
        candidates.append(Path(bin_dir) / name)
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                         key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0, reverse=True)
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return str(c)
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"未找到 PostgreSQL 工具 {name}，请安装 postgresql-client（或设置 PG_BIN_DIR）。")


def _libpq_args(url: sa.engine.URL) -> tuple[str, dict]:
    """A libpq connection URL without the password, and the environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _copy_hashed(src: Path, dst: Path) -> tuple[int, str]:
    dst.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    tmp = dst.with_name(dst.name + ".part")
    with open(src, "rb") as fin, open(tmp, "wb") as fout:
        for chunk in iter(lambda: fin.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
            fout.write(chunk)
    os.replace(tmp, dst)
    return size, digest.hexdigest()


def _safe_join(root: Path, key: str) -> Path:
    """``root/key`` refusing keys that climb out of root (a tampered manifest)."""
    target = (root / key).resolve()
    if not str(target).startswith(str(root.resolve()) + os.sep):
        raise BackupError(f"备份清单中的文件路径不合法：{key}")
    return target


def _copy_files(rows: Iterable[tuple[str, int, str]], upload_root: Path, dest: Path, result: BackupResult) -> None:
    for key, size, sha in rows:
        src = _safe_join(upload_root, key)
        if not src.is_file():
            result.missing.append(key)
            continue
        got_size, got_sha = _copy_hashed(src, _safe_join(dest / "uploads", key))
        if got_size != size or got_sha != sha:
            raise BackupError(f"文件 {key} 与数据库记录不符（大小或 SHA-256 不同），备份中止。")
        result.files.append({"path": key, "size": size, "sha256": sha})


def _stored_file_rows_sql() -> str:
    return "SELECT storage_key, size, sha256 FROM stored_file ORDER BY id"


# --- backup --------------------------------------------------------------------------------------------

def backup(dest: str | Path, *, engine: sa.engine.Engine, upload_root: str | Path, now: datetime,
           pg_bin_dir: str = "") -> BackupResult:
    """Write a consistent backup of the database behind ``engine`` and of the stored files into
    ``dest`` (which must not exist or be empty). Safe while the site serves.

    Raises BackupError when ``dest`` is not empty, a tool is missing, or a stored file does not
    match its recorded hash. Stored files missing on disk are listed in the manifest, not fatal.
    """
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"目标目录 {dest} 不是空目录，请指定一个新的目录。")
    dest.mkdir(parents=True, exist_ok=True)
    upload_root = Path(upload_root)
    dialect = engine.dialect.name
    result = BackupResult(dest=dest, dialect=dialect)
    if dialect == "sqlite":
        db_path = engine.url.database
        if not db_path or db_path == ":memory:":
            raise BackupError("内存数据库无法备份。")
        target = dest / SQLITE_FILE
        with sqlite3.connect(db_path, timeout=30) as src, sqlite3.connect(target) as out:
            src.backup(out)  # one consistent snapshot, concurrent writers keep going
        with sqlite3.connect(target) as snap:
            rows = snap.execute(_stored_file_rows_sql()).fetchall()
        _copy_files(rows, upload_root, dest, result)
    elif dialect == "postgresql":
        pg_dump = find_pg_tool("pg_dump", pg_bin_dir)
        url, env = _libpq_args(engine.url)
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.execute(sa.text("SET TRANSACTION READ ONLY"))
                snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
                rows = [tuple(r) for r in conn.execute(sa.text(_stored_file_rows_sql()))]
                # The dump sees exactly what this transaction sees (it stays open meanwhile).
                proc = subprocess.run([pg_dump, "--format=custom", "--no-owner", "--no-privileges",
                                       f"--snapshot={snapshot}", f"--file={dest / PG_FILE}", url],
                                      env=env, capture_output=True, text=True)
                if proc.returncode != 0:
                    raise BackupError(f"pg_dump 失败：{proc.stderr.strip()[:500]}")
        _copy_files(rows, upload_root, dest, result)
    else:
        raise BackupError(f"不支持的数据库类型：{dialect}")
    manifest = {
        "format": FORMAT_VERSION,
        "created_at": now.isoformat(timespec="seconds") + "Z",
        "dialect": dialect,
        "database": SQLITE_FILE if dialect == "sqlite" else PG_FILE,
        "files": result.files,
        "missing": result.missing,
    }
    tmp = dest / (MANIFEST + ".part")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    os.replace(tmp, dest / MANIFEST)  # last: its presence marks a complete backup
    return result


# --- restore -------------------------------------------------------------------------------------------

def read_manifest(src: str | Path) -> dict:
    path = Path(src) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{src} 中没有 {MANIFEST}：不是完整的备份目录。")
    manifest = json.loads(path.read_text())
    if manifest.get("format") != FORMAT_VERSION:
        raise BackupError("备份格式版本不受支持。")
    return manifest


def verify(src: str | Path) -> dict:
    """Check every file of the backup against the manifest; return the manifest. Raises BackupError."""
    src = Path(src)
    manifest = read_manifest(src)
    if not (src / manifest["database"]).is_file():
        raise BackupError(f"备份缺少数据库文件 {manifest['database']}。")
    for f in manifest["files"]:
        p = _safe_join(src / "uploads", f["path"])
        digest = hashlib.sha256()
        size = 0
        with open(p, "rb") as fh:
            for chunk in iter(lambda: fh.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
        if size != f["size"] or digest.hexdigest() != f["sha256"]:
            raise BackupError(f"备份中的文件 {f['path']} 已损坏（大小或 SHA-256 不符）。")
    return manifest


def database_is_empty(engine: sa.engine.Engine) -> bool:
    """True when the database has no tables or no accounts yet (a fresh deployment)."""
    insp = sa.inspect(engine)
    if not insp.has_table("user"):
        return True
    with engine.connect() as conn:
        return not conn.execute(sa.text('SELECT 1 FROM "user" LIMIT 1')).first()


def restore(src: str | Path, *, engine: sa.engine.Engine, upload_root: str | Path, force: bool = False,
            pg_bin_dir: str = "") -> RestoreResult:
    """Restore a backup made by ``backup`` into the database behind ``engine`` and ``upload_root``.

    Refuses (BackupError) a damaged backup, a backup of another database type, and a target
    database that already holds accounts unless ``force``. Existing rows are replaced.
    """
    src = Path(src)
    manifest = verify(src)
    dialect = engine.dialect.name
    if manifest["dialect"] != dialect:
        raise BackupError(f"这是 {manifest['dialect']} 数据库的备份，不能恢复到 {dialect} 数据库。")
    if not force and not database_is_empty(engine):
        raise BackupError("目标数据库中已有数据。请恢复到新的空数据库，或加 --force 覆盖。")
    engine.dispose()
    if dialect == "sqlite":
        with sqlite3.connect(src / manifest["database"]) as snap, \
                sqlite3.connect(engine.url.database, timeout=30) as target:
            snap.backup(target)
    elif dialect == "postgresql":
        pg_restore = find_pg_tool("pg_restore", pg_bin_dir)
        url, env = _libpq_args(engine.url)
        proc = subprocess.run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
                               "--single-transaction", f"--dbname={url}", str(src / manifest["database"])],
                              env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BackupError(f"pg_restore 失败：{proc.stderr.strip()[:500]}")
    else:
        raise BackupError(f"不支持的数据库类型：{dialect}")
    upload_root = Path(upload_root)
    total = 0
    for f in manifest["files"]:
        _copy_hashed(_safe_join(src / "uploads", f["path"]), _safe_join(upload_root, f["path"]))
        total += f["size"]
    return RestoreResult(dialect=dialect, files=len(manifest["files"]), total_bytes=total)


def describe(result: BackupResult) -> str:
    """A one-line Chinese summary for the CLI."""
    text = (f"备份完成：{result.dest}（{result.dialect} 数据库，{len(result.files)} 个文件，"
            f"共 {result.total_bytes / 1024 / 1024:.1f} MB）")
    if result.missing:
        text += f"；注意：{len(result.missing)} 个文件在磁盘上缺失，已记入清单"
    return text
