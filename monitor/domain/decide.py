"""What one fetch means for one location: the pure decision step of the review cycle.

gather (fetch, parse, load state) → ``decide`` (this module, no I/O) → apply (store).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from monitor.domain.carry import carry_vanished
from monitor.domain.diff import diff, subject_ref
from monitor.domain.events import Event, LocationRef, ProviderRef, Subject
from monitor.domain.first_sight import as_of
from monitor.domain.snapshot import Snapshot
from monitor.domain.status import location_removed, monitor_failing, monitor_recovered

Outcome = Literal["baseline", "changed", "unchanged", "error", "gone", "unknown"]


@dataclass(frozen=True, slots=True)
class LocationState:
    """What the store knows about a location before this fetch."""

    id: str
    name: str | None = None
    provider_id: str | None = None
    status: str = "active"
    last_hash: str | None = None
    last_body_hash: str | None = None  # the digest of the document last read in full
    last_snapshot_id: int | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    failing_alerted: bool = False
    last_error: str | None = None
    watched_since: datetime | None = None  # when the id entered the watchlist
    kind: str = "location"  # or "provider": a provider watched for its own ratings

    def ref(self) -> Subject:
        if self.kind == "provider":
            url = f"https://www.cqc.org.uk/provider/{self.id}"
            return ProviderRef(id=self.id, name=self.name or self.id, url=url)
        return LocationRef(
            id=self.id,
            name=self.name or self.id,
            provider_id=self.provider_id,
            url=f"https://www.cqc.org.uk/location/{self.id}",
        )


@dataclass(frozen=True, slots=True)
class Observation:
    """The gathered result of fetching one location this cycle."""

    location_id: str
    snapshot: Snapshot | None = None  # parsed, when the fetch and parse succeeded
    gone: bool = False
    http_status: int | None = None
    error: str | None = None
    # The website page could not be read; ``snapshot`` holds the API's part only.
    page_error: str | None = None
    # The digest of the API document's bytes (None: not kept, as when the website is read).
    body_hash: str | None = None
    # Not normalised: its bytes are those of the document the state was last settled on.
    same_body: bool = False


@dataclass(frozen=True, slots=True)
class Policy:
    first_seen: str = "silent"
    failing_after: int = 3


@dataclass(slots=True)
class Decision:
    outcome: Outcome
    state: LocationState  # the state to store after this fetch
    snapshot: Snapshot | None = None  # a snapshot row to write (content changed or first sight)
    events: list[Event] = field(default_factory=list)


def decide(
    state: LocationState,
    observation: Observation,
    previous: Snapshot | None,
    *,
    now: datetime,
    policy: Policy,
) -> Decision:
    detected_at = now.isoformat().replace("+00:00", "Z")
    if observation.snapshot is not None:
        current = observation.snapshot
        if previous is not None:
            current = carry_vanished(previous, current)
        if observation.page_error is not None and previous is not None:
            current = replace(current, timeline=previous.timeline)
        decision = _seen(state, current, previous, detected_at, policy)
        if decision.state.last_body_hash != observation.body_hash:
            decision.state = replace(decision.state, last_body_hash=observation.body_hash)
        return decision
    if observation.same_body:
        if not settled_on(state, observation.body_hash):
            raise ValueError(f"{state.id}: a document not normalised needs a settled state")
        return Decision("unchanged", state)
    if observation.gone:
        return _gone(state, observation, detected_at)
    return _failed(state, observation.error or "unknown error", now, detected_at, policy)


def settled_on(state: LocationState, body_hash: str | None) -> bool:
    """Whether the same document bytes would leave ``state`` exactly as it is: the state was
    settled on a document with this digest, and its last fetch was a healthy one (a failure,
    a removal or an alert about either is only cleared by reading the document in full)."""
    return (
        body_hash is not None
        and state.last_body_hash == body_hash
        and state.last_hash is not None
        and state.last_snapshot_id is not None
        and state.status == "active"
        and state.consecutive_failures == 0
        and state.failing_since is None
        and not state.failing_alerted
        and state.last_error is None
    )


def _seen(
    state: LocationState,
    current: Snapshot,
    previous: Snapshot | None,
    detected_at: str,
    policy: Policy,
) -> Decision:
    recovered = _recovery(state, current, detected_at)
    healthy = replace(
        state,
        name=current.name,
        provider_id=current.provider_id,
        kind=current.kind,
        status="active",
        consecutive_failures=0,
        failing_since=None,
        failing_alerted=False,
        last_error=None,
    )
    if state.last_hash == current.content_hash():
        return Decision("unchanged", healthy, events=recovered)
    healthy = replace(healthy, last_hash=current.content_hash())
    if previous is None:
        events = _first_sight(state, current, detected_at, policy)
        return Decision("baseline", healthy, current, events + recovered)
    events = diff(previous, current, detected_at=detected_at)
    return Decision("changed", healthy, current, events + recovered)


def _first_sight(
    state: LocationState, current: Snapshot, detected_at: str, policy: Policy
) -> list[Event]:
    """Silent, except for what CQC published since the id entered the watchlist."""
    if policy.first_seen == "alert":
        return diff(None, current, detected_at=detected_at, first_seen="alert")
    if state.watched_since is None:
        return []
    day = state.watched_since.date().isoformat()
    return diff(as_of(current, day), current, detected_at=detected_at)


def _recovery(state: LocationState, current: Snapshot, detected_at: str) -> list[Event]:
    if not state.failing_alerted or state.failing_since is None:
        return []
    event = monitor_recovered(
        subject_ref(current),
        failures=state.consecutive_failures,
        last_error=state.last_error or "",
        streak_started=state.failing_since.isoformat(),
        detected_at=detected_at,
    )
    return [event]


def _gone(state: LocationState, observation: Observation, detected_at: str) -> Decision:
    if state.last_hash is None and state.status != "gone":
        # Never fetched successfully: CQC has no such location (a typo, say). It was never
        # there to be removed; it is unknown until CQC answers for it.
        unknown = replace(
            state, status="unknown", consecutive_failures=0, failing_since=None, last_error=None
        )
        return Decision("unknown", unknown)
    gone = replace(
        state, status="gone", consecutive_failures=0, failing_since=None, last_error=None
    )
    if state.status == "gone":
        return Decision("gone", gone)
    event = location_removed(
        state.ref(),
        http_status=observation.http_status,
        last_hash=state.last_hash,
        detected_at=detected_at,
    )
    return Decision("gone", gone, events=[event])


def _failed(
    state: LocationState, error: str, now: datetime, detected_at: str, policy: Policy
) -> Decision:
    failures = state.consecutive_failures + 1
    since = state.failing_since or now
    failing = replace(state, consecutive_failures=failures, failing_since=since, last_error=error)
    if failures < policy.failing_after or state.failing_alerted:
        return Decision("error", failing)
    event = monitor_failing(
        state.ref(),
        failures=failures,
        last_error=error,
        streak_started=since.isoformat(),
        detected_at=detected_at,
    )
    return Decision("error", replace(failing, failing_alerted=True), events=[event])
