"""outbox holds references, rendered by the worker

Revision ID: 94195dbb1c24
Revises: fdcb62eb5d47
Create Date: 2026-12-02 06:48:00.938452

The outbox no longer stores rendered bodies: a row holds its mail's kind and context (references to
rows, frozen values), and the worker renders it when it sends it. Mails still waiting in the old form
cannot be rendered in the new one: deliver them first (``flask outbox deliver`` with the previous
version), the upgrade refuses to run while any is waiting. Mails already sent or given up keep their
row (dedupe keys, history) with an empty context.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "94195dbb1c24"
down_revision = "fdcb62eb5d47"
branch_labels = None
depends_on = None


def upgrade():
    waiting = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM outbox_messages WHERE status IN ('QUEUED', 'SENDING')")
    )
    if waiting:
        raise RuntimeError(
            f"{waiting} courriel(s) attendent dans la file d'envoi : envoyez-les avec la version précédente "
            "(flask outbox deliver) avant cette mise à jour."
        )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=60), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("context", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.drop_column("body_html")
        batch_op.drop_column("body_text")
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column("kind", server_default=None)
        batch_op.alter_column("context", server_default=None)


def downgrade():
    # The bodies of the mails sent meanwhile were never stored: they come back empty.
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_text", sa.TEXT(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("body_html", sa.TEXT(), nullable=False, server_default=""))
        batch_op.drop_column("context")
        batch_op.drop_column("kind")
