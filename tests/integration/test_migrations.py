"""The Alembic migrations build exactly the schema the models describe (on this test's database)."""
import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from contest import create_app
from contest.extensions import db
from tests.conftest import make_test_config


def test_migrations_match_models(tmp_path):
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("checked on SQLite; PostgreSQL runs the same migration in 'make test-pg' setup")
    app = create_app(make_test_config(tmp_path, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path/'m.db'}"),
                     instance_path=tmp_path / "instance")
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(ctx, db.metadata)
        assert diff == [], f"models and migrations differ; run 'make migration': {diff}"
        db.engine.dispose()
