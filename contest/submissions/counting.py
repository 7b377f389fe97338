"""The one character-counting rule (字数), used by the server and mirrored by static/js/charcount.js.

Rule: every character counts one except whitespace. Chinese characters, letters, digits and
full-width and half-width punctuation each count one; spaces, tabs, line breaks and the
full-width space (U+3000) do not count.
"""
from __future__ import annotations

RULE_TEXT = "字数按除空白（空格、制表符、换行、全角空格）以外的每个字符计 1 个，汉字、字母、数字和全角/半角标点均各计 1 个。"


def count_chars(text: str | None) -> int:
    """Number of counted characters in ``text`` (None counts 0)."""
    if not text:
        return 0
    return sum(1 for ch in text if not ch.isspace())


def over_limit_message(label: str, count: int, limit: int) -> str | None:
    """Chinese refusal when ``count`` exceeds ``limit``, else None. ``limit`` itself is accepted."""
    if count > limit:
        return f"{label}共 {count} 字，超过 {limit} 字的上限（多 {count - limit} 字），请删减后再提交。"
    return None
