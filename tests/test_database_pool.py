"""Pooled PostgreSQL connections: one the server cut while it sat in the pool is replaced instead of
failing the request (``pool_pre_ping``); a page that only reads runs outside a transaction.
PostgreSQL pass of ``make test`` only (SQLite opens a file: there is no server to lose)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from config import TestingConfig

pytestmark = pytest.mark.postgresql_only


def _app(test_database, tmp_path):
    return create_app(
        TestingConfig,
        SQLALCHEMY_DATABASE_URI=test_database.url_for_test(tmp_path),
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )


def _pooled_backend_pid(app) -> int:
    """Use one pooled connection, give it back to the pool and return its server process id."""
    with app.app_context():
        pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
        db.session.remove()
    return pid


def _cut(app, pid: int) -> None:
    """What a server restart or an idle timeout does to a pooled connection."""
    admin = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def test_a_connection_cut_while_in_the_pool_is_replaced_before_use(app, test_database, tmp_path):
    site = _app(test_database, tmp_path)
    pid = _pooled_backend_pid(site)
    _cut(site, pid)
    response = site.test_client().get("/webinaires")
    assert response.status_code == 200
    assert _pooled_backend_pid(site) != pid
    with site.app_context():
        db.engine.dispose()


def test_the_registration_page_reads_outside_a_transaction(app, test_database, tmp_path):
    """read_only_request(): the page shown after every registration is read in autocommit (no BEGIN,
    no ROLLBACK round trips), and shows the same thing."""
    from app.webinars import services
    from tests.factories import make_registration_data, make_webinar

    site = _app(test_database, tmp_path)
    with site.app_context():
        webinar = make_webinar(capacity=1)
        db.session.commit()
        tokens = [
            services.register(webinar.id, make_registration_data(email=f"p{i}@example.org")).token for i in range(2)
        ]
        db.session.commit()
        db.session.remove()
        seen = []
        sa.event.listen(
            db.engine,
            "before_cursor_execute",
            lambda conn, *_: seen.append(conn.get_execution_options().get("isolation_level")),
        )
    response = site.test_client().get(f"/inscription/{tokens[1]}")
    assert response.status_code == 200 and "en position 1" in response.get_data(as_text=True)
    assert seen == ["AUTOCOMMIT"]
    with site.app_context():
        db.engine.dispose()
