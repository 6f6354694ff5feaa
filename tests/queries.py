"""Count the SQL statements a request runs (query-count tests: no N+1)."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def recorded_statements(engine):
    """The SQL statements the engine runs inside the block, in a list filled as they go."""
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def count_queries(client, db, url: str) -> int:
    """Statements of a successful GET of ``url``, the session committed and emptied first so that the
    request starts from nothing, as in production."""
    db.session.commit()
    db.session.remove()
    with recorded_statements(db.engine) as statements:
        assert client.get(url).status_code == 200
    return len(statements)
