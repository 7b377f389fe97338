"""Quota dashboard: every unit's submitted cases against its quota, with an .xlsx export."""
from __future__ import annotations

from flask import render_template, request

from contest.accounts.models import UnitKind
from contest.admin.blueprint import bp
from contest.admin.forms import QuotaFilterForm
from contest.admin.xlsx import xlsx_response
from contest.contests.context import get_current_contest
from contest.contests.services import quota_progress
from contest.core.clock import now
from contest.core.timeutil import format_beijing


def _rows(form: QuotaFilterForm):
    contest = get_current_contest()
    if contest is None:
        return None, []
    rows = quota_progress(contest)
    if form.kind.data in {k.value for k in UnitKind}:
        rows = [r for r in rows if r.unit.kind.value == form.kind.data]
    if form.behind.data == "1":
        rows = [r for r in rows if r.behind]
    return contest, rows


@bp.route("/quotas")
def quotas():
    """Units with submitted/required cases; units behind are highlighted and listed first."""
    form = QuotaFilterForm(request.args)
    form.validate()
    contest, rows = _rows(form)
    summary = {"units": len(rows), "behind": sum(r.behind for r in rows),
               "submitted": sum(r.submitted for r in rows)}
    return render_template("admin/quotas.html", form=form, contest=contest, rows=rows, summary=summary,
                           args=dict(request.args), kinds=UnitKind)


@bp.route("/quotas.xlsx")
def quotas_export():
    """The same table as an .xlsx file."""
    form = QuotaFilterForm(request.args)
    form.validate()
    contest, rows = _rows(form)
    header = ["单位名称", "单位类型", "已提交案例", "应报送（至少）", "草稿", "完成情况", "联系人", "联系电话"]
    data = [[r.unit.name, r.unit.kind.label, r.submitted, r.required, r.drafts,
             "未完成" if r.behind else "已完成", r.unit.contact_name, r.unit.contact_phone] for r in rows]
    data.append([])
    data.append([f"导出时间（北京时间）：{format_beijing(now())}", contest.title if contest else ""])
    return xlsx_response(header, data, "案例报送进度.xlsx", title="报送进度",
                         widths=[30, 12, 12, 14, 8, 10, 10, 16])


@bp.app_template_global("unit_quota_row")
def unit_quota_row(unit):
    """Quota progress of one unit in the current contest (for the unit's home page), or None."""
    contest = get_current_contest()
    if contest is None or unit is None:
        return None
    rows = quota_progress(contest, unit_ids=[unit.id])
    return rows[0] if rows else None



@bp.app_template_global("admin_dashboard")
def admin_dashboard():
    """Figures for the organizer dashboard of the current contest."""
    import sqlalchemy as sa

    from contest.accounts.models import User
    from contest.contests.models import Contest
    from contest.contests.phases import PHASE_STATE_LABELS
    from contest.contests.services import phase_states
    from contest.extensions import db

    contest = get_current_contest()
    rows = quota_progress(contest) if contest else []
    return {
        "contest": contest,
        "states": phase_states(contest, now()) if contest else [],
        "state_labels": PHASE_STATE_LABELS,
        "contest_count": db.session.scalar(sa.select(sa.func.count()).select_from(Contest)),
        "units": len(rows),
        "behind": sum(r.behind for r in rows),
        "submitted": sum(r.submitted for r in rows),
        "accounts": db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.active.is_(True))),
    }
