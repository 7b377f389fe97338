"""The organizer back office. One guard for every view of the blueprint: organizers only
(anonymous visitors go to the login page, units and experts get 403)."""
from contest.accounts.models import Role
from contest.accounts.permissions import RoleBlueprint

bp = RoleBlueprint("admin", __name__, url_prefix="/admin", roles=(Role.ORGANIZER,))
