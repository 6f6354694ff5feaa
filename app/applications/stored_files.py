"""Uploaded files follow the transaction of their rows: never a file without its row, nor a row
without its file.

- ``delete_unless_committed(name)``: a file just stored, whose row is added in this transaction; if
  the transaction rolls back, or ends without a commit (an error page, a crash), the file is deleted.
- ``delete_once_committed(name)``: a file whose row this transaction deletes; the file goes only
  once the deletion is committed (a rollback keeps both).
- ``store(upload, max_bytes)``: ``store_upload`` then ``delete_unless_committed``.
- ``discard(name)``: a file stored and then refused (quota): deleted at once.

Call ``delete_unless_committed`` once the transaction that will hold the row has begun, after any
write lock: on SQLite, taking the write lock ends the transaction open before it.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from app.applications.uploads import StoredFile, delete_stored, store_upload
from app.extensions import db

_WRITTEN = "files_written"  # keys of Session.info
_DROPPED = "files_dropped"


def delete_unless_committed(stored_name: str) -> None:
    session = db.session()
    session.connection()  # the transaction the file now belongs to
    session.info.setdefault(_WRITTEN, []).append(stored_name)


def delete_once_committed(stored_name: str) -> None:
    session = db.session()
    session.connection()
    session.info.setdefault(_DROPPED, []).append(stored_name)


def store(storage, max_bytes: int) -> StoredFile:
    """``store_upload`` into ``UPLOAD_FOLDER``, the file then deleted unless this transaction commits."""
    stored = store_upload(storage, current_app.config["UPLOAD_FOLDER"], max_bytes)
    delete_unless_committed(stored.stored_name)
    return stored


def discard(stored_name: str) -> None:
    _delete([stored_name])


def _delete(names) -> None:
    if has_app_context():
        for name in names:
            delete_stored(current_app.config["UPLOAD_FOLDER"], name)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the outer transaction decides
        return
    session.info.pop(_WRITTEN, None)
    _delete(session.info.pop(_DROPPED, ()))


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint: the outer transaction decides
        return
    _delete(session.info.pop(_WRITTEN, ()))  # still there: the transaction was not committed
    session.info.pop(_DROPPED, None)
