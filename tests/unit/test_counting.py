"""The 字数 rule counts like Word's 字数统计 (“字数” = 中文字符 + 非中文单词)."""
from contest.submissions.counting import RULE_TEXT, count_chars, over_limit_message


def test_count_pure_chinese_each_character_one():
    assert count_chars("社会信用体系建设") == 8


def test_count_chinese_punctuation_each_one():
    assert count_chars("信用，诚信。“守信”（激励）——《办法》……、；：？！·") == 28


def test_count_latin_word_is_one():
    assert count_chars("APP") == 1
    assert count_chars("Credit China APP") == 3
    assert count_chars("e-mail, hello.") == 2  # half-width punctuation belongs to its word


def test_count_number_with_decimal_point_or_thousands_separator_is_one():
    assert count_chars("2023") == 1
    assert count_chars("12.5") == 1
    assert count_chars("3,200") == 1  # no space inside: one word, as in Word
    assert count_chars("50%") == 1
    assert count_chars("3, 200") == 2  # a space splits it


def test_count_latin_run_ends_at_a_chinese_character():
    assert count_chars("ISO 9001认证") == 4
    assert count_chars("2023年增长12.5%，达3,200万元。") == 11
    assert count_chars("信用ABC123，,。.！!") == 9


def test_count_full_width_letters_and_digits_each_one():
    assert count_chars("ＡＰＰ１２３") == 6
    assert count_chars("第１名") == 3


def test_count_emoji_joins_its_run():
    assert count_chars("👍") == 1
    assert count_chars("👍👍👍") == 1
    assert count_chars("点赞👍") == 3
    assert count_chars("good👍") == 1
    assert count_chars("1️⃣2️⃣") == 1  # variation selectors and keycaps do not split or count


def test_count_ignores_spaces_and_line_breaks():
    assert count_chars("信用 体系\n建设\r\n\t\u3000好") == 7
    assert count_chars("APP\nAPP") == 2
    assert count_chars(" \n\t\u3000\ufeff") == 0


def test_count_supplementary_plane_character_counts_one():
    assert count_chars("𠀀a") == 2
    assert count_chars("𠀀𠀁") == 2


def test_count_empty_and_none():
    assert count_chars("") == 0
    assert count_chars(None) == 0


def test_limit_boundary_2000_ok_2001_refused():
    assert over_limit_message("案例内容", count_chars("字" * 2000), 2000) is None
    assert over_limit_message("案例内容", count_chars("字" * 2001), 2000) == \
        "案例内容共 2001 字，超过 2000 字的上限（多 1 字），请删减后再提交。"


def test_rule_text_says_it_counts_like_word():
    assert "与 Word“字数统计”中的“字数”一致" in RULE_TEXT
