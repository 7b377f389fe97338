"""RoleBlueprint: one guard for a whole blueprint, and the access marker the security matrix reads."""
import pytest

from contest.accounts.models import Role
from contest.accounts.permissions import Access, RoleBlueprint, declared_access, public_view, roles_required


def test_role_blueprint_marks_every_view_with_its_roles():
    bp = RoleBlueprint("office", __name__, roles=(Role.ORGANIZER,))

    @bp.route("/page")
    def page():
        return ""

    assert declared_access(page) == Access("roles", frozenset({Role.ORGANIZER}))


def test_role_blueprint_accepts_a_view_declaring_the_same_roles():
    bp = RoleBlueprint("office", __name__, roles=(Role.ORGANIZER,))

    @bp.route("/page")
    @roles_required(Role.ORGANIZER)
    def page():
        return ""

    assert declared_access(page) == Access("roles", frozenset({Role.ORGANIZER}))


def test_role_blueprint_refuses_a_view_declaring_other_access():
    bp = RoleBlueprint("office", __name__, roles=(Role.ORGANIZER,))
    with pytest.raises(ValueError, match="every view of blueprint 'office' is for \\['organizer'\\] only"):
        @bp.route("/open")
        @public_view
        def open_page():
            return ""
