"""Small real videos made with ffmpeg for the tests (and the benchmarks).

Every file is generated once per test session, on first use, in a temporary folder removed at
exit: 1 frame per second of a flat colour with x264 ``ultrafast`` keeps a five-minute 1080×1920
clip to a few hundred kilobytes and about a second of work.
"""
from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path

from contest.media.binaries import ffmpeg_path

PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def make_video(path: Path, *, width: int = 1080, height: int = 1920, seconds: float = 150, fps: int = 1,
               audio: bool = True, vcodec: str = "libx264", rotate: int | None = None, sar: str | None = None,
               faststart: bool = False, color: str = "0x1f5fa8") -> Path:
    """Write a test-pattern clip; ``rotate`` adds a display-rotation tag like a phone does."""
    path = Path(path)
    ff = ffmpeg_path()
    target = path.with_name(path.stem + ".raw.mp4") if rotate is not None else path
    cmd = [ff, "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c={color}:s={width}x{height}:r={fps}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000"]
    cmd += ["-t", str(seconds)]
    if sar:
        cmd += ["-vf", f"setsar={sar}"]
    cmd += ["-c:v", vcodec, "-pix_fmt", "yuv420p"]
    if vcodec == "libx264":
        cmd += ["-preset", "ultrafast", "-g", "600"]
    elif vcodec == "libx265":
        cmd += ["-preset", "ultrafast", "-x265-params", "log-level=error", "-tag:v", "hvc1"]
    if audio:
        cmd += ["-c:a", "aac", "-b:a", "16k", "-shortest"]
    if faststart:
        cmd += ["-movflags", "+faststart"]
    cmd.append(str(target))
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL)
    if rotate is not None:
        subprocess.run([ff, "-v", "error", "-y", "-i", str(target), "-c", "copy",
                        "-metadata:s:v:0", f"rotate={rotate}", str(path)], check=True, stdin=subprocess.DEVNULL)
        target.unlink()
    return path


def make_audio_only(path: Path, seconds: float = 150) -> Path:
    subprocess.run([ffmpeg_path(), "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000",
                    "-t", str(seconds), "-c:a", "aac", "-b:a", "16k", "-f", "mp4", str(path)],
                   check=True, stdin=subprocess.DEVNULL)
    return Path(path)


def truncate(src: Path, dest: Path, keep: float = 0.5) -> Path:
    data = Path(src).read_bytes()
    Path(dest).write_bytes(data[: int(len(data) * keep)])
    return Path(dest)


class VideoLibrary:
    """Named sample files, generated lazily and cached for the session."""

    RECIPES = {
        "portrait": dict(width=1080, height=1920, seconds=150),
        "portrait_120": dict(width=1080, height=1920, seconds=120),
        "portrait_300": dict(width=1080, height=1920, seconds=300),
        "too_short_119": dict(width=1080, height=1920, seconds=119),
        "too_long_301": dict(width=1080, height=1920, seconds=301),
        "landscape": dict(width=1920, height=1080, seconds=150),
        "rotated_portrait": dict(width=1920, height=1080, seconds=150, rotate=90),
        "small_720": dict(width=720, height=1280, seconds=150),
        "wide_1088": dict(width=1088, height=1920, seconds=150),
        "anamorphic_ok": dict(width=810, height=1920, seconds=150, sar="4/3"),
        "anamorphic_wide": dict(width=1080, height=1920, seconds=150, sar="4/3"),
        "hevc_portrait": dict(width=1080, height=1920, seconds=125, vcodec="libx265"),
        "portrait_faststart": dict(width=1080, height=1920, seconds=150, faststart=True),
    }

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="contest-videos-"))
        atexit.register(shutil.rmtree, self.root, True)
        self._made: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self._made:
            self._made[name] = self._make(name)
        return self._made[name]

    def _make(self, name: str) -> Path:
        path = self.root / f"{name}.mp4"
        if name in self.RECIPES:
            return make_video(path, **self.RECIPES[name])
        if name == "audio_only":
            return make_audio_only(path)
        if name == "text":
            path.write_text("这不是视频，只是一个改了扩展名的文本文件。\n" * 20, encoding="utf-8")
            return path
        if name == "png":
            path.write_bytes(PNG_1X1)
            return path
        if name == "truncated":  # moov atom at the end: cut off, ffprobe cannot open it
            return truncate(self["portrait"], path)
        if name == "truncated_faststart":  # moov at the front: opens, but the media data is cut
            return truncate(self["portrait_faststart"], path)
        raise KeyError(name)


_library: VideoLibrary | None = None


def library() -> VideoLibrary:
    """The session's shared VideoLibrary."""
    global _library
    if _library is None:
        _library = VideoLibrary()
    return _library
