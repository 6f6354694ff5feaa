"""The yardstick of bench (b): a bare Flask app doing the least a registration needs.

The same exchange as the site's: the webinar page (the site's own bytes, read once), a POST of the
same form that is parsed, checked for its required fields and inserted as one row in the same
database (``DATABASE_URL``), a redirect, and the registration's page (the site's bytes) once its row
is read back by token. No template, no ORM, no lock, no mail. Served by gunicorn with the site's
settings; ``BENCH_BARE_DIR`` holds the two pages (written by bench/run.py).
"""

import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, Response, abort, redirect, request

folder = Path(os.environ["BENCH_BARE_DIR"])
FORM_PAGE = (folder / "form.html").read_bytes()
REGISTRATION_PAGE = (folder / "registration.html").read_bytes()
FIELDS = ("last_name", "first_name", "email", "structure_name", "structure_type", "departement", "role", "question")

url = os.environ["DATABASE_URL"]
engine = sa.create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
metadata = sa.MetaData()
registrations = sa.Table(
    "bare_registrations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("webinar_id", sa.Integer, nullable=False),
    sa.Column("token", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    *(sa.Column(name, sa.String(320), nullable=False) for name in FIELDS),
)
metadata.create_all(engine)

app = Flask(__name__)


@app.get("/webinaires/<int:webinar_id>")
def form(webinar_id):
    return Response(FORM_PAGE, content_type="text/html; charset=utf-8")


@app.post("/webinaires/<int:webinar_id>")
def register(webinar_id):
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    if not all(values[name] for name in FIELDS if name != "question") or request.form.get("consent") != "y":
        abort(400)
    token = secrets.token_urlsafe(24)
    with engine.begin() as connection:
        connection.execute(
            registrations.insert().values(webinar_id=webinar_id, token=token, created_at=datetime.now(UTC), **values)
        )
    return redirect(f"/inscription/{token}", 303)


@app.get("/inscription/<token>")
def registration(token):
    with engine.connect() as connection:
        if connection.execute(sa.select(registrations.c.id).where(registrations.c.token == token)).first() is None:
            abort(404)
    return Response(REGISTRATION_PAGE, content_type="text/html; charset=utf-8")
