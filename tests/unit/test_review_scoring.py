from decimal import Decimal

import pytest

from contest.review import rubric, scoring
from contest.review.scoring import Criterion, ScoreInputError

INNOV = Criterion(1, "改革创新力度", 30)
EFFECT = Criterion(2, "实践效果", 30)


def test_parse_score_accepts_half_steps_and_fullwidth():
    assert scoring.parse_score("18.5", INNOV) == Decimal("18.50")
    assert scoring.parse_score(" 30 ", INNOV) == Decimal("30.00")
    assert scoring.parse_score("０", INNOV) == Decimal("0.00")
    assert scoring.parse_score("１２．５", INNOV) == Decimal("12.50")


def test_parse_score_empty_is_none():
    assert scoring.parse_score("", INNOV) is None
    assert scoring.parse_score(None, INNOV) is None
    assert scoring.parse_score("   ", INNOV) is None


def test_parse_score_over_max_refused():
    with pytest.raises(ValueError) as exc:
        scoring.parse_score("30.5", INNOV)
    assert str(exc.value) == "“改革创新力度”最高30分，填写的30.5分超过了满分。"


def test_parse_score_negative_refused():
    with pytest.raises(ValueError) as exc:
        scoring.parse_score("-1", INNOV)
    assert str(exc.value) == "“改革创新力度”不能为负数，须在0～30分之间。"


@pytest.mark.parametrize("text", ["abc", "十分", "1e", "NaN", "Infinity", "1,5"])
def test_parse_score_non_numeric_refused(text):
    with pytest.raises(ValueError) as exc:
        scoring.parse_score(text, INNOV)
    assert "须填写数字（0～30分）" in str(exc.value)


def test_parse_score_not_half_step_refused():
    with pytest.raises(ValueError) as exc:
        scoring.parse_score("12.3", INNOV)
    assert str(exc.value) == "“改革创新力度”须以0.5分为单位（如 18 或 18.5），不能填写12.3分。"


def test_parse_sheet_draft_allows_missing_submit_requires_all():
    assert scoring.parse_sheet([INNOV, EFFECT], {1: "20"}, complete=False) == {1: Decimal("20.00"), 2: None}
    with pytest.raises(ScoreInputError) as exc:
        scoring.parse_sheet([INNOV, EFFECT], {1: "20"}, complete=True)
    assert exc.value.errors == {2: "请填写“实践效果”的得分（0～30分）后再提交。"}


def test_parse_sheet_reports_every_error():
    with pytest.raises(ScoreInputError) as exc:
        scoring.parse_sheet([INNOV, EFFECT], {1: "31", 2: "x"}, complete=False)
    assert sorted(exc.value.errors) == [1, 2]


def test_total_sums_filled_values():
    assert scoring.total({1: Decimal("18.5"), 2: None, 3: Decimal("20")}) == Decimal("38.50")
    assert scoring.total({}) == Decimal("0.00")


def test_completion_percent():
    assert scoring.completion_percent(1, 3) == 33
    assert scoring.completion_percent(3, 3) == 100
    assert scoring.completion_percent(0, 0) == 100


def test_default_rubrics_follow_the_notice_and_add_to_100():
    case = rubric.default_rubric("case")
    video = rubric.default_rubric("video")
    assert [(c.name, c.max_score) for c in case] == [("改革创新力度", 30), ("实践效果", 30), ("影响范围", 20),
                                                      ("可推广可复制性", 20)]
    assert [(c.name, c.max_score) for c in video] == [("主题契合度", 25), ("内容创意", 25), ("制作水平", 30),
                                                       ("传播效果", 20)]
    assert all(c.description for c in case + video)
    assert rubric.validate_rubric(case) == [] and rubric.validate_rubric(video) == []


def test_validate_rubric_total_must_be_100():
    rows = [rubric.CriterionSpec("创新", 50, ""), rubric.CriterionSpec("效果", 40, "")]
    assert rubric.validate_rubric(rows) == ["各项满分合计须为100分，当前合计90分。"]


def test_validate_rubric_names_and_maximums():
    rows = [rubric.CriterionSpec("", 50, ""), rubric.CriterionSpec("效果", 0, ""), rubric.CriterionSpec("效果", 50, "")]
    assert rubric.validate_rubric(rows) == ["第1项：请填写指标名称。", "第2项：满分须为不小于1的整数。",
                                            "第3项：指标名称“效果”重复，每项指标名称须不同。"]
    assert rubric.validate_rubric([]) == ["评分标准至少需要一项评分指标。"]
