"""Organizer views: accounts, units and import, contests and schedule, quotas, audit log.

The routes live in one module per area; importing them registers them on ``bp``.
"""
from contest.admin.blueprint import bp
from contest.admin import (account_views, audit_views, contest_views, quota_views,  # noqa: F401
                           unit_views)
from contest.core.nav import register_nav

register_nav("organizer", "账号", "admin.accounts", 10)
register_nav("organizer", "单位", "admin.units", 11)
register_nav("organizer", "活动设置", "admin.contests", 12)
register_nav("organizer", "报送进度", "admin.quotas", 13)
register_nav("organizer", "操作日志", "admin.audit", 90)

__all__ = ["bp"]
