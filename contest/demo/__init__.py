"""The demo: a realistic contest relative to today so that every phase has something to show.

Each feature contributes a seeder module in this package; ``seed_demo`` calls them in order.
"""
from __future__ import annotations

from contest.core.timeutil import utcnow

DEMO_PASSWORD = "Demo2024xa"  # demo only; printed on start, never used in production

# (role label, username) pairs printed after seeding; seeders append to it.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = []


def seed_demo(now=None) -> dict:
    """Seed every feature's demo data. Returns a dict of what was created (for tests)."""
    from contest.demo import base

    now = now or utcnow()
    ctx: dict = {"now": now}
    base.seed(ctx)
    for name in ("cases", "videos", "screening", "voting", "review", "ranking"):
        module = _optional(name)
        if module is not None:
            module.seed(ctx)
    return ctx


def _optional(name: str):
    import importlib

    try:
        return importlib.import_module(f"contest.demo.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"contest.demo.{name}":
            return None
        raise


def print_accounts(echo) -> None:
    echo("")
    echo("演示账号（密码均为 %s）：" % DEMO_PASSWORD)
    from contest.demo.base import demo_account_rows

    for role, username, note in demo_account_rows():
        echo(f"  {role:<8} {username:<16} {note}")
    echo("")
    echo("打开 http://127.0.0.1:5000/login 登录。")
