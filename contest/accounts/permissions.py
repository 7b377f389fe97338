"""View access markers. Every view declares who may reach it, and the security matrix test
(tests/integration/test_security_matrix.py) reads the declaration back with ``declared_access``:

- ``@public_view``: anyone, including anonymous visitors (object-level checks stay in the view);
- ``@login_only``: any logged-in account; anonymous visitors go to the login page;
- ``@roles_required(Role.X, ...)``: those roles; anonymous visitors go to the login page, others get 403.

Put the marker directly under ``@bp.route``. Object-level refusal (someone else's entry) is the
view's job and answers 404.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable, Optional

from flask import abort
from flask_login import current_user

from contest.accounts.models import Role
from contest.extensions import login_manager

ACCESS_ATTR = "_contest_access"


@dataclass(frozen=True)
class Access:
    """A view's declared access: kind is 'public', 'login' or 'roles' (then ``roles`` is set)."""
    kind: str
    roles: frozenset = frozenset()

    def allows(self, role: Optional[Role]) -> bool:
        """Whether an account of ``role`` (None = anonymous) passes the role check."""
        if self.kind == "public":
            return True
        if role is None:
            return False
        return self.kind == "login" or role in self.roles


def _mark(view: Callable, access: Access) -> Callable:
    setattr(view, ACCESS_ATTR, access)
    return view


def public_view(view: Callable) -> Callable:
    """Mark a view as open to everyone (anonymous included)."""
    return _mark(view, Access("public"))


def login_only(view: Callable) -> Callable:
    """Any logged-in account; anonymous visitors are sent to the login page."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)
    return _mark(wrapped, Access("login"))


def roles_required(*roles: Role):
    """Only accounts of ``roles``; anonymous visitors go to the login page, other roles get 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return _mark(wrapped, Access("roles", frozenset(roles)))
    return decorator


def declared_access(view: Callable) -> Optional[Access]:
    """The access a view declared with one of the markers above, or None when it declared none."""
    seen = 0
    while view is not None and seen < 20:
        access = getattr(view, ACCESS_ATTR, None)
        if access is not None:
            return access
        view = getattr(view, "__wrapped__", None)
        seen += 1
    return None


organizer_required = roles_required(Role.ORGANIZER)
unit_required = roles_required(Role.UNIT)
expert_required = roles_required(Role.EXPERT)
