"""The dashboard's pages. Each view reads through one short session and renders a template."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, render_template
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from monitor import output
from monitor.domain.events import EVENT_TYPES, SEVERITIES
from monitor.domain.shape_catalogue import KIND_NAMES
from monitor.domain.source_events import CHANGE_WORDS
from monitor.store import dashboard_deliveries as delivery_store
from monitor.store import dashboard_locations as locations_store
from monitor.store import dashboard_queries as store
from monitor.store import report_texts as text_store
from monitor.store import source_changes
from monitor.store.runstate import LISTED_STATES
from monitor.store.sink_states import disabled_sinks
from monitor.store.sink_tests import last_tests
from monitor.web import params
from monitor.web.location_page import location_context

T = TypeVar("T")
pages = Blueprint("pages", __name__)
QUEUE_STATES = {"queue": store.WAITING, "dead": ("dead",)}
_PREVIEW = 10  # deliveries of each kind per sink on the Deliveries page


def _read(query: Callable[[Session], T]) -> T:
    with _session() as session:
        return query(session)


@contextmanager
def _session() -> Iterator[Session]:
    with current_app.extensions["dashboard"].sessions() as session:
        yield session


def _now() -> Any:
    return current_app.extensions["dashboard"].now()


def _size() -> int:
    return params.page_size(current_app.extensions["dashboard"].config.page_size)


@pages.get("/")
def overview() -> str:
    now = _now()
    with _session() as session:
        data = store.overview(session, now)
        shape = source_changes.panel(session, now)
    return render_template(
        "overview.html",
        data=data,
        now=now,
        shape=shape,
        kind_names=KIND_NAMES,
        change_words=CHANGE_WORDS,
    )


@pages.get("/changes")
def changes() -> str:
    wanted, number, size = params.change_filter(), params.page_number(), _size()
    with _session() as session:
        page = store.changes(session, wanted, number, size)
        areas = locations_store.areas(session)
    return render_template(
        "changes.html",
        page=page,
        wanted=wanted,
        size=size,
        areas=areas,
        event_types=EVENT_TYPES,
        severities=SEVERITIES,
        sizes=params.PAGE_SIZES,
        findings=params.FINDINGS,
    )


def _shown_changes() -> list[store.ChangeRow]:
    """Exactly the rows the Changes page shows for the same query string."""
    wanted, number, size = params.change_filter(), params.page_number(), _size()
    return _read(lambda s: store.changes(s, wanted, number, size)).rows


@pages.get("/changes.csv")
def changes_csv() -> Response:
    # The one changes CSV: `changes --format csv` writes the same for the same events.
    body = output.changes_csv(row.payload for row in _shown_changes())
    return _download(body, "text/csv; charset=utf-8", "cqc-changes.csv")


@pages.get("/changes.json")
def changes_json() -> Response:
    # The events exactly as they were delivered, as `changes --format json` prints them.
    events = [row.payload for row in _shown_changes()]
    body = json.dumps(events, indent=2, ensure_ascii=False) + "\n"
    return _download(body, "application/json", "cqc-changes.json")


def _download(body: str, content_type: str, filename: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@pages.get("/locations")
def locations() -> str:
    wanted, (sort, descending) = params.location_filter(), params.sort()
    number, size = params.page_number(), _size()
    with _session() as session:
        page = locations_store.locations(
            session, wanted, sort=sort, descending=descending, number=number, size=size
        )
        areas = locations_store.areas(session)
    return render_template(
        "locations.html",
        page=page,
        wanted=wanted,
        sort=sort,
        descending=descending,
        size=size,
        areas=areas,
        ratings=params.RATINGS,
        no_rating=locations_store.NO_RATING,
        states=LISTED_STATES,
        sizes=params.PAGE_SIZES,
        now=_now(),
    )


@pages.get("/locations/<location_id>")
def location(location_id: str) -> str:
    detail = _read(lambda s: locations_store.location_detail(s, location_id))
    if detail is None:
        raise NotFound(f"No watched location has the id {location_id!r}.")
    if detail.row.kind == "provider":
        return provider(location_id)  # a provider's own events link here too
    return render_template("location.html", **location_context(detail), now=_now())


@pages.get("/providers")
def providers() -> str:
    """The providers watched for their own ratings (``[watch] providers``)."""
    wanted, (sort, descending) = params.location_filter(), params.sort()
    wanted = replace(wanted, kind="provider")
    number, size = params.page_number(), _size()
    with _session() as session:
        page = locations_store.locations(
            session, wanted, sort=sort, descending=descending, number=number, size=size
        )
    return render_template(
        "providers.html", page=page, sort=sort, descending=descending, size=size, now=_now()
    )


@pages.get("/providers/<provider_id>")
def provider(provider_id: str) -> str:
    """A provider rated as a whole: its ratings, their timeline, its trail and its locations."""
    with _session() as session:
        detail = locations_store.location_detail(session, provider_id)
        if detail is None or detail.row.kind != "provider":
            raise NotFound(f"No watched provider has the id {provider_id!r}.")
        members = locations_store.locations(
            session, locations_store.LocationFilter(query=provider_id), size=1000
        ).rows
    members = [row for row in members if row.provider_id == provider_id]
    return render_template("location.html", **location_context(detail, members), now=_now())


@pages.get("/locations/<location_id>/reports/<link_id>")
def report_text(location_id: str, link_id: str) -> str:
    """One report's text as the monitor read it, with what it found."""
    found = _read(lambda s: text_store.report_text(s, link_id))
    if found is None or found["location_id"] != location_id:
        raise NotFound(f"No report text {link_id!r} is kept for this location.")
    name = _read(lambda s: locations_store.location_name(s, location_id))
    return render_template("report_text.html", report=found, name=name or location_id)


@pages.get("/deliveries")
def deliveries() -> str:
    with _session() as session:
        disabled = {sink.name: sink for sink in disabled_sinks(session)}
        tests = last_tests(session)
        backlogs = store.backlog(session)
        # A sink only ever tested still shows, with when it was last tested.
        untried = [store.Backlog(name) for name in tests if name not in _sinks_of(backlogs)]
        sinks = [
            {
                "backlog": backlog,
                "disabled": disabled.get(backlog.sink),
                "last_sent": delivery_store.last_sent(session, backlog.sink),
                "last_test": tests.get(backlog.sink),
                "queue": delivery_store.deliveries(
                    session, backlog.sink, store.WAITING, 1, _PREVIEW
                ),
                "dead": delivery_store.deliveries(session, backlog.sink, ("dead",), 1, _PREVIEW),
            }
            for backlog in [*backlogs, *untried]
        ]
    return render_template("deliveries.html", sinks=attention_first(sinks), now=_now())


def _sinks_of(backlogs: list[store.Backlog]) -> set[str]:
    return {backlog.sink for backlog in backlogs}


def attention_first(sinks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sinks needing attention lead: disabled, then with dead deliveries, then with failed
    ones retrying; the rest after, each group in its own order."""

    def urgency(sink: dict[str, Any]) -> int:
        backlog = sink["backlog"]
        flags = (sink["disabled"] is not None, backlog.dead > 0, backlog.failed > 0, True)
        return flags.index(True)

    return sorted(sinks, key=urgency)


@pages.get("/deliveries/<sink>/<kind>")
def sink_deliveries(sink: str, kind: str) -> str:
    if kind not in QUEUE_STATES:
        raise NotFound("Deliveries are listed as queue or dead.")
    number, size = params.page_number(), _size()
    page = _read(lambda s: delivery_store.deliveries(s, sink, QUEUE_STATES[kind], number, size))
    return render_template("sink.html", sink=sink, kind=kind, page=page, now=_now())
