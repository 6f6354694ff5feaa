"""Documents keep the name of the requested item they answer

A file sent in answer to a complements request is shown under the item the référent named
(« Procès-verbal de la dernière assemblée générale »), in the follow-up page, the back office and
the summary PDF. Files sent before have none: they keep their kind's label.

Revision ID: b4affda25fbe
Revises: d5e1f0a7b2c3
Create Date: 2026-12-02 09:49:16.957839

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b4affda25fbe"
down_revision = "d5e1f0a7b2c3"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("application_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requested_item", sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table("application_documents", schema=None) as batch_op:
        batch_op.drop_column("requested_item")
