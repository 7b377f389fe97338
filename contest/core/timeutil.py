"""Beijing time helpers. The database stores naive UTC; users see Beijing time (UTC+8)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """The current time as a naive UTC datetime (the form stored in the database)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_beijing(value: datetime | None) -> datetime | None:
    """Naive UTC (or aware) datetime -> aware Beijing datetime."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(BEIJING)


def from_beijing(value: datetime) -> datetime:
    """A Beijing wall-clock datetime (naive or aware) -> naive UTC for storage."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def beijing(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """Naive UTC for a Beijing wall-clock time; hour=24 means the end of that day (24:00)."""
    extra = timedelta(0)
    if hour == 24:
        hour, extra = 0, timedelta(days=1)
    return from_beijing(datetime(year, month, day, hour, minute, second) + extra)


def beijing_date(value: datetime) -> date:
    """The Beijing calendar date of a naive UTC datetime (used for 'per day' vote limits)."""
    return to_beijing(value).date()


def format_beijing(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a naive UTC datetime in Beijing time."""
    if value is None:
        return ""
    return to_beijing(value).strftime(fmt)


def format_deadline(value: datetime | None) -> str:
    """Format an exclusive end; Beijing midnight shows as 24:00 of the previous day, as notices write it."""
    if value is None:
        return ""
    local = to_beijing(value)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return (local - timedelta(days=1)).strftime("%Y-%m-%d") + " 24:00"
    return local.strftime("%Y-%m-%d %H:%M")


def format_remaining(seconds: float) -> str:
    """Human Chinese duration such as '3天4小时' or '25分钟'."""
    seconds = int(max(0, seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}天{hours}小时"
    if hours:
        return f"{hours}小时{minutes}分钟"
    return f"{minutes}分钟"
