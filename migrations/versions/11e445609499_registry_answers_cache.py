"""registry answers cache: the API Recherche d'entreprises' answer per SIRET, SIREN or RNA, kept
COMPANY_LOOKUP_CACHE_HOURS hours

Revision ID: 11e445609499
Revises: b4affda25fbe
Create Date: 2026-12-02 06:52:56.989859

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "11e445609499"
down_revision = "b4affda25fbe"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "registry_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=14), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_answers")),
        sa.UniqueConstraint("identifier", name=op.f("uq_registry_answers_identifier")),
    )
    with op.batch_alter_table("registry_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_answers_fetched_at"), ["fetched_at"], unique=False)


def downgrade():
    with op.batch_alter_table("registry_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_answers_fetched_at"))
    op.drop_table("registry_answers")
