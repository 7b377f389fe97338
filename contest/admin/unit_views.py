"""Units (申报单位): list, create, edit, and import of units with their accounts."""
from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from contest.accounts.models import Unit, UnitKind, User
from contest.accounts.rules import IMPORT_COLUMNS
from contest.accounts.services import AccountError, check_unit_import, delete_unit, import_units, save_unit
from contest.admin.blueprint import bp
from contest.admin.forms import ConfirmForm, ImportUploadForm, UnitFilterForm, UnitForm
from contest.admin.xlsx import xlsx_response
from contest.core.clock import now
from contest.core.request_info import client_ip
from contest.documents.tables import TableError, read_table
from contest.extensions import db

IMPORT_MAX_BYTES = 5 * 1024 * 1024
SESSION_KEY = "unit_import"


@bp.route("/units")
def units():
    """Units with their kind, contact and number of accounts."""
    form = UnitFilterForm(request.args)
    form.validate()
    query = sa.select(Unit).order_by(Unit.kind, Unit.name)
    if form.kind.data in {k.value for k in UnitKind}:
        query = query.where(Unit.kind == UnitKind(form.kind.data))
    counts = dict(db.session.execute(
        sa.select(User.unit_id, sa.func.count()).where(User.unit_id.is_not(None)).group_by(User.unit_id)).all())
    return render_template("admin/units.html", form=form, units=db.session.scalars(query).all(), counts=counts)


def _unit_form_page(unit: Unit | None):
    form = UnitForm(obj=unit)
    if request.method == "GET" and unit is not None:
        form.kind.data = unit.kind.value
    if form.validate_on_submit():
        try:
            saved = save_unit(unit, actor=current_user, now=now(), name=form.name.data, kind=UnitKind(form.kind.data),
                              contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
                              address=form.address.data, email=form.email.data, ip=client_ip())
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"单位“{saved.name}”已保存。", "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=unit)


@bp.route("/units/new", methods=["GET", "POST"])
def unit_new():
    """Add a unit."""
    return _unit_form_page(None)


@bp.route("/units/<int:unit_id>/edit", methods=["GET", "POST"])
def unit_edit(unit_id: int):
    """Edit a unit."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    return _unit_form_page(unit)


@bp.route("/units/<int:unit_id>/delete", methods=["POST"])
def unit_delete(unit_id: int):
    """Delete a unit without accounts or entries."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = unit.name
    try:
        delete_unit(unit, actor=current_user, now=now(), ip=client_ip())
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"单位“{name}”已删除。", "success")
    return redirect(url_for("admin.units"))


# --- Import: upload -> stored server-side -> preview -> confirm (all or nothing) -------------------

def _import_dir() -> Path:
    path = Path(current_app.config["UPLOAD_ROOT"]) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _drop_abandoned_uploads(max_age_seconds: int = 86400) -> None:
    # Uploads previewed but never confirmed or cancelled are removed after a day.
    limit = time.time() - max_age_seconds
    for path in _import_dir().glob("*.bin"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass


def _upload_path() -> Path | None:
    """Where this session's upload is kept (the file may be gone), or None without a valid reference."""
    ref = session.get(SESSION_KEY)
    if not isinstance(ref, dict) or not str(ref.get("id", "")).isalnum():
        return None
    return _import_dir() / f"{ref['id']}.bin"


def _stored_upload() -> bytes | None:
    """The upload referenced by this session, when its file still exists and matches its hash."""
    path = _upload_path()
    if path is None or not path.is_file():
        return None
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != session[SESSION_KEY].get("sha256"):
        return None
    return data


def _discard_upload() -> None:
    # Removing the session's own file needs neither its content nor its hash.
    path = _upload_path()
    if path is not None:
        path.unlink(missing_ok=True)
    session.pop(SESSION_KEY, None)


@bp.route("/units/import", methods=["GET", "POST"])
def unit_import():
    """Upload a units file (.xlsx or .csv) for preview."""
    form = ImportUploadForm()
    if form.validate_on_submit():
        data = form.file.data.stream.read(IMPORT_MAX_BYTES + 1)
        if len(data) > IMPORT_MAX_BYTES:
            form.file.errors = [f"文件超过 {IMPORT_MAX_BYTES // 1024 // 1024} MB，请拆分后分批导入。"]
        else:
            try:
                read_table(data)
            except TableError as exc:
                form.file.errors = [str(exc)]
            else:
                _discard_upload()
                _drop_abandoned_uploads()
                token = secrets.token_hex(16)
                (_import_dir() / f"{token}.bin").write_bytes(data)
                session[SESSION_KEY] = {"id": token, "sha256": hashlib.sha256(data).hexdigest()}
                return redirect(url_for("admin.unit_import_preview"))
    return render_template("admin/unit_import.html", form=form, columns=IMPORT_COLUMNS)


@bp.route("/units/import/preview")
def unit_import_preview():
    """What the uploaded file would create, with every row error."""
    stored = _stored_upload()
    if stored is None:
        flash("没有待导入的文件或文件已失效，请重新上传。", "warning")
        return redirect(url_for("admin.unit_import"))
    try:
        check = check_unit_import(read_table(stored))
    except TableError as exc:
        _discard_upload()
        flash(str(exc), "error")
        return redirect(url_for("admin.unit_import"))
    return render_template("admin/unit_import_preview.html", check=check, form=ConfirmForm(),
                           kind_labels={k.value: k.label for k in UnitKind})


@bp.route("/units/import/confirm", methods=["POST"])
def unit_import_confirm():
    """Create every unit and account of the previewed file, or nothing."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    stored = _stored_upload()
    if stored is None:
        flash("没有待导入的文件或文件已失效，请重新上传。", "warning")
        return redirect(url_for("admin.unit_import"))
    try:
        created = import_units(read_table(stored), actor=current_user, now=now(), ip=client_ip())
    except (AccountError, TableError) as exc:
        db.session.rollback()
        flash("导入未完成，没有任何单位或账号被创建：" + str(exc).split("\n")[0], "error")
        return redirect(url_for("admin.unit_import_preview"))
    db.session.commit()
    _discard_upload()
    rows = [(u.name, u.kind.label, a.username if a else "", pw) for u, a, pw in created]
    resp = render_template("admin/unit_import_done.html", rows=rows)
    return resp, 200, {"Cache-Control": "no-store"}


@bp.route("/units/import/cancel", methods=["POST"])
def unit_import_cancel():
    """Drop the uploaded file."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _discard_upload()
    flash("已取消导入。", "success")
    return redirect(url_for("admin.units"))


@bp.route("/units/import/template.xlsx")
def unit_import_template():
    """The import template with the header row and two example rows."""
    rows = [["雁塔区", "区县", "张三", "029-85211004", "西安市雁塔区小寨西路", "yanta_xyb", "雁塔区信用办"],
            ["西安市市场监督管理局", "市级部门", "李四", "029-86510123", "西安市未央区凤城八路109号", "", ""]]
    return xlsx_response(IMPORT_COLUMNS, rows, "单位导入模板.xlsx", title="单位",
                         widths=[28, 12, 10, 16, 30, 16, 18])
