from datetime import datetime

from contest.core import audit
from contest.core.timeutil import beijing
from contest.extensions import db
from tests.factories import make_organizer


def test_audit_viewer_filters_and_labels(app, login_as):
    org = make_organizer(username="boss", display_name="管理员")
    audit.record("phase_override", actor=org, summary="案例征集：手动开启（延期）", now=beijing(2024, 4, 24, 9))
    audit.record("units_imported", actor=None, summary="导入 3 个单位", now=beijing(2024, 4, 25, 23, 59))
    audit.record("units_imported", actor=None, summary="导入 5 个单位", now=beijing(2024, 4, 26, 0, 1))
    db.session.commit()
    c = login_as(org)
    html = c.get("/admin/audit").get_data(as_text=True)
    assert "手动开启/关闭阶段" in html and "导入单位" in html
    assert "2024-04-24 09:00:00" in html  # Beijing time
    html = c.get("/admin/audit?action=units_imported&date_from=2024-04-25&date_to=2024-04-25").get_data(as_text=True)
    assert "导入 3 个单位" in html and "导入 5 个单位" not in html and "延期" not in html
    html = c.get("/admin/audit?actor=管理员&action=phase_override").get_data(as_text=True)
    assert "延期" in html and "导入 3 个单位" not in html
    resp = c.get("/admin/audit?date_from=garbage&action=nope&page=abc")
    assert resp.status_code == 200
    assert "不是有效的日期值。" in resp.get_data(as_text=True)


def test_audit_viewer_paginates_by_50(app, login_as):
    org = make_organizer()
    for i in range(120):
        audit.record("unit_updated", actor=org, summary=f"第{i}条", now=datetime(2024, 5, 1))
    db.session.commit()
    c = login_as(org)
    html = c.get("/admin/audit?action=unit_updated").get_data(as_text=True)
    assert html.count("<td>修改单位</td>") == 50
    assert "第 1 / 3 页，共 120 条" in html
    html = c.get("/admin/audit?action=unit_updated&page=3").get_data(as_text=True)
    assert html.count("<td>修改单位</td>") == 20
