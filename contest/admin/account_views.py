"""Account management: list with filters, create, edit, disable/enable, reset password."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from contest.accounts.models import Role, Unit, User
from contest.accounts.rules import generate_password
from contest.accounts.services import AccountError, create_user, reset_password, set_active, update_user
from contest.admin.blueprint import bp
from contest.admin.forms import NO_UNIT, choices, AccountEditForm, AccountFilterForm, AccountForm, ConfirmForm
from contest.core.clock import now
from contest.core.request_info import arg_page, client_ip
from contest.extensions import db

PER_PAGE = 50


def _units() -> list[tuple[int, str]]:
    """(id, name) of every unit, in the order the select boxes show them."""
    return [(i, n) for i, n in db.session.execute(sa.select(Unit.id, Unit.name).order_by(Unit.kind, Unit.name))]


def _unit_choices(units: list[tuple[int, str]], empty_label: str):
    return choices([(NO_UNIT, empty_label)] + units)


def _set_unit_choices(form: AccountForm) -> None:
    # One query serves both unit selects of the account form.
    units = _units()
    form.unit_id.choices = _unit_choices(units, "（不属于单位）")
    form.conflict_unit_id.choices = _unit_choices(units, "（无）")


def _get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _no_store(resp):
    resp = make_response(resp)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/accounts")
def accounts():
    """Accounts with filters by role, unit and status."""
    form = AccountFilterForm(request.args)
    form.unit.choices = _unit_choices(_units(), "全部单位")
    form.validate()
    query = sa.select(User).order_by(User.role, User.username)
    if form.role.data in {r.value for r in Role}:
        query = query.where(User.role == Role(form.role.data))
    if form.unit.data and form.unit.data != NO_UNIT and not form.unit.errors:  # only a unit of the list
        query = query.where(User.unit_id == form.unit.data)
    if form.active.data in {"0", "1"}:
        query = query.where(User.active == (form.active.data == "1"))
    if form.q.data:
        like = f"%{form.q.data}%"
        query = query.where(sa.or_(User.username.ilike(like), User.display_name.ilike(like)))
    page = db.paginate(query, page=arg_page(), per_page=PER_PAGE, error_out=False)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/accounts.html", form=form, page=page, args=args, action_form=ConfirmForm())


@bp.route("/accounts/new", methods=["GET", "POST"])
def account_new():
    """Create an organizer, unit or expert account; the initial password is shown once."""
    form = AccountForm()
    if request.method == "GET" and request.args.get("role") in {r.value for r in Role}:
        form.role.data = request.args["role"]
    _set_unit_choices(form)
    if form.validate_on_submit():
        role = Role(form.role.data)
        unit = db.session.get(Unit, form.unit_id.data) if role == Role.UNIT else None
        conflict = db.session.get(Unit, form.conflict_unit_id.data) if role == Role.EXPERT else None
        password = generate_password()
        try:
            user = create_user(username=form.username.data, password=password, role=role, actor=current_user,
                               now=now(), display_name=form.display_name.data, unit=unit, phone=form.phone.data,
                               title=form.title.data if role == Role.EXPERT else "",
                               affiliation=form.affiliation.data if role == Role.EXPERT else "",
                               conflict_unit=conflict, ip=client_ip())
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            return _no_store(render_template("admin/password_shown.html", user=user, password=password,
                                             created=True))
    return render_template("admin/account_form.html", form=form, user=None)


@bp.route("/accounts/<int:user_id>/edit", methods=["GET", "POST"])
def account_edit(user_id: int):
    """Edit an account's profile."""
    user = _get_user(user_id)
    form = AccountEditForm(obj=user, account_role=user.role)
    _set_unit_choices(form)
    if request.method == "GET":
        form.unit_id.data = user.unit_id or NO_UNIT
        form.conflict_unit_id.data = user.conflict_unit_id or NO_UNIT
    if form.validate_on_submit():
        try:
            update_user(user, actor=current_user, now=now(), display_name=form.display_name.data,
                        phone=form.phone.data, unit=db.session.get(Unit, form.unit_id.data),
                        title=form.title.data, affiliation=form.affiliation.data,
                        conflict_unit=db.session.get(Unit, form.conflict_unit_id.data), ip=client_ip())
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"账号“{user.label}”已保存。", "success")
            return redirect(url_for("admin.accounts"))
    return render_template("admin/account_form.html", form=form, user=user)


def _toggle(user_id: int, active: bool):
    user = _get_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        set_active(user, active, actor=current_user, now=now(), ip=client_ip())
    except AccountError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(f"账号“{user.label}”已{'启用' if active else '停用'}。", "success")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for("admin.accounts"))


@bp.route("/accounts/<int:user_id>/disable", methods=["POST"])
def account_disable(user_id: int):
    """Disable an account: it can no longer log in and its open sessions end."""
    return _toggle(user_id, False)


@bp.route("/accounts/<int:user_id>/enable", methods=["POST"])
def account_enable(user_id: int):
    """Enable a disabled account."""
    return _toggle(user_id, True)


@bp.route("/accounts/<int:user_id>/reset-password", methods=["POST"])
def account_reset_password(user_id: int):
    """Give the account a new random password, shown once on this response only."""
    user = _get_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    password = reset_password(user, actor=current_user, now=now(), ip=client_ip())
    db.session.commit()
    return _no_store(render_template("admin/password_shown.html", user=user, password=password, created=False))
