"""Pure rubric rules: the default criteria drawn from the 2024 notice's 征集标准, and rubric validation.

No Flask, no database: plain values in, plain values out.
"""
from __future__ import annotations

from dataclasses import dataclass

RUBRIC_TOTAL = 100
NAME_MAX = 100


@dataclass(frozen=True)
class CriterionSpec:
    name: str
    max_score: int
    description: str


# 征集标准: "改革创新力度大、效果好、影响广，具有可推广性可复制性，已经显现实践效果".
DEFAULT_CASE_RUBRIC = [
    CriterionSpec("改革创新力度", 30,
                  "创新性：运用信用理念和方式解决经济社会运行中的难点、堵点、痛点问题，举措有突破、有特色。"),
    CriterionSpec("实践效果", 30,
                  "已显现成效：举措已落地实施，取得可量化、可验证的工作成效和社会效益。"),
    CriterionSpec("影响范围", 20,
                  "影响力：覆盖的行业、群体和地域范围，社会关注度与示范带动作用。"),
    CriterionSpec("可推广可复制性", 20,
                  "做法成熟、机制清晰，可在其他地区、行业推广和复制。"),
]

# Videos: "围绕信用主题，原创，内容积极健康向上"; 剧情类/纪实类/动画类, 2–5 分钟, 9:16 1080×1920.
DEFAULT_VIDEO_RUBRIC = [
    CriterionSpec("主题契合度", 25,
                  "紧扣社会信用体系建设主题，内容积极健康向上，导向正确。"),
    CriterionSpec("内容创意", 25,
                  "原创性强，选题新颖，叙事或表现手法有创意，能引发共鸣。"),
    CriterionSpec("制作水平", 30,
                  "画面、声音、剪辑和字幕质量；符合时长2-5分钟、竖屏9:16、1080×1920的格式要求。"),
    CriterionSpec("传播效果", 20,
                  "通俗易懂、感染力强，适合在新媒体平台传播，具有较好的宣传推广价值。"),
]


def default_rubric(kind: str) -> list[CriterionSpec]:
    """The default criteria for an entry kind ('case' or 'video'). Raises KeyError for another kind."""
    return list({"case": DEFAULT_CASE_RUBRIC, "video": DEFAULT_VIDEO_RUBRIC}[kind])


def validate_rubric(rows: list[CriterionSpec]) -> list[str]:
    """Chinese error messages for an edited rubric; empty when it is valid.

    Rules: at least one criterion; every name filled in, at most NAME_MAX characters and unique;
    every maximum a whole number ≥ 1; the maximums add up to exactly 100.
    """
    errors: list[str] = []
    if not rows:
        return ["评分标准至少需要一项评分指标。"]
    seen: set[str] = set()
    for i, row in enumerate(rows, start=1):
        name = row.name.strip()
        if not name:
            errors.append(f"第{i}项：请填写指标名称。")
        elif len(name) > NAME_MAX:
            errors.append(f"第{i}项：指标名称不能超过{NAME_MAX}个字。")
        elif name in seen:
            errors.append(f"第{i}项：指标名称“{name}”重复，每项指标名称须不同。")
        seen.add(name)
        if not isinstance(row.max_score, int) or row.max_score < 1:
            errors.append(f"第{i}项：满分须为不小于1的整数。")
    total = sum(r.max_score for r in rows if isinstance(r.max_score, int))
    if total != RUBRIC_TOTAL:
        errors.append(f"各项满分合计须为{RUBRIC_TOTAL}分，当前合计{total}分。")
    return errors
