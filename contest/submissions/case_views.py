"""Case pages (附件1): the unit's list, form, scan, submission, Word export/import; the organizers' list."""
from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from contest.accounts.models import Role, Unit, UnitKind
from contest.accounts.permissions import roles_required
from contest.contests.models import Contest
from contest.contests.services import quota_progress
from contest.core.clock import now as clock_now
from contest.core.nav import register_nav
from contest.core.request_info import client_ip
from contest.documents.case_form import DocxError, blank_form_bytes, case_docx_bytes
from contest.extensions import db
from contest.media import storage
from contest.media.storage import format_size
from contest.submissions import case_services as svc
from contest.submissions.case_forms import (
    ActionForm, CaseFilterForm, CaseForm, DeleteDraftForm, ImportForm, ScanForm, SubmitForm,
)
from contest.submissions.case_rules import COMMITMENT_TEXT, PARTS, PHONE_HELP
from contest.submissions.counting import RULE_TEXT
from contest.submissions.lifecycle import SubmissionError, count_by_state
from contest.submissions.models import Case, EntryKind, EntryState
from contest.submissions.view_helpers import (attach_scan_upload, current_contest, own_entry, submission_window,
                                              unit_entry)
from contest.core.downloads import DOCX_MIME, download_name

bp = Blueprint("cases", __name__, url_prefix="/cases")

register_nav("unit", "典型案例", "cases.index", 20)
register_nav("organizer", "案例管理", "cases.all_cases", 20)


def _form_page(form: CaseForm, contest: Contest, case: Case | None, status: int = 200, loose=()):
    return render_template("submissions/case_form.html", form=form, contest=contest, case=case,
                           rule_text=RULE_TEXT, parts=PARTS, phone_help=PHONE_HELP, loose_errors=list(loose),
                           **submission_window(contest)), status


@bp.route("/")
@roles_required(Role.UNIT)
def index():
    """The unit's cases and its quota progress."""
    contest = current_contest()
    cases = svc.unit_cases(contest, current_user.unit_id)
    quota = quota_progress(contest, [current_user.unit_id])
    return render_template("submissions/case_list.html", contest=contest, cases=cases,
                           quota=quota[0] if quota else None, **submission_window(contest))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.UNIT)
def new():
    """A new case (saved as draft)."""
    contest = current_contest()
    unit = current_user.unit
    form = CaseForm() if request.method == "POST" else CaseForm(
        data={"contact_name": unit.contact_name, "contact_phone": unit.contact_phone,
              "contact_email": unit.email, "unit_address": unit.address})
    if form.validate_on_submit():
        try:
            case = svc.create_case(contest, unit, form.values(), actor=current_user, now=clock_now(), ip=client_ip())
        except svc.CaseInvalid as exc:
            return _form_page(form, contest, None, 400, form.add_errors(exc.errors))
        except SubmissionError as exc:
            return _form_page(form, contest, None, 409, [str(exc)])
        db.session.commit()
        flash("案例已保存为草稿。上传盖章扫描件并勾选诚信承诺后即可提交。", "success")
        return redirect(url_for("cases.detail", case_id=case.id))
    return _form_page(form, contest, None, 400 if request.method == "POST" else 200)


@bp.route("/<int:case_id>")
@roles_required(Role.UNIT, Role.ORGANIZER)
def detail(case_id: int):
    """One case: fields, scan, completeness, submit/withdraw."""
    case = own_entry(Case, case_id)
    return _detail_page(case)


def _detail_page(case: Case, status: int = 200, scan_form=None, submit_form=None, loose=(), delete_form=None):
    contest = db.session.get(Contest, case.contest_id)
    return render_template(
        "submissions/case_detail.html", case=case, contest=contest, parts=PARTS,
        completeness=svc.completeness(case, contest), commitment_text=COMMITMENT_TEXT,
        scan_form=scan_form or ScanForm(), submit_form=submit_form or SubmitForm(), action_form=ActionForm(),
        delete_form=delete_form or DeleteDraftForm(),
        max_scan=format_size(current_app.config["MAX_SCAN_BYTES"]), loose_errors=list(loose),
        char_count=svc.content_count_of(case), **submission_window(contest)), status


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@roles_required(Role.UNIT)
def edit(case_id: int):
    """Edit a case while the window is open (a submitted case returns to 待初筛)."""
    case, contest = unit_entry(Case, case_id)
    form = CaseForm() if request.method == "POST" else CaseForm(data=svc.case_values(case))
    if form.validate_on_submit():
        was_submitted = case.state == EntryState.SUBMITTED
        try:
            changed = svc.update_case(case, contest, form.values(), actor=current_user, now=clock_now(),
                                      ip=client_ip())
        except svc.CaseInvalid as exc:
            db.session.rollback()
            return _form_page(form, contest, case, 400, form.add_errors(exc.errors))
        except SubmissionError as exc:
            db.session.rollback()
            return _form_page(form, contest, case, 409, [str(exc)])
        db.session.commit()
        if not changed:
            flash("内容没有变化。", "info")
        elif was_submitted:
            flash("修改已保存。已提交的案例修改后将重新进入初筛。", "success")
        else:
            flash("修改已保存。", "success")
        return redirect(url_for("cases.detail", case_id=case.id))
    return _form_page(form, contest, case, 400 if request.method == "POST" else 200)


@bp.route("/<int:case_id>/scan", methods=["POST"])
@roles_required(Role.UNIT)
def upload_scan(case_id: int):
    """Upload the stamped scan (PDF/JPG/PNG, checked by content)."""
    case, contest = unit_entry(Case, case_id)
    error = attach_scan_upload(case, contest, ScanForm(), svc.attach_scan,
                               lambda status, **context: _detail_page(case, status, **context))
    if error is not None:
        return error
    flash("盖章扫描件已上传。", "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/submit", methods=["POST"])
@roles_required(Role.UNIT)
def submit(case_id: int):
    """Submit with the integrity commitment."""
    case, contest = unit_entry(Case, case_id)
    form = SubmitForm()
    if not form.validate_on_submit():
        return _detail_page(case, 400, submit_form=form)
    try:
        svc.submit_case(case, contest, committed=bool(form.commitment.data), actor=current_user, now=clock_now(),
                        ip=client_ip())
    except svc.CaseInvalid as exc:
        db.session.rollback()
        return _detail_page(case, 400, submit_form=form, loose=exc.errors.values())
    except SubmissionError as exc:
        db.session.rollback()
        return _detail_page(case, 409, submit_form=form, loose=[str(exc)])
    db.session.commit()
    flash("案例已提交，等待市信用办初筛。截止前仍可修改或撤回。", "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/withdraw", methods=["POST"])
@roles_required(Role.UNIT)
def withdraw(case_id: int):
    """Withdraw a submitted case."""
    case, contest = unit_entry(Case, case_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        svc.withdraw_case(case, contest, actor=current_user, now=clock_now(), ip=client_ip())
    except SubmissionError as exc:
        db.session.rollback()
        return _detail_page(case, 409, loose=[str(exc)])
    db.session.commit()
    flash("案例已撤回，不再计入报送数量。截止前可修改后重新提交。", "success")
    return redirect(url_for("cases.detail", case_id=case.id))


@bp.route("/<int:case_id>/delete", methods=["POST"])
@roles_required(Role.UNIT)
def delete(case_id: int):
    """Delete the unit's own never-submitted draft (with its files) after the confirmation tick."""
    case, contest = unit_entry(Case, case_id)
    form = DeleteDraftForm()
    if not form.validate_on_submit():
        return _detail_page(case, 400, delete_form=form)
    title = case.title
    try:
        keys = svc.delete_case_draft(case, contest, actor=current_user, now=clock_now(), ip=client_ip())
    except SubmissionError as exc:
        db.session.rollback()
        return _detail_page(case, 409, loose=[str(exc)])
    db.session.commit()
    storage.remove_keys(keys, current_app.config["UPLOAD_ROOT"])
    flash(f"草稿“{title}”已删除。", "success")
    return redirect(url_for("cases.index"))


def _docx_response(data: bytes, filename: str):
    resp = send_file(BytesIO(data), mimetype=DOCX_MIME, as_attachment=True, download_name=filename, max_age=0)
    resp.headers["Cache-Control"] = "private, max-age=0"
    return resp


@bp.route("/<int:case_id>/form.docx")
@roles_required(Role.UNIT, Role.ORGANIZER)
def export_docx(case_id: int):
    """The filled 申报表 as Word, laid out like 附件1."""
    case = own_entry(Case, case_id)
    return _docx_response(case_docx_bytes(case),
                          download_name(f"附件1申报表-{case.unit.name}-{case.title[:40]}", ".docx"))


@bp.route("/template.docx")
@roles_required(Role.UNIT, Role.ORGANIZER)
def blank_template():
    """An empty 附件1 to fill in Word and import."""
    return _docx_response(blank_form_bytes(), "附件1-2024年西安市优秀信用案例征集活动申报表.docx")


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.UNIT)
def import_docx():
    """Read a filled 附件1 Word file into a new draft."""
    contest = current_contest()
    form = ImportForm()
    status = 200
    if form.validate_on_submit():
        limit = current_app.config["MAX_IMPORT_BYTES"]
        data = form.document.data.stream.read(limit + 1)
        if len(data) > limit:
            form.document.errors = [f"Word 文件超过 {format_size(limit)} 的大小上限。请删除文中图片后重新保存再上传。"]
        elif not data:
            form.document.errors = ["Word 文件是空文件，请重新选择。"]
        else:
            try:
                case, parsed = svc.import_docx(contest, current_user.unit, data, actor=current_user,
                                               now=clock_now(), ip=client_ip())
            except (DocxError, SubmissionError) as exc:
                db.session.rollback()
                form.document.errors = [str(exc)]
            else:
                db.session.commit()
                flash("已从 Word 文件读取申报表并保存为草稿，请逐项核对后保存。", "success")
                for w in parsed.warnings:
                    flash(w, "warning")
                return redirect(url_for("cases.edit", case_id=case.id))
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("submissions/case_import.html", form=form, contest=contest,
                           max_import=format_size(current_app.config["MAX_IMPORT_BYTES"]),
                           **submission_window(contest)), status


@bp.route("/all")
@roles_required(Role.ORGANIZER)
def all_cases():
    """All cases of the contest with filters and counts."""
    contest = current_contest()
    form = CaseFilterForm(request.args)
    units = db.session.scalars(db.select(Unit).order_by(Unit.kind, Unit.name)).all()
    form.unit.choices = [SelectChoice("", "全部单位")] + [SelectChoice(str(u.id), u.name) for u in units]
    form.validate()
    flt = svc.CaseFilter(
        unit_id=int(form.unit.data) if (form.unit.data or "").isdigit() and not form.unit.errors else None,
        unit_kind=UnitKind(form.kind.data) if form.kind.data and not form.kind.errors else None,
        theme=form.theme.data if form.theme.data and not form.theme.errors else None,
        state=EntryState(form.state.data) if form.state.data and not form.state.errors else None,
    )
    listing = svc.search_cases(contest, flt)
    return render_template("submissions/case_all.html", contest=contest, form=form, listing=listing,
                           states=list(EntryState), **submission_window(contest))


@bp.app_context_processor
def _case_helpers():
    """``case_summary(contest)`` for the unit home include (counts of the logged-in unit)."""
    def case_summary(contest: Contest) -> dict:
        counts = count_by_state(contest, current_user.unit_id, EntryKind.CASE)
        return {"submitted": counts.get(EntryState.SUBMITTED, 0), "drafts": counts.get(EntryState.DRAFT, 0),
                "withdrawn": counts.get(EntryState.WITHDRAWN, 0),
                "required": contest.quota_for(current_user.unit.kind)}
    return {"case_summary": case_summary}
