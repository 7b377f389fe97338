from datetime import datetime

from contest.contests.phases import public_contest_id
from contest.core.timeutil import beijing

NOW = beijing(2025, 3, 1, 12)


def test_public_contest_none_when_no_contests():
    assert public_contest_id([], NOW) is None


def test_public_contest_started_wins_over_newer_upcoming():
    assert public_contest_id([(1, beijing(2025, 2, 1)), (2, beijing(2025, 9, 17))], NOW) == 1


def test_public_contest_most_recently_started_wins():
    assert public_contest_id([(1, beijing(2024, 2, 27)), (2, beijing(2025, 2, 27)), (3, beijing(2026, 2, 27))],
                             NOW) == 2


def test_public_contest_started_exactly_now_counts_as_started():
    assert public_contest_id([(1, beijing(2024, 2, 27)), (2, NOW)], NOW) == 2


def test_public_contest_one_second_before_start_keeps_the_old_one():
    start = beijing(2025, 3, 1, 12)
    assert public_contest_id([(1, beijing(2024, 2, 27)), (2, start)], datetime(2025, 3, 1, 3, 59, 59)) == 1


def test_public_contest_soonest_upcoming_when_none_started():
    assert public_contest_id([(1, beijing(2025, 9, 1)), (2, beijing(2025, 4, 1)), (3, beijing(2026, 1, 1))],
                             NOW) == 2


def test_public_contest_tie_goes_to_higher_id():
    start = beijing(2025, 2, 1)
    assert public_contest_id([(1, start), (2, start)], NOW) == 2
    later = beijing(2025, 4, 1)
    assert public_contest_id([(5, later), (4, later)], NOW) == 5


def test_public_contest_undated_only_when_nothing_is_dated():
    assert public_contest_id([(7, None), (1, beijing(2025, 9, 1))], NOW) == 1
    assert public_contest_id([(3, None), (7, None)], NOW) == 7
