"""The audit log viewer: newest first, filters, 50 per page, Chinese action labels."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import render_template, request

from contest.admin.blueprint import bp
from contest.admin.forms import AuditFilterForm, choices
from contest.core.audit import ACTION_LABELS
from contest.core.models import AuditLog
from contest.core.request_info import arg_page
from contest.core.timeutil import from_beijing
from contest.extensions import db

PER_PAGE = 50


@bp.route("/audit")
def audit():
    """Who did what and when, filtered by actor, action and Beijing date range."""
    form = AuditFilterForm(request.args)
    known = set(db.session.scalars(sa.select(AuditLog.action).distinct()))
    form.action.choices = choices([("", "全部操作")] + sorted(
        ((code, ACTION_LABELS.get(code, code)) for code in known | set(ACTION_LABELS)), key=lambda c: c[1]))
    query = sa.select(AuditLog).order_by(AuditLog.id.desc())
    form.validate()  # a bad field shows its error and is ignored; the others still filter
    if form.actor.data:
        query = query.where(AuditLog.actor_label.ilike(f"%{form.actor.data}%"))
    if form.action.data and not form.action.errors:
        query = query.where(AuditLog.action == form.action.data)
    if form.date_from.data and not form.date_from.errors:
        query = query.where(AuditLog.at >= from_beijing(datetime.combine(form.date_from.data, time(0))))
    if form.date_to.data and not form.date_to.errors:
        end = datetime.combine(form.date_to.data + timedelta(days=1), time(0))
        query = query.where(AuditLog.at < from_beijing(end))
    page = db.paginate(query, page=arg_page(), per_page=PER_PAGE, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/audit.html", form=form, page=page, args=args, labels=ACTION_LABELS)
