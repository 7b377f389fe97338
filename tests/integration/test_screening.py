import sqlalchemy as sa
from flask import render_template_string

from contest.accounts.models import Role
from contest.contests.models import Override, Phase
from contest.contests.services import set_override
from contest.core.models import AuditLog
from contest.extensions import db
from contest.submissions.models import Entry, ScreeningStatus
from tests.factories import make_case, make_contest, make_expert, make_organizer, make_user, make_video, open_schedule


def _setup(open_=True):
    contest = make_contest(schedule=open_schedule(*((Phase.SCREENING,) if open_ else ())))
    org = make_organizer()
    case = make_case(contest, title="信用修复一件事")
    video = make_video(contest, title="诚信小剧场")
    draft = make_case(contest, title="草稿案例", submitted=False)
    db.session.commit()
    return contest, org, case, video, draft


def _status(entry_id):
    db.session.expire_all()
    e = db.session.get(Entry, entry_id)
    return e.screening_status, e.screening_reason


def test_list_shows_submitted_entries_only(app, login_as):
    contest, org, case, video, draft = _setup()
    page = login_as(org).get("/screening/").get_data(as_text=True)
    assert "信用修复一件事" in page and "诚信小剧场" in page and "草稿案例" not in page


def test_list_filters_by_kind_status_and_search(app, login_as):
    contest, org, case, video, draft = _setup()
    c = login_as(org)
    assert "诚信小剧场" not in c.get("/screening/?kind=case").get_data(as_text=True)
    assert "信用修复一件事" not in c.get("/screening/?q=剧场").get_data(as_text=True)
    assert "没有符合条件的已提交作品" in c.get("/screening/?status=passed").get_data(as_text=True)
    assert c.get("/screening/?status=zzz&kind=zzz").status_code == 200


def test_screening_forbidden_to_units_and_experts(app, login_as):
    contest, org, case, video, draft = _setup()
    for user in (make_user(Role.UNIT), make_expert()):
        db.session.commit()
        c = login_as(user)
        assert c.get("/screening/").status_code == 403
        assert c.post(f"/screening/{case.id}", data={"decision": "passed"}).status_code == 403
    assert _status(case.id)[0] == ScreeningStatus.PENDING
    assert app.test_client().get("/screening/").status_code == 302


def test_pass_entry_audited_and_public(app, login_as):
    contest, org, case, video, draft = _setup()
    c = login_as(org)
    resp = c.post(f"/screening/{case.id}", data={"decision": "passed", "reason": ""})
    assert resp.status_code == 302
    assert _status(case.id) == (ScreeningStatus.PASSED, "")
    log = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "screened"))
    assert log.summary == "信用修复一件事：通过"
    assert log.detail == {"old": "pending", "new": "passed", "reason": ""}
    assert db.session.get(Entry, case.id).is_public is True


def test_reject_without_reason_refused(app, login_as):
    contest, org, case, video, draft = _setup()
    resp = login_as(org).post(f"/screening/{case.id}", data={"decision": "rejected", "reason": " "})
    assert resp.status_code == 400
    assert "选择“不通过”时必须填写原因" in resp.get_data(as_text=True)
    assert _status(case.id)[0] == ScreeningStatus.PENDING


def test_reject_with_reason_and_unit_sees_it(app, login_as):
    contest, org, case, video, draft = _setup()
    login_as(org).post(f"/screening/{case.id}", data={"decision": "rejected", "reason": "与信用体系建设无关"})
    assert _status(case.id) == (ScreeningStatus.REJECTED, "与信用体系建设无关")
    entry = db.session.get(Entry, case.id)
    with app.test_request_context():
        html = render_template_string('{% from "screening/_outcome.html" import outcome %}{{ outcome(e) }}', e=entry)
    assert "不通过" in html and "原因：与信用体系建设无关" in html


def test_rejected_reason_shown_to_unit_on_detail_and_list_pages(app, login_as):
    contest, org, case, video, draft = _setup()
    reason = "与信用体系建设无关<b>请修改</b>"
    escaped = "原因：与信用体系建设无关&lt;b&gt;请修改&lt;/b&gt;"
    c = login_as(org)
    for entry in (case, video):
        c.post(f"/screening/{entry.id}", data={"decision": "rejected", "reason": reason})
    assert _status(case.id) == (ScreeningStatus.REJECTED, reason)
    case_unit = make_user(Role.UNIT, unit=db.session.get(Entry, case.id).unit)
    video_unit = make_user(Role.UNIT, unit=db.session.get(Entry, video.id).unit)
    db.session.commit()
    u = login_as(case_unit)
    for url in (f"/cases/{case.id}", "/cases/"):
        page = u.get(url).get_data(as_text=True)
        assert "不通过" in page and escaped in page and "<b>请修改" not in page, url
    u = login_as(video_unit)
    for url in (f"/videos/{video.id}", "/videos/"):
        page = u.get(url).get_data(as_text=True)
        assert "不通过" in page and escaped in page and "<b>请修改" not in page, url


def test_passed_outcome_shown_to_unit_without_reason(app, login_as):
    contest, org, case, video, draft = _setup()
    login_as(org).post(f"/screening/{video.id}", data={"decision": "passed", "reason": ""})
    unit_user = make_user(Role.UNIT, unit=db.session.get(Entry, video.id).unit)
    db.session.commit()
    page = login_as(unit_user).get(f"/videos/{video.id}").get_data(as_text=True)
    assert "初筛结果：" in page and "已进入网络投票和专家评审。" in page and "原因：" not in page


def test_empty_or_garbage_post_does_not_500(app, login_as):
    contest, org, case, video, draft = _setup()
    c = login_as(org)
    assert c.post(f"/screening/{case.id}", data={}).status_code == 400
    assert c.post(f"/screening/{case.id}", data={"decision": "maybe"}).status_code == 400
    resp = c.post("/screening/bulk", data={"entry_ids": ["x", "y"], "decision": "passed"}, follow_redirects=True)
    assert resp.status_code == 200
    assert "提交的内容有误" in resp.get_data(as_text=True)


def test_outside_window_refused_409(app, login_as):
    contest, org, case, video, draft = _setup(open_=False)
    resp = login_as(org).post(f"/screening/{case.id}", data={"decision": "passed"})
    assert resp.status_code == 409
    assert "现在不能进行初筛" in resp.get_data(as_text=True)
    assert _status(case.id)[0] == ScreeningStatus.PENDING


def test_organizer_override_opens_screening(app, login_as):
    contest, org, case, video, draft = _setup(open_=False)
    set_override(contest, Phase.SCREENING, Override.OPEN, actor=org, now=contest.created_at)
    db.session.commit()
    assert login_as(org).post(f"/screening/{case.id}", data={"decision": "passed"}).status_code == 302
    assert _status(case.id)[0] == ScreeningStatus.PASSED


def test_bulk_pass_and_reject(app, login_as):
    contest, org, case, video, draft = _setup()
    c = login_as(org)
    resp = c.post("/screening/bulk", data={"entry_ids": [str(case.id), str(video.id)], "decision": "passed"},
                  follow_redirects=True)
    assert "已将 2 件作品标记为“通过”。" in resp.get_data(as_text=True)
    assert _status(case.id)[0] == _status(video.id)[0] == ScreeningStatus.PASSED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "screened")) == 2
    no_reason = c.post("/screening/bulk", data={"entry_ids": [str(case.id)], "decision": "rejected"})
    assert no_reason.status_code == 400
    assert _status(case.id)[0] == ScreeningStatus.PASSED


def test_bulk_with_draft_or_foreign_entry_refused_whole(app, login_as):
    contest, org, case, video, draft = _setup()
    resp = login_as(org).post("/screening/bulk", data={"entry_ids": [str(case.id), str(draft.id)], "decision": "passed"})
    assert resp.status_code == 400
    assert "所选作品中有不存在、不属于本活动或未提交的作品" in resp.get_data(as_text=True)
    assert _status(case.id)[0] == ScreeningStatus.PENDING


def test_detail_shows_form_fields(app, login_as):
    contest, org, case, video, draft = _setup()
    page = login_as(org).get(f"/screening/{case.id}").get_data(as_text=True)
    for text in ("申报表（附件1）", "企业办事需要反复提交证明材料。", "行业信用监管", "未上传"):
        assert text in page, text
    assert login_as(org).get("/screening/999999").status_code == 404


def test_rejected_entry_leaves_voting_zone(app, login_as):
    contest = make_contest(schedule=open_schedule(Phase.SCREENING, Phase.VOTING))
    org = make_organizer()
    case = make_case(contest, passed=True, title="先通过后不通过")
    db.session.commit()
    assert app.test_client().get(f"/vote/{contest.id}/entry/{case.id}").status_code == 200
    login_as(org).post(f"/screening/{case.id}", data={"decision": "rejected", "reason": "材料不实"})
    assert app.test_client().get(f"/vote/{contest.id}/entry/{case.id}").status_code == 404
    assert "先通过后不通过" not in app.test_client().get(f"/vote/{contest.id}").get_data(as_text=True)
