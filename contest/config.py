"""Configuration: the only module that reads ``os.environ``.

Every setting has a safe default so that ``make run`` works on a fresh clone.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path) -> str:
    """Read the key from the environment, else from instance/secret_key (made once)."""
    env_key = os.environ.get("CONTEST_SECRET_KEY")
    if env_key:
        return env_key
    instance_path.mkdir(parents=True, exist_ok=True)
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        # O_EXCL so that several workers starting at once agree on one key.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        except FileExistsError:
            pass
    return key_file.read_text().strip()


def build_config(instance_path: Path) -> dict:
    """Return the app configuration built from the environment."""
    instance_path = Path(instance_path)
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'contest.db'}"
    if db_url.startswith("postgres://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgres://"):]
    elif db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url[len("postgresql://"):]
    redis_url = os.environ.get("REDIS_URL") or None
    upload_root = Path(os.environ.get("UPLOAD_ROOT") or PROJECT_ROOT / "uploads")
    engine_options: dict = {"pool_pre_ping": True}
    if db_url.startswith("sqlite"):
        engine_options = {"connect_args": {"timeout": 30}}
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": db_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "REDIS_URL": redis_url,
        "UPLOAD_ROOT": str(upload_root),
        # Flask-Limiter: Redis when configured so limits hold across instances.
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute"),
        # Number of proxies in front of us whose X-Forwarded-For we trust (0 = none).
        "TRUSTED_PROXY_COUNT": _int("TRUSTED_PROXY_COUNT", 0),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("COOKIE_SECURE", False),
        "REMEMBER_COOKIE_SECURE": _bool("COOKIE_SECURE", False),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_SCAN_BYTES": _int("MAX_SCAN_MB", 20) * 1024 * 1024,
        "MAX_VIDEO_BYTES": _int("MAX_VIDEO_MB", 1024) * 1024 * 1024,
        "MAX_IMPORT_BYTES": _int("MAX_IMPORT_MB", 10) * 1024 * 1024,
        # Hard cap on any request body: the largest upload plus form overhead.
        "MAX_CONTENT_LENGTH": (_int("MAX_VIDEO_MB", 1024) + 8) * 1024 * 1024,
        "FFPROBE_TIMEOUT": _int("FFPROBE_TIMEOUT", 30),
        "SMS_SENDER": os.environ.get("SMS_SENDER", "log"),
        # Voting: requests per client IP to the vote endpoint (Flask-Limiter syntax).
        "VOTE_RATE_LIMIT": os.environ.get("VOTE_RATE_LIMIT", "30 per minute"),
        # Phone verification: SMS codes per client IP per 24 hours (each phone also gets at most 5 a day).
        "PHONE_CODES_PER_IP_PER_DAY": _int("PHONE_CODES_PER_IP_PER_DAY", 20),
        "JSON_AS_ASCII": False,
        # Backups on PostgreSQL: where pg_dump/pg_restore live (default: newest installed).
        "PG_BIN_DIR": os.environ.get("PG_BIN_DIR", ""),
    }
