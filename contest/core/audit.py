"""Writing audit entries. Services call ``record``; the request edge commits."""
from __future__ import annotations

from typing import Any, Optional

from contest.core.models import AuditLog
from contest.core.clock import now as _clock_now
from contest.extensions import db

# Action codes -> Chinese labels shown in the audit viewer. Features add their own codes here.
ACTION_LABELS = {
    "login": "登录",
    "login_failed": "登录失败",
    "logout": "退出登录",
    "password_changed": "修改密码",
    "account_created": "创建账号",
    "account_updated": "修改账号",
    "account_disabled": "停用账号",
    "account_enabled": "启用账号",
    "password_reset": "重置密码",
    "unit_created": "创建单位",
    "unit_updated": "修改单位",
    "units_imported": "导入单位",
    "unit_deleted": "删除单位",
    "contest_created": "创建活动",
    "contest_updated": "修改活动设置",
    "phase_changed": "修改阶段时间",
    "phase_override": "手动开启/关闭阶段",
    "case_created": "新建案例",
    "case_updated": "修改案例",
    "case_submitted": "提交案例",
    "case_withdrawn": "撤回案例",
    "case_deleted": "删除案例草稿",
    "video_created": "新建短视频",
    "video_updated": "修改短视频",
    "video_submitted": "提交短视频",
    "video_withdrawn": "撤回短视频",
    "video_deleted": "删除短视频草稿",
    "file_uploaded": "上传文件",
    "screened": "初筛",
    "votes_voided": "作废投票",
    "assignment_changed": "调整评审分配",
    "score_submitted": "提交评分",
    "score_reopened": "退回评分",
    "rubric_updated": "修改评分标准",
    "results_frozen": "冻结结果",
    "results_unfrozen": "解冻结果",
    "results_published": "发布结果",
    "winners_changed": "调整获奖名单",
}


def record(
    action: str,
    *,
    actor=None,
    contest_id: Optional[int] = None,
    target=None,
    target_type: str = "",
    target_id: Optional[int] = None,
    summary: str = "",
    detail: Optional[dict[str, Any]] = None,
    ip: str = "",
    now=None,
) -> AuditLog:
    """Append an audit entry (flushed, not committed).

    ``actor`` is a User or None (anonymous / system). ``target`` may be any model with an ``id``;
    its class name becomes ``target_type`` unless one is given.
    """
    if target is not None:
        target_type = target_type or type(target).__name__.lower()
        target_id = target.id
    entry = AuditLog(
        at=now or _clock_now(),
        actor_id=getattr(actor, "id", None),
        actor_label=(getattr(actor, "label", None) or getattr(actor, "username", "")) if actor else "系统",
        action=action,
        contest_id=contest_id,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:500],
        detail=detail,
        ip=ip[:64],
    )
    db.session.add(entry)
    db.session.flush()
    return entry
