"""The notice's video rules on plain ffprobe-shaped dicts (no app, no ffmpeg)."""
from fractions import Fraction

from contest.media.rules import (Requirements, display_size, evaluate, failure, format_duration, rotation_of,
                                 sample_aspect_ratio)


def probe(width=1080, height=1920, duration="150.0", *, rotation=None, rotate_tag=None, sar=None,
          audio=True, nb_frames=None, nb_read=None, format_name="mov,mp4,m4a,3gp,3g2,mj2"):
    video = {"codec_type": "video", "codec_name": "h264", "width": width, "height": height}
    if rotation is not None:
        video["side_data_list"] = [{"side_data_type": "Display Matrix", "rotation": rotation}]
    if rotate_tag is not None:
        video["tags"] = {"rotate": rotate_tag}
    if sar is not None:
        video["sample_aspect_ratio"] = sar
    if nb_frames is not None:
        video["nb_frames"] = str(nb_frames)
        video["nb_read_packets"] = str(nb_read)
    streams = [video]
    if audio:
        streams.append({"codec_type": "audio", "codec_name": "aac"})
    return {"streams": streams, "format": {"duration": duration, "format_name": format_name}}


def test_evaluate_portrait_1080x1920_150s_is_ok():
    v = evaluate(probe())
    assert v.ok is True
    assert v.reasons == []
    assert (v.duration, v.width, v.height, v.rotation, v.display_width, v.display_height) == (150.0, 1080, 1920, 0, 1080, 1920)
    assert (v.video_codec, v.audio_codec) == ("h264", "aac")


def test_evaluate_duration_bounds_are_inclusive():
    assert evaluate(probe(duration="120.0")).ok is True
    assert evaluate(probe(duration="300.0")).ok is True
    # AAC priming makes real files a few milliseconds long; whole seconds are what counts.
    assert evaluate(probe(duration="300.023")).ok is True
    assert evaluate(probe(duration="119.6")).ok is True


def test_evaluate_119s_states_measured_and_required():
    v = evaluate(probe(duration="119.0"))
    assert v.ok is False
    assert v.reasons == ["时长 1分59秒，要求 2–5 分钟。"]


def test_evaluate_301s_is_refused():
    assert evaluate(probe(duration="301.0")).reasons == ["时长 5分1秒，要求 2–5 分钟。"]


def test_evaluate_landscape_is_refused_with_orientation():
    assert evaluate(probe(1920, 1080)).reasons == ["画面 1920×1080（横屏），要求 1080×1920 竖屏。"]


def test_evaluate_720x1280_and_1088x1920_are_refused():
    assert evaluate(probe(720, 1280)).reasons == ["画面 720×1280（竖屏），要求 1080×1920 竖屏。"]
    assert evaluate(probe(1088, 1920)).reasons == ["画面 1088×1920（竖屏），要求 1080×1920 竖屏。"]


def test_evaluate_phone_recording_stored_landscape_with_rotation_is_portrait():
    v = evaluate(probe(1920, 1080, rotation=-90))
    assert v.ok is True
    assert (v.rotation, v.display_width, v.display_height) == (90, 1080, 1920)


def test_evaluate_legacy_rotate_tag_counts_too():
    v = evaluate(probe(1920, 1080, rotate_tag="90"))
    assert v.ok is True
    assert v.rotation == 90


def test_evaluate_rotated_portrait_storage_becomes_landscape():
    v = evaluate(probe(1080, 1920, rotation=90))
    assert v.reasons == ["画面 1920×1080（横屏，存储为 1080×1920、旋转 270°），要求 1080×1920 竖屏。"]


def test_evaluate_non_square_pixels_stretch_the_width():
    assert evaluate(probe(810, 1920, sar="4:3")).ok is True
    assert evaluate(probe(1080, 1920, sar="4:3")).reasons == [
        "画面 1440×1920（竖屏，像素宽高比 4:3），要求 1080×1920 竖屏。"]


def test_evaluate_reports_every_failed_rule():
    assert evaluate(probe(1920, 1080, duration="60")).reasons == [
        "时长 1分0秒，要求 2–5 分钟。", "画面 1920×1080（横屏），要求 1080×1920 竖屏。"]


def test_evaluate_audio_only_has_no_picture():
    p = probe()
    p["streams"] = [{"codec_type": "audio", "codec_name": "aac"}]
    v = evaluate(p)
    assert v.ok is False
    assert v.reasons == ["文件中没有视频画面（只有音频或无法识别的内容），要求上传含视频画面的 MP4/MOV 文件。"]
    assert v.audio_codec == "aac"


def test_evaluate_cover_art_is_not_a_picture():
    p = probe()
    p["streams"] = [{"codec_type": "audio", "codec_name": "mp3"},
                    {"codec_type": "video", "codec_name": "mjpeg", "width": 1080, "height": 1920,
                     "disposition": {"attached_pic": 1}}]
    assert evaluate(p).reasons[0].startswith("文件中没有视频画面")


def test_evaluate_image_file_is_not_a_video():
    assert evaluate(probe(1, 1, duration=None, format_name="png_pipe")).reasons == [
        "文件是一张图片，不是视频，要求上传含视频画面的 MP4/MOV 文件。"]


def test_evaluate_cut_off_file_with_index_at_front_is_refused():
    assert evaluate(probe(nb_frames=150, nb_read=72)).reasons == [
        "文件不完整：只读到 72/150 帧（上传或导出时被截断），要求上传完整的视频文件。"]
    assert evaluate(probe(nb_frames=150, nb_read=150)).ok is True


def test_evaluate_missing_duration_and_size():
    p = probe(duration=None)
    p["streams"][0].pop("width")
    assert evaluate(p).reasons == ["无法读取视频时长（文件可能不完整），请重新导出后上传。",
                                   "无法读取画面尺寸（文件可能已损坏），请重新导出后上传。"]


def test_evaluate_custom_requirements():
    req = Requirements(min_seconds=60, max_seconds=90, width=720, height=1280)
    assert evaluate(probe(720, 1280, duration="75"), req).ok is True
    assert evaluate(probe(720, 1280, duration="150"), req).reasons == ["时长 2分30秒，要求 1–1.5 分钟。"]


def test_evaluate_garbage_values_do_not_raise():
    v = evaluate({"streams": [{"codec_type": "video", "width": "x", "height": None,
                               "side_data_list": [{"rotation": "nan"}], "sample_aspect_ratio": "a:b"}],
                  "format": {"duration": "N/A"}})
    assert v.ok is False
    assert len(v.reasons) == 2
    assert evaluate({}).ok is False


def test_rotation_of_normalises():
    assert rotation_of({"side_data_list": [{"rotation": -90}]}) == 90
    assert rotation_of({"side_data_list": [{"rotation": 90}]}) == 270
    assert rotation_of({"side_data_list": [{"rotation": 180}]}) == 180
    assert rotation_of({"side_data_list": [{"rotation": 45}]}) == 0
    assert rotation_of({"tags": {"rotate": "270"}}) == 270
    assert rotation_of({}) == 0


def test_sample_aspect_ratio_defaults_to_square():
    assert sample_aspect_ratio({"sample_aspect_ratio": "0:1"}) == 1
    assert sample_aspect_ratio({"sample_aspect_ratio": "N/A"}) == 1
    assert sample_aspect_ratio({"sample_aspect_ratio": "4:3"}) == Fraction(4, 3)


def test_display_size():
    assert display_size(1920, 1080, Fraction(1), 90) == (1080, 1920)
    assert display_size(810, 1920, Fraction(4, 3), 0) == (1080, 1920)


def test_format_duration():
    assert format_duration(119) == "1分59秒"
    assert format_duration(45.2) == "45秒"
    assert format_duration(299.5) == "5分0秒"


def test_failure_verdict():
    v = failure("坏文件")
    assert (v.ok, v.reasons, v.duration) == (False, ["坏文件"], None)
    assert set(v.to_dict()) == {"ok", "reasons", "duration", "width", "height", "rotation", "display_width",
                                "display_height", "video_codec", "audio_codec"}
