"""Expert review through the real routes: assignment, conflicts, bounds, locking, reopening, window,
blind mode, organizer progress and export."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from docx import Document
from openpyxl import load_workbook

from contest.contests.models import Phase
from contest.core.models import AuditLog
from contest.core.timeutil import utcnow
from contest.extensions import db
from contest.review import services
from contest.review.models import Assignment, RubricCriterion, ScoreItem, ScoreSheet, SheetState
from contest.submissions.models import EntryKind
from tests.factories import (make_case, make_contest, make_expert, make_organizer, make_unit, make_video,
                             open_schedule)

UNIT_NAME = "西安市隐名测试局"


@pytest.fixture
def world(app):
    """A contest in its review window, one unit with two passed cases, two experts assigned to both,
    a conflicted expert and an organizer."""
    contest = make_contest(schedule=open_schedule(Phase.REVIEW))
    unit = make_unit(UNIT_NAME, contact_name="赵秘密", contact_phone="029-12345678")
    other = make_unit("碑林区")
    case1 = make_case(contest, unit, passed=True, title="信用承诺替代证明")
    case2 = make_case(contest, other, passed=True, title="信易贷助力小微")
    pending = make_case(contest, unit, passed=False, title="未通过初筛的案例")
    e1, e2 = make_expert(display_name="张专家"), make_expert(display_name="李专家")
    conflicted = make_expert(display_name="回避专家", conflict_unit=unit)
    org = make_organizer()
    services.assign_default(contest, EntryKind.CASE, actor=org, now=utcnow())
    crit = services.ensure_rubric(contest, EntryKind.CASE)
    db.session.commit()
    return dict(contest=contest, unit=unit, case1=case1, case2=case2, pending=pending, e1=e1, e2=e2,
                conflicted=conflicted, org=org, crit=crit)


def submitted_totals(contest_id: int, kind: EntryKind) -> dict[int, list]:
    """``services.submitted_totals_by_expert`` without the expert ids (totals ordered by expert id)."""
    return {entry_id: [totals[x] for x in sorted(totals)]
            for entry_id, totals in services.submitted_totals_by_expert(contest_id, kind).items()}


def scores(crit, values, **extra):
    data = {f"c{c.id}": v for c, v in zip(crit, values)}
    data.update(extra)
    return data


def sheet_state():
    return [(s.expert_id, s.entry_id, s.state, s.total, sorted((i.criterion_id, i.value) for i in s.items))
            for s in db.session.scalars(sa.select(ScoreSheet).order_by(ScoreSheet.id))]


# ---------------------------------------------------------------- assignment and conflicts

def test_default_assignment_skips_conflict_and_unpassed(world):
    pairs = set(db.session.execute(sa.select(Assignment.expert_id, Assignment.entry_id)).all())
    w = world
    assert pairs == {(w["e1"].id, w["case1"].id), (w["e1"].id, w["case2"].id), (w["e2"].id, w["case1"].id),
                     (w["e2"].id, w["case2"].id), (w["conflicted"].id, w["case2"].id)}


def test_assignment_matrix_post_adds_removes_and_refuses_conflict(world, login_as):
    w = world
    c = login_as(w["org"])
    page = c.get("/review/assignments?kind=case").get_data(as_text=True)
    assert page.count('name="pairs"') == 5 and page.count("checked") == 5 and "回避" in page
    wanted = [f"{w['e1'].id}-{w['case1'].id}", f"{w['conflicted'].id}-{w['case1'].id}"]
    resp = c.post("/review/assignments?kind=case", data={"pairs": wanted}, follow_redirects=True)
    body = resp.get_data(as_text=True)
    assert "新增分配0项，移除分配4项。" in body
    assert "因利益冲突回避未分配1项" in body
    pairs = set(db.session.execute(sa.select(Assignment.expert_id, Assignment.entry_id)).all())
    assert pairs == {(w["e1"].id, w["case1"].id)}


def test_assignment_refuses_unpassed_entry_and_garbage(world, login_as):
    w = world
    c = login_as(w["org"])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Assignment))
    resp = c.post("/review/assignments?kind=case", data={"pairs": [f"{w['e1'].id}-{w['pending'].id}"]})
    assert "作品须已通过初筛" in resp.get_data(as_text=True)
    resp = c.post("/review/assignments?kind=case", data={"pairs": ["garbage"]})
    assert "提交的分配数据无效" in resp.get_data(as_text=True)
    assert c.post("/review/assignments?kind=case", data={}).status_code == 302  # empty = remove all (no 500)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0
    assert before == 5


def test_removing_assignment_with_submitted_sheet_is_refused(world, login_as):
    w = world
    c = login_as(w["e1"])
    c.post(f"/review/entries/{w['case1'].id}", data=scores(w["crit"], ["20", "20", "10", "10"], submit_sheet="1"))
    org = login_as(w["org"])
    resp = org.post("/review/assignments?kind=case", data={"pairs": []}, follow_redirects=True)
    assert "已提交评分的1项未移除" in resp.get_data(as_text=True)
    pairs = set(db.session.execute(sa.select(Assignment.expert_id, Assignment.entry_id)).all())
    assert pairs == {(w["e1"].id, w["case1"].id)}


def test_conflicted_expert_gets_404_everywhere(world, login_as):
    w = world
    # Even if an assignment row exists (e.g. the conflict was recorded later), the server refuses.
    db.session.add(Assignment(expert_id=w["conflicted"].id, entry_id=w["case1"].id))
    db.session.commit()
    c = login_as(w["conflicted"])
    assert c.get(f"/review/entries/{w['case1'].id}").status_code == 404
    assert c.get(f"/review/entries/{w['case1'].id}/form.docx").status_code == 404
    resp = c.post(f"/review/entries/{w['case1'].id}", data=scores(w["crit"], ["1", "1", "1", "1"], submit_sheet="1"))
    assert resp.status_code == 404
    assert sheet_state() == []
    home = c.get("/expert").get_data(as_text=True)
    assert "信用承诺替代证明" not in home
    assert "信易贷助力小微" in home


def test_unassigned_expert_gets_404(world, login_as):
    w = world
    stranger = make_expert(display_name="未分配专家")
    db.session.commit()
    c = login_as(stranger)
    assert c.get(f"/review/entries/{w['case1'].id}").status_code == 404
    assert c.post(f"/review/entries/{w['case1'].id}", data=scores(w["crit"], ["1"] * 4)).status_code == 404
    assert c.get("/review/entries/999999").status_code == 404
    assert sheet_state() == []


def test_other_roles_cannot_use_expert_or_organizer_pages(world, login_as):
    w = world
    from contest.accounts.models import Role
    from tests.factories import make_user
    unit_user = make_user(Role.UNIT, unit=w["unit"])
    db.session.commit()
    uc = login_as(unit_user)
    assert uc.get(f"/review/entries/{w['case1'].id}").status_code == 403
    assert uc.get("/review/progress").status_code == 403
    ec = login_as(w["e1"])
    for url in ("/review/progress", "/review/assignments", "/review/rubric", "/review/export.xlsx"):
        assert ec.get(url).status_code == 403, url
    oc = login_as(w["org"])
    assert oc.get(f"/review/entries/{w['case1'].id}").status_code == 403
    assert oc.get("/review/progress?kind=nonsense").status_code == 404


# ---------------------------------------------------------------- scoring: bounds, drafts, locking

def test_draft_then_submit_locks(world, login_as):
    w = world
    c = login_as(w["e1"])
    url = f"/review/entries/{w['case1'].id}"
    resp = c.post(url, data=scores(w["crit"], ["25.5", "", "", ""], comment="创新明显", save="1"))
    assert resp.status_code == 302
    sheet = db.session.scalar(sa.select(ScoreSheet))
    assert (sheet.state, sheet.total, sheet.comment) == (SheetState.DRAFT, Decimal("25.50"), "创新明显")
    page = c.get(url).get_data(as_text=True)
    assert 'value="25.5"' in page
    resp = c.post(url, data=scores(w["crit"], ["25.5", "28", "18", "19.5"], comment="创新明显", submit_sheet="1"))
    assert resp.status_code == 302
    db.session.expire_all()
    sheet = db.session.scalar(sa.select(ScoreSheet))
    assert (sheet.state, sheet.total) == (SheetState.SUBMITTED, Decimal("91.00"))
    assert sorted(i.value for i in sheet.items) == [Decimal("18.00"), Decimal("19.50"), Decimal("25.50"),
                                                   Decimal("28.00")]
    before = sheet_state()
    resp = c.post(url, data=scores(w["crit"], ["1", "1", "1", "1"], submit_sheet="1"))
    assert "评分已提交并锁定，不能再修改" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert sheet_state() == before
    assert db.session.scalar(sa.select(AuditLog.action).where(AuditLog.action == "score_submitted")) == "score_submitted"
    home = c.get("/expert").get_data(as_text=True)
    assert 'id="review-done">1<' in home and 'id="review-todo">1<' in home


@pytest.mark.parametrize("values, message", [
    (["31", "20", "10", "10"], "“改革创新力度”最高30分，填写的31分超过了满分。"),
    (["-2", "20", "10", "10"], "“改革创新力度”不能为负数，须在0～30分之间。"),
    (["abc", "20", "10", "10"], "“改革创新力度”须填写数字（0～30分），不能填写“abc”。"),
    (["10.2", "20", "10", "10"], "“改革创新力度”须以0.5分为单位"),
    (["10", "", "10", "10"], "请填写“实践效果”的得分（0～30分）后再提交。"),
])
def test_bad_scores_refused_and_nothing_changes(world, login_as, values, message):
    w = world
    c = login_as(w["e1"])
    url = f"/review/entries/{w['case1'].id}"
    c.post(url, data=scores(w["crit"], ["5", "5", "5", "5"], save="1"))
    before = sheet_state()
    resp = c.post(url, data=scores(w["crit"], values, comment="新评语", submit_sheet="1"))
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert message in body
    assert f'value="{values[0]}"' in body  # the typed value is kept
    db.session.expire_all()
    assert sheet_state() == before
    assert db.session.scalar(sa.select(ScoreSheet.comment)) == ""


def test_garbage_post_does_not_500(world, login_as):
    w = world
    c = login_as(w["e1"])
    resp = c.post(f"/review/entries/{w['case1'].id}", data={"submit_sheet": "1"})
    assert resp.status_code == 200
    assert "请填写“改革创新力度”的得分" in resp.get_data(as_text=True)
    assert c.post(f"/review/entries/{w['case1'].id}", data={}).status_code == 302  # empty draft
    assert db.session.scalar(sa.select(ScoreSheet.total)) == Decimal("0")


def test_scoring_outside_window_refused(app, world, login_as, clock):
    w = world
    clock.set(utcnow() + timedelta(days=3))  # the window closed yesterday-plus-one
    c = login_as(w["e1"])
    url = f"/review/entries/{w['case1'].id}"
    page = c.get(url).get_data(as_text=True)
    assert "“专家评审”阶段已于" in page and "评审时间以外不能评分" in page
    resp = c.post(url, data=scores(w["crit"], ["20", "20", "10", "10"], submit_sheet="1"))
    assert "评分未保存：“专家评审”阶段已于" in resp.get_data(as_text=True)
    assert sheet_state() == []
    clock.set(utcnow() - timedelta(days=3))  # before it opens
    resp = c.post(url, data=scores(w["crit"], ["20", "20", "10", "10"], save="1"))
    assert "尚未开始" in resp.get_data(as_text=True)
    assert sheet_state() == []


def test_expert_never_reads_another_experts_scores(world, login_as):
    w = world
    c1 = login_as(w["e1"])
    c1.post(f"/review/entries/{w['case1'].id}", data=scores(w["crit"], ["27.5", "26", "17", "16"],
                                                            comment="张的私密评语", submit_sheet="1"))
    sheet = db.session.scalar(sa.select(ScoreSheet))
    c2 = login_as(w["e2"])
    page = c2.get(f"/review/entries/{w['case1'].id}").get_data(as_text=True)
    assert "27.5" not in page and "张的私密评语" not in page and "86.5" not in page
    assert c2.get(f"/review/sheets/{sheet.id}").status_code == 403
    assert c2.get("/review/export.xlsx").status_code == 403
    assert "86.5" not in c2.get("/expert").get_data(as_text=True)


# ---------------------------------------------------------------- reopening

def test_organizer_reopens_with_reason_and_expert_resubmits(world, login_as):
    w = world
    c = login_as(w["e1"])
    url = f"/review/entries/{w['case1'].id}"
    c.post(url, data=scores(w["crit"], ["20", "20", "10", "10"], submit_sheet="1"))
    sheet = db.session.scalar(sa.select(ScoreSheet))
    org = login_as(w["org"])
    resp = org.post(f"/review/sheets/{sheet.id}/reopen", data={"reason": ""}, follow_redirects=True)
    assert "请填写退回原因。" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(ScoreSheet.state)) == SheetState.SUBMITTED
    assert c.post(f"/review/sheets/{sheet.id}/reopen", data={"reason": "x"}).status_code == 403
    resp = org.post(f"/review/sheets/{sheet.id}/reopen", data={"reason": "合计与评语不符，请复核"}, follow_redirects=True)
    assert "评分已退回给专家" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(ScoreSheet.state)) == SheetState.DRAFT
    log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "score_reopened"))
    assert log.detail["reason"] == "合计与评语不符，请复核" and log.actor_id == w["org"].id
    resp = org.post(f"/review/sheets/{sheet.id}/reopen", data={"reason": "再次"}, follow_redirects=True)
    assert "该评分尚未提交，无需退回。" in resp.get_data(as_text=True)
    c.post(url, data=scores(w["crit"], ["22", "20", "10", "10"], submit_sheet="1"))
    db.session.expire_all()
    assert db.session.execute(sa.select(ScoreSheet.state, ScoreSheet.total)).one() == (SheetState.SUBMITTED,
                                                                                       Decimal("62.00"))


# ---------------------------------------------------------------- blind review

def test_blind_mode_hides_unit_everywhere(app, world, login_as, tmp_path):
    from contest.media.models import StoredFile
    w = world
    w["contest"].blind_review = True
    scan = StoredFile(storage_key="ab/cd/scan.pdf", purpose="scan", content_type="application/pdf", size=4,
                      sha256="0" * 64, original_name=f"{UNIT_NAME}盖章件.pdf", unit_id=w["unit"].id)
    db.session.add(scan)
    db.session.flush()
    w["case1"].scan_file_id = scan.id
    db.session.commit()
    c = login_as(w["e1"])
    pages = [c.get("/expert"), c.get(f"/review/entries/{w['case1'].id}"), c.get("/review/criteria")]
    for resp in pages:
        text = resp.get_data(as_text=True)
        assert resp.status_code == 200
        assert UNIT_NAME not in text and "赵秘密" not in text and "029-12345678" not in text
    assert "盲评" in pages[1].get_data(as_text=True)
    assert f"/files/{scan.id}" not in pages[1].get_data(as_text=True)
    assert c.get(f"/files/{scan.id}").status_code == 404  # the sealed scan would reveal the unit
    docx = c.get(f"/review/entries/{w['case1'].id}/form.docx")
    assert docx.status_code == 200
    assert UNIT_NAME not in docx.headers["Content-Disposition"]
    text = "\n".join(cell.text for t in Document(io.BytesIO(docx.data)).tables for row in t.rows for cell in row.cells)
    assert "信用承诺替代证明" in text and UNIT_NAME not in text and "赵秘密" not in text


def test_not_blind_shows_unit_and_neutral_file_names(app, world, login_as):
    from contest.media.models import StoredFile
    w = world
    root = app.config["UPLOAD_ROOT"]
    import os
    os.makedirs(f"{root}/ab/cd", exist_ok=True)
    with open(f"{root}/ab/cd/scan.pdf", "wb") as fh:
        fh.write(b"%PDF-1.4\n")
    scan = StoredFile(storage_key="ab/cd/scan.pdf", purpose="scan", content_type="application/pdf", size=9,
                      sha256="0" * 64, original_name=f"{UNIT_NAME}盖章件.pdf", unit_id=w["unit"].id)
    db.session.add(scan)
    db.session.flush()
    w["case1"].scan_file_id = scan.id
    db.session.commit()
    c = login_as(w["e1"])
    page = c.get(f"/review/entries/{w['case1'].id}").get_data(as_text=True)
    assert UNIT_NAME in page
    for url in (f"/files/{scan.id}", f"/files/{scan.id}/{UNIT_NAME}.pdf"):
        with c.get(url) as resp:
            assert resp.status_code == 200
            disposition = resp.headers["Content-Disposition"]
        assert "%E4%BD%9C%E5%93%81" in disposition  # 作品 in the UTF-8 file name
        assert "filename*=UTF-8''%E4%BD%9C%E5%93%81" + str(w["case1"].id) in disposition
        from urllib.parse import quote
        assert quote(UNIT_NAME) not in disposition


# ---------------------------------------------------------------- rubric

def test_rubric_created_from_notice_and_editable_before_review(app, login_as):
    now = utcnow()
    sched = open_schedule(Phase.SUBMISSION, now=now)
    sched[Phase.REVIEW] = (now + timedelta(days=10), now + timedelta(days=20))
    contest = make_contest(schedule=sched)
    org = make_organizer()
    db.session.commit()
    c = login_as(org)
    page = c.get("/review/rubric?kind=video").get_data(as_text=True)
    assert "主题契合度" in page and "制作水平" in page
    rows = services.criteria_for(contest.id, EntryKind.VIDEO)
    data = {}
    for i, r in enumerate(rows):
        data.update({f"rows-{i}-id": str(r.id), f"rows-{i}-name": r.name, f"rows-{i}-description": r.description,
                     f"rows-{i}-max_score": str(r.max_score)})
    data["rows-0-max_score"] = "35"
    resp = c.post("/review/rubric?kind=video", data=data)
    assert "各项满分合计须为100分，当前合计110分。" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert [r.max_score for r in services.criteria_for(contest.id, EntryKind.VIDEO)] == [25, 25, 30, 20]
    data["rows-3-delete"] = "y"
    data["rows-0-max_score"] = "25"
    data.update({"rows-4-id": "", "rows-4-name": "原创性", "rows-4-description": "原创", "rows-4-max_score": "20"})
    resp = c.post("/review/rubric?kind=video", data=data)
    assert resp.status_code == 302
    db.session.expire_all()
    assert [(r.name, r.max_score) for r in services.criteria_for(contest.id, EntryKind.VIDEO)] == [
        ("主题契合度", 25), ("内容创意", 25), ("制作水平", 30), ("原创性", 20)]
    resp = c.post("/review/rubric?kind=video", data={"rows-0-max_score": "abc", "rows-0-name": "x"})
    assert "满分须为1～100的整数。" in resp.get_data(as_text=True)
    assert c.post("/review/rubric?kind=video", data={}).status_code == 200


def test_rubric_locked_once_review_started(world, login_as):
    w = world
    c = login_as(w["org"])
    page = c.get("/review/rubric?kind=case").get_data(as_text=True)
    assert "评分标准已锁定" in page
    crit = w["crit"]
    resp = c.post("/review/rubric?kind=case", data={"rows-0-id": str(crit[0].id), "rows-0-name": "新名字",
                                                    "rows-0-max_score": "100"})
    assert "专家评审已开始，评分标准已锁定" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalar(sa.select(RubricCriterion.name).where(RubricCriterion.id == crit[0].id)) == "改革创新力度"


def test_expert_sees_criterion_descriptions(world, login_as):
    page = login_as(world["e1"]).get(f"/review/entries/{world['case1'].id}").get_data(as_text=True)
    assert "改革创新力度" in page and "创新性：运用信用理念和方式" in page and 'data-max="30"' in page


# ---------------------------------------------------------------- organizer progress, export, totals

def test_progress_matrix_reminders_and_export(world, login_as):
    w = world
    login_as(w["e1"]).post(f"/review/entries/{w['case1'].id}",
                           data=scores(w["crit"], ["30", "30", "20", "20"], submit_sheet="1"))
    login_as(w["e2"]).post(f"/review/entries/{w['case2'].id}", data=scores(w["crit"], ["10", "", "", ""], save="1"))
    c = login_as(w["org"])
    page = c.get("/review/progress?kind=case").get_data(as_text=True)
    assert "已提交 100" in page and "草稿 10" in page and "回避" in page
    assert "张专家" in page and "李专家：还有 2 件未提交，其中 1 件为草稿" in page
    assert "张专家：还有 1 件未提交" in page
    resp = c.get("/review/export.xlsx?kind=case")
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][:7] == ("作品编号", "作品名称", "申报单位", "专家", "职称", "工作单位", "状态")
    assert rows[0][7:11] == ("改革创新力度（30分）", "实践效果（30分）", "影响范围（20分）", "可推广可复制性（20分）")
    assert rows[1][:4] == (w["case1"].id, "信用承诺替代证明", UNIT_NAME, "张专家")
    assert rows[1][6:12] == ("已提交", 30, 30, 20, 20, 100)
    assert rows[2][6:12] == ("草稿", 10, None, None, None, 10)
    assert submitted_totals(w["contest"].id, EntryKind.CASE) == {w["case1"].id: [Decimal("100.00")]}
    assert submitted_totals(w["contest"].id, EntryKind.VIDEO) == {}


def test_export_keeps_formula_like_comments_and_titles_as_text(world, login_as):
    w = world
    w["case1"].title = "=1+2"
    db.session.commit()
    evil = '=HYPERLINK("http://evil.example","点此核对")'
    login_as(w["e1"]).post(f"/review/entries/{w['case1'].id}",
                           data=scores(w["crit"], ["30", "30", "20", "20"], comment=evil, submit_sheet="1"))
    ws = load_workbook(io.BytesIO(login_as(w["org"]).get("/review/export.xlsx?kind=case").data)).active
    row = ws[2]
    assert (row[1].value, row[1].data_type) == ("=1+2", "s")
    assert (row[12].value, row[12].data_type) == (evil, "s")
    assert (row[11].value, row[11].data_type) == (100, "n")


def test_submitted_totals_lists_each_submitted_sheet(world, login_as):
    w = world
    login_as(w["e1"]).post(f"/review/entries/{w['case2'].id}", data=scores(w["crit"], ["20", "20", "10", "10"], submit_sheet="1"))
    login_as(w["e2"]).post(f"/review/entries/{w['case2'].id}", data=scores(w["crit"], ["25", "20", "15", "10.5"], submit_sheet="1"))
    login_as(w["conflicted"]).post(f"/review/entries/{w['case2'].id}", data=scores(w["crit"], ["1", "1", "1", "1"], save="1"))
    assert submitted_totals(w["contest"].id, EntryKind.CASE) == {
        w["case2"].id: [Decimal("60.00"), Decimal("70.50")]}
    assert services.submitted_totals_by_expert(w["contest"].id, EntryKind.CASE) == {
        w["case2"].id: {w["e1"].id: Decimal("60.00"), w["e2"].id: Decimal("70.50")}}


def test_video_scoring_uses_video_rubric(app, login_as):
    contest = make_contest(schedule=open_schedule(Phase.REVIEW))
    video = make_video(contest, passed=True, title="诚信微故事")
    expert, org = make_expert(), make_organizer()
    services.assign_default(contest, EntryKind.VIDEO, actor=org, now=utcnow())
    crit = services.ensure_rubric(contest, EntryKind.VIDEO)
    db.session.commit()
    c = login_as(expert)
    page = c.get(f"/review/entries/{video.id}").get_data(as_text=True)
    assert "主题契合度" in page and "诚信微故事" in page
    resp = c.post(f"/review/entries/{video.id}", data=scores(crit, ["25", "26", "30", "20"], submit_sheet="1"))
    assert "“内容创意”最高25分，填写的26分超过了满分。" in resp.get_data(as_text=True)
    c.post(f"/review/entries/{video.id}", data=scores(crit, ["25", "25", "30", "20"], submit_sheet="1"))
    assert submitted_totals(contest.id, EntryKind.VIDEO) == {video.id: [Decimal("100.00")]}


def test_demo_review_seeder_assigns_and_scores(app):
    from contest.demo import base, review as demo_review
    ctx = {"now": utcnow()}
    base.seed(ctx)
    contest = ctx["contest"]
    cases = [make_case(contest, ctx["units"]["雁塔区"], passed=True), make_case(contest, ctx["units"]["碑林区"], passed=True)]
    demo_review.seed(ctx)
    db.session.commit()
    pairs = set(db.session.execute(sa.select(Assignment.expert_id, Assignment.entry_id)).all())
    experts = ctx["experts"]
    # expert4 is linked to 雁塔区 and never gets its case.
    assert (experts[3].id, cases[0].id) not in pairs and (experts[3].id, cases[1].id) in pairs
    assert len(pairs) == 7
    totals = submitted_totals(contest.id, EntryKind.CASE)
    assert sorted(len(v) for v in totals.values()) == [1, 1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScoreSheet)) == 3


def test_video_blind_mode_hides_producer_and_names_files_neutrally(app, login_as):
    import os
    from contest.media.models import StoredFile
    contest = make_contest(schedule=open_schedule(Phase.REVIEW), blind_review=True)
    unit = make_unit(UNIT_NAME)
    root = app.config["UPLOAD_ROOT"]
    os.makedirs(f"{root}/vv/ww", exist_ok=True)
    with open(f"{root}/vv/ww/v.mp4", "wb") as fh:
        fh.write(b"\x00\x00\x00\x18ftypmp42" + b"0" * 100)
    stored = StoredFile(storage_key="vv/ww/v.mp4", purpose="video", content_type="video/mp4", size=112,
                        sha256="1" * 64, original_name=f"{UNIT_NAME}宣传片.mp4", unit_id=unit.id)
    db.session.add(stored)
    db.session.flush()
    video = make_video(contest, unit, passed=True, title="诚信微故事", video_file_id=stored.id,
                       producer=UNIT_NAME, contact="赵秘密 13900000000")
    expert, org = make_expert(), make_organizer()
    services.assign_default(contest, EntryKind.VIDEO, actor=org, now=utcnow())
    db.session.commit()
    c = login_as(expert)
    page = c.get(f"/review/entries/{video.id}").get_data(as_text=True)
    assert "诚信微故事" in page and f"/files/{stored.id}/" in page
    assert UNIT_NAME not in page and "赵秘密" not in page
    with c.get(f"/files/{stored.id}") as resp:
        assert resp.status_code == 200
        disposition = resp.headers["Content-Disposition"]
    from urllib.parse import quote
    assert disposition == (f"inline; filename={video.id}-.mp4; "
                           f"filename*=UTF-8''{quote(f'作品{video.id}-视频.mp4')}")
    assert "赵秘密" not in c.get("/expert").get_data(as_text=True)


def test_overlong_comment_refused_and_nothing_saved(world, login_as):
    w = world
    c = login_as(w["e1"])
    resp = c.post(f"/review/entries/{w['case1'].id}",
                  data=scores(w["crit"], ["20", "20", "10", "10"], comment="评" * 2001, submit_sheet="1"))
    assert "评语不能超过2000字，当前2001字。" in resp.get_data(as_text=True)
    assert sheet_state() == []


def test_first_draft_racing_another_tab_is_refused_not_500(world, login_as):
    """Another tab's first draft of the same sheet is being written (uncommitted) when this one saves: the
    unique (expert, entry) key decides once it commits, and this save answers with a clear message."""
    import threading
    import time

    w = world
    c = login_as(w["e1"])
    url = f"/review/entries/{w['case1'].id}"
    c.get(url)  # the rubric exists and the CSRF token is fetched before the race
    other = db.engine.connect()
    tx = other.begin()
    other.execute(sa.insert(ScoreSheet).values(expert_id=w["e1"].id, entry_id=w["case1"].id, state="draft",
                                               total=Decimal("0"), comment="另一个窗口", updated_at=utcnow()))
    answer = {}

    def save():
        resp = c.post(url, data=scores(w["crit"], ["20", "", "", ""], save="1"))
        answer.update(status=resp.status_code, page=resp.get_data(as_text=True))

    saver = threading.Thread(target=save)
    saver.start()
    time.sleep(1.0)  # let the save reach its INSERT and wait for the other transaction
    assert saver.is_alive(), answer.get("status")
    tx.commit()
    other.close()
    saver.join(60)
    assert answer["status"] == 200
    assert "评分未保存：同一评分正在另一个窗口中保存，请刷新页面后重试。" in answer["page"]
    db.session.expire_all()
    assert [(s.comment, len(s.items)) for s in db.session.scalars(sa.select(ScoreSheet))] == [("另一个窗口", 0)]


# ---------------------------------------------------------------- conflicts recorded after scoring

def _case_row(contest, title):
    from contest.ranking import services as ranking
    return next(r for r in ranking.ranking_data(contest, "case")["rows"] if r["title"] == title)


def test_conflict_recorded_after_submission_drops_score_and_shows_sheet(world, login_as):
    w = world
    login_as(w["e1"]).post(f"/review/entries/{w['case1'].id}",
                           data=scores(w["crit"], ["30", "30", "20", "20"], submit_sheet="1"))
    login_as(w["e2"]).post(f"/review/entries/{w['case1'].id}",
                           data=scores(w["crit"], ["20", "20", "10", "10"], submit_sheet="1"))
    sheet = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.expert_id == w["e1"].id))
    row = _case_row(w["contest"], "信用承诺替代证明")
    assert (row["expert_count"], row["expert_score_2dp"]) == (2, "80.00")
    assigned_before = row["assigned_count"]
    org = login_as(w["org"])
    resp = org.post(f"/admin/accounts/{w['e1'].id}/edit", data={
        "display_name": "张专家", "phone": "", "title": "", "affiliation": "", "unit_id": "0",
        "conflict_unit_id": str(w["unit"].id)})
    assert resp.status_code == 302
    db.session.expire_all()
    assert w["e1"].conflict_unit_id == w["unit"].id
    row = _case_row(w["contest"], "信用承诺替代证明")
    assert (row["expert_count"], row["expert_score_2dp"]) == (1, "60.00")
    # The conflicted expert no longer counts as assigned either: the freeze check does not ask for a sheet
    # that cannot count.
    assert row["assigned_count"] == assigned_before - 1
    assert services.submitted_totals_by_expert(w["contest"].id, EntryKind.CASE) == {
        w["case1"].id: {w["e2"].id: Decimal("60.00")}}
    page = org.get("/review/progress?kind=case").get_data(as_text=True)
    assert (f'<a href="/review/sheets/{sheet.id}">回避（已评分，不计入） 100</a>') in page
    resp = org.post(f"/review/sheets/{sheet.id}/reopen", data={"reason": "登记回避后退回"}, follow_redirects=True)
    assert "评分已退回给专家" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ScoreSheet, sheet.id).state == SheetState.DRAFT
    page = org.get("/review/progress?kind=case").get_data(as_text=True)
    assert ">回避（已评分，不计入）" not in page and f"/review/sheets/{sheet.id}" not in page


def test_reopen_refused_after_review_window_closed(world, login_as, clock):
    w = world
    login_as(w["e1"]).post(f"/review/entries/{w['case1'].id}",
                           data=scores(w["crit"], ["30", "30", "20", "20"], submit_sheet="1"))
    sheet = db.session.scalar(sa.select(ScoreSheet))
    clock.set(utcnow() + timedelta(days=3))  # the review window closed
    org = login_as(w["org"])
    page = org.get(f"/review/sheets/{sheet.id}").get_data(as_text=True)
    assert "评审时间已结束，不能退回评分。" in page and f"/review/sheets/{sheet.id}/reopen" not in page
    resp = org.post(f"/review/sheets/{sheet.id}/reopen", data={"reason": "请复核"}, follow_redirects=True)
    assert ("未退回：评审时间已结束，不能退回评分。如确需修改，请先在活动日程中重新开放专家评审。"
            in resp.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.execute(sa.select(ScoreSheet.state, ScoreSheet.submitted_at.is_not(None))).one() == (
        SheetState.SUBMITTED, True)
    assert submitted_totals(w["contest"].id, EntryKind.CASE) == {w["case1"].id: [Decimal("100.00")]}
    assert db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "score_reopened")) is None


# ---------------------------------------------------------------- disabled experts

def test_matrix_save_leaves_disabled_experts_alone_and_progress_lists_them(world, login_as):
    w = world
    c2 = login_as(w["e2"])
    c2.post(f"/review/entries/{w['case1'].id}", data=scores(w["crit"], ["10", "", "", ""], save="1"))
    c2.post(f"/review/entries/{w['case2'].id}", data=scores(w["crit"], ["20", "20", "10", "10"], submit_sheet="1"))
    org = login_as(w["org"])
    resp = org.post(f"/admin/accounts/{w['e2'].id}/disable", follow_redirects=True)
    assert f"账号“{w['e2'].label}”已停用。" in resp.get_data(as_text=True)
    page = org.get("/review/assignments?kind=case").get_data(as_text=True)
    assert "李专家" not in page and page.count('name="pairs"') == 3
    resp = org.post("/review/assignments?kind=case", data={"pairs": [f"{w['e1'].id}-{w['case1'].id}"]},
                    follow_redirects=True)
    assert "新增分配0项，移除分配2项。" in resp.get_data(as_text=True)
    pairs = set(db.session.execute(sa.select(Assignment.expert_id, Assignment.entry_id)).all())
    assert pairs == {(w["e1"].id, w["case1"].id), (w["e2"].id, w["case1"].id), (w["e2"].id, w["case2"].id)}
    assert [(s[0], s[1], s[2], s[3]) for s in sheet_state()] == [
        (w["e2"].id, w["case1"].id, SheetState.DRAFT, Decimal("10.00")),
        (w["e2"].id, w["case2"].id, SheetState.SUBMITTED, Decimal("60.00"))]
    submitted = db.session.scalar(sa.select(ScoreSheet).where(ScoreSheet.state == SheetState.SUBMITTED))
    page = org.get("/review/progress?kind=case").get_data(as_text=True)
    assert '<th>李专家<div class="muted">（已停用）</div></th>' in page
    assert '李专家 <span class="badge warn">已停用</span>' in page
    assert f'<a href="/review/sheets/{submitted.id}">已提交 60</a>' in page
    assert "李专家：还有" not in page
