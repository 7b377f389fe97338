"""Video services (附件2): create, edit, upload the file and the stamped scan, submit, withdraw, delete a
draft, lists.

Every write checks the submission window at ``now``, flushes and writes an audit entry; the
request edge commits once. A refused upload leaves nothing behind: no file, no row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Optional

import sqlalchemy as sa

from contest.accounts.models import Unit, User
from contest.contests.models import Contest
from contest.extensions import db
from contest.media import posters, probe, rules, storage, transcode
from contest.media.models import StoredFile
from contest.submissions import lifecycle
from contest.submissions.lifecycle import SubmissionError
from contest.submissions.models import EntryState, TranscodeState, Video, VideoCategory
from contest.submissions.video_rules import field_errors, normalize_text, submit_problems

EDITABLE_FIELDS = ("title", "category", "director", "producer", "contact", "honors", "synopsis", "introduction",
                   "recommender_opinion", "remarks")
VIDEO_TYPES = {"mp4", "mov", "webm", "avi"}
TYPE_LABELS = {"pdf": "PDF 文档", "png": "PNG 图片", "jpeg": "JPEG 图片", "zip": "ZIP 压缩包（或 Word/Excel 文档）",
               "ole": "旧版 Word/Excel 文档"}


class VideoInvalid(SubmissionError):
    """The data breaks the 附件2 rules; ``errors`` maps field -> Chinese message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


class VideoFileRefused(SubmissionError):
    """The uploaded file is not an acceptable video; ``reasons`` are Chinese sentences. Nothing was kept."""

    def __init__(self, reasons: list[str], verdict: Optional[rules.Verdict] = None):
        super().__init__("；".join(reasons))
        self.reasons = reasons
        self.verdict = verdict


@dataclass
class Upload:
    """An accepted upload: the verdict, and the storage keys of files made obsolete (their rows are
    deleted; remove the bytes with ``storage.remove_keys`` after the commit)."""
    verdict: rules.Verdict
    obsolete: list[str] = field(default_factory=list)
    needs_transcode: bool = False


def requirements_of(contest: Contest) -> rules.Requirements:
    return rules.Requirements(min_seconds=contest.video_min_seconds, max_seconds=contest.video_max_seconds,
                              width=contest.video_width, height=contest.video_height)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {name: normalize_text(data[name]) for name in EDITABLE_FIELDS if name in data}


def _category_error(values: dict[str, Any]) -> dict[str, str]:
    raw = values.get("category")
    if raw and raw not in {c.value for c in VideoCategory}:
        return {"category": "作品类别只能是剧情类、纪实类或动画类，请重新选择。"}
    return {}


def _apply(video: Video, values: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in values.items():
        new = (VideoCategory(value) if value else None) if name == "category" else value
        if getattr(video, name) != new:
            setattr(video, name, new)
            changed.append(name)
    return changed


def video_values(video: Video) -> dict[str, Any]:
    """The editable fields of a video as plain data (category as its code)."""
    return {name: (video.category.value if video.category else "") if name == "category"
            else (getattr(video, name) or "") for name in EDITABLE_FIELDS}


def has_accepted_file(video: Video) -> bool:
    return video.video_file_id is not None and bool((video.probe or {}).get("ok"))


def create_video(contest: Contest, unit: Unit, data: dict[str, Any], *, actor: User, now: datetime,
                 ip: str = "") -> Video:
    """A new draft video of ``unit``. Raises SubmissionError (window closed) or VideoInvalid."""
    lifecycle.require_editable(contest, now)
    values = _clean(data)
    errors = {**field_errors(values), **_category_error(values)}
    if errors:
        raise VideoInvalid(errors)
    video = Video(contest_id=contest.id, unit_id=unit.id, state=EntryState.DRAFT, created_by_id=actor.id,
                  created_at=now, updated_at=now)
    _apply(video, values)
    db.session.add(video)
    db.session.flush()
    lifecycle.record_change(video, "created", actor=actor, now=now, ip=ip)
    return video


def update_video(video: Video, contest: Contest, data: dict[str, Any], *, actor: User, now: datetime,
                 ip: str = "") -> list[str]:
    """Change the form fields; returns the changed names. A submitted video must stay complete and
    goes back to 待初筛 when anything changed. Raises SubmissionError / VideoInvalid."""
    lifecycle.require_editable(contest, now)
    values = _clean(data)
    merged = {**video_values(video), **values}
    if video.state == EntryState.SUBMITTED:
        # The scan is checked at submission only (as for cases): it can be replaced, never removed.
        errors = submit_problems(merged, has_accepted_video=has_accepted_file(video), has_scan=True, declared=True)
    else:
        errors = field_errors(merged)
    errors.update(_category_error(merged))
    if errors:
        raise VideoInvalid(errors)
    changed = _apply(video, values)
    if not changed:
        return []
    video.updated_at = now
    detail: dict[str, Any] = {"fields": changed}
    lifecycle.reset_screening_after_change(video, detail)
    db.session.flush()
    lifecycle.record_change(video, "updated", actor=actor, now=now, ip=ip, detail=detail)
    return changed


def attach_video_file(video: Video, contest: Contest, stream: BinaryIO, *, original_name: str, actor: User,
                      now: datetime, upload_root: str | Path, max_bytes: int, probe_timeout: float = 30,
                      ip: str = "") -> Upload:
    """Stream the upload to disk, check it by content and with ffprobe, and attach it (replacing an
    earlier file). Raises SubmissionError (window closed), storage.StorageError (too large, broken
    connection, empty) or VideoFileRefused (not a video / breaks the rules). Nothing is kept on a
    refusal. The poster is made here; a needed web rendition is only marked PENDING."""
    lifecycle.require_editable(contest, now)
    received = storage.receive(stream, upload_root=upload_root, max_bytes=max_bytes, label="视频文件")
    try:
        code = received.type_code
        if code not in VIDEO_TYPES:
            what = TYPE_LABELS.get(code or "", "无法识别的格式")
            raise VideoFileRefused([f"文件内容不是视频（识别为：{what}），要求上传 MP4/MOV 视频文件；"
                                    "请勿仅修改文件扩展名。"])
        verdict = probe.inspect(received.tmp_path, requirements_of(contest), timeout=probe_timeout)
        if not verdict.ok:
            raise VideoFileRefused(verdict.reasons, verdict)
    except BaseException:
        received.discard()
        raise
    stored = storage.commit(received, upload_root=upload_root, purpose="video", type_code=code,
                            original_name=original_name, unit_id=video.unit_id, uploaded_by_id=actor.id,
                            width=verdict.display_width, height=verdict.display_height)
    made: list[StoredFile] = [stored]
    try:
        poster, thumb = _make_posters(stored, verdict, upload_root, video.unit_id, actor.id)
        made += [f for f in (poster, thumb) if f is not None]
        obsolete = [f for f in (video.video_file, video.poster_file, video.thumb_file, video.web_file) if f is not None]
        needs = transcode.needs_web_rendition(code, verdict.video_codec, verdict.audio_codec)
        video.video_file_id = stored.id
        video.poster_file_id = poster.id if poster else None
        video.thumb_file_id = thumb.id if thumb else None
        video.web_file_id = None
        video.transcode_state = TranscodeState.PENDING if needs else TranscodeState.NOT_NEEDED
        video.transcode_error = ""
        video.transcode_started_at = None
        video.duration_seconds = verdict.duration
        video.probe = {**verdict.to_dict(), "type_code": code}
        video.updated_at = now
        db.session.flush()
        keys = []
        for old in obsolete:
            keys.append(old.storage_key)
            db.session.delete(old)
        detail: dict[str, Any] = {"video_file_id": stored.id, "size": stored.size, "sha256": stored.sha256,
                                  "duration": verdict.duration, "video_codec": verdict.video_codec,
                                  "original_name": stored.original_name}
        lifecycle.reset_screening_after_change(video, detail)
        db.session.flush()
        lifecycle.record_change(video, "updated", actor=actor, now=now, ip=ip,
                                summary=f"{video.title}：上传视频文件", detail=detail)
    except BaseException:
        for f in made:
            storage.remove(f, upload_root)
        raise
    return Upload(verdict=verdict, obsolete=keys, needs_transcode=needs)


def _make_posters(stored: StoredFile, verdict: rules.Verdict, upload_root: str | Path, unit_id: int,
                  user_id: int) -> tuple[Optional[StoredFile], Optional[StoredFile]]:
    """Poster JPEG and thumbnail; a video whose frame cannot be extracted simply has none."""
    poster_tmp = storage.temp_path(upload_root, ".poster.jpg")
    thumb_tmp = storage.temp_path(upload_root, ".thumb.jpg")
    try:
        posters.extract_poster(storage.path_of(stored, upload_root), poster_tmp, at=posters.poster_time(verdict.duration))
        (pw, ph), (tw, th) = posters.make_thumbnail(poster_tmp, thumb_tmp)
    except (posters.PosterError, OSError):
        poster_tmp.unlink(missing_ok=True)
        thumb_tmp.unlink(missing_ok=True)
        return None, None
    poster = storage.store_path(poster_tmp, upload_root=upload_root, purpose="poster", content_type="image/jpeg",
                                extension=".jpg", unit_id=unit_id, uploaded_by_id=user_id, width=pw, height=ph)
    thumb = storage.store_path(thumb_tmp, upload_root=upload_root, purpose="thumb", content_type="image/jpeg",
                               extension=".jpg", unit_id=unit_id, uploaded_by_id=user_id, width=tw, height=th)
    return poster, thumb


def attach_scan(video: Video, contest: Contest, stream: BinaryIO, *, original_name: str, actor: User,
                now: datetime, upload_root: str | Path, max_bytes: int, ip: str = "") -> None:
    """Store the stamped scan of the 附件2 form and attach it (no thumbnail: the video has its poster);
    see ``lifecycle.attach_scan``."""
    lifecycle.attach_scan(video, contest, stream, original_name=original_name, actor=actor, now=now,
                          upload_root=upload_root, max_bytes=max_bytes, thumbnail=False, ip=ip)


def completeness(video: Video, *, declared: bool = True) -> dict[str, str]:
    """What still blocks this video's submission (the declaration is assumed ticked by default)."""
    return submit_problems(video_values(video), has_accepted_video=has_accepted_file(video),
                           has_scan=video.scan_file_id is not None, declared=declared)


def submit_video(video: Video, contest: Contest, *, declared: bool, actor: User, now: datetime,
                 ip: str = "") -> None:
    """Submit a complete video with the originality declaration (recorded with who and when).
    Raises SubmissionError (window closed, already submitted) or VideoInvalid (incomplete)."""
    lifecycle.require_editable(contest, now)
    if video.state == EntryState.SUBMITTED:
        raise SubmissionError("该作品已提交，无需重复提交。")
    problems = completeness(video, declared=declared)
    if problems:
        raise VideoInvalid(problems)
    video.commitment_at = now
    video.commitment_by_id = actor.id
    lifecycle.submit(video, contest, actor=actor, now=now, ip=ip)


def withdraw_video(video: Video, contest: Contest, *, actor: User, now: datetime, ip: str = "") -> None:
    """Take a submitted video back to the unit. Raises SubmissionError."""
    lifecycle.withdraw(video, contest, actor=actor, now=now, ip=ip)


def delete_video_draft(video: Video, contest: Contest, *, actor: User, now: datetime, ip: str = "") -> list[str]:
    """Delete a never-submitted draft video with its files (video, web rendition, poster, thumbnail,
    scan); returns the storage keys to remove after the commit. Raises SubmissionError (window
    closed, submitted or withdrawn, or its web version still being made: the background job would then
    write a rendition for a deleted video)."""
    if video.transcode_state in (TranscodeState.PENDING, TranscodeState.RUNNING):
        raise SubmissionError("视频正在后台转码，请等处理完成（通常几分钟）后再删除草稿。")
    files = (video.video_file, video.web_file, video.poster_file, video.thumb_file, video.scan_file)
    return lifecycle.delete_draft(video, contest, files, actor=actor, now=now, ip=ip)


def unit_videos(contest: Contest, unit_id: int) -> list[Video]:
    return list(db.session.scalars(sa.select(Video).where(Video.contest_id == contest.id, Video.unit_id == unit_id)
                                   .order_by(Video.created_at.desc(), Video.id.desc())))
