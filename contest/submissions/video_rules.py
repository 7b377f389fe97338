"""附件2 field rules for a video entry (pure: plain values in, Chinese messages out).

The same 字数 rule as the case form (contest.submissions.counting): 剧情摘要 ≤ 100 字,
作品简介 ≤ 800 字. A draft needs only its title; submission needs every required field, an
accepted video file, the stamped scan of the form (the notice asks for the form 加盖单位公章 for
both attachments) and the originality declaration.
"""
from __future__ import annotations

from typing import Any, Optional

from contest.submissions.counting import count_chars, over_limit_message

SYNOPSIS_LIMIT = 100
INTRODUCTION_LIMIT = 800
# The notice's wording for the declaration a unit must make.
DECLARATION_TEXT = ("本单位承诺：参选作品为原创作品，不存在抄袭、侵权等行为；作品内容合法合规、积极健康，"
                    "所填报信息真实准确。如有不实，自愿承担相应责任。")

# field -> (label, max stored length or None for Text)
FIELDS: dict[str, tuple[str, Optional[int]]] = {
    "title": ("作品名称", 200),
    "category": ("作品类别", None),
    "director": ("导演", 100),
    "producer": ("制片人或制片单位", 200),
    "contact": ("参选单位联系人及电话", 100),
    "honors": ("曾获区县级以上主要荣誉", 2000),
    "synopsis": ("参选作品剧情摘要", None),
    "introduction": ("参选作品简介", None),
    "recommender_opinion": ("推荐单位意见", 2000),
    "remarks": ("备注", 2000),
}
REQUIRED_TO_SUBMIT = ("title", "category", "director", "producer", "contact", "synopsis", "introduction")


def normalize_text(value: Any) -> str:
    """Trim surrounding whitespace and unify line endings."""
    return str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def field_errors(data: dict[str, Any]) -> dict[str, str]:
    """What even a draft must respect: a title, column lengths and the two 字数 limits."""
    errors: dict[str, str] = {}
    if not normalize_text(data.get("title")):
        errors["title"] = "请填写作品名称（保存草稿也需要作品名称，便于区分）。"
    for name, (label, max_len) in FIELDS.items():
        value = normalize_text(data.get(name))
        if max_len is not None and name not in errors and len(value) > max_len:
            errors[name] = f"{label}共 {len(value)} 个字符，超过 {max_len} 个字符的上限，请删减。"
    for name, limit in (("synopsis", SYNOPSIS_LIMIT), ("introduction", INTRODUCTION_LIMIT)):
        msg = over_limit_message(FIELDS[name][0], count_chars(normalize_text(data.get(name))), limit)
        if msg:
            errors[name] = msg
    return errors


SCAN_MISSING = "请上传加盖单位公章的推荐表扫描件（PDF、JPG 或 PNG）。"


def submit_problems(data: dict[str, Any], *, has_accepted_video: bool, has_scan: bool,
                    declared: bool) -> dict[str, str]:
    """Everything that blocks submission, field -> Chinese message (empty dict: submittable)."""
    errors = field_errors(data)
    for name in REQUIRED_TO_SUBMIT:
        if name not in errors and not normalize_text(data.get(name)):
            label = FIELDS[name][0]
            errors[name] = f"请选择{label}。" if name == "category" else f"请填写{label}。"
    if not has_accepted_video:
        errors["video_file"] = "请上传符合要求的视频文件（2–5 分钟，1080×1920 竖屏）。"
    if not has_scan:
        errors["scan"] = SCAN_MISSING
    if not declared:
        errors["declaration"] = "请勾选原创及内容合法合规声明。"
    return errors
