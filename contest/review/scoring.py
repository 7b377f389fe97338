"""Pure scoring rules: parsing a typed score, checking it against the criterion, and the total.

No Flask, no database. Scores are Decimals in steps of 0.5 between 0 and the criterion's maximum.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Mapping, Optional

STEP = Decimal("0.5")


@dataclass(frozen=True)
class Criterion:
    id: int
    name: str
    max_score: int


class ScoreInputError(ValueError):
    """Per-criterion Chinese messages (``errors``: criterion id -> message); nothing may be saved."""

    def __init__(self, errors: dict[int, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


def parse_score(raw: Optional[str], criterion: Criterion) -> Optional[Decimal]:
    """The score typed for ``criterion``: None when left empty, else a Decimal.

    Raises ValueError with a Chinese message when the text is not a number, is negative, is above
    the criterion's maximum or is not a multiple of 0.5. Full-width digits (１２．５) are accepted.
    """
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if text == "":
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"“{criterion.name}”须填写数字（0～{criterion.max_score}分），不能填写“{text[:20]}”。") from None
    if not value.is_finite():
        raise ValueError(f"“{criterion.name}”须填写数字（0～{criterion.max_score}分）。")
    if value < 0:
        raise ValueError(f"“{criterion.name}”不能为负数，须在0～{criterion.max_score}分之间。")
    if value > criterion.max_score:
        raise ValueError(f"“{criterion.name}”最高{criterion.max_score}分，填写的{text}分超过了满分。")
    if value % STEP != 0:
        raise ValueError(f"“{criterion.name}”须以0.5分为单位（如 18 或 18.5），不能填写{text}分。")
    return value.quantize(Decimal("0.01"))


def parse_sheet(criteria: list[Criterion], raw: Mapping[int, Optional[str]], *,
                complete: bool) -> dict[int, Optional[Decimal]]:
    """Parse every criterion's typed score. ``complete`` (submitting) requires all of them.

    Returns criterion id -> Decimal or None (empty, allowed only in a draft).
    Raises ScoreInputError listing every problem at once.
    """
    values: dict[int, Optional[Decimal]] = {}
    errors: dict[int, str] = {}
    for c in criteria:
        try:
            values[c.id] = parse_score(raw.get(c.id), c)
        except ValueError as exc:
            errors[c.id] = str(exc)
            continue
        if complete and values[c.id] is None:
            errors[c.id] = f"请填写“{c.name}”的得分（0～{c.max_score}分）后再提交。"
    if errors:
        raise ScoreInputError(errors)
    return values


def total(values: Mapping[int, Optional[Decimal]]) -> Decimal:
    """Sum of the filled-in scores (empty ones count as 0), two decimals."""
    return sum((v for v in values.values() if v is not None), Decimal("0")).quantize(Decimal("0.01"))


def completion_percent(done: int, assigned: int) -> int:
    """Whole percent of ``done`` out of ``assigned`` rounded down; 100 when nothing is assigned."""
    if assigned <= 0:
        return 100
    return done * 100 // assigned
