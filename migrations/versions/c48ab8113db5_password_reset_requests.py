"""password reset requests, handled by the worker

Revision ID: c48ab8113db5
Revises: 9861cd69e4d4
Create Date: 2026-12-02 07:40:44.507907

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c48ab8113db5"
down_revision = "9861cd69e4d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "password_reset_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_requests")),
    )


def downgrade():
    op.drop_table("password_reset_requests")
