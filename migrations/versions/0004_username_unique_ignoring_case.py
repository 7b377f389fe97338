"""Usernames unique ignoring case in the database: a unique index on lower(username).

The app already refuses a username that differs from an existing one only in letter case, but two
requests creating “Alice” and “alice” at the same moment could both pass that check. Before creating
the index the upgrade looks for existing case variants and stops, naming them, when there are any: an
operator renames one of each pair (accounts are never renamed silently), then upgrades again.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

INDEX = "uq_user_username_lower"


def case_variant_groups(conn) -> list[list[tuple[int, str]]]:
    """Every set of usernames equal ignoring case, as (id, username) in id order."""
    user = sa.table("user", sa.column("id", sa.Integer), sa.column("username", sa.String))
    key = sa.func.lower(user.c.username)
    shared = sa.select(key).group_by(key).having(sa.func.count() > 1)
    groups: dict[str, list[tuple[int, str]]] = {}
    for user_id, username, lowered in conn.execute(
            sa.select(user.c.id, user.c.username, key).where(key.in_(shared)).order_by(key, user.c.id)):
        groups.setdefault(lowered, []).append((user_id, username))
    return list(groups.values())


def upgrade():
    groups = case_variant_groups(op.get_bind())
    if groups:
        listed = "；".join("、".join(f"“{name}”（id {i}）" for i, name in group) for group in groups)
        raise RuntimeError(
            "无法建立用户名唯一索引（不区分大小写）：以下账号的用户名只有大小写不同——" + listed + "。"
            "请先将每组中除一个以外的账号改名（例如 UPDATE \"user\" SET username = '新用户名' WHERE id = …;），"
            "并告知账号使用人，然后重新运行 flask db upgrade。")
    op.create_index(INDEX, "user", [sa.text("lower(username)")], unique=True)


def downgrade():
    op.drop_index(INDEX, table_name="user")
