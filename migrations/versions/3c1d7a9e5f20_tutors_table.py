"""tutors of a post in their own table

The tutors' identity (name, first name, role, date and commune of birth: personal data asked for
the inscription of a post) moves from a JSON list in application_posts.tutors to one row each in
application_tutors, in their order. The downgrade writes the JSON back.

Revision ID: 3c1d7a9e5f20
Revises: b6f343f8c808
Create Date: 2026-12-02 09:00:00.000000

"""

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "3c1d7a9e5f20"
down_revision = "b6f343f8c808"
branch_labels = None
depends_on = None

posts = sa.table("application_posts", sa.column("id", sa.Integer()), sa.column("tutors", sa.JSON()))
tutors = sa.table(
    "application_tutors",
    sa.column("post_id", sa.Integer()),
    sa.column("position", sa.Integer()),
    sa.column("last_name", sa.String()),
    sa.column("first_name", sa.String()),
    sa.column("role", sa.String()),
    sa.column("birth_date", sa.Date()),
    sa.column("birth_place", sa.String()),
)


def _birth_date(value):
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):  # never written by the wizard; not a date: dropped, not guessed
        return None


def _text(value, length):
    return str(value or "").strip()[:length]


def _tutor_rows(connection) -> list[dict]:
    rows = []
    for post_id, value in connection.execute(sa.select(posts.c.id, posts.c.tutors)):
        listed = json.loads(value) if isinstance(value, str) else value
        for position, tutor in enumerate(listed or []):
            if not isinstance(tutor, dict):
                continue
            rows.append(
                {
                    "post_id": post_id,
                    "position": position,
                    "last_name": _text(tutor.get("last_name"), 150),
                    "first_name": _text(tutor.get("first_name"), 150),
                    "role": _text(tutor.get("role"), 200),
                    "birth_date": _birth_date(tutor.get("birth_date")),
                    "birth_place": _text(tutor.get("birth_place"), 150),
                }
            )
    return rows


# Read first, then change the tables: on SQLite a batch operation copies application_posts into a new
# table and drops the old one, which would cascade to the tutors' rows if they already existed.


def upgrade():
    rows = _tutor_rows(op.get_bind())
    with op.batch_alter_table("application_posts", schema=None) as batch_op:
        batch_op.drop_column("tutors")

    op.create_table(
        "application_tutors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("last_name", sa.String(length=150), nullable=False),
        sa.Column("first_name", sa.String(length=150), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_place", sa.String(length=150), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["application_posts.id"],
            name=op.f("fk_application_tutors_post_id_application_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_tutors")),
    )
    with op.batch_alter_table("application_tutors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_application_tutors_post_id"), ["post_id"], unique=False)
    if rows:
        op.bulk_insert(tutors, rows)


def downgrade():
    connection = op.get_bind()
    listed: dict[int, list[dict]] = {}
    for row in connection.execute(sa.select(tutors).order_by(tutors.c.post_id, tutors.c.position)):
        listed.setdefault(row.post_id, []).append(
            {
                "last_name": row.last_name,
                "first_name": row.first_name,
                "role": row.role,
                "birth_date": row.birth_date.isoformat() if row.birth_date else "",
                "birth_place": row.birth_place,
            }
        )
    with op.batch_alter_table("application_tutors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_tutors_post_id"))
    op.drop_table("application_tutors")

    with op.batch_alter_table("application_posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tutors", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("application_posts", schema=None) as batch_op:
        batch_op.alter_column("tutors", server_default=None)
    for post_id, values in listed.items():
        connection.execute(sa.update(posts).where(posts.c.id == post_id).values(tutors=values))
