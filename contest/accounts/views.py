from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from contest.accounts.forms import LoginForm, PasswordForm
from contest.accounts.permissions import login_only, public_view
from contest.accounts.services import AccountError, authenticate, change_password
from contest.core import audit
from contest.core.request_info import client_ip
from contest.core.clock import now
from contest.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _login_limit():
    from flask import current_app
    return current_app.config["LOGIN_RATE_LIMIT"]


def home_for(user) -> str:
    if user.is_organizer:
        return url_for("core.dashboard")
    if user.is_unit:
        return url_for("core.unit_home")
    return url_for("core.expert_home")


def _safe_next(target: str | None) -> str | None:
    # Only local paths: never redirect to another site after login. Browsers and Werkzeug drop
    # control characters and whitespace from a Location ("/<TAB>/evil" becomes "//evil") and treat
    # a backslash as "/", so a target containing any of them is refused outright.
    if not target or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@public_view
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Log in with username and password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, now=now(), ip=client_ip())
        except AccountError as exc:
            db.session.commit()  # keep the failed-login audit entry
            flash(str(exc), "error")
            return render_template("accounts/login.html", form=form), 200
        # A fresh session: nothing from before the login (CSRF token, chosen contest, pending
        # import) carries over into the account's session.
        session.clear()
        login_user(user)
        db.session.commit()
        flash(f"欢迎，{user.display_name or user.username}。", "success")
        return redirect(_safe_next(request.args.get("next")) or home_for(user))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_only
def logout():
    """Log out (POST with CSRF token)."""
    audit.record("logout", actor=current_user, target=current_user, ip=client_ip())
    db.session.commit()
    logout_user()
    flash("您已退出登录。", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_only
def password():
    """Change one's own password."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.old_password.data, form.new_password.data,
                            now=now(), ip=client_ip())
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            db.session.commit()
            # The change ended every session of the account; keep this browser logged in.
            login_user(current_user._get_current_object())
            flash("密码已修改。", "success")
            return redirect(home_for(current_user))
    return render_template("accounts/password.html", form=form)
