from contest.submissions.counting import count_chars, over_limit_message


def test_count_ignores_all_whitespace():
    assert count_chars("信用 体系\n建设\t\u3000好") == 7


def test_count_mixed_scripts_and_punctuation_each_one():
    assert count_chars("信用ABC123，,。.！!") == 14


def test_count_empty_and_none():
    assert count_chars("") == 0
    assert count_chars(None) == 0


def test_limit_boundary_2000_ok_2001_refused():
    assert over_limit_message("案例内容", count_chars("字" * 2000), 2000) is None
    assert over_limit_message("案例内容", count_chars("字" * 2001), 2000) == \
        "案例内容共 2001 字，超过 2000 字的上限（多 1 字），请删减后再提交。"


def test_supplementary_plane_character_counts_one():
    assert count_chars("𠀀a") == 2
