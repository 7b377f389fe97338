import io

import pytest
from openpyxl import Workbook

from contest.accounts.rules import (IMPORT_COLUMNS, check_import, generate_password, normalize_name, parse_kind,
                                    phone_problem, username_problem)
from contest.accounts.services import password_problem
from contest.documents.tables import TableError, decode_text, read_table

HEADER = IMPORT_COLUMNS


def test_parse_kind_accepts_notice_spellings():
    assert parse_kind("区县") == "district"
    assert parse_kind("各区县") == "district"
    assert parse_kind(" 市级各部门 ") == "city_dept"
    assert parse_kind("西咸新区") == "xixian"
    assert parse_kind("开发区") == "dev_zone"
    assert parse_kind("街道") is None
    assert parse_kind(None) is None


def test_normalize_name_ignores_all_whitespace():
    assert normalize_name(" 雁塔\u3000区 ") == "雁塔区"


def test_username_problem_rules():
    assert username_problem("yanta_01") is None
    assert username_problem("ab") is not None
    assert username_problem("雁塔") is not None
    assert username_problem("_lead") is not None


def test_phone_problem_allows_empty_and_landlines():
    assert phone_problem("") is None
    assert phone_problem("029-85211004") is None
    assert phone_problem("电话") == "联系电话只能包含数字、空格、+、-和括号（5–30 位），例如 029-86787001。"


def test_generate_password_is_strong_and_random():
    values = {generate_password() for _ in range(20)}
    assert len(values) == 20
    assert all(len(v) == 12 and password_problem(v) is None for v in values)


def test_check_import_valid_rows():
    table = [HEADER, ["雁塔区", "区县", "张三", "029-85211004", "小寨西路", "yanta", "雁塔区信用办"],
             ["市发改委", "市级部门", "", 2988001122.0, "", "", ""], ["", "", "", "", "", "", ""]]
    check = check_import(table, existing_units=[], existing_usernames=[])
    assert check.errors == []
    assert check.ok
    assert [(r.line, r.name, r.kind, r.username, r.contact_phone) for r in check.rows] == [
        (2, "雁塔区", "district", "yanta", "029-85211004"), (3, "市发改委", "city_dept", "", "2988001122")]


def test_check_import_duplicate_unit_in_file():
    table = [HEADER, ["雁塔区", "区县"], ["碑林区", "区县"], ["雁塔 区", "区县"]]
    check = check_import(table, existing_units=[], existing_usernames=[])
    assert check.errors == ["第4行：单位名称“雁塔 区”在文件中重复（第2行已有）。"]
    assert not check.ok


def test_check_import_duplicate_with_existing_unit_and_username():
    table = [HEADER, ["雁塔区", "区县", "", "", "", "Admin", ""]]
    check = check_import(table, existing_units=["雁塔区"], existing_usernames=["admin"])
    assert check.errors == ["第2行：单位“雁塔区”已存在，不能重复导入；账号用户名“Admin”已被使用。"]


def test_check_import_bad_kind_and_missing_name():
    table = [HEADER, ["", "街道"]]
    check = check_import(table, existing_units=[], existing_usernames=[])
    assert check.errors == ["第2行：单位名称不能为空；单位类型“街道”无效，应为市级部门、区县、西咸新区、开发区之一。"]


def test_check_import_duplicate_username_in_file():
    table = [HEADER, ["甲", "区县", "", "", "", "same", ""], ["乙", "区县", "", "", "", "SAME", ""]]
    check = check_import(table, existing_units=[], existing_usernames=[])
    assert check.errors == ["第3行：账号用户名“SAME”在文件中重复（第2行已有）。"]


def test_check_import_requires_header_and_rows():
    assert check_import([], existing_units=[], existing_usernames=[]).errors[0].startswith("文件为空")
    assert check_import([["名称", "类型"]], existing_units=[], existing_usernames=[]).errors[0].startswith(
        "第1行表头缺少“单位名称”“单位类型”列")
    assert check_import([HEADER], existing_units=[], existing_usernames=[]).errors == [
        "文件中没有数据行：请从第2行开始每行填写一个单位。"]


CSV_TEXT = "单位名称,单位类型\n雁塔区,区县\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le"])
def test_read_table_csv_encodings(encoding):
    assert read_table(CSV_TEXT.encode(encoding)) == [["单位名称", "单位类型"], ["雁塔区", "区县"]]


def test_read_table_tab_separated():
    assert read_table("单位名称\t单位类型\n碑林区\t区县\n".encode("gb18030")) == [["单位名称", "单位类型"], ["碑林区", "区县"]]


def test_read_table_xlsx_by_content():
    wb = Workbook()
    wb.active.append(["单位名称", "单位类型"])
    wb.active.append(["莲湖区", "区县"])
    buf = io.BytesIO()
    wb.save(buf)
    assert read_table(buf.getvalue()) == [["单位名称", "单位类型"], ["莲湖区", "区县"]]


def test_read_table_refuses_legacy_xls_empty_and_broken_zip():
    with pytest.raises(TableError, match="不支持旧版 Excel"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(TableError, match="文件是空的"):
        read_table(b"  \n")
    with pytest.raises(TableError, match="无法读取该 Excel 文件"):
        read_table(b"PK\x03\x04garbage")


def test_decode_text_gb18030_fallback():
    assert decode_text("西咸新区".encode("gb18030")) == "西咸新区"


def test_password_problem_needs_an_ascii_letter_and_a_digit():
    letters_and_digits = "密码需同时包含英文字母和数字。"
    assert password_problem("Abc12345") is None
    assert password_problem("pass word 1!") is None
    assert password_problem("Abc1234") == "密码至少需要 8 位。"
    assert password_problem("12345678!") == letters_and_digits
    assert password_problem("!!!!!!!!") == letters_and_digits
    assert password_problem("abcdefgh") == letters_and_digits
    assert password_problem("12345678") == letters_and_digits
    assert password_problem("密码密码密码１２") == letters_and_digits  # no ASCII letter; full-width digits
