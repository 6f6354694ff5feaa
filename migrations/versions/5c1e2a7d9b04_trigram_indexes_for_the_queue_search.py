"""trigram indexes for the queue's text search (PostgreSQL)

Revision ID: 5c1e2a7d9b04
Revises: 94195dbb1c24
Create Date: 2026-12-02 08:00:00.000000

The référents' queue searches names, SIRET, RNA and references with "contains" (LIKE '%…%'): without
an index, PostgreSQL reads every application. pg_trgm's GIN indexes serve those patterns. SQLite
keeps scanning (nothing to create there).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5c1e2a7d9b04"
down_revision = "94195dbb1c24"
branch_labels = None
depends_on = None

SEARCH_INDEXES = {
    "name": "lower(structure_name)",
    "siret": "siret",
    "rna": "rna",
    "reference": "upper(reference)",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in SEARCH_INDEXES.items():
        op.create_index(
            f"ix_applications_search_{name}",
            "applications",
            [sa.text(f"{expression} gin_trgm_ops")],
            postgresql_using="gin",
        )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in SEARCH_INDEXES:
        op.drop_index(f"ix_applications_search_{name}", table_name="applications")
