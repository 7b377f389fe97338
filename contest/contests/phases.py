"""Pure phase logic: which phases are open at a given instant. No Flask, no database."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Optional


@dataclass(frozen=True)
class Window:
    phase: str
    starts_at: datetime  # naive UTC, inclusive
    ends_at: datetime    # naive UTC, exclusive
    override: Optional[str] = None  # "open" | "closed" | None


def is_open(window: Window, now: datetime) -> bool:
    """True when the phase accepts actions at ``now`` (naive UTC).

    A manual override wins over the clock; otherwise the window is [starts_at, ends_at):
    a deadline of 2024-04-23 24:00 Beijing is stored as 2024-04-23 16:00 UTC and is already closed then.
    """
    if window.override == "open":
        return True
    if window.override == "closed":
        return False
    return window.starts_at <= now < window.ends_at


def current_phases(windows: Iterable[Window], now: datetime) -> list[str]:
    """The phases open at ``now`` in schedule order (phases may overlap, e.g. voting and review)."""
    return [w.phase for w in sorted(windows, key=lambda w: w.starts_at) if is_open(w, now)]


def validate_window(starts_at: Optional[datetime], ends_at: Optional[datetime]) -> list[str]:
    """Chinese error messages for a window being edited; empty when it is valid."""
    errors = []
    if starts_at is None or ends_at is None:
        errors.append("请填写开始时间和结束时间。")
    elif ends_at <= starts_at:
        errors.append("结束时间必须晚于开始时间。")
    return errors
