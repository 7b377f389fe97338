"""Account services: authentication, password changes, account management."""
from __future__ import annotations

import string
from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from contest.accounts.models import Role, Unit, User
from contest.core import audit
from contest.core.db import refused_on_unique_violation
from contest.extensions import db

MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """A user-facing refusal; the message is Chinese and says what is required."""


def password_problem(password: str) -> Optional[str]:
    """Chinese message when a new password is too weak, else None: at least MIN_PASSWORD_LENGTH
    characters, with at least one ASCII letter and one ASCII digit (other characters are allowed)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要 {MIN_PASSWORD_LENGTH} 位。"
    has_letter = any(ch in string.ascii_letters for ch in password)
    has_digit = any(ch in string.digits for ch in password)
    if not (has_letter and has_digit):
        return "密码需同时包含英文字母和数字。"
    return None


def find_username(username: str) -> Optional[User]:
    """The account whose username equals ``username`` ignoring case, None when there is none (the
    database keeps usernames unique that way: index uq_user_username_lower)."""
    return db.session.scalar(sa.select(User).where(
        sa.func.lower(User.username) == sa.func.lower(username.strip())))


def authenticate(username: str, password: str, *, now: datetime, ip: str = "") -> User:
    """Return the user for valid credentials, else raise AccountError (audit-logged either way).
    The username is matched ignoring case (see ``find_username``)."""
    user = find_username(username)
    if user is None or not user.check_password(password):
        audit.record("login_failed", actor=None, summary=f"用户名：{username[:60]}", ip=ip, now=now)
        raise AccountError("用户名或密码错误。")
    if not user.active:
        audit.record("login_failed", actor=user, target=user, summary="账号已停用", ip=ip, now=now)
        raise AccountError("该账号已停用，请联系市信用办。")
    user.last_login_at = now
    audit.record("login", actor=user, target=user, ip=ip, now=now)
    return user


def change_password(user: User, old: str, new: str, *, now: datetime, ip: str = "") -> None:
    """Change a user's own password and end all of its sessions (the caller logs the current one in
    again); raises AccountError when the old one is wrong or the new one weak."""
    if not user.check_password(old):
        raise AccountError("原密码不正确。")
    problem = password_problem(new)
    if problem:
        raise AccountError(problem)
    user.set_password(new)
    user.end_sessions()
    audit.record("password_changed", actor=user, target=user, ip=ip, now=now)


def _username_taken_error(taken: Optional[User]) -> AccountError:
    if taken is None:  # the other request's account is gone again (rolled back or deleted)
        return AccountError("用户名刚刚已被使用（不区分大小写），请换一个。")
    return AccountError(f"用户名已被使用（不区分大小写）：已有账号“{taken.username}”，请换一个。")


def create_user(*, username: str, password: str, role: Role, actor: Optional[User], now: datetime,
                display_name: str = "", unit: Optional[Unit] = None, phone: str = "",
                title: str = "", affiliation: str = "", conflict_unit: Optional[Unit] = None,
                ip: str = "") -> User:
    """Create an account. Raises AccountError for a taken username (compared ignoring case, as the
    unit import does and the database enforces, so also when another request takes it at the same
    moment), weak password or missing unit."""
    from contest.accounts.rules import username_problem

    username = username.strip()
    if not username:
        raise AccountError("请填写用户名。")
    problem = username_problem(username)  # the admin form checks it too; the CLI reaches only this
    if problem:
        raise AccountError(problem)
    taken = find_username(username)
    if taken is not None:
        raise _username_taken_error(taken)
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    if role == Role.UNIT and unit is None:
        raise AccountError("申报单位账号必须选择所属单位。")
    # Another request may create the same name (in any letter case) after the check above: the
    # database's unique index decides, and the account that won is named.
    with refused_on_unique_violation(db.session, lambda: _username_taken_error(find_username(username))):
        user = User(username=username, role=role, display_name=display_name, unit=unit, phone=phone,
                    title=title, affiliation=affiliation, conflict_unit=conflict_unit, active=True,
                    created_at=now)
        user.set_password(password)
        db.session.add(user)
    audit.record("account_created", actor=actor, target=user, summary=f"{role.label}：{user.label}", ip=ip, now=now)
    return user


# --- Account and unit management by organizers (admin feature) -------------------------------

def update_user(user: User, *, actor: User, now: datetime, display_name: str, phone: str = "",
                unit: Optional[Unit] = None, title: str = "", affiliation: str = "",
                conflict_unit: Optional[Unit] = None, ip: str = "") -> User:
    """Edit an account's profile (the role and username stay). Raises AccountError for a unit account
    without a unit."""
    if user.role == Role.UNIT and unit is None:
        raise AccountError("申报单位账号必须选择所属单位。")
    user.display_name = display_name.strip()
    user.phone = phone.strip()
    if user.role == Role.UNIT:
        user.unit = unit
    if user.role == Role.EXPERT:
        user.title, user.affiliation, user.conflict_unit = title.strip(), affiliation.strip(), conflict_unit
    db.session.flush()
    audit.record("account_updated", actor=actor, target=user, summary=user.label, ip=ip, now=now)
    return user


def set_active(user: User, active: bool, *, actor: User, now: datetime, ip: str = "") -> User:
    """Disable or enable an account; disabling ends all of its sessions, so re-enabling does not bring
    them back. Raises AccountError when an organizer would disable themself."""
    if not active and user.id == actor.id:
        raise AccountError("不能停用自己正在使用的账号。")
    if user.active == active:
        return user
    user.active = active
    if not active:
        user.end_sessions()
    db.session.flush()
    audit.record("account_enabled" if active else "account_disabled", actor=actor, target=user,
                 summary=user.label, ip=ip, now=now)
    return user


def reset_password(user: User, *, actor: User, now: datetime, ip: str = "") -> str:
    """Give ``user`` a new random password and return it (shown once to the organizer, never stored);
    ends all of the user's sessions."""
    from contest.accounts.rules import generate_password

    password = generate_password()
    user.set_password(password)
    user.end_sessions()
    db.session.flush()
    audit.record("password_reset", actor=actor, target=user, summary=user.label, ip=ip, now=now)
    return password


def _unit_name_taken(name: str, exclude_id: Optional[int] = None) -> bool:
    from contest.accounts.rules import normalize_name

    key = normalize_name(name)
    query = sa.select(Unit.id, Unit.name)
    return any(normalize_name(n) == key for i, n in db.session.execute(query) if i != exclude_id)


def save_unit(unit: Optional[Unit], *, actor: User, now: datetime, name: str, kind, contact_name: str = "",
              contact_phone: str = "", address: str = "", email: str = "", ip: str = "") -> Unit:
    """Create (``unit`` None) or update a unit. Raises AccountError when the name is empty or taken (also
    when another request takes it at the same moment: the unique key on the name decides)."""
    from contest.accounts.rules import phone_problem

    name = name.strip()
    if not name:
        raise AccountError("请填写单位名称。")
    if _unit_name_taken(name, unit.id if unit else None):
        raise AccountError(f"单位名称“{name}”已存在，请勿重复添加。")
    # A post without the optional fields (not from the page's form) leaves them None: saved as empty.
    contact_name, contact_phone, address, email = (
        (value or "").strip() for value in (contact_name, contact_phone, address, email))
    problem = phone_problem(contact_phone)
    if problem:
        raise AccountError(problem)
    created = unit is None
    # Another request may save the same name after the check above: the unique key decides.
    with refused_on_unique_violation(db.session, lambda: AccountError(f"单位名称“{name}”已存在，请勿重复添加。")):
        if created:
            unit = Unit(created_at=now)
            db.session.add(unit)
        unit.name, unit.kind = name, kind
        unit.contact_name, unit.contact_phone = contact_name, contact_phone
        unit.address, unit.email = address, email
    audit.record("unit_created" if created else "unit_updated", actor=actor, target=unit,
                 summary=f"{unit.kind.label}：{unit.name}", ip=ip, now=now)
    return unit


def delete_unit(unit: Unit, *, actor: User, now: datetime, ip: str = "") -> None:
    """Delete a unit that has no accounts and no entries (a mistaken addition or import row).

    Raises AccountError saying what still refers to the unit otherwise.
    """
    from contest.submissions.models import Entry

    accounts = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(
        sa.or_(User.unit_id == unit.id, User.conflict_unit_id == unit.id)))
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(Entry.unit_id == unit.id))
    if accounts or entries:
        raise AccountError(f"单位“{unit.name}”下还有 {accounts} 个关联账号、{entries} 个作品，不能删除；"
                           "如不再使用，请停用其账号。")
    name, kind = unit.name, unit.kind.label
    audit.record("unit_deleted", actor=actor, target=unit, summary=f"{kind}：{name}", ip=ip, now=now)
    db.session.delete(unit)
    db.session.flush()


def check_unit_import(table: list[list]):
    """Validate an import table against the database (see rules.check_import)."""
    from contest.accounts.rules import check_import

    return check_import(table, existing_units=db.session.scalars(sa.select(Unit.name)),
                        existing_usernames=db.session.scalars(sa.select(User.username)))


def _add_import_rows(rows, now: datetime) -> list[tuple[Unit, Optional[User], str]]:
    """Add a unit (and its account, with a new password) per checked import row; see import_units."""
    from contest.accounts.models import UnitKind
    from contest.accounts.rules import generate_password

    created = []
    for row in rows:
        unit = Unit(name=row.name, kind=UnitKind(row.kind), contact_name=row.contact_name,
                    contact_phone=row.contact_phone, address=row.address, email="", created_at=now)
        db.session.add(unit)
        user, password = None, ""
        if row.username:
            password = generate_password()
            user = User(username=row.username, role=Role.UNIT, unit=unit, display_name=row.display_name or row.name,
                        active=True, created_at=now)
            user.set_password(password)
            db.session.add(user)
        created.append((unit, user, password))
    return created


def _import_refusal(table: list[list]) -> AccountError:
    check = check_unit_import(table)
    return AccountError("\n".join(check.errors) if check.errors else
                        "导入期间有单位名称或账号用户名刚刚被占用，请重新上传文件预览。")


def import_units(table: list[list], *, actor: User, now: datetime, ip: str = "") -> list[tuple[Unit, Optional[User], str]]:
    """Create every unit (and its account) of the table, or nothing.

    Raises AccountError carrying all row errors when any row is bad; the caller must roll back.
    A unit name or username taken by another request at the same moment (the database's unique keys
    decide) is reported the same way, as the row errors of checking the file again.
    Returns (unit, account or None, initial password or "") per row, for showing the passwords once.
    """
    check = check_unit_import(table)
    if not check.ok:
        raise AccountError("\n".join(check.errors))
    # A unit name or username of the file may be taken by another request after the check above (the
    # unique keys decide); that request has committed, so checking again names the rows.
    with refused_on_unique_violation(db.session, lambda: _import_refusal(table)):
        created = _add_import_rows(check.rows, now)
    accounts = sum(1 for _, u, _ in created if u)
    audit.record("units_imported", actor=actor, ip=ip, now=now,
                 summary=f"导入 {len(created)} 个单位、{accounts} 个账号",
                 detail={"units": [u.name for u, _, _ in created]})
    return created
