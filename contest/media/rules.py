"""The notice's video rules as a pure function of an ffprobe result (plain dict in, verdict out).

附件2 / the notice: 时长 2–5 分钟, 9:16, 1080×1920. What counts is the *displayed* picture: a phone
recording stored 1920×1080 with a 90° display rotation is portrait, and a non-square sample aspect
ratio stretches the stored width. No Flask, no database: tested in tests/unit/test_video_rules.py.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from typing import Any, Optional


@dataclass(frozen=True)
class Requirements:
    """What a contest requires of a video (defaults from the 2024 notice)."""
    min_seconds: int = 120
    max_seconds: int = 300
    width: int = 1080
    height: int = 1920


@dataclass
class Verdict:
    """The outcome of checking one file. ``reasons`` are Chinese sentences, empty when ok."""
    ok: bool
    reasons: list[str] = field(default_factory=list)
    duration: Optional[float] = None
    width: Optional[int] = None  # stored (coded) size
    height: Optional[int] = None
    rotation: int = 0  # clockwise display rotation in degrees: 0, 90, 180 or 270
    display_width: Optional[int] = None  # after rotation and sample aspect ratio
    display_height: Optional[int] = None
    video_codec: Optional[str] = None
    audio_codec: Optional[str] = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def format_duration(seconds: float) -> str:
    """Whole seconds as Chinese minutes and seconds: 119 -> '1分59秒', 45 -> '45秒', 300 -> '5分0秒'."""
    total = whole_seconds(seconds)
    minutes, secs = divmod(total, 60)
    return f"{minutes}分{secs}秒" if minutes else f"{secs}秒"


def whole_seconds(seconds: float) -> int:
    """Round half up to whole seconds (the unit the rule and the message are stated in)."""
    return int(math.floor(seconds + 0.5))


def orientation_label(width: int, height: int) -> str:
    if width > height:
        return "横屏"
    if width < height:
        return "竖屏"
    return "方形"


def _float(value: Any) -> Optional[float]:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) and f >= 0 else None


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def rotation_of(stream: dict) -> int:
    """The display rotation of a video stream, normalised to 0/90/180/270 (clockwise).

    ffprobe reports it as a display-matrix side data entry (``rotation``, counter-clockwise
    degrees, e.g. -90 for a phone held upright) and, from older muxers, as a ``rotate`` tag
    (clockwise degrees). Either means the same picture turned on its side; only the axis swap
    matters for the size check, but the value is normalised consistently.
    """
    for side in stream.get("side_data_list") or []:
        if "rotation" in side:
            signed = _float_signed(side.get("rotation"))
            if signed is not None and round(signed) % 90 == 0:
                return int(round(-signed)) % 360
            return 0
    signed = _float_signed((stream.get("tags") or {}).get("rotate"))
    if signed is not None and round(signed) % 90 == 0:
        return int(round(signed)) % 360
    return 0


def _float_signed(value: Any) -> Optional[float]:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def sample_aspect_ratio(stream: dict) -> Fraction:
    """The stream's SAR; '0:1', 'N/A' or missing mean square pixels (1)."""
    raw = stream.get("sample_aspect_ratio") or ""
    try:
        num, den = (int(x) for x in str(raw).split(":"))
    except ValueError:
        return Fraction(1)
    if num <= 0 or den <= 0:
        return Fraction(1)
    return Fraction(num, den)


def display_size(width: int, height: int, sar: Fraction, rotation: int) -> tuple[int, int]:
    """The picture as a player shows it: width stretched by the SAR, then turned by the rotation."""
    dw = int(round(width * sar))
    dh = height
    if rotation in (90, 270):
        dw, dh = dh, dw
    return dw, dh


def _is_picture(stream: dict) -> bool:
    # Cover art in an audio file is a one-frame "video" stream flagged attached_pic.
    return stream.get("codec_type") == "video" and not (stream.get("disposition") or {}).get("attached_pic")


def evaluate(probe: dict, req: Requirements = Requirements()) -> Verdict:
    """Check an ffprobe ``-show_format -show_streams`` JSON result against ``req``.

    Rules: at least one video stream; duration (rounded to whole seconds) within
    [min_seconds, max_seconds] inclusive; displayed size exactly width×height. Every failed
    rule adds one reason saying what was measured and what is required.
    """
    streams = probe.get("streams") or []
    fmt = probe.get("format") or {}
    video = next((s for s in streams if _is_picture(s)), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    verdict = Verdict(ok=False, audio_codec=(audio or {}).get("codec_name"))

    duration = _float(fmt.get("duration"))
    if duration is None and video is not None:
        duration = _float(video.get("duration"))
    verdict.duration = round(duration, 3) if duration is not None else None

    format_name = str(fmt.get("format_name") or "")
    if format_name == "image2" or format_name.endswith("_pipe"):
        verdict.reasons.append("文件是一张图片，不是视频，要求上传含视频画面的 MP4/MOV 文件。")
        return verdict
    if video is None:
        verdict.reasons.append("文件中没有视频画面（只有音频或无法识别的内容），要求上传含视频画面的 MP4/MOV 文件。")
        return verdict

    verdict.video_codec = video.get("codec_name")
    reasons = verdict.reasons
    cut = _truncation(streams)
    if cut:
        reasons.append(cut)
    if duration is None:
        reasons.append("无法读取视频时长（文件可能不完整），请重新导出后上传。")
    else:
        secs = whole_seconds(duration)
        if secs < req.min_seconds or secs > req.max_seconds:
            reasons.append(f"时长 {format_duration(duration)}，要求 {_minutes(req.min_seconds)}–"
                           f"{_minutes(req.max_seconds)} 分钟。")

    width, height = _int(video.get("width")), _int(video.get("height"))
    if not width or not height:
        reasons.append("无法读取画面尺寸（文件可能已损坏），请重新导出后上传。")
    else:
        rotation = rotation_of(video)
        sar = sample_aspect_ratio(video)
        dw, dh = display_size(width, height, sar, rotation)
        verdict.width, verdict.height, verdict.rotation = width, height, rotation
        verdict.display_width, verdict.display_height = dw, dh
        if (dw, dh) != (req.width, req.height):
            notes = [orientation_label(dw, dh)]
            if rotation:
                notes.append(f"存储为 {width}×{height}、旋转 {rotation}°")
            if sar != 1:
                notes.append(f"像素宽高比 {sar.numerator}:{sar.denominator}")
            reasons.append(f"画面 {dw}×{dh}（{'，'.join(notes)}），要求 {req.width}×{req.height} "
                           f"{orientation_label(req.width, req.height)}。")
    verdict.ok = not reasons
    return verdict


def _truncation(streams: list[dict]) -> Optional[str]:
    """A reason when the container announces more frames than the file holds (ffprobe
    ``-count_packets``): an upload or export cut short whose index survived at the front."""
    for s in streams:
        announced, read = _int(s.get("nb_frames")), _int(s.get("nb_read_packets"))
        if announced and read is not None and read < announced and s.get("codec_type") == "video":
            return (f"文件不完整：只读到 {read}/{announced} 帧（上传或导出时被截断），"
                    "要求上传完整的视频文件。")
    return None


def _minutes(seconds: int) -> str:
    return str(seconds // 60) if seconds % 60 == 0 else f"{seconds / 60:g}"


def failure(message: str) -> Verdict:
    """A verdict for a file that could not be probed at all (not media, truncated, timed out)."""
    return Verdict(ok=False, reasons=[message])
