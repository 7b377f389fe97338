"""Navigation by role. Each feature registers its menu items next to its views, so adding a
feature never edits the base template."""
from __future__ import annotations

from dataclasses import dataclass

from flask import url_for


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    order: int


_ITEMS: dict[str, list[NavItem]] = {"organizer": [], "unit": [], "expert": [], "public": []}


def register_nav(role: str, label: str, endpoint: str, order: int = 50) -> None:
    """Add a menu item for a role ('organizer', 'unit', 'expert' or 'public')."""
    items = _ITEMS[role]
    if not any(i.endpoint == endpoint for i in items):
        items.append(NavItem(label, endpoint, order))
        items.sort(key=lambda i: i.order)


def nav_for(user) -> list[tuple[str, str, str]]:
    """(label, url, endpoint) for the menu of ``user`` (anonymous gets the public menu)."""
    role = user.role.value if getattr(user, "is_authenticated", False) else "public"
    return [(i.label, url_for(i.endpoint), i.endpoint) for i in _ITEMS[role]]


register_nav("organizer", "工作台", "core.dashboard", 0)
register_nav("unit", "首页", "core.unit_home", 0)
register_nav("expert", "评审首页", "core.expert_home", 0)
register_nav("public", "首页", "core.index", 0)
