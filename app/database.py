"""Database helpers shared by features: SQLite tuning and the write lock used by invariants."""

from __future__ import annotations

import sqlite3
import time
from functools import lru_cache

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

from app.extensions import db


def configure_engine(app: Flask) -> None:
    """On SQLite: WAL, a busy timeout, foreign keys, and transactions we begin ourselves so that a
    service can ask for an immediate (write-locked) one; pysqlite's own BEGIN handling is bypassed
    (the SQLAlchemy-documented recipe). On a database server: pooled connections checked after a pause."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        _ping_after_idle(engine, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"])
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


def _ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only when it has been idle for ``idle_seconds``.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one more round trip per request, a sizeable
    share of a short request such as a registration. A connection that served a request a moment ago
    is alive; one that sat in the pool (server restarted, idle timeout, network cut) is checked, and
    replaced when dead (DisconnectionError: the pool opens a new one). A server restart in the middle
    of traffic still fails the requests already using it (the French 503 page), after which SQLAlchemy
    discards every pooled connection."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except Exception as error:  # any failure: this connection is not usable
            raise DisconnectionError(f"connexion à la base inutilisable : {error}") from error


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
    """Start the request's transaction holding the database write lock.

    Call it first in a service that must read-then-write atomically (seat counts, claims). On
    PostgreSQL it only begins the transaction: lock the rows with ``with_for_update()``. On SQLite it
    issues ``BEGIN IMMEDIATE``, so concurrent writers queue here instead of failing later.
    Whatever the session held before (reads only) is committed first on SQLite, where BEGIN IMMEDIATE
    starts a new transaction. PostgreSQL locks rows inside the current one (each statement of a READ
    COMMITTED transaction sees what was committed before it): pending changes, if any, are flushed
    into it and the objects read so far expired, so that they are read again; a COMMIT round trip saved.
    """
    session = db.session()  # the request's Session behind the scoped proxy
    if not is_sqlite():
        session.flush()
        session.expire_all()
        session.connection()
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


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


def insert_together(new_object, *others):
    """INSERT the transient ``new_object`` and ``others`` now, in the current transaction; return
    ``new_object`` as stored (persistent, with its id and defaults).

    On PostgreSQL a single statement inserts them all (``others`` in data-modifying CTEs): one round
    trip instead of one per row, for a service holding a lock meanwhile. The object
    returned is then a new instance loaded from ``RETURNING``: use it, not the one passed. On SQLite
    (no round trip to save) the objects are added and flushed as usual."""
    if is_sqlite():
        db.session.add_all([new_object, *others])
        db.session.flush()
        return new_object
    parameters: dict = {}
    shapes = tuple(_insert_values(obj, f"row{index}_", parameters) for index, obj in enumerate([*others, new_object]))
    statement = _insert_together_statement(shapes)
    return db.session.scalars(statement, parameters).one()


def _insert_values(obj, prefix: str, parameters: dict) -> tuple[type, str, tuple[str, ...]]:
    """Put the values of a transient object in ``parameters`` (what it holds, else the columns'
    Python-side defaults) and return the shape of its INSERT: (class, prefix, column keys)."""
    state = sa.inspect(obj)
    keys = []
    for attribute in state.mapper.column_attrs:
        column = attribute.columns[0]
        if attribute.key in state.dict:
            value = state.dict[attribute.key]
        elif column.default is not None and column.default.is_scalar:
            value = column.default.arg
        elif column.default is not None and column.default.is_callable:
            value = column.default.arg(None)
        else:
            continue  # NULL, or a server-side default (the primary key's sequence)
        keys.append(attribute.key)
        parameters[prefix + attribute.key] = value
    return type(obj), prefix, tuple(keys)


@lru_cache(maxsize=64)
def _insert_together_statement(shapes: tuple) -> sa.Select:
    """The statement for these shapes, built once (then also compiled once by SQLAlchemy's cache):
    ``WITH row0 AS (INSERT …), … INSERT … RETURNING *``, the last shape being the row returned."""
    binds = []

    def insert_sql(model, prefix: str, keys: tuple[str, ...]) -> str:
        mapper = sa.inspect(model)
        columns = [mapper.columns[key] for key in keys]
        binds.extend(sa.bindparam(prefix + key, type_=column.type) for key, column in zip(keys, columns, strict=False))
        names = ", ".join(f'"{column.name}"' for column in columns)
        values = ", ".join(f":{prefix}{key}" for key in keys)
        return f'INSERT INTO "{mapper.local_table.name}" ({names}) VALUES ({values})'

    *others, (model, prefix, keys) = shapes
    ctes = ", ".join(f"{shape[1].rstrip('_')} AS ({insert_sql(*shape)})" for shape in others)
    sql = f"{'WITH ' + ctes + ' ' if ctes else ''}{insert_sql(model, prefix, keys)} RETURNING *"
    text = sa.text(sql).bindparams(*binds).columns(*sa.inspect(model).local_table.columns)
    return sa.select(model).from_statement(text)


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
