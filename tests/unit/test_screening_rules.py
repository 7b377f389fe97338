from contest.screening.rules import decision_error


def test_pass_without_reason_is_fine():
    assert decision_error("passed", "") is None


def test_reject_needs_reason():
    assert decision_error("rejected", "  ") == "选择“不通过”时必须填写原因，申报单位会看到该原因。"
    assert decision_error("rejected", "内容与信用体系建设无关") is None


def test_unknown_decision_refused():
    assert decision_error("", "") == "请选择初筛结果：通过 或 不通过。"
    assert decision_error("maybe", "x") == "请选择初筛结果：通过 或 不通过。"


def test_only_submitted_entries_are_screened():
    assert decision_error("passed", "", "draft") == "只有已提交的作品才能初筛（草稿或已撤回的作品不参加初筛）。"


def test_reason_length_capped():
    assert decision_error("rejected", "长" * 501) == "原因不能超过500字，当前501字。"
    assert decision_error("rejected", "长" * 500) is None
