"""Contests: list and switch, create, settings and quotas, schedule, manual phase overrides."""
from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from contest.accounts.models import UnitKind
from contest.admin.blueprint import bp
from contest.admin.forms import OVERRIDE_ACTIONS, ConfirmForm, ContestSettingsForm, NewContestForm, OverrideForm, ScheduleForm
from contest.contests.context import get_current_contest, get_public_contest, set_current_contest
from contest.contests.models import PHASE_ORDER, Contest, Override, Phase
from contest.contests.phases import PHASE_STATE_LABELS
from contest.contests.services import (ContestError, SETTING_FIELDS, create_contest, default_schedule,
                                       locked_settings, phase_states, set_override, update_settings,
                                       update_window)
from contest.core.clock import now
from contest.core.request_info import client_ip
from contest.core.timeutil import from_beijing, to_beijing
from contest.extensions import db


def _get_contest(contest_id: int) -> Contest:
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        abort(404)
    return contest


@bp.route("/contests")
def contests():
    """All contests; this session's current one is marked and any other can be switched to. Also names
    the contest units, experts and the public see (by the schedule, not by the switch)."""
    items = db.session.scalars(sa.select(Contest).order_by(Contest.id.desc())).all()
    current = get_current_contest()
    return render_template("admin/contests.html", contests=items, current=current, form=ConfirmForm(),
                           public=get_public_contest(),
                           states={c.id: phase_states(c, now()) for c in items}, state_labels=PHASE_STATE_LABELS)


@bp.route("/contests/new", methods=["GET", "POST"])
def contest_new():
    """Create a contest with a default schedule from its start date, then edit its settings."""
    form = NewContestForm()
    if form.validate_on_submit():
        start = from_beijing(datetime.combine(form.start_date.data, time(0, 0)))
        template = get_current_contest()
        # A new contest starts from the current one's settings (contact, weights, rules), not from code.
        settings = {f: getattr(template, f) for f in SETTING_FIELDS if f not in {"title", "doc_number"}} \
            if template else {}
        quotas = {q.unit_kind: q.min_cases for q in template.quotas} if template else None
        try:
            contest = create_contest(title=form.title.data, schedule=default_schedule(start), actor=current_user,
                                     now=now(), quotas=quotas, doc_number=form.doc_number.data, **settings)
        except ContestError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            set_current_contest(contest)
            db.session.commit()
            flash(f"已创建活动“{contest.title}”，并切换为当前活动。请检查设置和时间安排。"
                  "公众与申报单位看到的活动按时间安排确定，不随切换改变。", "success")
            return redirect(url_for("admin.contest_settings", contest_id=contest.id))
    return render_template("admin/contest_new.html", form=form)


@bp.route("/contests/<int:contest_id>/switch", methods=["POST"])
def contest_switch(contest_id: int):
    """Make this contest the one every page of this organizer's session is about (others are not affected)."""
    contest = _get_contest(contest_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    set_current_contest(contest)
    flash(f"当前活动已切换为“{contest.title}”。", "success")
    return redirect(url_for("core.dashboard"))


@bp.route("/contests/<int:contest_id>/settings", methods=["GET", "POST"])
def contest_settings(contest_id: int):
    """Title, notice, contact, weights, limits, video rules and quotas."""
    contest = _get_contest(contest_id)
    form = ContestSettingsForm(obj=contest)
    locks = locked_settings(contest, now())
    form.lock(locks, contest)
    if request.method == "GET":
        for kind in UnitKind:
            getattr(form, f"quota_{kind.value}").data = contest.quota_for(kind)
    if form.validate_on_submit():
        values = {f: getattr(form, f).data for f in SETTING_FIELDS}
        values["notice_text"] = (values["notice_text"] or "").replace("\r\n", "\n").strip()
        try:
            update_settings(contest, actor=current_user, now=now(), quotas=form.quotas(), ip=client_ip(), **values)
        except ContestError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash("活动设置已保存。", "success")
            return redirect(url_for("admin.contest_settings", contest_id=contest.id))
    return render_template("admin/contest_settings.html", form=form, contest=contest, locks=locks)


def _local(value: datetime) -> datetime:
    return to_beijing(value).replace(tzinfo=None)


@bp.route("/contests/<int:contest_id>/schedule", methods=["GET", "POST"])
def contest_schedule(contest_id: int):
    """The five phase windows in Beijing time, plus manual open/close."""
    contest = _get_contest(contest_id)
    form = ScheduleForm()
    if request.method == "GET":
        for phase in PHASE_ORDER:
            window = contest.window(phase)
            if window is not None:
                start, end = form.pair(phase)
                start.data, end.data = _local(window.starts_at), _local(window.ends_at)
    if form.validate_on_submit():
        changed = 0
        try:
            for phase in PHASE_ORDER:
                start, end = (from_beijing(f.data) for f in form.pair(phase))
                window = contest.window(phase)
                if window is None or (window.starts_at, window.ends_at) != (start, end):
                    update_window(contest, phase, start, end, actor=current_user, now=now(), ip=client_ip())
                    changed += 1
        except ContestError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"时间安排已保存（修改了 {changed} 个阶段）。" if changed else "时间安排没有变化。", "success")
            return redirect(url_for("admin.contest_schedule", contest_id=contest.id))
    elif request.method == "POST":
        flash("时间安排未保存，请按提示修改后重新提交。", "error")
    return render_template("admin/contest_schedule.html", form=form, contest=contest,
                           states=phase_states(contest, now()), state_labels=PHASE_STATE_LABELS,
                           override_form=OverrideForm(formdata=None))


@bp.route("/contests/<int:contest_id>/phases/<phase>/override", methods=["POST"])
def contest_override(contest_id: int, phase: str):
    """Open or close a phase by hand (a reason is required and audit-logged), or return it to the clock."""
    contest = _get_contest(contest_id)
    try:
        phase_value = Phase(phase)
    except ValueError:
        abort(404)
    form = OverrideForm()
    if form.validate_on_submit():
        override = None if form.action.data == "auto" else Override(form.action.data)
        try:
            set_override(contest, phase_value, override, actor=current_user, now=now(),
                         reason=form.reason.data, ip=client_ip())
        except ContestError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"“{phase_value.label}”阶段已{OVERRIDE_ACTIONS[form.action.data]}。", "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error if isinstance(error, str) else "提交失败，请刷新后重试。", "error")
    return redirect(url_for("admin.contest_schedule", contest_id=contest.id))
