"""Web renditions: an H.264/AAC MP4 (faststart, 720×1280) for originals that browsers cannot play
everywhere (HEVC from iPhones, MOV, WebM, MPEG-4 Part 2...).

The upload request only marks the video PENDING and returns; a background thread then claims it
with one conditional UPDATE (PENDING → RUNNING), so that however many workers or threads try,
exactly one transcodes. The state lives in the database, so it survives a restart:
``flask --app wsgi contest transcode-pending`` finishes what a stopped server left behind.
"""
from __future__ import annotations

import logging
import subprocess
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Optional

import ffmpeg
import sqlalchemy as sa
from flask import Flask

from contest.core.timeutil import utcnow
from contest.extensions import db
from contest.media import storage
from contest.media.binaries import ffmpeg_path

log = logging.getLogger(__name__)

BROWSER_VIDEO_CODECS = {"h264"}
BROWSER_AUDIO_CODECS = {None, "aac", "mp3"}
WEB_WIDTH = 720
DEFAULT_TIMEOUT = 3 * 3600
STALE_AFTER = timedelta(hours=1)

_threads: list[threading.Thread] = []
_threads_lock = threading.Lock()


class TranscodeError(RuntimeError):
    """ffmpeg failed or timed out; the message is kept (shortened) on the video for organizers."""


def needs_web_rendition(type_code: Optional[str], video_codec: Optional[str], audio_codec: Optional[str]) -> bool:
    """True unless the original is already an MP4 with H.264 video and AAC/MP3 (or no) audio. Pure."""
    return type_code != "mp4" or video_codec not in BROWSER_VIDEO_CODECS or audio_codec not in BROWSER_AUDIO_CODECS


def transcode_args(src: str | Path, dest: str | Path, has_audio: bool = True) -> list[str]:
    """ffmpeg command line for the web rendition (display rotation is applied by ffmpeg)."""
    video = ffmpeg.input(str(src))
    streams = [video.video.filter("scale", WEB_WIDTH, -2)]
    audio = {}
    if has_audio:
        streams.append(video.audio)
        audio = {"acodec": "aac", "audio_bitrate": "96k"}
    out = ffmpeg.output(*streams, str(dest), format="mp4", vcodec="libx264", preset="veryfast", crf=26,
                        pix_fmt="yuv420p", movflags="+faststart", map_metadata=-1, **audio)
    return out.global_args("-v", "error", "-nostdin").compile(cmd=ffmpeg_path(), overwrite_output=True)


def transcode_file(src: str | Path, dest: str | Path, *, has_audio: bool = True,
                   timeout: float = DEFAULT_TIMEOUT) -> Path:
    """Write the web rendition of ``src`` to ``dest``. Raises TranscodeError."""
    args = transcode_args(src, dest, has_audio)
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        Path(dest).unlink(missing_ok=True)
        raise TranscodeError("转码超时") from exc
    if done.returncode != 0 or not Path(dest).exists():
        Path(dest).unlink(missing_ok=True)
        raise TranscodeError(done.stderr.decode("utf-8", "replace")[-400:] or f"ffmpeg 退出码 {done.returncode}")
    return Path(dest)


def claim(video_id: int, *, now: datetime, include_stale: bool = False) -> bool:
    """Atomically move a video from PENDING (or a RUNNING attempt older than STALE_AFTER) to
    RUNNING. True for the one caller that won; commits."""
    from contest.submissions.models import TranscodeState, Video

    cond = Video.transcode_state == TranscodeState.PENDING
    if include_stale:
        cond = sa.or_(cond, sa.and_(Video.transcode_state == TranscodeState.RUNNING,
                                    Video.transcode_started_at < now - STALE_AFTER))
    result = db.session.execute(
        sa.update(Video.__table__).where(Video.__table__.c.id == video_id, cond)
        .values(transcode_state=TranscodeState.RUNNING.value, transcode_started_at=now, transcode_error=""))
    db.session.commit()
    return result.rowcount == 1


def process(video_id: int, *, upload_root: str | Path, timeout: float = DEFAULT_TIMEOUT,
            include_stale: bool = False) -> Optional[bool]:
    """Claim and transcode one video. Returns True (done), False (failed) or None (not claimed:
    another worker has it, or nothing to do). Commits its own state changes."""
    from contest.submissions.models import TranscodeState, Video

    if not claim(video_id, now=utcnow(), include_stale=include_stale):
        return None
    video = db.session.get(Video, video_id)
    source = video.video_file if video else None
    if source is None:
        if video is not None:
            video.transcode_state = TranscodeState.FAILED
            video.transcode_error = "没有原始视频文件"
            db.session.commit()
        return False
    source_id = source.id
    has_audio = bool((video.probe or {}).get("audio_codec"))
    src = storage.path_of(source, upload_root)
    tmp = storage.temp_path(upload_root, ".web.mp4")
    try:
        transcode_file(src, tmp, has_audio=has_audio, timeout=timeout)
    except TranscodeError as exc:
        db.session.refresh(video)
        if video.video_file_id == source_id:
            video.transcode_state = TranscodeState.FAILED
            video.transcode_error = str(exc)[:500]
            db.session.commit()
        log.warning("transcode of video %s failed: %s", video_id, exc)
        return False
    db.session.refresh(video)
    if video.video_file_id != source_id:  # replaced while we worked: the result is stale
        tmp.unlink(missing_ok=True)
        return None
    stored = storage.store_path(tmp, upload_root=upload_root, purpose="web", content_type="video/mp4",
                                extension=".mp4", unit_id=video.unit_id, uploaded_by_id=source.uploaded_by_id)
    old_web = video.web_file
    video.web_file_id = stored.id
    video.transcode_state = TranscodeState.DONE
    video.transcode_error = ""
    db.session.commit()
    if old_web is not None:
        # Row first, file after the commit (as uploads do): a failed commit never leaves a row without its file.
        key = old_web.storage_key
        db.session.delete(old_web)
        db.session.commit()
        storage.remove_keys([key], upload_root)
    return True


def start_background(app: Flask, video_id: int) -> Optional[threading.Thread]:
    """Transcode ``video_id`` in a daemon thread (the request returns at once). Disabled with
    TRANSCODE_BACKGROUND=False, when ``flask contest transcode-pending`` does the work."""
    if not app.config.get("TRANSCODE_BACKGROUND", True):
        return None

    def work():
        with app.app_context():
            try:
                process(video_id, upload_root=app.config["UPLOAD_ROOT"],
                        timeout=app.config.get("TRANSCODE_TIMEOUT", DEFAULT_TIMEOUT))
            except Exception:  # a crash must not kill the server; the state stays visible
                log.exception("transcode thread for video %s crashed", video_id)
                db.session.rollback()
            finally:
                db.session.remove()

    t = threading.Thread(target=work, name=f"transcode-{video_id}", daemon=True)
    with _threads_lock:
        _threads[:] = [x for x in _threads if x.is_alive()]
        _threads.append(t)
    t.start()
    return t


def wait_all(timeout: float = 120) -> None:
    """Join running transcode threads (tests and the CLI use it before reading results)."""
    with _threads_lock:
        threads = list(_threads)
    for t in threads:
        t.join(timeout)


def run_pending(app: Flask, *, include_stale: bool = True) -> tuple[int, int]:
    """Transcode every PENDING video (and stale RUNNING ones) in this process; returns (done, failed)."""
    from contest.submissions.models import TranscodeState, Video

    states = [TranscodeState.PENDING, TranscodeState.RUNNING] if include_stale else [TranscodeState.PENDING]
    ids = db.session.scalars(sa.select(Video.id).where(Video.transcode_state.in_(states)).order_by(Video.id)).all()
    done = failed = 0
    for video_id in ids:
        outcome = process(video_id, upload_root=app.config["UPLOAD_ROOT"],
                          timeout=app.config.get("TRANSCODE_TIMEOUT", DEFAULT_TIMEOUT), include_stale=include_stale)
        done += outcome is True
        failed += outcome is False
    return done, failed
