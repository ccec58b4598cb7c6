"""Where the same document bytes again would change nothing, the rule is written twice: the
store selects such locations in one query for a whole cycle (``settled_bodies``), and the
domain asks it of each location it decides (``settled_on``). The two must agree on every
field of a location's state, or a cycle would skip a document it had to read in full (a
failure never cleared, a deregistration never undone) or refuse a document it could skip."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from monitor.domain.decide import LocationState, settled_on
from monitor.store.repository import load_states, settled_bodies
from monitor.store.tables import Location
from tests.fakes import FakeCqc
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

NOW = datetime(2030, 1, 1, tzinfo=UTC)
BODY = "b" * 32  # a digest as the store keeps it (32 hex digits)

# One value of each state field unlike a settled location's; True where the location stays
# settled all the same (what it is called or who runs it does not need a full read).
DISTURBED: dict[str, tuple[Any, bool]] = {
    "name": ("Another name", True),
    "provider_id": ("1-999999999", True),
    "status": ("deregistered", False),
    "last_hash": (None, False),
    "last_body_hash": ("c" * 32, False),
    "last_snapshot_id": (None, False),
    "consecutive_failures": (1, False),
    "failing_since": (NOW, False),
    "failing_alerted": (True, False),
    "last_error": ("HTTP 500 from the API", False),
    "watched_since": (NOW, True),
    "kind": ("provider", True),
}


def test_every_field_of_a_locations_state_is_weighed() -> None:
    # A field added to the state must be weighed here before the rule can forget it.
    fields = {field.name for field in dataclasses.fields(LocationState)} - {"id"}
    assert fields == set(DISTURBED)


@pytest.fixture
def settled_location(database_url: str) -> sessionmaker[Session]:
    """A real location read in full once: settled on the document with digest ``BODY``."""
    cqc = FakeCqc({docs.HENLEY: docs.real(docs.HENLEY)})
    settings = settings_for(database_url, watch={"locations": [docs.HENLEY]})
    app = app_for(settings, api=cqc)
    app.review().run("full")
    with app.sessions.begin() as session:
        session.execute(update(Location).values(last_body_hash=BODY))
    return app.sessions


def _both_rules(sessions: sessionmaker[Session]) -> tuple[bool, bool]:
    with sessions() as session:
        # The store gives the digest each location was settled on; the cycle compares it
        # with the digest of the bytes it just fetched.
        selected = settled_bodies(session).get(docs.HENLEY) == BODY
        selected_by_id = settled_bodies(session, [docs.HENLEY]).get(docs.HENLEY) == BODY
        state = load_states(session, [docs.HENLEY])[docs.HENLEY]
    assert selected == selected_by_id
    return selected, settled_on(state, BODY)


def test_a_location_read_in_full_is_settled_by_both_rules(
    settled_location: sessionmaker[Session],
) -> None:
    assert _both_rules(settled_location) == (True, True)


@pytest.mark.parametrize("field", sorted(DISTURBED))
def test_the_store_and_the_domain_agree_when_one_field_differs(
    settled_location: sessionmaker[Session], field: str
) -> None:
    value, still_settled = DISTURBED[field]
    with settled_location.begin() as session:
        session.execute(update(Location).values({field: value}))
    assert _both_rules(settled_location) == (still_settled, still_settled)
