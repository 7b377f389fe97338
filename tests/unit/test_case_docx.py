"""The 附件1 Word form: export → import round trip, tolerant parsing, refusal of bad files."""
import io
import zipfile

import pytest
from docx import Document

from contest.documents.case_form import (
    CHECKED, UNCHECKED, DocxError, FORM_TITLE, blank_form_bytes, parse_case_form, parse_themes, render_case_form,
)
from contest.submissions.case_rules import THEMES

DATA = {
    "unit_name": "西咸新区沣西新城管委会", "contact_name": "蒋琳", "contact_phone": "029-33681002",
    "contact_email": "fengxi@example.cn", "unit_address": "西咸新区沣西新城康定路", "title": "“信用+承诺”秒批秒办",
    "themes": ["行业信用监管", "政务诚信", "其他"], "highlights": "以承诺代证明。\n事后核查闭环。",
    "part_problem": "企业办事证明多、跑腿多。\n第二段。", "part_measures": "推行告知承诺制（含 12 类事项）。",
    "part_effects": "办理时限压缩 60%，惠及 3,200 家企业。", "recommender_opinion": "同意推荐。", "remarks": "无",
}


def test_export_then_import_gives_the_same_fields():
    parsed = parse_case_form(render_case_form(DATA))
    assert parsed.fields == DATA
    assert parsed.warnings == []


def test_export_is_laid_out_like_annex_1():
    doc = Document(io.BytesIO(render_case_form(DATA)))
    assert doc.paragraphs[1].text == FORM_TITLE
    table = doc.tables[0]
    labels = [row.cells[0].text for row in table.rows]
    assert labels == ["申报单位", "联系人", "联系电话", "单位地址", "案例题目", "案例主题", "案例特色或亮点", "案例内容",
                      "推荐单位意见", "备注"]
    assert table.rows[2].cells[2].text == "邮箱"
    theme_lines = table.rows[5].cells[1].text.split("\n")
    assert theme_lines[0] == f"{UNCHECKED} 信用基础设施建设"
    assert theme_lines[2] == f"{CHECKED} 行业信用监管"
    assert sum(line.startswith(CHECKED) for line in theme_lines) == 3
    content = [p.text for p in table.rows[7].cells[1].paragraphs]
    assert "一、要解决的问题" in content and "二、创新举措" in content and "三、工作成效及意义" in content
    assert content.index("二、创新举措") < content.index("三、工作成效及意义")


def handmade(marks: str = "■", blank_paragraphs: bool = True) -> bytes:
    """A 附件1 as a unit might type it in Word: 4-column table with merged cells, other marks, blank lines."""
    doc = Document()
    doc.add_paragraph("附件1")
    doc.add_paragraph("")
    doc.add_paragraph(FORM_TITLE)
    t = doc.add_table(rows=10, cols=4)

    def row(i, label, value):
        cells = t.rows[i].cells
        cells[0].text = label
        merged = cells[1].merge(cells[3])
        merged.text = value
        if blank_paragraphs:
            merged.add_paragraph("")

    row(0, "申报单位", "雁塔区")
    row(1, "联 系 人", "高原")
    cells = t.rows[2].cells
    cells[0].text, cells[1].text, cells[2].text, cells[3].text = "联系电话：", "029-85211004", "邮箱", "yt@example.cn"
    row(3, "单位地址", "西安市雁塔区小寨西路")
    row(4, "案例题目", "信用修复一次办")
    row(5, "案例主题", f"{marks}信用基础设施建设 □创新信用融资服务和产品 √ 行业信用监管 ☐政务诚信 ☑诚信文化")
    row(6, "案例特色或亮点", "")
    cell = t.rows[6].cells[1]
    cell.paragraphs[0].text = ""
    cell.add_paragraph("线上申请，")
    cell.add_paragraph("")
    cell.add_paragraph("一次办结。")
    t.rows[7].cells[0].text = "案例内容"
    content = t.rows[7].cells[1].merge(t.rows[7].cells[3])
    content.text = "2000 字以内，需按照模板要求撰写案例"
    for line in ("", "一、要解决的问题（通过涉及信用体系建设的创新要解决的问题瓶颈）", "", "修复材料多。", "",
                 "二、创新举措：容缺受理，", "信用报告同步更新。", "三、工作成效及意义", "", "办理时间缩短到1天。", ""):
        content.add_paragraph(line)
    row(8, "推荐单位意见", "同意推荐（盖章）")
    row(9, "备注", "")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_import_tolerates_blank_paragraphs_merged_cells_and_other_marks():
    parsed = parse_case_form(handmade())
    f = parsed.fields
    assert f["unit_name"] == "雁塔区"
    assert f["contact_name"] == "高原"
    assert f["contact_phone"] == "029-85211004"
    assert f["contact_email"] == "yt@example.cn"
    assert f["themes"] == ["信用基础设施建设", "行业信用监管", "诚信文化"]
    assert f["highlights"] == "线上申请，\n一次办结。"
    assert f["part_problem"] == "修复材料多。"
    assert f["part_measures"] == "容缺受理，\n信用报告同步更新。"
    assert f["part_effects"] == "办理时间缩短到1天。"
    assert f["recommender_opinion"] == "同意推荐"
    assert f["remarks"] == ""
    assert parsed.warnings == []


def test_parse_themes_marks():
    assert parse_themes("☑政务诚信 ☐其他") == ["政务诚信"]
    assert parse_themes("■ 政务诚信\n□ 其他\n√诚信文化") == ["政务诚信", "诚信文化"]
    assert parse_themes("☐政务诚信 ☐其他") == []


def test_blank_template_parses_with_warnings_not_errors():
    parsed = parse_case_form(blank_form_bytes())
    assert parsed.fields["title"] == ""
    assert "未读到“案例题目”，请补充。" in parsed.warnings


def test_not_a_docx_refused():
    with pytest.raises(DocxError) as exc:
        parse_case_form(b"%PDF-1.4 this is a pdf renamed to docx")
    assert str(exc.value) == "文件不是 Word（.docx）文档，无法读取。请上传用 Word 或 WPS 保存的 .docx 格式申报表。"


def test_legacy_doc_refused_with_advice():
    with pytest.raises(DocxError, match="另存为"):
        parse_case_form(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)


def test_corrupt_zip_refused():
    data = render_case_form(DATA)
    with pytest.raises(DocxError, match="损坏"):
        parse_case_form(data[: len(data) // 2])


def test_zip_without_word_document_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(DocxError, match="不是 Word"):
        parse_case_form(out.getvalue())


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", b"\0" * (200 * 1024 * 1024))
    return out.getvalue()


def test_zip_bomb_refused_before_decompressing():
    data = zip_bomb()
    assert len(data) < 1024 * 1024
    with pytest.raises(DocxError) as exc:
        parse_case_form(data)
    assert str(exc.value) == "Word 文件解压后异常巨大（疑似压缩炸弹），已拒绝读取。请上传正常保存的申报表。"


def test_many_members_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w/>")
        for i in range(1001):
            zf.writestr(f"x/{i}", "")
    with pytest.raises(DocxError, match="1003 个文件"):
        parse_case_form(out.getvalue())


def test_docx_without_annex_table_refused():
    doc = Document()
    doc.add_paragraph("随便写的文档")
    out = io.BytesIO()
    doc.save(out)
    with pytest.raises(DocxError, match="没有在 Word 文件中找到附件1申报表的表格"):
        parse_case_form(out.getvalue())


def test_themes_constant_has_ten_options():
    assert len(THEMES) == 10


def test_content_parts_found_by_their_number_whatever_the_heading_words():
    from contest.documents.case_form import parse_content

    parts, warnings = parse_content(["一、存在的问题", "企业办事证明多。", "二、创新举措", "推行告知承诺制。",
                                     "三、工作成效", "办事时间缩短一半。"])
    # Reworded heading words stay (nothing typed is lost); a shortened template heading is removed.
    assert parts == {"part_problem": "存在的问题\n企业办事证明多。", "part_measures": "推行告知承诺制。",
                     "part_effects": "办事时间缩短一半。"}
    assert warnings == ["案例内容的小标题与模板不一致，已按序号分段并保留原小标题文字，请核对三部分内容。"]


def test_content_parts_numbered_in_brackets_and_sub_points_kept():
    from contest.documents.case_form import parse_content

    assert parse_content(["（一）要解决的问题", "证明多。", "（二）创新举措", "推行承诺。", "（三）工作成效及意义", "好。"]) == (
        {"part_problem": "证明多。", "part_measures": "推行承诺。", "part_effects": "好。"}, [])
    # With "一、" headings, "（一）" lines inside a part are its sub-points, not headings.
    parts, warnings = parse_content(["一、要解决的问题", "证明多。", "二、创新举措", "（一）建立制度", "（二）推行承诺",
                                     "三、工作成效及意义：成效显著"])
    assert parts == {"part_problem": "证明多。", "part_measures": "（一）建立制度\n（二）推行承诺",
                     "part_effects": "成效显著"}
    assert warnings == []


def test_content_without_headings_is_kept_in_the_first_part_with_a_warning():
    from contest.documents.case_form import parse_content

    assert parse_content(["2000 字以内，需按照模板要求撰写案例", "企业办事证明多，本区推行告知承诺制。"]) == (
        {"part_problem": "企业办事证明多，本区推行告知承诺制。", "part_measures": "", "part_effects": ""},
        ["案例内容中未找到“一、二、三”分段小标题，全部内容已放入“一、要解决的问题”，请按三部分核对后分开填写。"])
    assert parse_content(["前言文字", "一、要解决的问题", "问题"]) == (
        {"part_problem": "前言文字\n问题", "part_measures": "", "part_effects": ""},
        ["案例内容第一个小标题之前的文字已放入“一、要解决的问题”，请核对。"])
