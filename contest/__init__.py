"""信用案例征集评选平台 — application factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from contest.config import PROJECT_ROOT, build_config
from contest.core.text_input import CleanRequest
from contest.extensions import csrf, db, limiter, login_manager, migrate


def create_app(config: dict | None = None, instance_path: str | Path | None = None) -> Flask:
    """Build the app. ``config`` overrides the environment-derived settings (tests use it)."""
    instance_path = Path(instance_path or (config or {}).get("INSTANCE_PATH") or PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.request_class = CleanRequest
    app.config.update(build_config(instance_path))
    if config:
        app.config.update(config)

    proxies = int(app.config.get("TRUSTED_PROXY_COUNT") or 0)
    if proxies > 0:
        # Only then is X-Forwarded-For believed; otherwise spoofed headers change nothing.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    from contest.core import models as _core_models  # noqa: F401  (register tables)
    from contest.core.db import install_sqlite_pragmas
    from contest.models import import_all_models

    import_all_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    install_sqlite_pragmas()

    from contest.core.web import register_web

    register_web(app)
    from contest.blueprints import register_blueprints

    register_blueprints(app)
    from contest.core.cli import register_cli

    register_cli(app)
    return app
