"""Contests (征集活动): settings, schedule windows and quotas are data, not code."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.accounts.models import UnitKind, _enum
from contest.core.timeutil import utcnow
from contest.extensions import db


class Phase(str, enum.Enum):
    SUBMISSION = "submission"
    SCREENING = "screening"
    VOTING = "voting"
    REVIEW = "review"
    PUBLICATION = "publication"

    @property
    def label(self) -> str:
        return PHASE_LABELS[self]


PHASE_LABELS = {
    Phase.SUBMISSION: "案例征集",
    Phase.SCREENING: "案例初筛",
    Phase.VOTING: "网络投票",
    Phase.REVIEW: "专家评审",
    Phase.PUBLICATION: "结果发布",
}
PHASE_ORDER = list(Phase)


class Override(str, enum.Enum):
    """A manual decision by an organizer that wins over the clock."""
    OPEN = "open"
    CLOSED = "closed"


class CaptchaMode(str, enum.Enum):
    OFF = "off"
    ALWAYS = "always"
    AFTER = "after"  # after captcha_after votes from one IP or voter in a day


class Contest(db.Model):
    __tablename__ = "contest"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    doc_number: Mapped[str] = mapped_column(sa.String(100), default="")  # 文号, e.g. 市信用办发〔2024〕3号
    notice_text: Mapped[str] = mapped_column(sa.Text, default="")
    organizer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_name: Mapped[str] = mapped_column(sa.String(50), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    contact_email: Mapped[str] = mapped_column(sa.String(120), default="")
    # Weights in percent; they must add up to 100.
    vote_weight_pct: Mapped[int] = mapped_column(default=30)
    expert_weight_pct: Mapped[int] = mapped_column(default=70)
    case_char_limit: Mapped[int] = mapped_column(default=2000)
    video_min_seconds: Mapped[int] = mapped_column(default=120)
    video_max_seconds: Mapped[int] = mapped_column(default=300)
    video_width: Mapped[int] = mapped_column(default=1080)
    video_height: Mapped[int] = mapped_column(default=1920)
    # Public voting policy.
    votes_per_entry_per_day: Mapped[int] = mapped_column(default=1)
    votes_per_voter_per_day: Mapped[int] = mapped_column(default=10)
    captcha_mode: Mapped[CaptchaMode] = mapped_column(_enum(CaptchaMode, "captcha_mode"), default=CaptchaMode.AFTER)
    captcha_after: Mapped[int] = mapped_column(default=3)
    phone_verification: Mapped[bool] = mapped_column(default=False)
    show_counts: Mapped[bool] = mapped_column(default=True)
    burst_votes_per_minute: Mapped[int] = mapped_column(default=20)
    # Voting: votes from one IP for one entry per day (above the burst threshold so bursts can be flagged).
    ip_votes_per_entry_per_day: Mapped[int] = mapped_column(default=50)
    # Expert review.
    blind_review: Mapped[bool] = mapped_column(default=False)
    trim_extremes: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    windows: Mapped[list["PhaseWindow"]] = relationship(
        back_populates="contest", cascade="all, delete-orphan", order_by="PhaseWindow.starts_at")
    quotas: Mapped[list["Quota"]] = relationship(back_populates="contest", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("vote_weight_pct + expert_weight_pct = 100", name="weights_sum_100"),
        sa.CheckConstraint("vote_weight_pct >= 0 AND expert_weight_pct >= 0", name="weights_nonneg"),
        sa.CheckConstraint("video_min_seconds <= video_max_seconds", name="video_duration_order"),
    )

    def window(self, phase: Phase) -> Optional["PhaseWindow"]:
        for w in self.windows:
            if w.phase == phase:
                return w
        return None

    def quota_for(self, kind: UnitKind) -> int:
        for q in self.quotas:
            if q.unit_kind == kind:
                return q.min_cases
        return 0


class PhaseWindow(db.Model):
    """One phase of a contest: [starts_at, ends_at) in naive UTC, plus an optional manual override."""
    __tablename__ = "phase_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    phase: Mapped[Phase] = mapped_column(_enum(Phase, "phase"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    override: Mapped[Optional[Override]] = mapped_column(_enum(Override, "phase_override"))

    contest: Mapped[Contest] = relationship(back_populates="windows")

    __table_args__ = (
        sa.UniqueConstraint("contest_id", "phase", name="uq_phase_window_contest_phase"),
        sa.CheckConstraint("starts_at < ends_at", name="window_order"),
    )


class Quota(db.Model):
    """Minimum number of cases a unit of a kind must submit (市级部门 ≥ 1; 区县 etc. ≥ 3)."""
    __tablename__ = "quota"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    unit_kind: Mapped[UnitKind] = mapped_column(_enum(UnitKind, "unit_kind"))
    min_cases: Mapped[int] = mapped_column(default=1)

    contest: Mapped[Contest] = relationship(back_populates="quotas")

    __table_args__ = (
        sa.UniqueConstraint("contest_id", "unit_kind", name="uq_quota_contest_kind"),
        sa.CheckConstraint("min_cases >= 0", name="min_cases_nonneg"),
    )
