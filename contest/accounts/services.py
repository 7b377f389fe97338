"""Account services: authentication, password changes, account management."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa

from contest.accounts.models import Role, Unit, User
from contest.core import audit
from contest.extensions import db

MIN_PASSWORD_LENGTH = 8


class AccountError(ValueError):
    """A user-facing refusal; the message is Chinese and says what is required."""


def password_problem(password: str) -> Optional[str]:
    """Chinese message when a new password is too weak, else None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要 {MIN_PASSWORD_LENGTH} 位。"
    if password.isdigit() or password.isalpha():
        return "密码需同时包含字母和数字。"
    return None


def authenticate(username: str, password: str, *, now: datetime, ip: str = "") -> User:
    """Return the user for valid credentials, else raise AccountError (audit-logged either way)."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
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
    """Change a user's own password; raises AccountError when the old one is wrong or the new one weak."""
    if not user.check_password(old):
        raise AccountError("原密码不正确。")
    problem = password_problem(new)
    if problem:
        raise AccountError(problem)
    user.set_password(new)
    audit.record("password_changed", actor=user, target=user, ip=ip, now=now)


def create_user(*, username: str, password: str, role: Role, actor: Optional[User], now: datetime,
                display_name: str = "", unit: Optional[Unit] = None, phone: str = "",
                title: str = "", affiliation: str = "", conflict_unit: Optional[Unit] = None,
                ip: str = "") -> User:
    """Create an account. Raises AccountError for a taken username, weak password or missing unit."""
    username = username.strip()
    if not username:
        raise AccountError("请填写用户名。")
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise AccountError(f"用户名“{username}”已被使用，请换一个。")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem)
    if role == Role.UNIT and unit is None:
        raise AccountError("申报单位账号必须选择所属单位。")
    user = User(username=username, role=role, display_name=display_name, unit=unit, phone=phone,
                title=title, affiliation=affiliation, conflict_unit=conflict_unit, active=True, created_at=now)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("account_created", actor=actor, target=user, summary=f"{role.label}：{user.label}", ip=ip, now=now)
    return user
