"""app.database.lock_for_update: the one way services lock a row before recounting."""

from __future__ import annotations

import sqlalchemy as sa

from app.database import lock_for_update
from app.webinars.models import Webinar
from tests.factories import make_webinar


def test_returns_the_row_fresh_from_the_database_inside_a_write_transaction(db):
    webinar = make_webinar(capacity=12)
    db.session.commit()
    with db.engine.begin() as other:  # another connection changes the row behind the session's back
        other.execute(sa.update(Webinar).where(Webinar.id == webinar.id).values(capacity=30))
    locked = lock_for_update(Webinar, webinar.id)
    assert locked is webinar and locked.capacity == 30
    assert db.session().in_transaction()
    db.session.rollback()


def test_missing_row_gives_none(db):
    assert lock_for_update(Webinar, 999_999) is None
    db.session.rollback()
