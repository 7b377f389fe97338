"""clean_text: what form fields and query arguments lose on the way in (contest.core.text_input)."""
from contest.core.text_input import clean_text


def test_nul_and_c0_controls_are_dropped():
    assert clean_text("信用\x00承诺\x01\x08\x0e\x1b\x1f兑现") == "信用承诺兑现"


def test_tab_line_feed_and_carriage_return_are_kept():
    assert clean_text("第一条\t说明\r\n第二条\n") == "第一条\t说明\r\n第二条\n"


def test_word_line_and_page_breaks_become_line_feeds():
    assert clean_text("第一段\x0b第二段\x0c第三段") == "第一段\n第二段\n第三段"


def test_xml_non_characters_are_dropped_and_the_rest_of_unicode_kept():
    text = "😀𠜎 ①②③ «引号» \u00a0\u3000 e\u0301 \u202e"
    assert clean_text(f"a\ufffeb\uffff{text}") == f"ab{text}"


def test_text_without_controls_is_unchanged():
    text = "西安市社会信用体系建设典型案例 <b>&amp; 'quotes' \"double\" DEL\x7f"
    assert clean_text(text) == text
