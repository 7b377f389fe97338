"""初筛 pages for organizers: the list with filters and bulk actions, and one entry's material."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from contest.accounts.models import Role
from contest.accounts.permissions import roles_required
from contest.contests.context import get_current_contest
from contest.contests.models import Phase
from contest.contests.services import is_phase_open
from contest.core.clock import now
from contest.core.nav import register_nav
from contest.core.request_info import client_ip
from contest.extensions import db
from contest.screening import services
from contest.screening.forms import DECISION_LABELS, BulkForm, DecisionForm
from contest.submissions.models import Entry, EntryKind, ScreeningStatus

bp = Blueprint("screening", __name__, url_prefix="/screening")

register_nav("organizer", "初筛", "screening.index", 30)


def _contest():
    contest = get_current_contest()
    if contest is None:
        abort(404, "还没有征集活动。")
    return contest


def _enum_arg(enum_cls, name):
    try:
        return enum_cls(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/")
@roles_required(Role.ORGANIZER)
def index():
    """Submitted entries of the current contest with their 初筛 status."""
    contest = _contest()
    kind, status = _enum_arg(EntryKind, "kind"), _enum_arg(ScreeningStatus, "status")
    q = (request.args.get("q") or "").strip()[:50]
    return _render_list(contest, BulkForm(), kind, status, q)


def _render_list(contest, form, kind, status, q, code=200):
    entries = services.list_entries(contest, kind=kind, status=status, q=q)
    return render_template("screening/index.html", contest=contest, entries=entries, form=form, kind=kind,
                           status=status, q=q, counts=services.counts(contest), kinds=list(EntryKind),
                           statuses=list(ScreeningStatus),
                           window_open=is_phase_open(contest, Phase.SCREENING, now())), code


@bp.route("/bulk", methods=["POST"])
@roles_required(Role.ORGANIZER)
def bulk():
    """The same decision for the ticked entries."""
    contest = _contest()
    form = BulkForm()
    if not form.validate_on_submit():
        flash("提交的内容有误，请刷新页面后重新勾选作品。", "error")
        return redirect(url_for("screening.index"))
    try:
        n = services.screen_many(contest, form.entry_ids.data or [], form.decision.data or "", form.reason.data or "",
                                 actor=current_user, now=now(), ip=client_ip())
    except services.ScreeningError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _render_list(contest, form, None, None, "", code=exc.status)
    db.session.commit()
    label = DECISION_LABELS[form.decision.data]
    flash(f"已将 {n} 件作品标记为“{label}”。", "success")
    return redirect(url_for("screening.index"))


@bp.route("/<int:entry_id>", methods=["GET", "POST"])
@roles_required(Role.ORGANIZER)
def detail(entry_id: int):
    """One entry's form, scan and video, and the decision form."""
    contest = _contest()
    entry = db.session.get(Entry, entry_id)
    if entry is None or entry.contest_id != contest.id:
        abort(404)
    form = DecisionForm()
    code = 200
    if request.method == "GET":
        form.decision.data = entry.screening_status.value if entry.screening_status != ScreeningStatus.PENDING else None
        form.reason.data = entry.screening_reason
    elif form.validate_on_submit():
        try:
            services.screen(entry, contest, form.decision.data or "", form.reason.data or "",
                            actor=current_user, now=now(), ip=client_ip())
        except services.ScreeningError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            code = exc.status
        else:
            db.session.commit()
            flash(f"已保存初筛结果：{entry.screening_status.label}。", "success")
            return redirect(url_for("screening.detail", entry_id=entry.id))
    else:
        flash("提交的内容有误，请检查后重试。", "error")
        code = 400
    return render_template("screening/detail.html", contest=contest, entry=entry, form=form,
                           window_open=is_phase_open(contest, Phase.SCREENING, now())), code
