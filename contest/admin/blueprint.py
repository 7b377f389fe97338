"""The organizer back office. One guard for every view of the blueprint: organizers only."""
from flask import Blueprint, abort
from flask_login import current_user

from contest.extensions import login_manager

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def organizers_only():
    """Anonymous visitors go to the login page; units and experts get 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_organizer:
        abort(403)
    return None
