"""Database helpers shared by features: SQLite tuning and the write lock used by invariants."""

from __future__ import annotations

import sqlite3
import time
from functools import lru_cache

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event

from app.extensions import db


def configure_engine(app: Flask) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys, and transactions we begin ourselves so that a
    service can ask for an immediate (write-locked) one; pysqlite's own BEGIN handling is bypassed
    (the SQLAlchemy-documented recipe). The connection notes when its transaction holds the write
    lock (``begin_write_transaction``). Database servers: pooled connections are checked before use
    (``pool_pre_ping``, set by ``create_app``)."""
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
        connection.info[_WRITE_LOCKED] = mode == "IMMEDIATE"

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(connection, _cursor, statement, _parameters, _context, _executemany):
        # The first write of a transaction takes SQLite's write lock, held until its end.
        if not connection.info.get(_WRITE_LOCKED) and not statement.lstrip()[:6].upper().startswith(_READS):
            connection.info[_WRITE_LOCKED] = True


_WRITE_LOCKED = "tig_write_locked"
_READS = ("SELECT", "PRAGMA", "BEGIN", "COMMIT", "ROLLBA", "SAVEPO", "RELEAS")


WRITE_LOCK_TIMEOUT_SECONDS = 30
WRITE_LOCK_POLL_SECONDS = (0.0005, 0.004)  # first and longest wait between two attempts


def _begin_immediate(dbapi_connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock by retrying every few milliseconds.

    SQLite's own busy handler sleeps longer and longer between attempts (up to 100 ms): concurrent
    registrations, each holding the lock briefly, would then wait far longer than the lock is held.
    Polling at short intervals (``WRITE_LOCK_POLL_SECONDS``) keeps the wait close to the real queue;
    other statements keep the busy timeout set on connection."""
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
    """From here to the end of the request's transaction, hold the database's write lock.

    Call it first in a service that reads then writes atomically (seat counts, claims): what it reads
    next is what was committed, and no other writer changes it until this transaction ends. The same
    on both databases, for the caller: nothing is committed here (what the transaction did before
    stays part of it, committed or rolled back with the rest by the request); changes not yet flushed
    are flushed; objects read before are expired, so that they are read again.

    - SQLite has one write lock per database: ``BEGIN IMMEDIATE`` takes it when the transaction
      starts; a transaction that has already written holds it. A transaction that has only read (a
      snapshot that may be older than the last commit) is ended and an immediate one begun instead.
    - PostgreSQL locks rows: lock them with ``with_for_update()`` (``lock_for_update`` does); each
      statement of a READ COMMITTED transaction sees what was committed before it.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if is_sqlite():
        if not session.in_transaction():
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        else:
            connection = session.connection()
            if not connection.info.get(_WRITE_LOCKED):
                # Only reads so far: nothing is lost by ending them; changes not flushed stay pending.
                driver_connection = connection.connection.driver_connection
                assert driver_connection is not None
                driver_connection.execute("ROLLBACK")
                _begin_immediate(driver_connection)
                connection.info[_WRITE_LOCKED] = True
    else:
        session.connection()
    session.flush()
    session.expire_all()


def lock_for_update(model, id, *, not_loaded: tuple[str, ...] = ()):
    """``begin_write_transaction()``, then the row ``id`` of ``model`` locked (``SELECT … FOR UPDATE`` on
    PostgreSQL) and reloaded from the database, not taken from the session's possibly stale copy.
    None when there is no such row. Lock first, then recount: the invariants' recipe. ``not_loaded``:
    relationships (eager elsewhere) that the locked section never reads, left unloaded."""
    begin_write_transaction()
    return db.session.scalars(_locking_select(model, not_loaded), {"id": id}).one_or_none()


@lru_cache(maxsize=32)
def _locking_select(model, not_loaded: tuple[str, ...]) -> sa.Select:
    # Built once per model: Session.get() builds its statement at every call, here with the lock held.
    primary_key = sa.inspect(model).primary_key[0]
    return (
        sa.select(model)
        .where(primary_key == sa.bindparam("id"))
        .options(*(sa.orm.lazyload(getattr(model, name)) for name in not_loaded))
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def read_only_request() -> None:
    """Call first in a view that only reads. On PostgreSQL its statements then run outside a transaction
    (autocommit; each statement still sees one consistent state): psycopg sends no BEGIN before the
    first one and the pool no ROLLBACK after the last, two round trips saved on a page such as a
    registration's, shown after every registration. No-op on SQLite, and when the
    session already holds a transaction (tests that share one across requests)."""
    session = db.session()
    if not is_sqlite() and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def page_number(value: str) -> int:
    """``request.args.get("page", 1, type=page_number)``: a page between 1 and 1,000,000 (a huge number
    overflows the SQL OFFSET: a 500 on SQLite and PostgreSQL alike); not a number → the default."""
    return min(max(int(value), 1), 1_000_000)
