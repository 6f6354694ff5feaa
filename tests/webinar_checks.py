"""Checks shared by the tests that rush a webinar through a real server (test_webinar_concurrency,
test_load_invariants)."""

from __future__ import annotations

from app.webinars.models import Registration, RegistrationStatus


def assert_rush_outcome(rows: list[Registration], distinct: int, capacity: int):
    """After a rush of ``distinct`` addresses (plus duplicates) at a ``capacity``-seat webinar, with
    ``rows`` its registrations ordered by id: one active registration per address, exactly ``capacity``
    confirmed, the others waiting in the order the server took them. Returns (confirmed, waiting)."""
    assert len(rows) == distinct and all(r.is_active for r in rows)  # duplicates refused
    assert len({r.email_normalized for r in rows}) == distinct
    confirmed = [r for r in rows if r.status is RegistrationStatus.CONFIRMED]
    waiting = [r for r in rows if r.status is RegistrationStatus.WAITING]
    assert len(confirmed) == capacity
    assert len(waiting) == distinct - capacity
    # Arrival order: the first ones taken by the server are confirmed; the waiting list follows the order
    # in which the server took the others (created_at, read under the lock, never goes backwards).
    assert max(r.id for r in confirmed) < min(r.id for r in waiting)
    assert [r.created_at for r in rows] == sorted(r.created_at for r in rows)
    assert [r.waiting_position for r in waiting] == list(range(1, len(waiting) + 1))
    return confirmed, waiting
