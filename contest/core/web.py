"""Request-level glue: error pages, template filters, security headers, the user loader."""
from __future__ import annotations

import hmac
from urllib.parse import quote

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.http import parse_options_header

from contest.core.request_info import IdConverter
from contest.core.timeutil import format_beijing, format_deadline, format_remaining
from contest.extensions import db, login_manager

ERROR_TEXT = {
    400: ("请求有误", "提交的内容无法处理，请返回检查后重试。"),
    403: ("无权访问", "您没有权限访问此页面。如需访问，请联系市信用办。"),
    404: ("页面不存在", "您访问的页面不存在或已被删除。"),
    405: ("操作不允许", "此页面不支持该操作。"),
    409: ("操作冲突", "该操作与当前状态冲突，请刷新后重试。"),
    413: ("文件过大", "上传的文件超过了允许的大小，请压缩后重新上传。"),
    429: ("操作过于频繁", "您的操作过于频繁，请稍后再试。"),
    500: ("系统繁忙", "服务器出现错误，已记录。请稍后重试；如仍有问题请联系市信用办。"),
}


def wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json" or \
        request.path.startswith("/api/")


def error_response(code: int, message: str | None = None):
    title, default = ERROR_TEXT.get(code, ("出错了", "请求无法完成。"))
    text = message or default
    if wants_json():
        return jsonify(ok=False, error=text), code
    return render_template("errors/error.html", code=code, title=title, message=text), code


def require_full_body(wsgi_app):
    """Make a body that ends before its Content-Length an error, not a shorter body.

    gunicorn marks its input as terminated, so Werkzeug would hand the raw stream to the app and a
    dropped connection would look like a short upload (or a short form). Without the mark Werkzeug
    reads through a LimitedStream that raises ClientDisconnected (400) when the client hangs up early."""
    def middleware(environ, start_response):
        if environ.get("CONTENT_LENGTH"):
            environ.pop("wsgi.input_terminated", None)
        return wsgi_app(environ, start_response)
    return middleware


def register_web(app: Flask) -> None:
    from contest.accounts.models import User

    app.url_map.converters["int"] = IdConverter  # before any blueprint adds its routes
    app.wsgi_app = require_full_body(app.wsgi_app)

    @login_manager.user_loader
    def load_user(session_id: str):
        # session_id is User.get_id(): "<id>:<session token>". A disabled account's open sessions,
        # and those opened before a password change or reset, end at their next request.
        user_id, _, token = str(session_id).partition(":")
        user = db.session.get(User, int(user_id)) if user_id.isdigit() and token else None
        if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
            return None
        return user

    login_manager.login_view = "accounts.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "warning"

    for code in ERROR_TEXT:
        def handler(exc, code=code):
            if code == 500:
                db.session.rollback()
            desc = getattr(exc, "description", None)
            # Werkzeug's English default descriptions are replaced by our Chinese text.
            custom = desc if isinstance(desc, str) and _is_chinese(desc) else None
            return error_response(code, custom)
        app.register_error_handler(code, handler)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, "页面已过期或安全校验失败（CSRF），请刷新页面后重新提交。")

    app.jinja_env.filters["bj"] = format_beijing
    app.jinja_env.filters["deadline"] = format_deadline
    app.jinja_env.filters["remaining"] = format_remaining

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
            "style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; "
            "form-action 'self'; base-uri 'self'",
        )
        if request.is_secure:
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        _latin1_attachment_name(resp)
        return resp

    @app.context_processor
    def inject_globals():
        from flask_login import current_user

        from contest.contests.context import get_current_contest
        from contest.core.nav import nav_for
        return {"current_contest": get_current_contest(), "nav_items": nav_for(current_user)}

    @app.teardown_request
    def _clear(exc):
        # Per-request caches live on g; drop them so that nothing leaks when an outer app
        # context (a CLI command, a test) spans several requests.
        for key in ("_current_contest", "_login_user", "csrf_token"):
            g.pop(key, None)


def _latin1_attachment_name(resp) -> None:
    """HTTP headers are Latin-1: a download whose Content-Disposition carries a raw Chinese file
    name makes the WSGI server (gunicorn, werkzeug) fail the whole response. Re-encode such a name
    as RFC 6266 ``filename*=UTF-8''…`` with an ASCII fallback; any other header is left alone."""
    value = resp.headers.get("Content-Disposition")
    if not value:
        return
    try:
        value.encode("latin-1")
        return
    except UnicodeEncodeError:
        pass
    kind, params = parse_options_header(value)
    name = params.pop("filename", "") or params.pop("filename*", "")
    fallback = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "").replace("\\", "_")
    resp.headers["Content-Disposition"] = (
        f"{kind or 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}")


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
