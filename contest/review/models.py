"""Expert review: rubric criteria, assignments and score sheets."""
from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.accounts.models import User, _enum
from contest.core.timeutil import utcnow
from contest.extensions import db
from contest.submissions.models import Entry, EntryKind


class RubricCriterion(db.Model):
    __tablename__ = "rubric_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EntryKind] = mapped_column(_enum(EntryKind, "entry_kind"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    max_score: Mapped[int] = mapped_column()

    __table_args__ = (
        sa.CheckConstraint("max_score > 0", name="max_positive"),
        # Lazy creation of the default rubric may race; the second request's insert fails here.
        sa.UniqueConstraint("contest_id", "kind", "position", name="uq_rubric_criterion_position"),
    )


class Assignment(db.Model):
    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    expert: Mapped[User] = relationship()
    entry: Mapped[Entry] = relationship()

    __table_args__ = (sa.UniqueConstraint("expert_id", "entry_id", name="uq_assignment_expert_entry"),)


class SheetState(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return {SheetState.DRAFT: "草稿", SheetState.SUBMITTED: "已提交"}[self]


class ScoreSheet(db.Model):
    """One expert's scores for one entry. ``total`` is the sum of the items, kept for ranking."""
    __tablename__ = "score_sheet"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"), index=True)
    state: Mapped[SheetState] = mapped_column(_enum(SheetState, "sheet_state"), default=SheetState.DRAFT)
    total: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal("0"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column()

    items: Mapped[list["ScoreItem"]] = relationship(back_populates="sheet", cascade="all, delete-orphan")
    expert: Mapped[User] = relationship(foreign_keys=[expert_id])
    entry: Mapped[Entry] = relationship(foreign_keys=[entry_id])

    @property
    def is_submitted(self) -> bool:
        return self.state == SheetState.SUBMITTED

    __table_args__ = (
        sa.UniqueConstraint("expert_id", "entry_id", name="uq_score_sheet_expert_entry"),
        sa.CheckConstraint("total >= 0 AND total <= 100", name="total_range"),
    )


class ScoreItem(db.Model):
    __tablename__ = "score_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(sa.ForeignKey("score_sheet.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("rubric_criterion.id", ondelete="CASCADE"))
    value: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))

    sheet: Mapped[ScoreSheet] = relationship(back_populates="items")

    __table_args__ = (
        sa.UniqueConstraint("sheet_id", "criterion_id", name="uq_score_item_sheet_criterion"),
        sa.CheckConstraint("value >= 0", name="value_nonneg"),
    )
