import sqlalchemy as sa
from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user

from contest.accounts.models import Role
from contest.accounts.permissions import public_view, roles_required
from contest.extensions import db

bp = Blueprint("core", __name__)


@bp.route("/")
@public_view
def index():
    """Public landing page of the current contest."""
    return render_template("core/index.html")


@bp.route("/dashboard")
@roles_required(Role.ORGANIZER)
def dashboard():
    """Organizer home."""
    return render_template("core/dashboard.html")


@bp.route("/unit")
@roles_required(Role.UNIT)
def unit_home():
    """Submitting unit home."""
    return render_template("core/unit_home.html")


@bp.route("/expert")
@roles_required(Role.EXPERT)
def expert_home():
    """Expert home."""
    return render_template("core/expert_home.html")


@bp.route("/healthz")
@public_view
def healthz():
    """Liveness and database status as JSON."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        status, code = "ok", 200
    except Exception as exc:  # report, never raise: this is what monitors poll
        db.session.rollback()
        status, code = f"error: {type(exc).__name__}", 503
    return jsonify(status="ok" if code == 200 else "degraded", database=status), code
