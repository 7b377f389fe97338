"""Drop two vote indexes no query uses (every vote paid for them on write).

The fraud monitor filters votes by contest and time or by entry and time (ix_vote_contest_created,
ix_vote_entry_created); nothing looks votes up by IP across contests or by network and time.

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.drop_index("ix_vote_ip_created")
        batch_op.drop_index("ix_vote_contest_net_created")


def downgrade():
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.create_index("ix_vote_contest_net_created", ["contest_id", "net_hash", "created_at"], unique=False)
        batch_op.create_index("ix_vote_ip_created", ["ip_hash", "created_at"], unique=False)
