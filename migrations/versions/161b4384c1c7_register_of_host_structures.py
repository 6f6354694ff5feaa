"""register of host structures: structures, habilitations, posts and tutors of the list, history;
the decision's facts on applications

The applications already decided « Habiliter » enter the register as the decision service would
have entered them: one structure per SIRET (else RNA) in a département, a habilitation of five years
from the day the decision was recorded (none for a public body, habilitated by right), their posts
inscribed, and an entry « reprise » in the history. Their decision's facts (date, authority,
opinions) were never asked: they stay empty, and the attestation says what it said before.

On SQLite the new columns of ``applications`` are added and dropped in place (ALTER TABLE): a batch
copy of that table would drop the old one, and with foreign keys on, cascade to its posts and events.

Revision ID: 161b4384c1c7
Revises: 5c1e2a7d9b04
Create Date: 2026-12-02 10:20:00.000000

"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "161b4384c1c7"
down_revision = "5c1e2a7d9b04"
branch_labels = None
depends_on = None

PARIS = ZoneInfo("Europe/Paris")
PUBLIC_BODY = "personne_publique"
POST_FIELDS = (
    "title",
    "tasks",
    "place",
    "schedule",
    "hours_per_week",
    "places_count",
    "minors_allowed",
    "physical_effort",
    "accessible_reduced_mobility",
    "constraints_notes",
)
TUTOR_FIELDS = ("last_name", "first_name", "role", "birth_date", "birth_place")

applications = sa.table(
    "applications",
    *(
        sa.column(name)
        for name in (
            "id",
            "reference",
            "status",
            "decided_at",
            "structure_type",
            "structure_name",
            "siret",
            "rna",
            "address",
            "postal_code",
            "commune",
            "departement_code",
            "contact_last_name",
            "contact_first_name",
            "contact_role",
            "contact_email",
            "contact_phone",
        )
    ),
)
application_posts = sa.table(
    "application_posts",
    sa.column("id"),
    sa.column("application_id"),
    sa.column("position"),
    *map(sa.column, POST_FIELDS),
)
application_tutors = sa.table(
    "application_tutors", sa.column("post_id"), sa.column("position"), *map(sa.column, TUTOR_FIELDS)
)
host_structures = sa.table(
    "host_structures",
    *(
        sa.column(name)
        for name in (
            "id",
            "name",
            "structure_type",
            "siret",
            "rna",
            "address",
            "postal_code",
            "commune",
            "departement_code",
            "contact_last_name",
            "contact_first_name",
            "contact_role",
            "contact_email",
            "contact_phone",
            "standing",
            "habilitation_ends_on",
            "created_at",
            "updated_at",
        )
    ),
)
habilitations = sa.table(
    "habilitations",
    *map(sa.column, ("structure_id", "application_id", "is_renewal", "starts_on", "ends_on", "recorded_at")),
)
host_posts = sa.table(
    "host_posts",
    *map(
        sa.column,
        (
            "id",
            "structure_id",
            "position",
            *POST_FIELDS,
            "status",
            "inscribed_on",
            "application_id",
            "created_at",
            "updated_at",
        ),
    ),
)
host_tutors = sa.table("host_tutors", sa.column("post_id"), sa.column("position"), *map(sa.column, TUTOR_FIELDS))
structure_events = sa.table(
    "structure_events",
    *map(
        sa.column,
        ("structure_id", "created_at", "kind", "actor_label", "detail", "reason", "application_id"),
    ),
)


def _five_years_later(day: date) -> date:
    try:
        return day.replace(year=day.year + 5)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 5, day=28)


def _paris_day(value) -> date:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC).astimezone(PARIS).date()


def _insert(connection, table, values) -> int | None:
    """Insert one row; its id when the table has one (RETURNING: SQLite 3.35+ and PostgreSQL)."""
    if "id" in table.c:
        return connection.execute(sa.insert(table).values(**values).returning(table.c.id)).scalar_one()
    connection.execute(sa.insert(table).values(**values))
    return None


def _register_decided_applications(connection) -> None:
    """Enter every application decided « Habiliter » in the register, oldest decision first."""
    now = datetime.now(UTC).replace(tzinfo=None)
    structures: dict[tuple[str, str, str], dict] = {}  # (département, "siret"/"rna", value) -> structure
    decided = connection.execute(
        sa.select(applications)
        .where(applications.c.status == "habilitee", applications.c.decided_at.is_not(None))
        .where(applications.c.departement_code.is_not(None))
        .order_by(applications.c.decided_at, applications.c.id)
    ).all()
    for application in decided:
        keys = [
            (application.departement_code, kind, value)
            for kind, value in (("siret", application.siret), ("rna", application.rna))
            if value
        ]
        structure = next((structures[key] for key in keys if key in structures), None)
        public_body = application.structure_type == PUBLIC_BODY
        decided_on = _paris_day(application.decided_at)
        identity = {
            name: getattr(application, name)
            for name in (
                "siret",
                "rna",
                "address",
                "postal_code",
                "commune",
                "departement_code",
                "contact_last_name",
                "contact_first_name",
                "contact_role",
                "contact_email",
                "contact_phone",
            )
        }
        identity.update(name=application.structure_name, structure_type=application.structure_type or "association")
        if structure is None:
            structure_id = _insert(
                connection,
                host_structures,
                {
                    **identity,
                    "standing": "de_droit" if public_body else "habilitee",
                    "habilitation_ends_on": None,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            structure = {"id": structure_id, "ends_on": None, "posts": {}, "habilitated": False}
        else:
            connection.execute(
                sa.update(host_structures).where(host_structures.c.id == structure["id"]).values(**identity)
            )
        for key in keys:
            structures[key] = structure
        detail = f"Décision enregistrée le {decided_on:%d/%m/%Y}, candidature {application.reference}"
        if not public_body:
            ends_on = _five_years_later(decided_on)
            _insert(
                connection,
                habilitations,
                {
                    "structure_id": structure["id"],
                    "application_id": application.id,
                    "is_renewal": structure["habilitated"],
                    "starts_on": decided_on,
                    "ends_on": ends_on,
                    "recorded_at": now,
                },
            )
            structure["habilitated"] = True
            structure["ends_on"] = max(filter(None, (structure["ends_on"], ends_on)))
            detail = f"Habilitation du {decided_on:%d/%m/%Y} au {ends_on:%d/%m/%Y} ; {detail}"
        connection.execute(
            sa.update(host_structures)
            .where(host_structures.c.id == structure["id"])
            .values(
                standing="de_droit" if public_body else "habilitee",
                habilitation_ends_on=None if public_body else structure["ends_on"],
            )
        )
        _insert(
            connection,
            structure_events,
            {
                "structure_id": structure["id"],
                "created_at": now,
                "kind": "migrated",
                "actor_label": "Système",
                "detail": detail,
                "reason": "",
                "application_id": application.id,
            },
        )
        posts = connection.execute(
            sa.select(application_posts)
            .where(application_posts.c.application_id == application.id)
            .order_by(application_posts.c.position, application_posts.c.id)
        ).all()
        for source in posts:
            values = {name: getattr(source, name) for name in POST_FIELDS}
            values.update(inscribed_on=decided_on, application_id=application.id, updated_at=now)
            title_key = (source.title or "").strip().casefold()
            post_id = structure["posts"].get(title_key)  # a later decision's post of the same title updates it
            if post_id is None:
                post_id = _insert(
                    connection,
                    host_posts,
                    {
                        **values,
                        "structure_id": structure["id"],
                        "position": len(structure["posts"]),
                        "status": "inscrit",
                        "created_at": now,
                    },
                )
                structure["posts"][title_key] = post_id
            else:
                connection.execute(sa.update(host_posts).where(host_posts.c.id == post_id).values(**values))
                connection.execute(sa.delete(host_tutors).where(host_tutors.c.post_id == post_id))
            tutors = connection.execute(
                sa.select(application_tutors)
                .where(application_tutors.c.post_id == source.id)
                .order_by(application_tutors.c.position)
            ).all()
            for tutor in tutors:
                _insert(
                    connection,
                    host_tutors,
                    {"post_id": post_id, "position": tutor.position, **{n: getattr(tutor, n) for n in TUTOR_FIELDS}},
                )


# The decision's facts, added to applications in place (see above).
DECISION_COLUMNS = (
    lambda: sa.Column("decision_date", sa.Date(), nullable=True),
    lambda: sa.Column("decision_authority", sa.String(length=300), nullable=True),
    lambda: sa.Column("prosecutor_opinion_on", sa.Date(), nullable=True),
    lambda: sa.Column("jap_opinion_on", sa.Date(), nullable=True),
    lambda: sa.Column("prefect_opinion_on", sa.Date(), nullable=True),
)


def upgrade():
    op.create_table(
        "host_structures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column(
            "structure_type",
            sa.Enum(
                "personne_publique",
                "personne_privee_service_public",
                "association",
                "cooperative",
                "mutuelle",
                "fondation",
                "societe_commerciale_ess",
                "societe_a_mission",
                "autre_entreprise",
                name="structuretype",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("rna", sa.String(length=10), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("commune", sa.String(length=200), nullable=False),
        sa.Column("departement_code", sa.String(length=3), nullable=False),
        sa.Column("contact_last_name", sa.String(length=150), nullable=False),
        sa.Column("contact_first_name", sa.String(length=150), nullable=False),
        sa.Column("contact_role", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=False),
        sa.Column(
            "standing",
            sa.Enum("habilitee", "retiree", "de_droit", name="standing", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("habilitation_ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_structures")),
    )
    with op.batch_alter_table("host_structures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_host_structures_departement_standing",
            ["departement_code", "standing", "habilitation_ends_on"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_host_structures_name"), ["name"], unique=False)
        batch_op.create_index(
            "uq_host_structures_departement_rna",
            ["departement_code", "rna"],
            unique=True,
            sqlite_where=sa.text("rna IS NOT NULL"),
            postgresql_where=sa.text("rna IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_host_structures_departement_siret",
            ["departement_code", "siret"],
            unique=True,
            sqlite_where=sa.text("siret IS NOT NULL"),
            postgresql_where=sa.text("siret IS NOT NULL"),
        )

    op.create_table(
        "habilitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("is_renewal", sa.Boolean(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawal_authority", sa.String(length=300), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("withdrawal_recorded_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_habilitations_application_id_applications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["referents.id"],
            name=op.f("fk_habilitations_recorded_by_id_referents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["host_structures.id"],
            name=op.f("fk_habilitations_structure_id_host_structures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by_id"],
            ["referents.id"],
            name=op.f("fk_habilitations_withdrawn_by_id_referents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_habilitations")),
        sa.UniqueConstraint("application_id", name=op.f("uq_habilitations_application_id")),
    )
    with op.batch_alter_table("habilitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_habilitations_ends_on"), ["ends_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_habilitations_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "host_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("tasks", sa.Text(), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("schedule", sa.String(length=300), nullable=False),
        sa.Column("hours_per_week", sa.Integer(), nullable=False),
        sa.Column("places_count", sa.Integer(), nullable=False),
        sa.Column("minors_allowed", sa.Boolean(), nullable=False),
        sa.Column("physical_effort", sa.Boolean(), nullable=False),
        sa.Column("accessible_reduced_mobility", sa.Boolean(), nullable=False),
        sa.Column("constraints_notes", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("demande", "inscrit", "radie", name="poststatus", native_enum=False, length=10),
            nullable=False,
        ),
        sa.Column("requested_on", sa.Date(), nullable=True),
        sa.Column("inscribed_on", sa.Date(), nullable=True),
        sa.Column("removed_on", sa.Date(), nullable=True),
        sa.Column("removal_reason", sa.Text(), nullable=True),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_host_posts_application_id_applications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["host_structures.id"],
            name=op.f("fk_host_posts_structure_id_host_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_posts")),
    )
    with op.batch_alter_table("host_posts", schema=None) as batch_op:
        batch_op.create_index("ix_host_posts_structure_status", ["structure_id", "status"], unique=False)

    op.create_table(
        "structure_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("structure_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "registered",
                "habilitated",
                "renewed",
                "posts_inscribed_by_right",
                "decision_cancelled",
                "withdrawn",
                "post_inscribed",
                "post_updated",
                "post_removed",
                "migrated",
                name="structureeventkind",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("actor_referent_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_referent_id"],
            ["referents.id"],
            name=op.f("fk_structure_events_actor_referent_id_referents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_structure_events_application_id_applications"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["structure_id"],
            ["host_structures.id"],
            name=op.f("fk_structure_events_structure_id_host_structures"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_structure_events")),
    )
    with op.batch_alter_table("structure_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_structure_events_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "host_tutors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("last_name", sa.String(length=150), nullable=False),
        sa.Column("first_name", sa.String(length=150), nullable=False),
        sa.Column("role", sa.String(length=200), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_place", sa.String(length=150), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["host_posts.id"], name=op.f("fk_host_tutors_post_id_host_posts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_tutors")),
    )
    with op.batch_alter_table("host_tutors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_host_tutors_post_id"), ["post_id"], unique=False)

    for column in DECISION_COLUMNS:
        op.add_column("applications", column())
    _register_decided_applications(op.get_bind())


def downgrade():
    for column in reversed(DECISION_COLUMNS):
        op.drop_column("applications", column().name)

    with op.batch_alter_table("host_tutors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_host_tutors_post_id"))

    op.drop_table("host_tutors")
    with op.batch_alter_table("structure_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_structure_events_structure_id"))

    op.drop_table("structure_events")
    with op.batch_alter_table("host_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_host_posts_structure_status")

    op.drop_table("host_posts")
    with op.batch_alter_table("habilitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_habilitations_structure_id"))
        batch_op.drop_index(batch_op.f("ix_habilitations_ends_on"))

    op.drop_table("habilitations")
    with op.batch_alter_table("host_structures", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_host_structures_departement_siret",
            sqlite_where=sa.text("siret IS NOT NULL"),
            postgresql_where=sa.text("siret IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_host_structures_departement_rna",
            sqlite_where=sa.text("rna IS NOT NULL"),
            postgresql_where=sa.text("rna IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_host_structures_name"))
        batch_op.drop_index("ix_host_structures_departement_standing")

    op.drop_table("host_structures")
