"""Entries: cases (附件1) and short videos (附件2), sharing one ``entry`` table for the common life cycle.

Joined-table inheritance: voting, screening, review and ranking work on ``Entry`` and do not care
whether it is a case or a video.
"""
from __future__ import annotations

import enum
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from contest.accounts.models import Unit, _enum
from contest.core.timeutil import utcnow
from contest.extensions import db
from contest.media.models import StoredFile
from contest.submissions.case_rules import THEMES


class EntryKind(str, enum.Enum):
    CASE = "case"
    VIDEO = "video"

    @property
    def label(self) -> str:
        return {EntryKind.CASE: "典型案例", EntryKind.VIDEO: "优秀短视频"}[self]


class EntryState(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {EntryState.DRAFT: "草稿", EntryState.SUBMITTED: "已提交", EntryState.WITHDRAWN: "已撤回"}[self]


class ScreeningStatus(str, enum.Enum):
    PENDING = "pending"
    PASSED = "passed"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {ScreeningStatus.PENDING: "待初筛", ScreeningStatus.PASSED: "通过",
                ScreeningStatus.REJECTED: "不通过"}[self]


CASE_THEMES = list(THEMES)  # the ten options of 附件1, defined once in case_rules


class VideoCategory(str, enum.Enum):
    DRAMA = "drama"
    DOCUMENTARY = "documentary"
    ANIMATION = "animation"

    @property
    def label(self) -> str:
        return {VideoCategory.DRAMA: "剧情类", VideoCategory.DOCUMENTARY: "纪实类",
                VideoCategory.ANIMATION: "动画类"}[self]


class TranscodeState(str, enum.Enum):
    NOT_NEEDED = "not_needed"
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {TranscodeState.NOT_NEEDED: "无需转码", TranscodeState.PENDING: "处理中",
                TranscodeState.RUNNING: "处理中", TranscodeState.DONE: "已完成",
                TranscodeState.FAILED: "失败"}[self]


class Entry(db.Model):
    __tablename__ = "entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(sa.ForeignKey("contest.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    kind: Mapped[EntryKind] = mapped_column(_enum(EntryKind, "entry_kind"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    state: Mapped[EntryState] = mapped_column(_enum(EntryState, "entry_state"), default=EntryState.DRAFT, index=True)
    recommender_opinion: Mapped[str] = mapped_column(sa.Text, default="")  # 推荐单位意见
    remarks: Mapped[str] = mapped_column(sa.Text, default="")  # 备注
    # Stamped scan of the signed form (加盖单位公章扫描件).
    scan_file_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("stored_file.id"))
    # Integrity commitment (诚信承诺 / 原创声明): when and by which account.
    commitment_at: Mapped[Optional[datetime]] = mapped_column()
    commitment_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    created_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[Optional[datetime]] = mapped_column()
    # 初筛
    screening_status: Mapped[ScreeningStatus] = mapped_column(
        _enum(ScreeningStatus, "screening_status"), default=ScreeningStatus.PENDING, index=True)
    screening_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    screened_at: Mapped[Optional[datetime]] = mapped_column()
    screened_by_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("user.id"))
    # Number of *valid* votes, maintained by the voting service on insert and on void,
    # so public pages and ranking never count the vote table per request.
    vote_count: Mapped[int] = mapped_column(default=0)

    unit: Mapped[Unit] = relationship()
    scan_file: Mapped[Optional[StoredFile]] = relationship(foreign_keys=[scan_file_id])

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_abstract": True}
    __table_args__ = (
        sa.CheckConstraint("vote_count >= 0", name="vote_count_nonneg"),
        sa.Index("ix_entry_public", "contest_id", "kind", "state", "screening_status"),
    )

    @property
    def is_public(self) -> bool:
        """Visible to the public and open to votes/review: submitted and passed 初筛."""
        return self.state == EntryState.SUBMITTED and self.screening_status == ScreeningStatus.PASSED

    def clear_screening(self) -> None:
        """Back to 待初筛 with no decision: status, reason, and who screened it when are cleared."""
        self.screening_status = ScreeningStatus.PENDING
        self.screening_reason = ""
        self.screened_at = None
        self.screened_by_id = None


class Case(Entry):
    """附件1 2024年西安市优秀信用案例征集活动申报表."""
    __tablename__ = "case"

    id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True)
    contact_name: Mapped[str] = mapped_column(sa.String(50), default="")  # 联系人
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")  # 联系电话
    contact_email: Mapped[str] = mapped_column(sa.String(120), default="")  # 邮箱
    unit_address: Mapped[str] = mapped_column(sa.String(200), default="")  # 单位地址
    themes: Mapped[list] = mapped_column(sa.JSON, default=list)  # 案例主题, subset of CASE_THEMES
    highlights: Mapped[str] = mapped_column(sa.Text, default="")  # 案例特色或亮点
    part_problem: Mapped[str] = mapped_column(sa.Text, default="")  # 一、要解决的问题
    part_measures: Mapped[str] = mapped_column(sa.Text, default="")  # 二、创新举措
    part_effects: Mapped[str] = mapped_column(sa.Text, default="")  # 三、工作成效及意义
    # Preview thumbnail of an image scan (owned by the cases feature; never public).
    scan_thumb_file_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("stored_file.id"))

    scan_thumb_file: Mapped[Optional[StoredFile]] = relationship(foreign_keys=[scan_thumb_file_id])

    __mapper_args__ = {"polymorphic_identity": EntryKind.CASE}


class Video(Entry):
    """附件2 2024年西安市信用应用场景优秀微视频评选推荐表."""
    __tablename__ = "video"

    id: Mapped[int] = mapped_column(sa.ForeignKey("entry.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[Optional[VideoCategory]] = mapped_column(_enum(VideoCategory, "video_category"), index=True)
    duration_seconds: Mapped[Optional[float]] = mapped_column()  # 时长, from ffprobe
    director: Mapped[str] = mapped_column(sa.String(100), default="")  # 导演
    producer: Mapped[str] = mapped_column(sa.String(200), default="")  # 制片人或制片单位
    contact: Mapped[str] = mapped_column(sa.String(100), default="")  # 参选单位联系人及电话
    honors: Mapped[str] = mapped_column(sa.Text, default="")  # 曾获区县级以上主要荣誉
    synopsis: Mapped[str] = mapped_column(sa.Text, default="")  # 剧情摘要 ≤ 100 字
    introduction: Mapped[str] = mapped_column(sa.Text, default="")  # 作品简介 ≤ 800 字
    video_file_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("stored_file.id"))
    poster_file_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("stored_file.id"))
    web_file_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("stored_file.id"))
    transcode_state: Mapped[TranscodeState] = mapped_column(
        _enum(TranscodeState, "transcode_state"), default=TranscodeState.NOT_NEEDED)
    probe: Mapped[Optional[dict]] = mapped_column(sa.JSON)  # last probe verdict, for display
    thumb_file_id: Mapped[Optional[int]] = mapped_column(sa.ForeignKey("stored_file.id"))  # small poster
    transcode_error: Mapped[str] = mapped_column(sa.String(500), default="")
    # When the current transcode attempt was claimed: a RUNNING row older than the limit was left
    # by a stopped server and is picked up again by ``flask contest transcode-pending``.
    transcode_started_at: Mapped[Optional[datetime]] = mapped_column()

    video_file: Mapped[Optional[StoredFile]] = relationship(foreign_keys=[video_file_id])
    poster_file: Mapped[Optional[StoredFile]] = relationship(foreign_keys=[poster_file_id])
    web_file: Mapped[Optional[StoredFile]] = relationship(foreign_keys=[web_file_id])
    thumb_file: Mapped[Optional[StoredFile]] = relationship(foreign_keys=[thumb_file_id])

    @property
    def duration_label(self) -> str:
        """时长 as shown on the form, e.g. '2分30秒' ('' before a file is uploaded)."""
        from contest.media.rules import format_duration

        return format_duration(self.duration_seconds) if self.duration_seconds else ""

    @property
    def playable_file(self) -> Optional[StoredFile]:
        """What a browser should play: the web rendition when there is one, else the original
        (only when the original needs no rendition)."""
        if self.web_file is not None:
            return self.web_file
        if self.transcode_state == TranscodeState.NOT_NEEDED:
            return self.video_file
        return None

    __mapper_args__ = {"polymorphic_identity": EntryKind.VIDEO}
