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


def phase_state(window: Window, now: datetime) -> str:
    """One of "upcoming", "open", "ended", "forced_open", "forced_closed" for display.

    A manual override wins over the clock, like ``is_open``.
    """
    if window.override == "open":
        return "forced_open"
    if window.override == "closed":
        return "forced_closed"
    if now < window.starts_at:
        return "upcoming"
    if now < window.ends_at:
        return "open"
    return "ended"


PHASE_STATE_LABELS = {
    "upcoming": "未开始",
    "open": "进行中",
    "ended": "已结束",
    "forced_open": "已手动开启",
    "forced_closed": "已手动关闭",
}


def validate_weights(vote_pct: int, expert_pct: int) -> list[str]:
    """Chinese errors for the ranking weights (percent): both 0–100 and adding up to 100."""
    errors = []
    if not (0 <= vote_pct <= 100 and 0 <= expert_pct <= 100):
        errors.append("权重应在 0 到 100 之间。")
    elif vote_pct + expert_pct != 100:
        errors.append(f"网络投票权重与专家评审权重之和必须为 100（现为 {vote_pct + expert_pct}）。")
    return errors


def public_contest_id(starts: Iterable[tuple[int, Optional[datetime]]], now: datetime) -> Optional[int]:
    """The contest everyone but organizers is shown: ``starts`` pairs each contest id with its
    earliest phase start (naive UTC, None when it has no window); ``now`` is naive UTC.

    The most recently started contest (earliest start <= now, latest such start wins), so setting up
    next year's contest does not pull units, experts and voters away from the one that is running;
    when none has started yet, the one starting soonest. Ties go to the higher id (the newer
    contest). A contest without any window is only chosen when no contest has one (the newest of
    them). None when ``starts`` is empty. Naive UTC compares the same as Beijing time, so the
    boundary is the Beijing start instant.
    """
    started, upcoming, undated = [], [], []
    for contest_id, start in starts:
        if start is None:
            undated.append(contest_id)
        elif start <= now:
            started.append((start, contest_id))
        else:
            upcoming.append((start, -contest_id))
    if started:
        return max(started)[1]
    if upcoming:
        return -min(upcoming)[1]
    return max(undated, default=None)
