"""Expert review: the expert's workspace and the organizers' rubric, assignment and progress pages."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from contest.accounts.permissions import expert_required, organizer_required
from contest.contests.context import get_current_contest
from contest.contests.models import Contest, Phase
from contest.contests.services import ContestError, is_phase_open, require_phase_open
from contest.core.clock import now
from contest.core.downloads import DOCX_MIME, XLSX_MIME
from contest.core.nav import register_nav
from contest.core.request_info import client_ip
from contest.extensions import db
from contest.media.access import neutral_name
from contest.review import document, services
from contest.review.export import raw_scores_xlsx
from contest.review.forms import (AssignmentForm, DefaultAssignForm, ReopenForm, RubricForm, parse_pairs,
                                  raw_scores, score_form_class)
from contest.review.models import ScoreSheet
from contest.review.scoring import ScoreInputError
from contest.submissions.models import Case, EntryKind, Video

bp = Blueprint("review", __name__, url_prefix="/review")

register_nav("organizer", "专家评审", "review.progress", 60)
register_nav("expert", "评分标准", "review.criteria", 10)



@bp.app_template_filter("score")
def format_score(value) -> str:
    """18.50 -> '18.5', 30.00 -> '30'; None -> ''."""
    if value is None:
        return ""
    text = f"{Decimal(value):.2f}"
    return text.rstrip("0").rstrip(".")


@bp.app_template_global("review_workspace")
def review_workspace():
    """The current expert's assigned entries in the current contest (used by the expert home page)."""
    contest = get_current_contest()
    if contest is None or not current_user.is_authenticated or not current_user.is_expert:
        return None
    items = services.workspace(current_user, contest)
    moment = now()
    return {"items": items, "done": sum(1 for i in items if i.sheet and i.sheet.is_submitted),
            "window_open": is_phase_open(contest, Phase.REVIEW, moment),
            "window": contest.window(Phase.REVIEW), "blind": contest.blind_review}


def _kind() -> EntryKind:
    try:
        return EntryKind(request.args.get("kind", EntryKind.CASE.value))
    except ValueError:
        abort(404)


def _contest() -> Contest:
    contest = get_current_contest()
    if contest is None:
        abort(404)
    return contest


def _window_message(contest: Contest, moment: datetime) -> str | None:
    try:
        require_phase_open(contest, Phase.REVIEW, moment)
    except ContestError as exc:
        return f"{exc} 评审时间以外不能评分。"
    return None


def _material(entry, contest: Contest) -> dict:
    """What the expert sees beside the form; file links carry neutral names."""
    blind = contest.blind_review

    def link(stored):
        if stored is None:
            return None
        return url_for("media.download", file_id=stored.id, name=neutral_name(stored, entry.id))

    material = {"blind": blind, "scan": None if blind else link(entry.scan_file)}
    if isinstance(entry, Case):
        material["fields"] = document.case_fields(entry, blind=blind)
    elif isinstance(entry, Video):
        player = entry.web_file or entry.video_file
        material.update(video=link(player), video_type=player.content_type if player else "",
                        poster=link(entry.poster_file))
    return material


# --------------------------------------------------------------------------- expert

@bp.route("/criteria")
@expert_required
def criteria():
    """The rubric of the current contest, for experts."""
    contest = _contest()
    rubrics = {k: services.ensure_rubric(contest, k) for k in EntryKind}
    db.session.commit()
    return render_template("review/criteria.html", rubrics=rubrics)


@bp.route("/entries/<int:entry_id>", methods=["GET", "POST"])
@expert_required
def score(entry_id: int):
    """Score one assigned entry: material beside the form, save a draft or submit."""
    entry = services.load_assigned_entry(current_user, entry_id)
    if entry is None:
        abort(404)
    contest = db.session.get(Contest, entry.contest_id)
    criteria_rows = services.ensure_rubric(contest, entry.kind)
    db.session.commit()
    sheet = services.sheet_of(current_user, entry)
    initial = {"comment": sheet.comment if sheet else ""}
    if sheet is not None:
        initial.update({f"c{i.criterion_id}": format_score(i.value) for i in sheet.items})
    form = score_form_class(criteria_rows)(data=initial)
    moment = now()
    if request.method == "POST" and form.validate_on_submit():
        submit = bool(form.submit_sheet.data)
        try:
            services.save_sheet(current_user, entry, contest, raw_scores(form, criteria_rows), form.comment.data,
                                submit=submit, now=moment, ip=client_ip())
        except ScoreInputError as exc:
            db.session.rollback()
            for cid, message in exc.errors.items():
                form[f"c{cid}"].errors = [message]
            flash("评分未保存：" + "；".join(exc.errors.values()), "error")
        except services.ReviewError as exc:
            db.session.rollback()
            flash(f"评分未保存：{exc}", "error")
        else:
            db.session.commit()
            if submit:
                flash("评分已提交。提交后不能再修改，如需修改请联系市信用办。", "success")
                return redirect(url_for("core.expert_home"))
            flash("草稿已保存。", "success")
            return redirect(url_for("review.score", entry_id=entry.id))
        sheet = services.sheet_of(current_user, entry)
    return render_template("review/score.html", entry=entry, contest=contest, criteria=criteria_rows, form=form,
                           sheet=sheet, material=_material(entry, contest),
                           window_message=_window_message(contest, moment))


@bp.route("/entries/<int:entry_id>/form.docx")
@expert_required
def case_docx(entry_id: int):
    """The case form as Word for the assigned expert (unit details left out in blind review)."""
    entry = services.load_assigned_entry(current_user, entry_id)
    if entry is None or not isinstance(entry, Case):
        abort(404)
    contest = db.session.get(Contest, entry.contest_id)
    data = document.case_form_docx(document.case_fields(entry, blind=contest.blind_review),
                                   title=f"作品{entry.id} 案例申报表")
    resp = Response(data, mimetype=DOCX_MIME)
    resp.headers["Content-Disposition"] = f"attachment; filename=case-{entry.id}.docx"
    resp.headers["Cache-Control"] = "private, max-age=0"
    return resp


# --------------------------------------------------------------------------- organizers

@bp.route("/")
@organizer_required
def index():
    """Organizer entry point of the review feature."""
    return redirect(url_for("review.progress"))


@bp.route("/progress")
@organizer_required
def progress():
    """Experts × entries matrix with state, per-expert completion and who is behind."""
    contest, kind = _contest(), _kind()
    services.ensure_rubric(contest, kind)
    db.session.commit()
    return render_template("review/progress.html", kind=kind, progress=services.progress(contest, kind),
                           window=contest.window(Phase.REVIEW),
                           window_open=is_phase_open(contest, Phase.REVIEW, now()))


@bp.route("/assignments", methods=["GET", "POST"])
@organizer_required
def assignments():
    """Assign experts to entries with a checkbox matrix (bulk and per entry)."""
    contest, kind = _contest(), _kind()
    form = AssignmentForm()
    if form.validate_on_submit():
        pairs = parse_pairs(form.pairs.data)
        try:
            if pairs is None:
                raise services.ReviewError("提交的分配数据无效，请刷新页面后重试。")
            result = services.set_assignments(contest, kind, pairs, actor=current_user, now=now(), ip=client_ip())
        except services.ReviewError as exc:
            db.session.rollback()
            flash(f"分配未保存：{exc}", "error")
        else:
            db.session.commit()
            flash(result.message(), "warning" if result.conflicts or result.kept_submitted else "success")
            return redirect(url_for("review.assignments", kind=kind.value))
    return render_template("review/assignments.html", kind=kind, form=form, default_form=DefaultAssignForm(),
                           progress=services.progress(contest, kind, with_disabled_scorers=False))


@bp.route("/assignments/default", methods=["POST"])
@organizer_required
def assign_default():
    """Every expert × every entry that passed 初筛 (conflicts skipped)."""
    contest, kind = _contest(), _kind()
    form = DefaultAssignForm()
    if form.validate_on_submit():
        result = services.assign_default(contest, kind, actor=current_user, now=now(), ip=client_ip())
        db.session.commit()
        flash(result.message(), "warning" if result.conflicts else "success")
    return redirect(url_for("review.assignments", kind=kind.value))


@bp.route("/sheets/<int:sheet_id>")
@organizer_required
def sheet(sheet_id: int):
    """One expert's score sheet, for organizers (with the reopen form)."""
    sheet = db.session.get(ScoreSheet, sheet_id)
    if sheet is None:
        abort(404)
    contest = db.session.get(Contest, sheet.entry.contest_id)
    return render_template("review/sheet.html", sheet=sheet, form=ReopenForm(),
                           window_open=is_phase_open(contest, Phase.REVIEW, now()),
                           criteria=services.ensure_rubric(contest, sheet.entry.kind),
                           values={i.criterion_id: i.value for i in sheet.items})


@bp.route("/sheets/<int:sheet_id>/reopen", methods=["POST"])
@organizer_required
def reopen(sheet_id: int):
    """Send a submitted sheet back to its expert, with a reason (audit-logged)."""
    sheet = db.session.get(ScoreSheet, sheet_id)
    if sheet is None:
        abort(404)
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            services.reopen(sheet, form.reason.data, actor=current_user, now=now(), ip=client_ip())
        except services.ReviewError as exc:
            db.session.rollback()
            flash(f"未退回：{exc}", "error")
        else:
            db.session.commit()
            flash("评分已退回给专家，专家可修改后重新提交。", "success")
            return redirect(url_for("review.sheet", sheet_id=sheet.id))
    else:
        for errors in form.errors.values():
            flash("未退回：" + "；".join(errors), "error")
    return redirect(url_for("review.sheet", sheet_id=sheet.id))


@bp.route("/rubric", methods=["GET", "POST"])
@organizer_required
def rubric():
    """Edit the criteria of a kind until review starts (the maximums must add up to 100)."""
    contest, kind = _contest(), _kind()
    rows = services.ensure_rubric(contest, kind)
    db.session.commit()
    moment = now()
    locked = services.review_started(contest, kind, moment)
    initial = {"rows": [{"id": str(c.id), "name": c.name, "description": c.description,
                         "max_score": str(c.max_score)} for c in rows] + [{}]}
    form = RubricForm(data=initial)
    if request.method == "POST" and form.validate_on_submit():
        edited = [services.RubricRow(int(r.form.id.data) if (r.form.id.data or "").isdigit() else None,
                                     r.form.name.data or "", r.form.description.data or "",
                                     int(r.form.max_score.data) if (r.form.max_score.data or "").strip() else 0)
                  for r in form.rows if not r.form.is_blank and not r.form.delete.data]
        try:
            services.update_rubric(contest, kind, edited, actor=current_user, now=moment, ip=client_ip())
        except services.ReviewError as exc:
            db.session.rollback()
            flash(f"评分标准未保存：{exc}", "error")
        else:
            db.session.commit()
            flash("评分标准已保存。", "success")
            return redirect(url_for("review.rubric", kind=kind.value))
    elif request.method == "POST":
        flash("评分标准未保存，请按提示修改。", "error")
    return render_template("review/rubric.html", kind=kind, form=form, locked=locked, criteria=rows)


@bp.route("/export.xlsx")
@organizer_required
def export():
    """All raw scores of a kind as an Excel workbook."""
    contest, kind = _contest(), _kind()
    data = raw_scores_xlsx(contest, kind)
    db.session.commit()
    resp = Response(data, mimetype=XLSX_MIME)
    resp.headers["Content-Disposition"] = f"attachment; filename=raw-scores-{kind.value}.xlsx"
    return resp
