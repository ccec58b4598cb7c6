"""An id never fetched successfully that answers 404 is unknown; CQC's id shapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.domain.decide import LocationState, Observation, Policy, decide
from monitor.settings.sections import checked_cqc_id

NOW = datetime(2026, 12, 1, tzinfo=UTC)
FIXTURES = Path(__file__).parents[1] / "fixtures" / "cqc"


def test_a_404_for_an_id_never_seen_is_unknown_with_no_alert() -> None:
    state = LocationState(id="1-12345", watched_since=NOW)
    decision = decide(
        state, Observation("1-12345", gone=True, http_status=404), None, now=NOW, policy=Policy()
    )
    assert decision.outcome == "unknown" and decision.state.status == "unknown"
    assert decision.events == []


def test_a_404_for_a_location_seen_before_is_gone_with_its_alert() -> None:
    state = LocationState(id="1-125856395", name="Lucerne", last_hash="abc", last_snapshot_id=1)
    decision = decide(
        state, Observation(state.id, gone=True, http_status=404), None, now=NOW, policy=Policy()
    )
    assert decision.outcome == "gone"
    assert [event.type for event in decision.events] == ["location_removed"]


def _real_ids() -> list[str]:
    ids = []
    for path in sorted(FIXTURES.rglob("*.json")):
        text = path.read_text(encoding="utf-8")
        for key in ("locationId", "providerId"):
            ids += [value for value in _values(json.loads(text), key)]
    return sorted(set(ids))


def _values(node: object, key: str) -> list[str]:
    if isinstance(node, dict):
        found = [node[key]] if isinstance(node.get(key), str) else []
        return found + [v for item in node.values() for v in _values(item, key)]
    if isinstance(node, list):
        return [v for item in node for v in _values(item, key)]
    return []


def test_every_id_in_the_real_documents_has_an_accepted_shape() -> None:
    ids = _real_ids()
    assert len(ids) >= 3
    assert [checked_cqc_id(value) for value in ids] == ids


@pytest.mark.parametrize("value", ["1-10000302982", "1-102642938", "RXQ", "RXQ02", "R1H12"])
def test_cqc_and_nhs_ids_are_accepted(value: str) -> None:
    assert checked_cqc_id(value) == value


@pytest.mark.parametrize("value", ["not-an-id", "1-12a45", "rxq02", "1-", "RX", "12345"])
def test_other_shapes_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="is not a CQC id"):
        checked_cqc_id(value)
