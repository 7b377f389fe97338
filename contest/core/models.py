"""Audit log: an append-only record of who did what and when."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from contest.core.timeutil import utcnow
from contest.extensions import db


class AuditLog(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(sa.String(120), default="")
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    contest_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("contest.id", ondelete="SET NULL"), index=True)
    target_type: Mapped[str] = mapped_column(sa.String(40), default="")
    target_id: Mapped[Optional[int]] = mapped_column()
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    detail: Mapped[Optional[dict[str, Any]]] = mapped_column(sa.JSON)
    ip: Mapped[str] = mapped_column(sa.String(64), default="")


@event.listens_for(AuditLog, "before_update")
def _refuse_update(mapper, connection, target):  # pragma: no cover - guarded by tests
    raise RuntimeError("audit log entries are append-only")


@event.listens_for(AuditLog, "before_delete")
def _refuse_delete(mapper, connection, target):  # pragma: no cover - guarded by tests
    raise RuntimeError("audit log entries are append-only")
