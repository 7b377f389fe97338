from contest.submissions.case_rules import (
    THEMES, check_fields, check_submittable, clean_themes, content_count, content_error, email_error,
    normalize_phone, phone_error, themes_error,
)
from contest.submissions.models import CASE_THEMES


def complete(**over):
    data = {"title": "信用承诺替代证明", "contact_name": "张三", "contact_phone": "029-88886666",
            "contact_email": "zhangsan@example.cn", "unit_address": "西安市雁塔区", "themes": ["政务诚信"],
            "highlights": "亮点", "part_problem": "问题", "part_measures": "举措", "part_effects": "成效"}
    data.update(over)
    return data


def test_themes_match_the_model_list_of_annex_1():
    assert list(THEMES) == CASE_THEMES
    assert len(THEMES) == 10


def test_phone_mobile_accepted():
    assert phone_error("13800138000") is None
    assert phone_error("+86 138 0013 8000") is None
    assert phone_error("１３８００１３８０００") is None


def test_phone_landline_with_area_code_accepted():
    for value in ("029-88886666", "02988886666", "029-88886666-123", "(029)88886666", "0917-3216543"):
        assert phone_error(value) is None, value


def test_phone_invalid_refused_with_example():
    msg = phone_error("12345")
    assert msg == "联系电话“12345”格式不正确。请填写手机号码（如 13800138000）或带区号的固定电话（如 029-88886666）。"
    assert phone_error("88886666") is not None  # landline without area code
    assert phone_error("12800138000") is not None  # no mobile prefix 12
    assert phone_error("029-0888666") is not None
    assert phone_error("") == "请填写联系电话。"


def test_normalize_phone_removes_spaces_and_fullwidth():
    assert normalize_phone(" 029－8888 6666 ") == "029-88886666"


def test_email_rules():
    assert email_error("a.b@example.cn") is None
    assert email_error("not-an-email") == "邮箱“not-an-email”格式不正确，请填写如 name@example.cn 的邮箱地址。"
    assert email_error("a@b") is not None
    assert email_error("  ") == "请填写邮箱。"


def test_themes_at_least_one_and_known():
    assert themes_error([]) == "请至少选择一个案例主题。"
    assert themes_error(["政务诚信"]) is None
    assert themes_error(["乱写"]) == "案例主题“乱写”不在附件1的选项中。"
    assert clean_themes(["其他", "政务诚信", "其他", "乱写"]) == ["政务诚信", "其他"]


def test_content_count_sums_three_parts_ignoring_whitespace():
    parts = {"part_problem": "信用 ABC\n", "part_measures": "１２３，,。", "part_effects": "\u3000\t好"}
    assert content_count(parts) == 3 + 6 + 1  # "ABC" is one word, as in Word


def test_content_boundary_2000_accepted_2001_refused_with_count():
    ok = {"part_problem": "字" * 1000, "part_measures": "a " * 500, "part_effects": "，" * 500}
    assert content_error(ok, 2000) is None
    over = dict(ok, part_effects="，" * 501)
    assert content_error(over, 2000) == \
        "案例内容（三部分合计）共 2001 字，超过 2000 字的上限（多 1 字），请删减后再提交。"


def test_check_fields_complete_form_has_no_errors():
    assert check_fields(complete(), 2000) == {}


def test_check_fields_missing_section_named():
    errors = check_fields(complete(part_measures="  \n"), 2000)
    assert errors == {"part_measures": "案例内容缺少“二、创新举措”部分，请按模板补充。"}


def test_check_fields_collects_every_problem():
    errors = check_fields(complete(contact_phone="1", contact_email="x", themes=[], title="",
                                   part_problem="字" * 2001), 2000)
    assert set(errors) == {"contact_phone", "contact_email", "themes", "title", "content"}
    assert errors["content"].startswith("案例内容（三部分合计）共 2005 字")


def test_check_submittable_needs_scan_and_commitment():
    result = check_submittable(complete(), 2000, has_scan=False, committed=False)
    assert not result.ok
    assert result.messages == ["请上传加盖单位公章的申报表扫描件（PDF、JPG 或 PNG）。", "请阅读并勾选诚信承诺后再提交。"]
    assert check_submittable(complete(), 2000, has_scan=True, committed=True).ok
