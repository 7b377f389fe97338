"""Blueprint registry: one line per feature."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from contest.core.views import bp as core_bp
    from contest.accounts.views import bp as accounts_bp

    app.register_blueprint(core_bp)
    app.register_blueprint(accounts_bp)
