"""Database helpers shared by features: SQLite tuning and the write lock used by invariants."""
from __future__ import annotations

import sqlite3
import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db


def configure_engine(app: Flask) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys, and transactions we begin ourselves so that a
    service can ask for an immediate (write-locked) one; pysqlite's own BEGIN handling is bypassed
    (the SQLAlchemy-documented recipe)."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        mode = connection.get_execution_options().get("sqlite_begin", "")
        if mode == "IMMEDIATE":
            _begin_immediate(connection.connection.driver_connection)
        else:
            connection.exec_driver_sql(f"BEGIN {mode}".strip())


WRITE_LOCK_TIMEOUT_SECONDS = 30
WRITE_LOCK_POLL_SECONDS = (0.0005, 0.004)  # first and longest wait between two attempts


def _begin_immediate(dbapi_connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock by retrying every few milliseconds.

    SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 then 100 ms between
    attempts: twenty concurrent registrations (each holding the lock ~3 ms) then wait hundreds of
    milliseconds for a lock that is free most of the time. Polling at most every 4 ms keeps the wait
    close to the real queue (issue 6 §6 b); other statements keep the 30 s busy timeout."""
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + WRITE_LOCK_TIMEOUT_SECONDS
        delay, longest = WRITE_LOCK_POLL_SECONDS
        while True:
            try:
                dbapi_connection.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, longest)
    finally:
        dbapi_connection.execute("PRAGMA busy_timeout=30000")


def begin_write_transaction() -> None:
    """Start the request's transaction holding the database write lock.

    Call it first in a service that must read-then-write atomically (seat counts, claims). On
    PostgreSQL it only begins the transaction: lock the rows with ``with_for_update()``. On SQLite it
    issues ``BEGIN IMMEDIATE``, so concurrent writers queue here instead of failing later.
    Whatever the session held before (reads only) is committed first.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def lock_for_update(model, id, *options):
    """``begin_write_transaction()``, then the row ``id`` of ``model`` locked (``SELECT … FOR UPDATE`` on
    PostgreSQL) and reloaded from the database, not taken from the session's possibly stale copy.
    None when there is no such row. Lock first, then recount: the invariants' recipe. ``options``: loader
    options (e.g. ``lazyload(Webinar.departements)``: no eager reload of what the locked section never reads)."""
    begin_write_transaction()
    return db.session.get(model, id, with_for_update=True, populate_existing=True, options=list(options) or None)


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def page_number(value: str) -> int:
    """``request.args.get("page", 1, type=page_number)``: a page between 1 and 1,000,000 (a huge number
    overflows the SQL OFFSET: a 500 on SQLite and PostgreSQL alike); not a number → the default."""
    return min(max(int(value), 1), 1_000_000)
