"""Poster frames (ffmpeg) and thumbnails (Pillow) for videos."""
from __future__ import annotations

import subprocess
from pathlib import Path

import ffmpeg
from PIL import Image

from contest.media import images
from contest.media.binaries import ffmpeg_path

THUMB_SIZE = (360, 640)  # fits a 9:16 card on a phone


class PosterError(RuntimeError):
    """ffmpeg could not extract a frame."""


def poster_time(duration: float | None) -> float:
    """A representative moment: 10% in, at most 10 s, never past the end."""
    if not duration or duration <= 0:
        return 0.0
    return round(min(10.0, duration * 0.1), 3)


def extract_poster(video: str | Path, dest: str | Path, *, at: float = 0.0, timeout: float = 60) -> Path:
    """Write one JPEG frame of ``video`` at ``at`` seconds (display rotation applied by ffmpeg)."""
    cmd = (ffmpeg.input(str(video), ss=at)
           .output(str(dest), vframes=1, format="image2", vcodec="mjpeg", **{"q:v": 3})
           .global_args("-v", "error", "-nostdin")
           .compile(cmd=ffmpeg_path(), overwrite_output=True))
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise PosterError("poster extraction timed out") from exc
    if done.returncode != 0 or not Path(dest).exists() or Path(dest).stat().st_size == 0:
        raise PosterError(done.stderr.decode("utf-8", "replace")[-500:])
    return Path(dest)


def make_thumbnail(poster: str | Path, dest: str | Path,
                   size: tuple[int, int] = THUMB_SIZE) -> tuple[tuple[int, int], tuple[int, int]]:
    """A smaller JPEG of ``poster`` that keeps the aspect ratio, from one open and one decode;
    returns the poster's (width, height) and the thumbnail's."""
    with Image.open(poster) as img:
        return img.size, images.save_thumbnail(img.convert("RGB"), dest, size, optimize=True)
