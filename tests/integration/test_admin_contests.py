import io
from datetime import datetime

import sqlalchemy as sa
from openpyxl import load_workbook

from contest.accounts.models import Role, UnitKind
from contest.contests.models import Contest, Override, Phase
from contest.contests.services import is_phase_open
from contest.core.models import AuditLog
from contest.core.timeutil import beijing
from contest.extensions import db
from tests.factories import make_case, make_contest, make_organizer, make_unit, make_user

SCHEDULE_2024 = {
    "submission_start": "2024-02-27T00:00", "submission_end": "2024-04-24T00:00",
    "screening_start": "2024-04-24T00:00", "screening_end": "2024-04-30T00:00",
    "voting_start": "2024-04-30T00:00", "voting_end": "2024-06-01T00:00",
    "review_start": "2024-04-30T00:00", "review_end": "2024-07-01T00:00",
    "publication_start": "2024-07-01T00:00", "publication_end": "2025-01-01T00:00",
}


def _settings(contest, **changes):
    data = {"title": contest.title, "doc_number": contest.doc_number, "notice_text": "通知正文",
            "organizer_name": contest.organizer_name, "contact_name": "郭方泽", "contact_phone": "15619369561",
            "contact_email": "xiancredit@163.com", "vote_weight_pct": "30", "expert_weight_pct": "70",
            "case_char_limit": "2000", "video_min_seconds": "120", "video_max_seconds": "300",
            "video_width": "1080", "video_height": "1920", "quota_city_dept": "1", "quota_district": "3",
            "quota_xixian": "3", "quota_dev_zone": "3"}
    data.update(changes)
    return data


def _last_audit():
    return db.session.scalar(sa.select(AuditLog).order_by(AuditLog.id.desc()))


def test_schedule_edit_in_beijing_time(app, login_as):
    org = make_organizer()
    contest = make_contest()
    db.session.commit()
    c = login_as(org)
    html = c.get(f"/admin/contests/{contest.id}/schedule").get_data(as_text=True)
    assert 'value="2024-04-24T00:00"' in html  # 2024-04-23 24:00 Beijing shown as the next midnight
    resp = c.post(f"/admin/contests/{contest.id}/schedule", data=dict(SCHEDULE_2024, submission_end="2024-04-30T18:00"))
    assert resp.status_code == 302
    db.session.refresh(contest)
    assert contest.window(Phase.SUBMISSION).ends_at == datetime(2024, 4, 30, 10, 0)  # stored in UTC
    entry = _last_audit()
    assert (entry.action, entry.summary) == ("phase_changed", "案例征集：2024-02-27 00:00 至 2024-04-30 18:00")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(
        AuditLog.action == "phase_changed")) == 1  # unchanged phases are not logged


def test_schedule_end_before_start_refused(app, login_as):
    org = make_organizer()
    contest = make_contest()
    db.session.commit()
    before = [(w.phase, w.starts_at, w.ends_at) for w in contest.windows]
    resp = login_as(org).post(f"/admin/contests/{contest.id}/schedule",
                              data=dict(SCHEDULE_2024, voting_start="2024-06-01T00:00", voting_end="2024-05-01T00:00",
                                        submission_end="2024-04-25T00:00"))
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "“网络投票”的结束时间必须晚于开始时间。" in html
    assert "时间安排未保存" in html
    db.session.expire_all()
    contest = db.session.get(Contest, contest.id)
    assert [(w.phase, w.starts_at, w.ends_at) for w in contest.windows] == before  # nothing changed


def test_schedule_garbage_input_refused(app, login_as):
    org = make_organizer()
    contest = make_contest()
    db.session.commit()
    resp = login_as(org).post(f"/admin/contests/{contest.id}/schedule", data=dict(SCHEDULE_2024, review_start="明天"))
    assert resp.status_code == 200
    assert '<div class="error">不是有效的日期与时间值。</div>' in resp.get_data(as_text=True)


def test_override_needs_reason_and_is_audited(app, login_as, clock):
    clock.set(beijing(2024, 4, 24, 9))  # the day after the 2024 deadline
    org = make_organizer(display_name="管理员")
    contest = make_contest()
    db.session.commit()
    c = login_as(org)
    url = f"/admin/contests/{contest.id}/phases/submission/override"
    resp = c.post(url, data={"action": "open", "reason": ""}, follow_redirects=True)
    assert "请填写手动开启或关闭的原因" in resp.get_data(as_text=True)
    assert contest.window(Phase.SUBMISSION).override is None
    resp = c.post(url, data={"action": "open", "reason": "应多个区县申请延长一天"})
    assert resp.status_code == 302
    db.session.expire_all()
    contest = db.session.get(Contest, contest.id)
    assert contest.window(Phase.SUBMISSION).override == Override.OPEN
    assert is_phase_open(contest, Phase.SUBMISSION, clock.now)
    entry = _last_audit()
    assert (entry.action, entry.summary, entry.actor_id, entry.contest_id) == (
        "phase_override", "案例征集：手动开启（应多个区县申请延长一天）", org.id, contest.id)
    assert entry.detail == {"phase": "submission", "override": "open", "reason": "应多个区县申请延长一天"}
    c.post(url, data={"action": "auto", "reason": "恢复"})
    db.session.expire_all()
    assert db.session.get(Contest, contest.id).window(Phase.SUBMISSION).override is None
    assert c.post(f"/admin/contests/{contest.id}/phases/nonsense/override", data={"action": "open", "reason": "x"}).status_code == 404


def test_settings_update_weights_and_quotas(app, login_as, clock):
    org = make_organizer()
    contest = make_contest()
    db.session.commit()
    clock.set(beijing(2024, 4, 1))  # weights lock once voting begins (2024-04-30)
    c = login_as(org)
    resp = c.post(f"/admin/contests/{contest.id}/settings",
                  data=_settings(contest, vote_weight_pct="40", expert_weight_pct="60", quota_district="4"))
    assert resp.status_code == 302
    db.session.expire_all()
    contest = db.session.get(Contest, contest.id)
    assert (contest.vote_weight_pct, contest.expert_weight_pct, contest.quota_for(UnitKind.DISTRICT)) == (40, 60, 4)
    entry = _last_audit()
    assert entry.action == "contest_updated"
    assert entry.detail["vote_weight_pct"] == ["30", "40"]
    assert entry.detail["quota_district"] == ["3", "4"]


def test_settings_weights_must_sum_to_100(app, login_as):
    org = make_organizer()
    contest = make_contest()
    db.session.commit()
    resp = login_as(org).post(f"/admin/contests/{contest.id}/settings",
                              data=_settings(contest, vote_weight_pct="50", expert_weight_pct="70",
                                             video_min_seconds="400"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "网络投票权重与专家评审权重之和必须为 100（现为 120）。" in html
    assert "最长时长不能小于最短时长。" in html
    db.session.expire_all()
    assert db.session.get(Contest, contest.id).vote_weight_pct == 30


def test_create_contest_and_switch(app, login_as):
    org = make_organizer()
    first = make_contest()
    db.session.commit()
    c = login_as(org)
    resp = c.post("/admin/contests/new", data={"title": "2025年第一季度沣西新城信用案例征集", "doc_number": "",
                                               "start_date": "2025-01-06"})
    assert resp.status_code == 302
    new = db.session.scalar(sa.select(Contest).where(Contest.id != first.id))
    assert new.window(Phase.SUBMISSION).starts_at == beijing(2025, 1, 6)
    assert new.contact_name == "郭方泽" and new.quota_for(UnitKind.DISTRICT) == 3  # copied from the current one
    assert "2025年第一季度沣西新城信用案例征集" in c.get("/dashboard").get_data(as_text=True)
    c.post(f"/admin/contests/{first.id}/switch")
    html = c.get("/dashboard").get_data(as_text=True)
    assert '<div class="contest-bar"><div class="wrap">2024年度西安市社会信用体系建设典型案例及优秀短视频征集活动' in html
    assert c.post("/admin/contests/new", data={"title": "", "start_date": "不是日期"}).status_code == 200


def test_quota_dashboard_and_export(app, login_as):
    org = make_organizer()
    contest = make_contest()
    yanta = make_unit("雁塔区", UnitKind.DISTRICT)
    fgw = make_unit("西安市发展和改革委员会", UnitKind.CITY_DEPT)
    make_case(contest, yanta)
    make_case(contest, yanta)
    make_case(contest, yanta, submitted=False)
    make_case(contest, fgw)
    db.session.commit()
    c = login_as(org)
    html = c.get("/admin/quotas").get_data(as_text=True)
    assert '<tr class="behind">\n      <td>雁塔区</td>' in html
    assert '<td class="quota-count">2/3</td>' in html
    assert '<td class="quota-count">1/1</td>' in html
    html = c.get("/admin/quotas?kind=city_dept").get_data(as_text=True)
    assert "西安市发展和改革委员会" in html and "雁塔区" not in html
    resp = c.get("/admin/quotas.xlsx?behind=1")
    ws = load_workbook(io.BytesIO(resp.data)).active
    rows = [[cell.value for cell in row] for row in ws.iter_rows(min_row=1, max_row=2)]
    assert rows[0][:6] == ["单位名称", "单位类型", "已提交案例", "应报送（至少）", "草稿", "完成情况"]
    assert rows[1][:6] == ["雁塔区", "区县", 2, 3, 1, "未完成"]
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]


def test_quota_export_keeps_formula_like_unit_names_as_text(app, login_as):
    org = make_organizer()
    contest = make_contest()
    make_case(contest, make_unit('=HYPERLINK("http://evil.example","点此核对")', UnitKind.DISTRICT))
    db.session.commit()
    ws = load_workbook(io.BytesIO(login_as(org).get("/admin/quotas.xlsx").data)).active
    cell = next(r[0] for r in ws.iter_rows(min_row=2) if "HYPERLINK" in str(r[0].value))
    assert (cell.value, cell.data_type) == ('=HYPERLINK("http://evil.example","点此核对")', "s")


def test_unit_home_shows_own_quota(app, login_as):
    contest = make_contest()
    unit = make_unit("碑林区", UnitKind.DISTRICT)
    make_case(contest, unit)
    user = make_user(Role.UNIT, unit=unit)
    db.session.commit()
    html = login_as(user).get("/unit").get_data(as_text=True)
    assert '<strong class="quota-count">1/3</strong>' in html
    assert "还需提交 2 个" in html


def test_dates_outside_a_sane_year_range_refused_not_500(app, login_as):
    # Beijing → UTC conversion of year 1 or 9999 would overflow: such input gets a form message.
    org = make_organizer()
    contest = make_contest()
    db.session.commit()
    c = login_as(org)
    before = [(w.phase, w.starts_at, w.ends_at) for w in contest.windows]
    for value in ("0001-01-01T00:00", "9999-12-31T23:00"):
        resp = c.post(f"/admin/contests/{contest.id}/schedule", data=dict(SCHEDULE_2024, publication_end=value))
        assert resp.status_code == 200, value
        assert "年份须在 2000 至 2099 之间" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert [(w.phase, w.starts_at, w.ends_at) for w in db.session.get(Contest, contest.id).windows] == before
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Contest))
    resp = c.post("/admin/contests/new", data={"title": "遥远的活动", "start_date": "9999-12-31"})
    assert resp.status_code == 200
    assert "年份须在 2000 至 2099 之间" in resp.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contest)) == count
    resp = c.get("/admin/audit", query_string={"date_from": "0001-01-01", "date_to": "9999-12-31"})
    assert resp.status_code == 200
    assert "年份须在 2000 至 2099 之间" in resp.get_data(as_text=True)
