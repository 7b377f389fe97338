"""Ranking: the winner rule, manual winner changes and frozen result snapshots.

A snapshot is immutable once written: its ``data`` holds every input and output number of the
ranking at freezing time. Unfreezing never edits those numbers; it only marks the snapshot as no
longer current (with who, when and why). At most one snapshot is current per contest and kind —
enforced by a unique key that is NULL for non-current snapshots.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.accounts.models import User, _enum
from contest.core.timeutil import utcnow
from contest.extensions import db
from contest.submissions.models import EntryKind


class WinnerMode(str, enum.Enum):
    TOP_N = "top_n"
    MANUAL = "manual"

    @property
    def label(self) -> str:
        return {WinnerMode.TOP_N: "按排名取前 N 名", WinnerMode.MANUAL: "在前 N 名基础上手动调整"}[self]


class WinnerRule(db.Model):
    """How winners of one kind are chosen in one contest (before freezing)."""
    __tablename__ = "ranking_winner_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EntryKind] = mapped_column(_enum(EntryKind, "entry_kind"))
    mode: Mapped[WinnerMode] = mapped_column(_enum(WinnerMode, "winner_mode"), default=WinnerMode.TOP_N)
    top_n: Mapped[int] = mapped_column(default=10)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    __table_args__ = (
        sa.UniqueConstraint("contest_id", "kind", name="uq_winner_rule_contest_kind"),
        sa.CheckConstraint("top_n >= 0", name="top_n_nonneg"),
    )


class WinnerChange(db.Model):
    """A manual decision (in manual mode) that an entry is / is not a winner, with its reason."""
    __tablename__ = "ranking_winner_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"), unique=True)
    is_winner: Mapped[bool] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(500))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    __table_args__ = (sa.CheckConstraint("length(reason) > 0", name="reason_required"),)


class ResultSnapshot(db.Model):
    """Frozen results of one kind: every input and output number, the time and the organizer."""
    __tablename__ = "ranking_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EntryKind] = mapped_column(_enum(EntryKind, "entry_kind"))
    # "<contest_id>:<kind>" while current, NULL afterwards: one current snapshot per contest and kind.
    current_key: Mapped[Optional[str]] = mapped_column(sa.String(40), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    frozen_at: Mapped[datetime] = mapped_column(default=utcnow)
    frozen_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    confirmed_incomplete: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[Optional[datetime]] = mapped_column()
    published_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    unfrozen_at: Mapped[Optional[datetime]] = mapped_column()
    unfrozen_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    unfreeze_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    frozen_by: Mapped[Optional[User]] = relationship(foreign_keys=[frozen_by_id])
    unfrozen_by: Mapped[Optional[User]] = relationship(foreign_keys=[unfrozen_by_id])

    __table_args__ = (
        sa.Index("ix_ranking_snapshot_contest_kind", "contest_id", "kind"),
    )

    @property
    def is_current(self) -> bool:
        return self.current_key is not None

    @staticmethod
    def key_for(contest_id: int, kind: EntryKind) -> str:
        return f"{contest_id}:{kind.value}"


@event.listens_for(ResultSnapshot, "before_update")
def _refuse_data_change(mapper, connection, target):
    """The frozen numbers never change: only the current/published/unfrozen markers may."""
    history = sa.inspect(target).attrs.data.history
    if history.has_changes() and history.deleted:
        raise RuntimeError("frozen ranking snapshots are immutable")
