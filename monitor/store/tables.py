"""The audit database (SPEC §7). Append-only except for retention and row state columns.

Every table is portable between SQLite and PostgreSQL; JSON columns become JSONB on
PostgreSQL so audit queries can use its operators.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Json(TypeDecorator[Any]):
    """JSON, and JSONB on PostgreSQL. Chosen when a dialect asks, not when this module loads:
    naming JSONB here would load PostgreSQL's dialect (its drivers' modules too) into every
    SQLite deployment's commands, about 0.04 s and 2 MB of each one's start."""

    impl = JSON
    cache_ok = True
    # As JSON itself: None is stored as JSON null, and a value (a dict) is never hashed.
    should_evaluate_none = True
    hashable = False

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Location(Base):
    """A watched location and its monitoring state."""

    __tablename__ = "locations"
    __table_args__ = (Index("ix_locations_name", "name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(300))
    provider_id: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | gone | unknown
    # location, or provider: a provider watched for its own ratings (an NHS trust's), whose
    # snapshots, fetches and events hang off this row like a location's.
    kind: Mapped[str] = mapped_column(String(16), default="location", server_default="location")
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The day the id entered the watchlist: what a first snapshot dated on or after it shows
    # is alerted, since the monitor was already watching.
    watched_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When the id left the watchlist (None: watched now). Its rows stay as the audit trail;
    # what is counted as watched (status, /metrics) leaves it out.
    unwatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Not a foreign key: snapshots already point here, and a cycle of keys buys nothing.
    last_snapshot_id: Mapped[int | None] = mapped_column(BigId)
    # The cycle that last processed this location: a cycle taken over skips what it did.
    last_cycle_id: Mapped[int | None] = mapped_column(BigId, index=True)
    last_hash: Mapped[str | None] = mapped_column(String(64))
    # The digest of the API document last read in full (its bytes and the monitor's version):
    # the same bytes again need not be normalised again (``services.observe``).
    last_body_hash: Mapped[str | None] = mapped_column(String(32))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failing_alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error: Mapped[str | None] = mapped_column(Text)
    # From the latest snapshot, so the dashboard lists, sorts and filters 20,000 locations
    # without reading their snapshots' JSON.
    region: Mapped[str | None] = mapped_column(String(100))
    local_authority: Mapped[str | None] = mapped_column(String(100))
    overall_rating: Mapped[str | None] = mapped_column(String(60), index=True)


class SavedSearch(Base):
    """A ``[[watch.search]]`` as last configured, and whether it has been resolved since."""

    __tablename__ = "searches"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))  # of the filters
    filters: Mapped[dict[str, Any]] = mapped_column(Json)
    # When the search with these filters entered the watchlist; until its first resolution
    # completes, joining is silent except for services registered on or after that day.
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Cycles in a row whose resolution of the search failed (the API could not list it);
    # its members stay watched meanwhile. As a location's: monitor_failing once, then
    # monitor_recovered.
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failing_alerted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_error: Mapped[str | None] = mapped_column(Text)


class SearchMember(Base):
    """A location's membership of a saved search: ``member`` now, or ``left``."""

    __tablename__ = "search_members"

    search: Mapped[str] = mapped_column(ForeignKey("searches.name"), primary_key=True)
    location_id: Mapped[str] = mapped_column(
        ForeignKey("locations.id"), primary_key=True, index=True
    )
    state: Mapped[str] = mapped_column(String(8))  # member | left
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Cycle(Base):
    """One review cycle: incremental (change feed) or full."""

    __tablename__ = "cycles"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # incremental | full
    trigger: Mapped[str] = mapped_column(String(16))  # cli | schedule | catch_up | demo
    # One row per scheduled fire time, so replicas and restarts never run a slot twice.
    slot_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    owner: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16), default="running")
    feed_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    feed_end: Mapped[datetime | None] = mapped_column(UtcDateTime)
    locations: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    baselines: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    gone: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)
    # Saved searches the cycle meant to resolve and could not.
    search_errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    requests: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # The running cycle's lease: its owner renews it while it works; once it has expired
    # (database time) another replica may take the cycle over, raising the fence. Every
    # write of a result checks owner and fence, so a replica that lost the cycle writes
    # nothing more for it.
    fence: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Fetch(Base):
    """Every fetch attempt, successful or not (bounded by ``retention.fetch_log_days``)."""

    __tablename__ = "fetches"
    __table_args__ = (Index("ix_fetches_location_id_fetched_at", "location_id", "fetched_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"), index=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    source: Mapped[str] = mapped_column(String(8))  # api | web
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[str] = mapped_column(
        String(16)
    )  # baseline|changed|unchanged|error|gone|unknown
    http_status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)


class SnapshotRecord(Base):
    """A normalised snapshot, written only when its content hash changes."""

    __tablename__ = "snapshots"
    __table_args__ = (Index("ix_snapshots_location_id_id", "location_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(Json)
    # zlib-compressed API payload with personal names removed (retention.keep_raw_payload).
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)


class EventRecord(Base):
    """An event as delivered. About a location, or (``monitor_failing`` /
    ``monitor_recovered`` of a saved search the API cannot list) about a search: then
    ``location_id`` is null, ``search`` names it, and the payload's ``location`` reads
    ``{"id": "search:NAME", "name": "Saved search NAME", "provider_id": null, "url": ""}``."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_location_id_detected_at", "location_id", "detected_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id"))
    search: Mapped[str | None] = mapped_column(ForeignKey("searches.name"))
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    type: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    summary: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)  # the event exactly as delivered
    before_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))
    after_snapshot_id: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))


class Delivery(Base):
    """The outbox: one row per event and matching sink, written with the event."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "sink"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        # Per-sink counts and lists on the dashboard.
        Index("ix_deliveries_sink_status", "sink", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id"))
    sink: Mapped[str] = mapped_column(String(100))
    # pending | sent | failed | dead, or held: waiting for its sink's digest window, which
    # next_attempt_at names. Once a digest carries it (digest_id), it takes the digest's state.
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    # A dispatcher claims rows for a short lease so replicas never send the same row at once.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"), index=True)


class DigestRecord(Base):
    """One digest: the deliveries a sink held, closed at a window and sent as one message.

    ``slot_key`` (``digest:<sink>:<window end>``) is unique, as a scheduled cycle's is: of the
    replicas that reach a window, one closes it and sends it. The row is sent, retried and
    given up as a whole; the deliveries it carries take its state.
    """

    __tablename__ = "digests"
    __table_args__ = (Index("ix_digests_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sink: Mapped[str] = mapped_column(String(100), index=True)
    slot_key: Mapped[str] = mapped_column(String(200), unique=True)
    trigger: Mapped[str] = mapped_column(String(16))  # window | command
    key: Mapped[str] = mapped_column(String(40))  # the stable id receivers see
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    window_end: Mapped[datetime] = mapped_column(UtcDateTime)
    events: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | failed | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(16))  # sent | failed | dead
    duration_ms: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)


class FeedWatermark(Base):
    """Where the next change-feed poll starts (the previous poll's end)."""

    __tablename__ = "feed_watermarks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class JobState(Base):
    """Scheduler run state, kept here rather than in a pickled job store."""

    __tablename__ = "job_state"

    # changes | review | deliver, or digest:<sink> for each sink's digest windows
    job: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_slot: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    next_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Lease(Base):
    """Named leases: the SQLite single-worker lock and work claims between replicas."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    fence: Mapped[int] = mapped_column(BigId, default=1)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set when the holder changes, not on renewal: ``status`` says since when it is held.
    acquired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SinkState(Base):
    """A sink's state shared by every process: disabled after its receiver answered 410 Gone,
    until an operator runs ``sinks enable NAME``."""

    __tablename__ = "sink_states"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # disabled
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class SinkTest(Base):
    """One ``sinks test NAME`` send: the sample event (marked ``"test": true``) and its
    outcome. Kept apart from events and deliveries, so a test never counts as an alert, is
    never retried and never reaches a digest, ``status`` or the metrics."""

    __tablename__ = "sink_tests"
    __table_args__ = (Index("ix_sink_tests_sink_sent_at", "sink", "sent_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sink: Mapped[str] = mapped_column(String(100))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # sent | failed
    duration_ms: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)  # redacted, as every stored error
    event: Mapped[dict[str, Any]] = mapped_column(Json)  # the sample exactly as sent


class RateBucket(Base):
    """A request rate shared by every process of a deployment (PostgreSQL): the next free
    request slot of each source, in database time (the generic cell rate algorithm)."""

    __tablename__ = "rate_buckets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_slot_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReportText(Base):
    """An inspection report's text and what it found (SPEC §2.3, §5.3): read at most once per
    report, kept compressed. ``pending`` while the text is still to be read (retried by later
    cycles), ``read`` once it was, ``failed`` when the retries ran out."""

    __tablename__ = "report_texts"
    __table_args__ = (Index("ix_report_texts_status_next_attempt_at", "status", "next_attempt_at"),)

    link_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    location_id: Mapped[str] = mapped_column(ForeignKey("locations.id"), index=True)
    report_date: Mapped[str | None] = mapped_column(String(10))
    report_uri: Mapped[str | None] = mapped_column(Text)  # as the API gave it
    status: Mapped[str] = mapped_column(String(16))  # pending | read | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # reads of the API text tried
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    http_status: Mapped[int | None] = mapped_column(Integer)
    # Where the words came from: report_text | assessment_narrative | website.
    source: Mapped[str | None] = mapped_column(String(24))
    text: Mapped[bytes | None] = mapped_column(LargeBinary)  # zlib-compressed UTF-8
    text_chars: Mapped[int | None] = mapped_column(Integer)
    text_sha256: Mapped[str | None] = mapped_column(String(64))
    findings: Mapped[dict[str, Any] | None] = mapped_column(Json)
    # Special measures placed or kept, or enforcement beyond a requirement notice: what the
    # dashboard's "special measures / enforcement" filter finds without reading JSON.
    serious: Mapped[bool] = mapped_column(Boolean, default=False)
    # Not foreign keys: the new_inspection that announced the report, and the event that
    # carried its findings (that one, or a later report_findings).
    event_id: Mapped[str | None] = mapped_column(String(40))
    findings_event_id: Mapped[str | None] = mapped_column(String(40), index=True)
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycles.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


# --- the shape watch (SPEC §2.1.3): what the monitor has learned of CQC's documents ----------


class SourceShapeKind(Base):
    """Documents of one kind (location, provider, list_page, change_page) read for their shape."""

    __tablename__ = "source_shape_kinds"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    documents: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SourceShapePath(Base):
    """A key path seen in documents of one kind (arrays as ``[]``), and in how many."""

    __tablename__ = "source_shape_paths"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    path: Mapped[str] = mapped_column(String(300), primary_key=True)
    documents: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SourceShapeValue(Base):
    """A value seen in an enumerated field (a rating, a status…): ``key`` is its normalised
    form, ``value`` its spelling when first seen, ``path`` where it was first seen."""

    __tablename__ = "source_shape_values"

    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    value: Mapped[str] = mapped_column(String(250))
    path: Mapped[str] = mapped_column(String(300))
    documents: Mapped[int] = mapped_column(BigInteger, default=0)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SourceShapeBaseline(Base):
    """One row once the first full review has learned the shape: from then on what is new is
    reported."""

    __tablename__ = "source_shape_baseline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    learned_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cycle_id: Mapped[int | None] = mapped_column(BigId)


class SourceChange(Base):
    """One change of CQC's document shape, recorded once per deployment: the unique ``key``
    makes replicas that see it at the same time agree on who reports it."""

    __tablename__ = "source_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    change: Mapped[str] = mapped_column(String(16))  # path_added | path_missing | value_added
    kind: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(300))
    field: Mapped[str | None] = mapped_column(String(32))
    value: Mapped[str | None] = mapped_column(String(250))
    examples: Mapped[list[str]] = mapped_column(Json)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    cycle_id: Mapped[int | None] = mapped_column(BigId)
    event_id: Mapped[str | None] = mapped_column(String(40))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
