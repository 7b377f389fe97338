"""Pure 初筛 rules: which decision needs what. No Flask, no database."""
from __future__ import annotations

from typing import Optional

DECISIONS = ("passed", "rejected")
REASON_MAX = 500


def decision_error(decision: str, reason: str, entry_state: str = "submitted") -> Optional[str]:
    """The Chinese reason a 初筛 decision is invalid, or None.

    Only submitted entries are screened; 不通过 needs a reason (the unit reads it); reasons are ≤ 500 字符.
    """
    if entry_state != "submitted":
        return "只有已提交的作品才能初筛（草稿或已撤回的作品不参加初筛）。"
    if decision not in DECISIONS:
        return "请选择初筛结果：通过 或 不通过。"
    reason = (reason or "").strip()
    if decision == "rejected" and not reason:
        return "选择“不通过”时必须填写原因，申报单位会看到该原因。"
    if len(reason) > REASON_MAX:
        return f"原因不能超过{REASON_MAX}字，当前{len(reason)}字。"
    return None
