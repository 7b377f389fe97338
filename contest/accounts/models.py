"""Users, roles and submitting units (申报单位)."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from contest.core.timeutil import utcnow
from contest.extensions import db


class UnitKind(str, enum.Enum):
    CITY_DEPT = "city_dept"
    DISTRICT = "district"
    XIXIAN = "xixian"
    DEV_ZONE = "dev_zone"

    @property
    def label(self) -> str:
        return UNIT_KIND_LABELS[self]


UNIT_KIND_LABELS = {
    UnitKind.CITY_DEPT: "市级部门",
    UnitKind.DISTRICT: "区县",
    UnitKind.XIXIAN: "西咸新区",
    UnitKind.DEV_ZONE: "开发区",
}


class Role(str, enum.Enum):
    ORGANIZER = "organizer"
    UNIT = "unit"
    EXPERT = "expert"

    @property
    def label(self) -> str:
        return {Role.ORGANIZER: "组织方（市信用办）", Role.UNIT: "申报单位", Role.EXPERT: "评审专家"}[self]


def _enum(enum_cls, name):
    # Store enum *values* as plain strings (no native PG enum) so migrations stay portable.
    return sa.Enum(enum_cls, name=name, native_enum=False, length=20,
                   values_callable=lambda e: [m.value for m in e], validate_strings=True)


class Unit(db.Model):
    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "unit_kind"))
    contact_name: Mapped[str] = mapped_column(sa.String(50), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    email: Mapped[str] = mapped_column(sa.String(120), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list["User"]] = relationship(back_populates="unit", foreign_keys="User.unit_id")

    def __repr__(self) -> str:
        return f"<Unit {self.name}>"


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(100), default="")
    phone: Mapped[str] = mapped_column(sa.String(30), default="")
    # Unit accounts belong to exactly one unit.
    unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    # Expert profile; conflict_unit_id marks the unit the expert must never review.
    title: Mapped[str] = mapped_column(sa.String(100), default="")
    affiliation: Mapped[str] = mapped_column(sa.String(200), default="")
    conflict_unit_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column()
    # Part of every login session's id (see get_id): a new token ends all open sessions.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=new_session_token)

    unit: Mapped[Optional[Unit]] = relationship(back_populates="users", foreign_keys=[unit_id])
    conflict_unit: Mapped[Optional[Unit]] = relationship(foreign_keys=[conflict_unit_id])

    __table_args__ = (
        sa.CheckConstraint("role != 'unit' OR unit_id IS NOT NULL", name="unit_account_has_unit"),
    )

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        # Flask-Login stores this in the session (and remember cookie); the user loader checks the token.
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Invalidate every open session of this account (password changed or reset, account disabled)."""
        self.session_token = new_session_token()

    @property
    def label(self) -> str:
        return f"{self.display_name or self.username}（{self.username}）"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_organizer(self) -> bool:
        return self.role == Role.ORGANIZER

    @property
    def is_unit(self) -> bool:
        return self.role == Role.UNIT

    @property
    def is_expert(self) -> bool:
        return self.role == Role.EXPERT


# Usernames are unique ignoring case, as the app compares them; the database holds that too, so two
# requests (or two app servers) creating “Alice” and “alice” at the same moment cannot both succeed.
# Migration 0004 creates it.
sa.Index("uq_user_username_lower", sa.func.lower(User.username), unique=True)
