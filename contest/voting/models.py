"""Public votes. Every vote is a row; limits are enforced by unique keys, not only by checks."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from contest.core.timeutil import utcnow
from contest.extensions import db


class Vote(db.Model):
    __tablename__ = "vote"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"))
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    day: Mapped[date] = mapped_column()  # Beijing calendar day of created_at
    voter_hash: Mapped[str] = mapped_column(sa.String(64))  # HMAC of the signed voter cookie id
    ip_hash: Mapped[str] = mapped_column(sa.String(64))  # HMAC of the client IP (IPv6: its /64)
    net_hash: Mapped[str] = mapped_column(sa.String(64), default="")  # HMAC of the /24 (IPv4) or /48 (IPv6)
    ua_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    phone_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    # Slots turn the policy into unique keys: the k-th vote of a voter for an entry on a day takes
    # entry_slot=k (1..votes_per_entry_per_day); the n-th vote of a voter on a day takes day_slot=n
    # (1..votes_per_voter_per_day). Two concurrent requests cannot take the same slot.
    entry_slot: Mapped[int] = mapped_column(default=1)
    day_slot: Mapped[int] = mapped_column(default=1)
    # The k-th vote from one IP for one entry on a day (1..contest.ip_votes_per_entry_per_day).
    ip_slot: Mapped[int] = mapped_column(default=1)
    valid: Mapped[bool] = mapped_column(default=True)
    void_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    voided_at: Mapped[Optional[datetime]] = mapped_column()
    voided_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))

    __table_args__ = (
        sa.UniqueConstraint("entry_id", "voter_hash", "day", "entry_slot", name="uq_vote_entry_voter_day_slot"),
        sa.UniqueConstraint("contest_id", "voter_hash", "day", "day_slot", name="uq_vote_contest_voter_day_slot"),
        sa.UniqueConstraint("entry_id", "ip_hash", "day", "ip_slot", name="uq_vote_entry_ip_day_slot"),
        sa.Index("ix_vote_contest_ip_day", "contest_id", "ip_hash", "day"),
        # The fraud monitor reads votes by contest and time, or by entry and time. Every index here is
        # paid for by every vote, so there is no other (see migration 0002).
        sa.Index("ix_vote_entry_created", "entry_id", "created_at"),
        sa.Index("ix_vote_contest_created", "contest_id", "created_at"),
        sa.CheckConstraint("entry_slot >= 1 AND day_slot >= 1 AND ip_slot >= 1", name="slots_positive"),
    )


class CaptchaChallenge(db.Model):
    """An image captcha. One answer per captcha: the vote that answers it marks it used — in the vote's
    transaction when right; a wrong answer's burn is committed although the vote is refused."""
    __tablename__ = "captcha_challenge"

    token: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    answer: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[Optional[datetime]] = mapped_column()


class PhoneCode(db.Model):
    """A one-time SMS code for phone verification (only the hash of the phone and of the code is kept)."""
    __tablename__ = "phone_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"))
    phone_hash: Mapped[str] = mapped_column(sa.String(64))
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[Optional[datetime]] = mapped_column()

    __table_args__ = (sa.Index("ix_phone_code_contest_phone", "contest_id", "phone_hash", "created_at"),)
