"""security stamp of accounts, login attempts per channel (trusted device, blocked)

Revision ID: 9861cd69e4d4
Revises: 3c1d7a9e5f20
Create Date: 2026-12-02 06:47:51.183916

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9861cd69e4d4"
down_revision = "3c1d7a9e5f20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device_id", sa.String(length=64), nullable=True))
        # Existing rows were all counted attempts: not blocked.
        batch_op.add_column(sa.Column("blocked", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f("ix_login_attempts_device_id"), ["device_id"], unique=False)
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.alter_column("blocked", server_default=None)

    # Every existing account gets its own random stamp (the model's default gives new ones theirs).
    op.add_column("referents", sa.Column("security_stamp", sa.String(length=64), nullable=True))
    referents = sa.table("referents", sa.column("id", sa.Integer), sa.column("security_stamp", sa.String))
    connection = op.get_bind()
    for (referent_id,) in connection.execute(sa.select(referents.c.id)).all():
        connection.execute(
            referents.update().where(referents.c.id == referent_id).values(security_stamp=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table("referents", schema=None) as batch_op:
        batch_op.alter_column("security_stamp", existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table("referents", schema=None) as batch_op:
        batch_op.drop_column("security_stamp")

    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_device_id"))
        batch_op.drop_column("blocked")
        batch_op.drop_column("device_id")
