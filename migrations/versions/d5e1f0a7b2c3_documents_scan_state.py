"""antivirus state of stored documents

Revision ID: d5e1f0a7b2c3
Revises: c48ab8113db5
Create Date: 2026-12-02 08:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d5e1f0a7b2c3"
down_revision = "c48ab8113db5"
branch_labels = None
depends_on = None

SCAN_STATUS = sa.Enum(
    "en_attente", "sain", "infecte", "erreur", "non_analyse", name="scanstatus", native_enum=False, length=20
)


def upgrade():
    # Documents stored before the antivirus existed: "non_analyse". The worker scans them as soon as the
    # antivirus is on; until then they are served as before, and the back office says it is off.
    with op.batch_alter_table("application_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scan_status", SCAN_STATUS, nullable=False, server_default="non_analyse"))
        batch_op.add_column(sa.Column("scan_detail", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("scanned_at", sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f("ix_application_documents_scan_status"), ["scan_status"], unique=False)
    with op.batch_alter_table("application_documents", schema=None) as batch_op:
        batch_op.alter_column("scan_status", existing_type=SCAN_STATUS, server_default=None)
        batch_op.alter_column("scan_detail", existing_type=sa.String(length=300), server_default=None)


def downgrade():
    with op.batch_alter_table("application_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_documents_scan_status"))
        batch_op.drop_column("scanned_at")
        batch_op.drop_column("scan_detail")
        batch_op.drop_column("scan_status")
