"""The one 字数 rule, used by the server and mirrored exactly by static/js/charcount.js.

Units write their case in Word/WPS and check it with 字数统计, so 字数 here is Word's “字数”
(= “中文字符和朝鲜语单词” + “非中文单词”):

* every CJK character counts 1: 汉字 (including the supplementary planes), 中文/全角 punctuation
  (，。、；：？！（）《》【】 …, the whole U+3000–U+303F block), full-width letters and digits
  (Ａ１, U+FF00–U+FFEF) and the punctuation a Chinese input method types outside those blocks:
  “ ” ‘ ’ — … · (U+201C U+201D U+2018 U+2019 U+2014 U+2026 U+00B7);
* every run of other non-whitespace characters counts 1 as a whole, like a word in Word: Latin
  letters, digits and the half-width signs inside them — ``APP``, ``2023``, ``12.5``, ``3,200``,
  ``50%``, ``e-mail`` are one each; a run ends at whitespace or at a CJK character, so
  ``ISO 9001认证`` is 4 and ``2023年`` is 2; emoji and other symbols join the run they touch
  (``👍👍`` is 1, ``好👍`` is 2);
* whitespace (spaces, tabs, line breaks, the full-width space U+3000, U+FEFF) does not count and
  only separates runs; variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) are ignored.
"""
from __future__ import annotations

RULE_TEXT = (
    "字数与 Word“字数统计”中的“字数”一致：每个汉字、每个中文标点和每个全角字母或数字各计 1 字；"
    "连续的英文字母、数字（连同其中的小数点等半角符号）计 1 字，如 APP、2023、12.5、3,200 各计 1 字，"
    "“ISO 9001认证”计 4 字；空格和换行不计。"
)

# Whitespace: Python's str.isspace() set plus U+FEFF. Spelt out so the JS copy is the same set.
_WHITESPACE = frozenset(
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)

# Code point ranges (inclusive) whose characters each count 1, like Word's 中文字符.
_CJK_RANGES = (
    (0x00B7, 0x00B7),    # · 间隔号
    (0x2014, 0x2014),    # — (—— 破折号)
    (0x2018, 0x2019),    # ‘ ’
    (0x201C, 0x201D),    # “ ”
    (0x2026, 0x2026),    # … (…… 省略号)
    (0x2E80, 0x2FFF),    # CJK radicals, Kangxi radicals, ideographic description
    (0x3000, 0x9FFF),    # CJK punctuation, kana, bopomofo, enclosed CJK, CJK compatibility, 汉字
    (0xF900, 0xFAFF),    # CJK compatibility ideographs
    (0xFE10, 0xFE1F),    # vertical forms
    (0xFE30, 0xFE4F),    # CJK compatibility forms
    (0xFF00, 0xFFEF),    # full-width letters, digits and punctuation
    (0x20000, 0x3FFFF),  # 汉字 extensions B and later
)

_IGNORED_RANGES = ((0xFE00, 0xFE0F), (0xE0100, 0xE01EF))  # variation selectors


def _in(cp: int, ranges: tuple[tuple[int, int], ...]) -> bool:
    return any(lo <= cp <= hi for lo, hi in ranges)


def count_chars(text: str | None) -> int:
    """字数 of ``text`` as Word's 字数统计 counts it (see the module docstring); None counts 0."""
    if not text:
        return 0
    count = 0
    in_run = False
    for ch in text:
        cp = ord(ch)
        if ch in _WHITESPACE:
            in_run = False
        elif _in(cp, _CJK_RANGES):
            count += 1
            in_run = False
        elif _in(cp, _IGNORED_RANGES):
            continue
        elif not in_run:
            count += 1
            in_run = True
    return count


def over_limit_message(label: str, count: int, limit: int) -> str | None:
    """Chinese refusal when ``count`` exceeds ``limit``, else None. ``limit`` itself is accepted."""
    if count > limit:
        return f"{label}共 {count} 字，超过 {limit} 字的上限（多 {count - limit} 字），请删减后再提交。"
    return None
