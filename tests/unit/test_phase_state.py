from datetime import datetime

from contest.contests.phases import Window, phase_state, validate_weights

W = Window("submission", datetime(2024, 2, 26, 16), datetime(2024, 4, 23, 16))


def test_phase_state_follows_clock():
    assert phase_state(W, datetime(2024, 2, 26, 15, 59)) == "upcoming"
    assert phase_state(W, datetime(2024, 2, 26, 16)) == "open"
    assert phase_state(W, datetime(2024, 4, 23, 15, 59, 59)) == "open"
    assert phase_state(W, datetime(2024, 4, 23, 16)) == "ended"


def test_phase_state_override_wins():
    assert phase_state(Window("submission", W.starts_at, W.ends_at, "open"), datetime(2025, 1, 1)) == "forced_open"
    assert phase_state(Window("submission", W.starts_at, W.ends_at, "closed"), datetime(2024, 3, 1)) == "forced_closed"


def test_validate_weights():
    assert validate_weights(30, 70) == []
    assert validate_weights(40, 70) == ["网络投票权重与专家评审权重之和必须为 100（现为 110）。"]
    assert validate_weights(-10, 110) == ["权重应在 0 到 100 之间。"]
