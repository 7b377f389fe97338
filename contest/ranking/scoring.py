"""The ranking formula (pure: plain values in, plain values out; no Flask, no database).

Per kind (cases; videos — optionally per video category):

* vote score   = 100 × valid votes of the entry ÷ the most valid votes of any entry ranked together
                 (0 for every entry when nobody voted);
* expert score = mean of the submitted expert totals; with ``trim_extremes`` and at least
                 ``TRIM_MIN_SHEETS`` totals, one highest and one lowest total are dropped first
                 (0 when no expert total was submitted);
* final        = vote weight × vote score + expert weight × expert score, weights in percent
                 (the notice: 30% public vote, 70% expert panel).

Every number is a ``Fraction`` so that ordering uses full precision; ``fmt2`` shows two decimals.

Tie-break (the order is always total and deterministic): higher final score, then higher expert
score, then more valid votes, then earlier submission (entries never submitted go last), then the
lower entry id.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Iterable, Optional, Sequence

TRIM_MIN_SHEETS = 5

FORMULA_TEXT = (
    "投票得分 = 100 × 该作品有效票数 ÷ 同类作品中最高有效票数（无人投票时为 0）；"
    "专家得分 = 已提交的专家评分的平均分（如活动设置“去掉一个最高分和一个最低分”，且评分不少于 5 份时先去掉再平均）；"
    "最终得分 = 投票权重 × 投票得分 + 专家权重 × 专家得分（默认 30% 与 70%）。"
    "排名按最终得分从高到低；得分相同时依次比较专家得分、有效票数、提交时间（先提交者在前）。"
    "计算全程保留完整精度，页面显示保留两位小数。"
)


@dataclass(frozen=True)
class EntryInput:
    """What the formula needs about one entry. ``expert_totals`` maps expert id -> submitted total."""
    entry_id: int
    valid_votes: int
    expert_totals: dict[int, Fraction] = field(default_factory=dict)
    submitted_at: Optional[datetime] = None


@dataclass(frozen=True)
class RankedEntry:
    entry_id: int
    rank: int
    valid_votes: int
    vote_score: Fraction
    expert_score: Fraction
    final_score: Fraction
    expert_totals: dict[int, Fraction]
    dropped_experts: tuple[int, ...]  # expert ids whose totals were trimmed away


def to_fraction(value) -> Fraction:
    """Exact conversion of int / Decimal / str / Fraction (never via binary float)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    if isinstance(value, (int, Decimal)):
        return Fraction(value)
    return Fraction(Decimal(str(value)))


def vote_score(valid_votes: int, max_votes: int) -> Fraction:
    """100 × votes ÷ max votes; 0 when ``max_votes`` is 0. Raises ValueError for negative counts or
    votes above the maximum."""
    if valid_votes < 0 or max_votes < 0:
        raise ValueError("vote counts cannot be negative")
    if valid_votes > max_votes:
        raise ValueError("votes of an entry cannot exceed the maximum")
    if max_votes == 0:
        return Fraction(0)
    return Fraction(100 * valid_votes, max_votes)


def trimmed_totals(totals: dict[int, Any], trim_extremes: bool) -> tuple[list[Fraction], tuple[int, ...]]:
    """The totals that count and the expert ids dropped. With ``trim_extremes`` and at least
    ``TRIM_MIN_SHEETS`` totals, one highest and one lowest are dropped; among equal totals the one of
    the higher expert id is dropped as the highest and the lower expert id as the lowest (any choice
    gives the same mean — this only makes the audit trail deterministic)."""
    items = sorted(((k, to_fraction(v)) for k, v in totals.items()), key=lambda kv: (kv[1], kv[0]))
    if trim_extremes and len(items) >= TRIM_MIN_SHEETS:
        dropped = (items[0][0], items[-1][0])
        items = items[1:-1]
    else:
        dropped = ()
    return [v for _, v in items], dropped


def expert_score(totals: dict[int, Any], trim_extremes: bool = False) -> Fraction:
    """Mean of the (possibly trimmed) submitted totals; 0 when there are none."""
    kept, _ = trimmed_totals(totals, trim_extremes)
    if not kept:
        return Fraction(0)
    return sum(kept, Fraction(0)) / len(kept)


def final_score(vote: Fraction, expert: Fraction, vote_weight_pct: int, expert_weight_pct: int) -> Fraction:
    """Weighted sum with weights in percent. Raises ValueError unless the weights are ≥ 0 and add to 100."""
    check_weights(vote_weight_pct, expert_weight_pct)
    return Fraction(vote_weight_pct, 100) * vote + Fraction(expert_weight_pct, 100) * expert


def check_weights(vote_weight_pct: int, expert_weight_pct: int) -> None:
    if vote_weight_pct < 0 or expert_weight_pct < 0 or vote_weight_pct + expert_weight_pct != 100:
        raise ValueError("weights must be non-negative and add up to 100")


def _sort_key(row: RankedEntry, submitted_at: Optional[datetime]):
    # Python sorts ascending: negate what must be descending. Never-submitted entries go last.
    return (-row.final_score, -row.expert_score, -row.valid_votes,
            submitted_at is None, submitted_at or datetime.min, row.entry_id)


def rank(entries: Iterable[EntryInput], *, vote_weight_pct: int = 30, expert_weight_pct: int = 70,
         trim_extremes: bool = False) -> list[RankedEntry]:
    """Score and order the entries that compete together (one kind, or one video category).

    Returns one ``RankedEntry`` per input, ordered, with ranks 1..n (the tie-break in the module
    docstring makes every position distinct). Raises ValueError on invalid weights or negative votes.
    """
    check_weights(vote_weight_pct, expert_weight_pct)
    entries = list(entries)
    max_votes = max((e.valid_votes for e in entries), default=0)
    scored = []
    for e in entries:
        totals = {k: to_fraction(v) for k, v in e.expert_totals.items()}
        v = vote_score(e.valid_votes, max_votes)
        _, dropped = trimmed_totals(totals, trim_extremes)
        x = expert_score(totals, trim_extremes)
        row = RankedEntry(entry_id=e.entry_id, rank=0, valid_votes=e.valid_votes, vote_score=v, expert_score=x,
                          final_score=final_score(v, x, vote_weight_pct, expert_weight_pct),
                          expert_totals=totals, dropped_experts=dropped)
        scored.append((row, e.submitted_at))
    scored.sort(key=lambda pair: _sort_key(*pair))
    return [RankedEntry(**{**row.__dict__, "rank": i}) for i, (row, _) in enumerate(scored, start=1)]


def fmt2(value: Fraction) -> str:
    """Two decimals, half up (as people round by hand): 83.125 -> '83.13'."""
    d = Decimal(value.numerator) / Decimal(value.denominator)
    return str(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def fraction_text(value: Fraction) -> str:
    """Exact text form kept in snapshots: '83.125' when finite in decimals, else 'p/q'."""
    den = value.denominator
    while den % 2 == 0:
        den //= 2
    while den % 5 == 0:
        den //= 5
    if den == 1:
        d = Decimal(value.numerator) / Decimal(value.denominator)
        text = format(d.normalize(), "f")
        return text
    return f"{value.numerator}/{value.denominator}"


def parse_fraction_text(text: str) -> Fraction:
    return Fraction(text) if "/" in text else Fraction(Decimal(text))


def choose_winners(order: Sequence[int], *, top_n: int, manual: bool = False,
                   changes: Optional[dict[int, bool]] = None) -> set[int]:
    """Winner entry ids: the first ``top_n`` of ``order``; in manual mode each change (entry id ->
    winner or not) is applied on top of that. Changes for entries not in ``order`` are ignored."""
    if top_n < 0:
        raise ValueError("top_n cannot be negative")
    winners = set(order[:top_n])
    if manual:
        present = set(order)
        for entry_id, is_winner in (changes or {}).items():
            if entry_id not in present:
                continue
            if is_winner:
                winners.add(entry_id)
            else:
                winners.discard(entry_id)
    return winners
