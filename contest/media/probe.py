"""Run ffprobe on a file, in our own subprocess with a timeout, and return its JSON as a dict.

ffmpeg-python's ``ffmpeg.probe`` waits without a limit, so the same command line is run here
with ``subprocess.run(timeout=...)``: a hostile or truncated file can neither hang a worker nor
crash it; every failure becomes a ProbeError carrying a Chinese message for the user.
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ffmpeg._utils import convert_kwargs_to_cmd_line_args

from contest.media import rules
from contest.media.binaries import ffprobe_path

DEFAULT_TIMEOUT = 30
NOT_MEDIA = "无法识别为视频文件（文件可能不完整、已损坏或并非视频），要求上传完整的 MP4/MOV 视频文件。"
TIMED_OUT = "视频检测超时（文件可能已损坏），要求上传可正常播放的 MP4/MOV 视频文件。"


class ProbeError(ValueError):
    """The file could not be probed; ``str(exc)`` is the user-facing Chinese message."""


def probe_args(path: str | Path, **kwargs) -> list[str]:
    """The ffprobe command line (the one ffmpeg.probe builds, plus quiet logging)."""
    # -count_packets demuxes the whole file (no decoding) so that a cut-off file shows up.
    args = [ffprobe_path(), "-v", "error", "-count_packets", "-show_format", "-show_streams", "-of", "json"]
    args += convert_kwargs_to_cmd_line_args(kwargs)
    args += ["-i", str(path)]
    return args


def probe(path: str | Path, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """ffprobe's ``-show_format -show_streams`` result for ``path``. Raises ProbeError when
    ffprobe fails, times out (the process is killed) or prints something that is not JSON."""
    try:
        done = subprocess.run(probe_args(path), stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ProbeError(TIMED_OUT) from exc
    except OSError as exc:
        raise ProbeError(NOT_MEDIA) from exc
    if done.returncode != 0:
        raise ProbeError(NOT_MEDIA)
    try:
        data = json.loads(done.stdout.decode("utf-8", errors="replace"))
    except ValueError as exc:
        raise ProbeError(NOT_MEDIA) from exc
    if not isinstance(data, dict) or not data.get("format"):
        raise ProbeError(NOT_MEDIA)
    return data


def inspect(path: str | Path, req: rules.Requirements = rules.Requirements(),
            timeout: float = DEFAULT_TIMEOUT) -> rules.Verdict:
    """Probe ``path`` and judge it against ``req``; an unprobeable file is a refusal, not an error."""
    try:
        data = probe(path, timeout=timeout)
    except ProbeError as exc:
        return rules.failure(str(exc))
    return rules.evaluate(data, req)
