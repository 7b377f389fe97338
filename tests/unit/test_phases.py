from datetime import timedelta

from contest.contests.phases import Window, current_phases, is_open, validate_window
from contest.core.timeutil import beijing, format_deadline


def test_deadline_2024_04_23_24_00_is_stored_as_16_00_utc():
    end = beijing(2024, 4, 23, 24)
    assert end.isoformat() == "2024-04-23T16:00:00"
    assert format_deadline(end) == "2024-04-23 24:00"


def test_window_open_until_last_second_before_beijing_midnight():
    w = Window("submission", beijing(2024, 2, 27), beijing(2024, 4, 23, 24))
    assert is_open(w, beijing(2024, 4, 23, 23, 59, 59)) is True
    assert is_open(w, beijing(2024, 4, 24, 0, 0, 0)) is False
    assert is_open(w, beijing(2024, 2, 27) - timedelta(seconds=1)) is False
    assert is_open(w, beijing(2024, 2, 27)) is True


def test_override_wins_over_clock():
    w = Window("voting", beijing(2024, 4, 30), beijing(2024, 5, 31, 24), override="closed")
    assert is_open(w, beijing(2024, 5, 1)) is False
    w2 = Window("voting", beijing(2024, 4, 30), beijing(2024, 5, 31, 24), override="open")
    assert is_open(w2, beijing(2025, 1, 1)) is True


def test_current_phases_may_overlap_in_schedule_order():
    ws = [Window("review", beijing(2024, 4, 30), beijing(2024, 6, 30, 24)),
          Window("voting", beijing(2024, 4, 30), beijing(2024, 5, 31, 24)),
          Window("submission", beijing(2024, 2, 27), beijing(2024, 4, 23, 24))]
    assert current_phases(ws, beijing(2024, 5, 10)) == ["review", "voting"] or \
        current_phases(ws, beijing(2024, 5, 10)) == ["voting", "review"]
    assert current_phases(ws, beijing(2024, 6, 10)) == ["review"]
    assert current_phases(ws, beijing(2024, 4, 25)) == []


def test_validate_window_rejects_end_before_start():
    assert validate_window(beijing(2024, 5, 2), beijing(2024, 5, 1)) == ["结束时间必须晚于开始时间。"]
    assert validate_window(beijing(2024, 5, 1), beijing(2024, 5, 1)) == ["结束时间必须晚于开始时间。"]
    assert validate_window(None, beijing(2024, 5, 1)) == ["请填写开始时间和结束时间。"]
    assert validate_window(beijing(2024, 5, 1), beijing(2024, 5, 2)) == []


def test_phase_closed_reason_states_why_in_beijing_time():
    from contest.contests.models import Phase
    from contest.contests.services import phase_closed_reason

    w = Window("voting", beijing(2024, 4, 30), beijing(2024, 5, 31, 24))
    assert phase_closed_reason(Phase.VOTING, w, beijing(2024, 5, 1)) is None
    assert phase_closed_reason(Phase.VOTING, w, beijing(2024, 4, 29)) == \
        "“网络投票”阶段尚未开始，时间为 2024-04-30 00:00 至 2024-05-31 24:00（北京时间）。"
    assert phase_closed_reason(Phase.VOTING, w, beijing(2024, 6, 1)) == \
        "“网络投票”阶段已于 2024-05-31 24:00（北京时间）截止。"
    closed = Window("voting", w.starts_at, w.ends_at, override="closed")
    assert phase_closed_reason(Phase.VOTING, closed, beijing(2024, 5, 1)) == \
        "“网络投票”阶段已由市信用办关闭。规定时间：2024-04-30 00:00 至 2024-05-31 24:00（北京时间）。"
    opened = Window("voting", w.starts_at, w.ends_at, override="open")
    assert phase_closed_reason(Phase.VOTING, opened, beijing(2025, 1, 1)) is None
    assert phase_closed_reason(Phase.VOTING, None, beijing(2024, 5, 1)) == "本活动未设置“网络投票”阶段。"
