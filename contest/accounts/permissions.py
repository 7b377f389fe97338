"""View access markers. Every view declares who may reach it, and the security matrix test
(tests/integration/test_security_matrix.py) reads the declaration back with ``declared_access``:

- ``@public_view``: anyone, including anonymous visitors (object-level checks stay in the view);
- ``@login_only``: any logged-in account; anonymous visitors go to the login page;
- ``@roles_required(Role.X, ...)``: those roles; anonymous visitors go to the login page, others get 403.

Put the marker directly under ``@bp.route``. A blueprint whose every view is for the same roles is a
``RoleBlueprint`` instead: one hook guards all its views and marks each of them, so its views carry no
marker. Object-level refusal (someone else's entry) is the view's job and answers 404.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Callable, Optional

from flask import Blueprint, abort
from flask_login import current_user
from werkzeug.wrappers import Response

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


def _refuse_unless(roles: frozenset | tuple) -> Optional[Response]:
    """None for an account of ``roles``; the login redirect for anonymous visitors; 403 (aborts) otherwise."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in roles:
        abort(403)
    return None


def roles_required(*roles: Role):
    """Only accounts of ``roles``; anonymous visitors go to the login page, other roles get 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            refusal = _refuse_unless(roles)
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)
        return _mark(wrapped, Access("roles", frozenset(roles)))
    return decorator


class RoleBlueprint(Blueprint):
    """A blueprint whose every view is for ``roles`` only, answered as ``roles_required`` does.

    A ``before_request`` hook does the check, so a view added later cannot forget it; each view is marked
    with the same access as it is registered, so ``declared_access`` (and the security matrix) reads it.
    Raises ValueError when a view declares a different access of its own: the hook would overrule it.
    """

    def __init__(self, name: str, import_name: str, *, roles: tuple[Role, ...], **kwargs):
        super().__init__(name, import_name, **kwargs)
        self.access = Access("roles", frozenset(roles))
        self.before_request(self._check_role)

    def _check_role(self):
        return _refuse_unless(self.access.roles)

    def add_url_rule(self, rule, endpoint=None, view_func=None, provide_automatic_options=None, **options):
        if view_func is not None:
            own = declared_access(view_func)
            if own is not None and own != self.access:
                raise ValueError(f"{view_func.__name__} declares {own}, but every view of blueprint "
                                 f"{self.name!r} is for {sorted(r.value for r in self.access.roles)} only")
            _mark(view_func, self.access)
        super().add_url_rule(rule, endpoint, view_func, provide_automatic_options, **options)


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
