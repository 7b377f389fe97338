"""The Alembic migrations build exactly the schema the models describe (on this test's database), and the
migrations that check existing data refuse data they cannot migrate."""
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from contest.extensions import db


@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index")
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_migrations_match_models(make_app, fresh_database):
    # On PostgreSQL too: SQLite cannot reflect expression indexes (uq_user_username_lower; both warnings
    # above say so), so only there does the comparison cover them.
    target = make_app(SQLALCHEMY_DATABASE_URI=fresh_database)
    with target.app_context():
        upgrade()
        with db.engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            diff = compare_metadata(ctx, db.metadata)
        assert diff == [], f"models and migrations differ; run 'make migration': {diff}"


def _usernames_insert(conn, *names):
    # Plain SQL: the rows a database at any revision since 0003 can hold, without the models' defaults.
    for name in names:
        conn.execute(sa.text(
            'INSERT INTO "user" (username, password_hash, role, display_name, phone, title, affiliation, '
            "active, created_at, session_token) VALUES (:name, 'x', 'organizer', '', '', '', '', :yes, "
            ":now, :token)"), {"name": name, "yes": True, "now": "2024-05-01 08:00:00", "token": name.lower()})


def _revision(conn) -> str:
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()


def test_migration_0004_makes_usernames_unique_ignoring_case_and_downgrades(make_app, fresh_database):
    target = make_app(SQLALCHEMY_DATABASE_URI=fresh_database)
    with target.app_context():
        upgrade()
        with db.engine.connect() as conn:
            assert _revision(conn) == "0004"
            _usernames_insert(conn, "Alice")
            conn.commit()
            with pytest.raises(sa.exc.IntegrityError, match="uq_user_username_lower"):
                _usernames_insert(conn, "aLICE")
            conn.rollback()
        downgrade(revision="0003")
        with db.engine.connect() as conn:
            assert _revision(conn) == "0003"
            _usernames_insert(conn, "aLICE")  # without the index, case variants are possible again
            conn.commit()
            assert sorted(conn.execute(sa.text('SELECT username FROM "user"')).scalars()) == ["Alice", "aLICE"]


def test_migration_0004_refuses_a_database_with_case_variants_and_names_them(make_app, fresh_database):
    target = make_app(SQLALCHEMY_DATABASE_URI=fresh_database)
    with target.app_context():
        upgrade(revision="0003")
        with db.engine.connect() as conn:
            _usernames_insert(conn, "Alice", "bob", "alice", "Yanta", "YANTA", "carol")
            conn.commit()
        config = target.extensions["migrate"].migrate.get_config()
        with pytest.raises(RuntimeError) as refused:
            command.upgrade(config, "head")
        assert str(refused.value) == (
            "无法建立用户名唯一索引（不区分大小写）：以下账号的用户名只有大小写不同——"
            "“Alice”（id 1）、“alice”（id 3）；“Yanta”（id 4）、“YANTA”（id 5）。"
            "请先将每组中除一个以外的账号改名（例如 UPDATE \"user\" SET username = '新用户名' WHERE id = …;），"
            "并告知账号使用人，然后重新运行 flask db upgrade。")
        with db.engine.connect() as conn:
            assert _revision(conn) == "0003"
            conn.execute(sa.text("UPDATE \"user\" SET username = 'alice2' WHERE id = 3"))
            conn.execute(sa.text("UPDATE \"user\" SET username = 'yanta_old' WHERE id = 5"))
            conn.commit()
        command.upgrade(config, "head")  # renamed: the upgrade goes through, and no account was renamed by it
        with db.engine.connect() as conn:
            assert _revision(conn) == "0004"
            assert sorted(conn.execute(sa.text('SELECT username FROM "user"')).scalars()) == [
                "Alice", "Yanta", "alice2", "bob", "carol", "yanta_old"]
