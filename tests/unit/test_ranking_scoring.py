"""The ranking formula, checked against numbers computed by hand."""
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from contest.ranking.scoring import (EntryInput, choose_winners, expert_score, final_score, fmt2,
                                     fraction_text, parse_fraction_text, rank, trimmed_totals, vote_score)

T0 = datetime(2024, 5, 1, 8, 0)
T1 = datetime(2024, 5, 2, 8, 0)


def test_vote_score_is_share_of_the_maximum():
    assert vote_score(40, 80) == Fraction(50)
    assert vote_score(80, 80) == Fraction(100)
    assert vote_score(1, 3) == Fraction(100, 3)


def test_vote_score_zero_when_nobody_voted():
    assert vote_score(0, 0) == 0


def test_vote_score_rejects_negative_or_above_max():
    with pytest.raises(ValueError):
        vote_score(-1, 5)
    with pytest.raises(ValueError):
        vote_score(6, 5)


def test_expert_score_single_expert_is_that_total():
    assert expert_score({7: Decimal("86.50")}) == Fraction(173, 2)


def test_expert_score_zero_without_sheets():
    assert expert_score({}) == 0
    assert expert_score({}, trim_extremes=True) == 0


def test_expert_score_plain_mean():
    assert expert_score({1: Decimal("80"), 2: Decimal("85"), 3: Decimal("91")}) == Fraction(256, 3)


def test_trimmed_mean_drops_one_highest_and_one_lowest_from_five():
    totals = {1: Decimal("60"), 2: Decimal("80"), 3: Decimal("85"), 4: Decimal("90"), 5: Decimal("99")}
    # (80 + 85 + 90) / 3 = 85
    assert expert_score(totals, trim_extremes=True) == 85
    assert trimmed_totals(totals, True)[1] == (1, 5)
    # untrimmed: 414 / 5 = 82.8
    assert expert_score(totals, trim_extremes=False) == Fraction(414, 5)


def test_trim_needs_at_least_five_totals():
    totals = {1: Decimal("60"), 2: Decimal("80"), 3: Decimal("85"), 4: Decimal("99")}
    assert expert_score(totals, trim_extremes=True) == Fraction(324, 4)
    assert trimmed_totals(totals, True)[1] == ()


def test_trim_with_equal_extremes_is_deterministic():
    totals = {1: Decimal("70"), 2: Decimal("70"), 3: Decimal("80"), 4: Decimal("90"), 5: Decimal("90")}
    kept, dropped = trimmed_totals(totals, True)
    assert dropped == (1, 5)
    assert kept == [70, 80, 90]


def test_final_score_weights_30_70():
    # 0.3 × 50 + 0.7 × 85 = 15 + 59.5 = 74.5
    assert final_score(Fraction(50), Fraction(85), 30, 70) == Fraction(149, 2)


def test_final_score_rejects_weights_not_adding_to_100():
    with pytest.raises(ValueError):
        final_score(Fraction(1), Fraction(1), 40, 70)


def test_rank_hand_computed_example():
    entries = [
        EntryInput(1, 120, {10: Decimal("80"), 11: Decimal("90")}, T0),   # vote 100, expert 85 -> 30 + 59.5 = 89.5
        EntryInput(2, 60, {10: Decimal("95"), 11: Decimal("93")}, T0),    # vote 50, expert 94 -> 15 + 65.8 = 80.8
        EntryInput(3, 0, {10: Decimal("99")}, T0),                        # vote 0, expert 99 -> 69.3
        EntryInput(4, 30, {}, T0),                                        # vote 25, expert 0 -> 7.5
    ]
    rows = rank(entries)
    assert [(r.entry_id, r.rank) for r in rows] == [(1, 1), (2, 2), (3, 3), (4, 4)]
    assert [fmt2(r.final_score) for r in rows] == ["89.50", "80.80", "69.30", "7.50"]
    assert rows[1].vote_score == 50 and rows[1].expert_score == 94


def test_rank_zero_votes_everywhere_ranks_by_expert_score():
    rows = rank([EntryInput(1, 0, {5: Decimal("70")}, T0), EntryInput(2, 0, {5: Decimal("71")}, T0)])
    assert [r.entry_id for r in rows] == [2, 1]
    assert all(r.vote_score == 0 for r in rows)
    assert rows[0].final_score == Fraction(4970, 100)


def test_ties_broken_by_expert_score_then_votes():
    # Entry 1: vote 100, expert 70 -> 30 + 49 = 79. Entry 2: vote 0 (0 votes of 10), expert 79/0.7 ...
    # Use weights 50/50 to build exact final ties: 1: 0.5*100 + 0.5*60 = 80; 2: 0.5*60 + 0.5*100 = 80.
    rows = rank([EntryInput(1, 10, {1: Decimal("60")}, T0), EntryInput(2, 6, {1: Decimal("100")}, T0)],
                vote_weight_pct=50, expert_weight_pct=50)
    assert rows[0].final_score == rows[1].final_score == 80
    assert [r.entry_id for r in rows] == [2, 1]  # higher expert score first


def test_ties_broken_by_votes_then_submission_then_id():
    # Same expert score, same final score needs same votes when weights are 30/70 -> fall to submission time.
    rows = rank([EntryInput(3, 5, {1: Decimal("80")}, T1), EntryInput(4, 5, {1: Decimal("80")}, T0),
                 EntryInput(1, 5, {1: Decimal("80")}, T1), EntryInput(2, 5, {1: Decimal("80")}, None)])
    assert [r.entry_id for r in rows] == [4, 1, 3, 2]
    assert [r.rank for r in rows] == [1, 2, 3, 4]
    # Votes decide when expert scores are equal and vote weight is 0.
    rows = rank([EntryInput(1, 3, {1: Decimal("80")}, T0), EntryInput(2, 9, {1: Decimal("80")}, T1)],
                vote_weight_pct=0, expert_weight_pct=100)
    assert rows[0].final_score == rows[1].final_score
    assert [r.entry_id for r in rows] == [2, 1]


def test_full_precision_orders_what_two_decimals_cannot():
    # 100/3 × 0.3 = 10 exactly vs 10.001 → display equal at 2 decimals, order by exact value.
    rows = rank([EntryInput(1, 1, {}, T0), EntryInput(2, 3, {}, T0)], vote_weight_pct=30, expert_weight_pct=70)
    assert rows[1].final_score == 10
    rows = rank([EntryInput(1, 0, {1: Decimal("70.01")}, T0), EntryInput(2, 0, {1: Decimal("70.00")}, T0),
                 EntryInput(3, 0, {1: Decimal("70.02")}, T0)])
    assert [fmt2(r.final_score) for r in rows] == ["49.01", "49.01", "49.00"]
    assert [r.entry_id for r in rows] == [3, 1, 2]


def test_rank_of_nothing_is_empty():
    assert rank([]) == []


def test_fmt2_rounds_half_up():
    assert fmt2(Fraction(83125, 1000)) == "83.13"
    assert fmt2(Fraction(100, 3)) == "33.33"
    assert fmt2(Fraction(0)) == "0.00"


def test_fraction_text_round_trips():
    for value in (Fraction(83125, 1000), Fraction(100, 3), Fraction(0), Fraction(100)):
        assert parse_fraction_text(fraction_text(value)) == value
    assert fraction_text(Fraction(149, 2)) == "74.5"
    assert fraction_text(Fraction(100, 3)) == "100/3"


def test_choose_winners_top_n_and_manual_changes():
    order = [5, 3, 9, 1]
    assert choose_winners(order, top_n=2) == {5, 3}
    assert choose_winners(order, top_n=2, manual=False, changes={9: True}) == {5, 3}
    assert choose_winners(order, top_n=2, manual=True, changes={9: True, 3: False, 77: True}) == {5, 9}
    assert choose_winners(order, top_n=10) == {5, 3, 9, 1}
    with pytest.raises(ValueError):
        choose_winners(order, top_n=-1)
