"""Ranking exports (Excel, Word 公示名单, ZIP of submissions, CSV of votes) and the CLI commands."""
from __future__ import annotations

import csv
import gc
import io
import json
import warnings
import zipfile
from decimal import Decimal
from fractions import Fraction
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from contest.extensions import db
from contest.media import storage
from contest.ranking import scoring
from tests.factories import add_score_sheet, make_case, make_contest, make_expert, make_organizer, make_video
from tests.ranking_support import build_scenario


@pytest.fixture
def scenario(app):
    s = build_scenario()
    db.session.commit()
    return s


@pytest.fixture
def org(scenario, login_as):
    return login_as(scenario.organizer)


def _sheet_rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def _recompute_from_workbook(wb) -> list[tuple[int, Fraction]]:
    """Rank again using only what the Excel file says: votes, expert totals, weights, trim rule."""
    info = {row[0]: row[1] for row in wb["计算说明"].iter_rows(values_only=True)}
    vw, ew = int(info["投票权重（%）"]), int(info["专家权重（%）"])
    trim = info["去掉一个最高分和一个最低分"] == "是"
    header, rows = _sheet_rows(wb["排名"])
    expert_cols = [h for h in header if h.startswith("专家") and h.endswith("）")]
    entries = []
    for r in rows:
        totals = {i: Decimal(str(r[c])) for i, c in enumerate(expert_cols) if r[c] is not None}
        entries.append(scoring.EntryInput(entry_id=r["作品编号"], valid_votes=r["有效票数"], expert_totals=totals,
                                          submitted_at=None))
    # Submission time is only a last-resort tie-break; this data set has no exact ties.
    ranked = scoring.rank(entries, vote_weight_pct=vw, expert_weight_pct=ew, trim_extremes=trim)
    return [(r.entry_id, r.final_score) for r in ranked]


def test_excel_has_every_component(scenario, org):
    resp = org.get(f"/ranking/{scenario.contest.id}/case/ranking.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = resp.headers["Content-Disposition"]
    disposition.encode("latin-1")  # real servers (gunicorn, werkzeug) send headers as latin-1
    assert disposition.startswith('attachment; filename="ranking.xlsx"; filename*=UTF-8\'\'')
    assert unquote(disposition.split("''", 1)[1]).startswith(f"典型案例排名-{scenario.contest.id}-")
    wb = load_workbook(io.BytesIO(resp.data))
    header, rows = _sheet_rows(wb["排名"])
    assert header == ("排名", "作品编号", "作品名称", "申报单位", "提交时间（北京时间）", "有效票数", "投票得分",
                      f"专家张专家（{scenario.experts[0].id}）", f"专家李专家（{scenario.experts[1].id}）",
                      "去掉的评分", "有效评分份数", "专家得分", "最终得分", "是否获奖")
    first = rows[0]
    assert (first["排名"], first["作品名称"], first["有效票数"], first["投票得分"], first["专家得分"],
            first["最终得分"], first["是否获奖"]) == (1, "信用承诺替代证明", 120, 100, 85, 89.5, "是")
    assert rows[2][f"专家李专家（{scenario.experts[1].id}）"] is None
    assert [r["最终得分"] for r in rows] == [89.5, 80.8, 69.3, 7.5]


def test_recomputing_from_the_excel_alone_gives_the_same_ranking(scenario, org):
    # Make it harder: trimmed means and fractions that do not end in two decimals.
    scenario.contest.trim_extremes = True
    for total in ("61.5", "77.25", "80", "90.75", "99"):
        add_score_sheet(make_expert(), scenario.cases[3], total)
    db.session.commit()
    wb = load_workbook(io.BytesIO(org.get(f"/ranking/{scenario.contest.id}/case/ranking.xlsx").data))
    _, rows = _sheet_rows(wb["排名"])
    recomputed = _recompute_from_workbook(wb)
    assert [eid for eid, _ in recomputed] == [r["作品编号"] for r in rows]
    assert [scoring.fmt2(v) for _, v in recomputed] == [f"{r['最终得分']:.2f}" for r in rows]
    assert rows[[r["作品编号"] for r in rows].index(scenario.cases[3].id)]["有效评分份数"] == 3


def test_excel_of_frozen_snapshot_and_video_category(scenario, org):
    org.post(f"/ranking/{scenario.contest.id}/video/freeze", data={"confirm_incomplete": "y"})
    wb = load_workbook(io.BytesIO(org.get(f"/ranking/{scenario.contest.id}/video/ranking.xlsx").data))
    info = {row[0]: row[1] for row in wb["计算说明"].iter_rows(values_only=True)}
    assert info["结果状态"].startswith("已于")
    _, rows = _sheet_rows(wb["排名"])
    assert [(r["作品名称"], r["视频类别"]) for r in rows] == [("诚信的味道", "剧情类"), ("信用让生活更美好", "动画类")]
    wb = load_workbook(io.BytesIO(org.get(f"/ranking/{scenario.contest.id}/video/ranking.xlsx?category=drama").data))
    _, rows = _sheet_rows(wb["排名"])
    assert [r["作品名称"] for r in rows] == ["诚信的味道"]


def test_exports_with_no_entries_are_refused(scenario, login_as):
    empty = make_contest(title="没有作品的活动")
    db.session.commit()
    c = login_as(scenario.organizer)
    for path, message in ((f"/ranking/{empty.id}/case/ranking.xlsx", "没有可导出的典型案例"),
                          (f"/ranking/{empty.id}/submissions.zip", "没有可打包的材料"),
                          (f"/ranking/{empty.id}/votes.csv", "没有可导出的投票"),
                          (f"/ranking/{empty.id}/winners.docx", "结果尚未冻结，不能生成公示名单")):
        resp = c.get(path, follow_redirects=True)
        assert resp.status_code == 200 and resp.mimetype == "text/html", path
        assert message in resp.get_data(as_text=True), path


def test_winners_docx_lists_frozen_winners(scenario, org):
    org.post(f"/ranking/{scenario.contest.id}/case/rule", data={"mode": "top_n", "top_n": "2"})
    org.post(f"/ranking/{scenario.contest.id}/video/rule", data={"mode": "top_n", "top_n": "1"})
    for kind in ("case", "video"):
        org.post(f"/ranking/{scenario.contest.id}/{kind}/freeze", data={"confirm_incomplete": "y"})
    resp = org.get(f"/ranking/{scenario.contest.id}/winners.docx")
    assert resp.status_code == 200
    doc = Document(io.BytesIO(resp.data))
    assert doc.paragraphs[0].text == "测试评选活动评选结果公示名单"
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    assert tables == [
        [["序号", "作品名称", "申报单位", "最终得分"], ["1", "信用承诺替代证明", "测试单位甲", "89.50"],
         ["2", "信易贷服务小微企业", "测试单位乙", "80.80"]],
        [["序号", "作品名称", "申报单位", "最终得分"], ["1", "诚信的味道", "测试单位乙", "79.00"]],
    ]


def test_winners_docx_with_a_control_character_in_a_title(scenario, org):
    # A vertical tab pasted into a title cannot be written into Word's XML: it becomes a space.
    scenario.cases[0].title = "信用承诺\x0b替代证明"
    db.session.commit()
    org.post(f"/ranking/{scenario.contest.id}/case/rule", data={"mode": "top_n", "top_n": "2"})
    org.post(f"/ranking/{scenario.contest.id}/case/freeze", data={"confirm_incomplete": "y"})
    resp = org.get(f"/ranking/{scenario.contest.id}/winners.docx")
    assert resp.status_code == 200
    doc = Document(io.BytesIO(resp.data))
    assert doc.tables[0].rows[1].cells[1].text == "信用承诺 替代证明"


def test_winners_docx_without_winners_is_refused(scenario, org):
    org.post(f"/ranking/{scenario.contest.id}/case/rule", data={"mode": "top_n", "top_n": "0"})
    org.post(f"/ranking/{scenario.contest.id}/case/freeze", data={"confirm_incomplete": "y"})
    resp = org.get(f"/ranking/{scenario.contest.id}/winners.docx", follow_redirects=True)
    assert "冻结的结果中没有获奖作品" in resp.get_data(as_text=True)


def _store(app, data: bytes, purpose: str, type_code: str, unit_id: int):
    received = storage.receive(io.BytesIO(data), upload_root=app.config["UPLOAD_ROOT"], max_bytes=10_000_000)
    return storage.commit(received, upload_root=app.config["UPLOAD_ROOT"], purpose=purpose, type_code=type_code,
                          original_name="../../evil.pdf", unit_id=unit_id)


def test_zip_contains_every_submission_by_unit(app, scenario, org):
    scan = _store(app, b"%PDF-1.4\n% stamped scan\n" + b"1" * 300, "scan", "pdf", scenario.cases[0].unit_id)
    scenario.cases[0].scan_file_id = scan.id
    video_bytes = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500
    vfile = _store(app, video_bytes, "video", "mp4", scenario.videos[0].unit_id)
    scenario.videos[0].video_file_id = vfile.id
    db.session.commit()
    resp = org.get(f"/ranking/{scenario.contest.id}/submissions.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert resp.is_streamed
    body = resp.get_data()
    assert int(resp.headers["Content-Length"]) == len(body)
    zf = zipfile.ZipFile(io.BytesIO(body))
    assert zf.testzip() is None
    names = set(zf.namelist())
    submitted = scenario.cases + [scenario.rejected] + scenario.videos
    for entry in submitted:
        kind_word = "案例" if entry.kind.value == "case" else "短视频"
        form = "申报表.docx" if entry.kind.value == "case" else "推荐表.docx"
        folder = f"{entry.unit.name}/{kind_word}-{entry.id}-{entry.title}"
        assert f"{folder}/{form}" in names, folder
        Document(io.BytesIO(zf.read(f"{folder}/{form}")))  # opens as Word
    assert not any(scenario.draft.title in n for n in names)
    case0 = scenario.cases[0]
    assert zf.read(f"{case0.unit.name}/案例-{case0.id}-{case0.title}/盖章扫描件.pdf") == storage.path_of(
        scan, app.config["UPLOAD_ROOT"]).read_bytes()
    v0 = scenario.videos[0]
    assert zf.read(f"{v0.unit.name}/短视频-{v0.id}-{v0.title}/视频.mp4") == video_bytes
    listing = list(csv.reader(io.StringIO(zf.read("清单.csv").decode("utf-8-sig"))))
    assert listing[0][:4] == ["申报单位", "作品类别", "作品编号", "作品名称"]
    assert sorted(int(r[2]) for r in listing[1:]) == sorted(e.id for e in submitted)
    assert not any(".." in n or n.startswith("/") for n in names)


def _contest_with_files(app, n: int):
    """A contest with ``n`` submitted entries, alternating case / video, each of its own unit, each with a
    stamped scan and every video with its video file."""
    contest = make_contest(title=f"{n} 件作品的活动")
    entries = []
    for i in range(n):
        entry = make_case(contest) if i % 2 == 0 else make_video(contest)
        entry.scan_file_id = _store(app, b"%PDF-1.4\n% scan " + str(i).encode() + b"\n" + b"1" * 300, "scan", "pdf",
                                    entry.unit_id).id
        if i % 2 == 1:
            entry.video_file_id = _store(app, b"\x00\x00\x00\x18ftypmp42" + str(i).encode() * 50, "video", "mp4",
                                         entry.unit_id).id
        entries.append(entry)
    db.session.commit()
    return contest.id, [e.id for e in entries]


def _zip_with_statement_count(client, contest_id: int) -> tuple[zipfile.ZipFile, int]:
    # Start from an empty identity map so that no lazy load is answered from objects the test created.
    db.session.expunge_all()
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        resp = client.get(f"/ranking/{contest_id}/submissions.zip")
        body = resp.get_data()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    return zipfile.ZipFile(io.BytesIO(body)), len(statements)


def test_zip_queries_do_not_grow_with_the_number_of_entries(app, login_as):
    org = login_as(make_organizer())
    small_id, small_ids = _contest_with_files(app, 3)
    large_id, large_ids = _contest_with_files(app, 12)
    small_zip, small_count = _zip_with_statement_count(org, small_id)
    large_zip, large_count = _zip_with_statement_count(org, large_id)
    for zf, ids in ((small_zip, small_ids), (large_zip, large_ids)):
        listing = list(csv.reader(io.StringIO(zf.read("清单.csv").decode("utf-8-sig"))))
        assert sorted(int(r[2]) for r in listing[1:]) == ids
        names = zf.namelist()
        assert sum(n.endswith("/盖章扫描件.pdf") for n in names) == len(ids)
        assert sum(n.endswith("/视频.mp4") for n in names) == len(ids) // 2
        assert sum(n.endswith("/申报表.docx") for n in names) == len(ids) - len(ids) // 2
    assert large_count == small_count


def test_zip_temporary_file_closed_after_head_request(scenario, org):
    # HEAD sends the headers only: the body iterator is closed without ever being started, and the
    # temporary file holding the ZIP must be closed then too, not left to the garbage collector.
    gc.collect()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        with org.head(f"/ranking/{scenario.contest.id}/submissions.zip") as resp:
            assert resp.status_code == 200
            assert int(resp.headers["Content-Length"]) > 0
            assert resp.get_data() == b""
        del resp
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_zip_names_are_sanitised():
    from contest.ranking.exports import safe_component

    assert safe_component("../a/b\\c:d*e?") == "_a_b_c_d_e_"
    assert safe_component("  ") == "未命名"
    assert len(safe_component("长" * 200)) == 60


def test_votes_csv_lists_every_vote(scenario, org):
    resp = org.get(f"/ranking/{scenario.contest.id}/votes.csv")
    assert resp.status_code == 200 and resp.is_streamed
    text = resp.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["投票编号", "作品编号", "作品类别", "作品名称"]
    assert len(rows) - 1 == 120 + 60 + 30 + 5 + 10
    valid = [r for r in rows[1:] if r[6] == "有效"]
    invalid = [r for r in rows[1:] if r[6] == "无效"]
    assert len(valid) == 220 and len(invalid) == 5
    assert {r[3] for r in invalid} == {"信易贷服务小微企业"}
    assert invalid[0][7] == "刷票嫌疑"


def test_votes_csv_batches_cover_all_rows(scenario):
    from contest.ranking.exports import votes_csv_rows

    chunks = list(votes_csv_rows(scenario.contest.id, batch=7))
    assert len(chunks) == 1 + -(-225 // 7)
    assert sum(c.count("\n") for c in chunks) == 226


# --------------------------------------------------------------------------- CLI


def test_cli_rank_json_has_every_component(app, scenario):
    result = app.test_cli_runner().invoke(args=["contest", "rank", "--contest", str(scenario.contest.id),
                                                "--kind", "case", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [(r["rank"], r["valid_votes"], r["vote_score"], r["expert_score"], r["final_score"]) for r in data["rows"]] == [
        (1, 120, "100", "85", "89.5"), (2, 60, "50", "94", "80.8"), (3, 0, "0", "99", "69.3"), (4, 30, "25", "0", "7.5")]
    assert data["rows"][0]["expert_totals"] == {str(scenario.experts[0].id): "80", str(scenario.experts[1].id): "90"}


def test_cli_rank_table_and_bad_input(app, scenario):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["contest", "rank", "--contest", str(scenario.contest.id), "--kind", "video"])
    assert result.exit_code == 0
    assert "诚信的味道" in result.output and "79.00" in result.output
    result = runner.invoke(args=["contest", "rank", "--contest", "999", "--kind", "case"])
    assert result.exit_code != 0 and "活动 999 不存在" in result.output
    result = runner.invoke(args=["contest", "rank", "--contest", str(scenario.contest.id), "--kind", "poem"])
    assert result.exit_code != 0


def test_cli_export_raw(app, scenario):
    from contest.review.models import RubricCriterion, ScoreItem, ScoreSheet

    crit = RubricCriterion(contest_id=scenario.contest.id, kind=scenario.cases[0].kind, position=1, name="创新性",
                           max_score=40)
    db.session.add(crit)
    db.session.flush()
    sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.entry_id == scenario.cases[0].id,
                                                          ScoreSheet.expert_id == scenario.experts[0].id))
    db.session.add(ScoreItem(sheet_id=sheet.id, criterion_id=crit.id, value=Decimal("35.5")))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["contest", "export-raw", "--contest", str(scenario.contest.id)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    votes = {e["entry_id"]: e["valid_votes"] for e in data["entries"]}
    assert votes[scenario.cases[0].id] == 120 and votes[scenario.cases[2].id] == 0
    assert len(data["score_sheets"]) == 7
    first = next(s for s in data["score_sheets"] if s["entry_id"] == scenario.cases[0].id
                 and s["expert_id"] == scenario.experts[0].id)
    assert first["total"] == "80.00"
    assert first["items"] == [{"criterion_id": crit.id, "criterion": "创新性", "max_score": 40, "value": "35.50"}]


# ---------------------------------------------------------------- formula injection and number formats

EVIL_TITLE = '=HYPERLINK("http://evil.example","点此核对")'


def test_excel_keeps_formula_like_titles_and_unit_names_as_text(scenario, org):
    case0 = scenario.cases[0]
    case0.title = EVIL_TITLE
    case0.unit.name = "=1+1"
    db.session.commit()
    wb = load_workbook(io.BytesIO(org.get(f"/ranking/{scenario.contest.id}/case/ranking.xlsx").data))
    ws = wb["排名"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value == case0.id)
    assert (row[2].value, row[2].data_type) == (EVIL_TITLE, "s")
    assert (row[3].value, row[3].data_type) == ("=1+1", "s")
    assert not any(c.data_type == "f" for r in ws.iter_rows() for c in r)
    assert (row[0].value, row[0].data_type) == (1, "n")  # numbers stay numbers


def test_csv_exports_prefix_formula_like_fields(app, scenario, org):
    case1 = scenario.cases[1]  # has valid and invalid votes
    case1.title = EVIL_TITLE
    case1.unit.name = "@SUM(1+1)"
    db.session.commit()
    text = org.get(f"/ranking/{scenario.contest.id}/votes.csv").get_data().decode("utf-8-sig")
    rows = [r for r in csv.reader(io.StringIO(text)) if r[1] == str(case1.id)]
    assert len(rows) == 65 and {r[3] for r in rows} == {"'" + EVIL_TITLE}
    zf = zipfile.ZipFile(io.BytesIO(org.get(f"/ranking/{scenario.contest.id}/submissions.zip").get_data()))
    listing = list(csv.reader(io.StringIO(zf.read("清单.csv").decode("utf-8-sig"))))
    line = next(r for r in listing[1:] if r[2] == str(case1.id))
    assert line[0] == "'@SUM(1+1)" and line[3] == "'" + EVIL_TITLE


def test_excel_formats_every_score_column_and_leaves_counts_integer(scenario, org):
    wb = load_workbook(io.BytesIO(org.get(f"/ranking/{scenario.contest.id}/case/ranking.xlsx").data))
    ws = wb["排名"]
    header = [c.value for c in ws[1]]
    first = {h: c for h, c in zip(header, ws[2])}
    score_cols = ["投票得分", f"专家张专家（{scenario.experts[0].id}）", f"专家李专家（{scenario.experts[1].id}）",
                  "专家得分", "最终得分"]
    assert {h: first[h].number_format for h in score_cols} == {h: "0.00" for h in score_cols}
    assert {h: first[h].number_format for h in ("排名", "作品编号", "有效票数", "有效评分份数")} == {
        h: "General" for h in ("排名", "作品编号", "有效票数", "有效评分份数")}
