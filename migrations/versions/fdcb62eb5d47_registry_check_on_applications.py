"""registry check on applications: what the Annuaire des entreprises said of the structure, and whether the
declared type or département contradicts it

Revision ID: fdcb62eb5d47
Revises: 11e445609499
Create Date: 2026-12-02 10:09:44.514442

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "fdcb62eb5d47"
down_revision = "11e445609499"
branch_labels = None
depends_on = None


# Plain ALTER TABLE ADD/DROP COLUMN, not a batch operation: on SQLite a batch copies ``applications`` into a
# new table and drops the old one, and that DROP would cascade to the posts, tutors and documents.
def upgrade():
    op.add_column("applications", sa.Column("registry_check", sa.JSON(), nullable=True))
    # sa.false(): FALSE on PostgreSQL, 0 on SQLite (existing rows: nothing checked, nothing flagged).
    op.add_column(
        "applications", sa.Column("registry_mismatch", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade():
    op.drop_column("applications", "registry_mismatch")
    op.drop_column("applications", "registry_check")
