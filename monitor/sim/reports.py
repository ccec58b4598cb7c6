"""``GET /reports/{linkId}``: each published report's text, or its PDF (SPEC §2.3).

CQC answers a report link with the report's PDF, and with a text extract of it when asked
``Accept: text/plain``. The simulator does the same for every report in its register (the
``reports[]`` of any location), its words taken from the real excerpts (``sim.report_text``):
the one that reads like the report's rating, or what a test or the demo chose.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from monitor.sim import wire
from monitor.sim.pdf import pdf_document
from monitor.sim.population import Population
from monitor.sim.report_text import EXCERPTS, ReportFacts, as_text, chosen_excerpts, compose

Doc = dict[str, Any]
TEXT = "text/plain; charset=utf-8"
PDF = "application/pdf"
_SAF_SPELLING = {"Requires Improvement": "Requires improvement"}


@dataclass(frozen=True, slots=True)
class _Chosen:
    excerpts: tuple[str, ...] = ()
    text: str | None = None  # served exactly as given (an oversized or hostile text)


class ReportShelf:
    """Which location each report link belongs to, and the text each one serves.

    Links are indexed as locations change; a link never seen is looked for once in the whole
    register (generated locations carry reports of their own), then known. Thread-safe.
    """

    def __init__(self, population: Population) -> None:
        self._population = population
        self._owner: dict[str, str] = {}
        self._provider_owner: dict[str, str] = {}  # a provider's own reports
        self._indexed_all = False
        self._chosen: dict[str, _Chosen] = {}
        self._lock = threading.Lock()

    def note(self, location_id: str) -> None:
        """Index the reports of a location that was added or changed."""
        with self._lock:
            if location_id in self._population:
                self._index(location_id)

    def note_provider(self, provider_id: str) -> None:
        """Index the reports of a provider rated as a whole (reportType ``Provider``)."""
        with self._lock:
            for report in self._population.provider_document(provider_id).get("reports", []):
                if isinstance(link := report.get("linkId"), str):
                    self._provider_owner[link] = provider_id

    def choose(
        self, link_id: str, *, excerpts: tuple[str, ...] = (), text: str | None = None
    ) -> None:
        """Serve these excerpts (laid out as a PDF extract), or exactly ``text``, for a link."""
        unknown = [name for name in excerpts if name not in EXCERPTS]
        if unknown or (not excerpts and text is None):
            raise ValueError(f"excerpts must be some of {EXCERPTS}, or give text: {unknown}")
        with self._lock:
            self._chosen[link_id] = _Chosen(tuple(excerpts), text)

    def text(self, link_id: str) -> str | None:
        """The report's text as ``Accept: text/plain`` gets it; None for an unknown link."""
        pages = self._pages(link_id)
        if isinstance(pages, str):
            return pages
        return None if pages is None else as_text(pages)

    def response(self, link_id: str, accept: str) -> wire.Response:
        pages = self._pages(link_id)
        if pages is None:
            return wire.error(404)
        if "text/plain" in accept.lower():
            body = pages if isinstance(pages, str) else as_text(pages)
            return wire.Response(200, body.encode("utf-8"), TEXT)
        if isinstance(pages, str):
            pages = [pages.split("\n")]
        return wire.Response(200, pdf_document(pages, title=link_id), PDF)

    def _pages(self, link_id: str) -> list[list[str]] | str | None:
        with self._lock:
            chosen = self._chosen.get(link_id)
            if chosen is not None and chosen.text is not None:
                return chosen.text
            facts = self._facts(link_id)
        if facts is None:
            return None
        names = chosen.excerpts if chosen is not None else chosen_excerpts(facts)
        return compose(facts, names)

    def _facts(self, link_id: str) -> ReportFacts | None:
        if (provider_id := self._provider_owner.get(link_id)) is not None:
            return _facts_of(self._population.provider_document(provider_id), link_id)
        location_id = self._owner.get(link_id)
        if location_id is None and not self._indexed_all:
            for other in self._population.ids():
                self._index(other)
            self._indexed_all = True
            location_id = self._owner.get(link_id)
        if location_id is None or location_id not in self._population:
            return None
        return _facts_of(self._population.view(location_id), link_id)

    def _index(self, location_id: str) -> None:
        for report in self._population.view(location_id).get("reports", []):
            link = report.get("linkId")
            if isinstance(link, str) and isinstance(report.get("reportDate"), str):
                self._owner[link] = location_id


def _facts_of(doc: Doc, link_id: str) -> ReportFacts | None:
    report = next((r for r in doc.get("reports", []) if r.get("linkId") == link_id), None)
    if report is None:
        return None
    return ReportFacts(
        link_id=link_id,
        name=str(doc.get("name", "")),
        address=_address(doc),
        published=str(report.get("reportDate")),
        visited=report.get("firstVisitDate"),
        rating=_ratings_by_link(doc).get(link_id),
    )


def _address(doc: Doc) -> str:
    keys = ("postalAddressLine1", "postalAddressTownCity", "postalCode")
    return ", ".join(str(doc[key]) for key in keys if doc.get(key))


def _ratings_by_link(doc: Doc) -> dict[str, str]:
    """The overall rating each report (or assessment) gave."""
    found: dict[str, str] = {}
    for entry in doc.get("historicRatings", []):
        if "reportLinkId" in entry and "rating" in entry.get("overall", {}):
            found[entry["reportLinkId"]] = entry["overall"]["rating"]
    overall = doc.get("currentRatings", {}).get("overall", {})
    if "reportLinkId" in overall and "rating" in overall:
        found[overall["reportLinkId"]] = overall["rating"]
    for assessment in doc.get("assessment", []):
        ratings = assessment.get("ratings", {})
        for item in [*ratings.get("overall", []), *ratings.get("asgRatings", [])]:
            if "assessmentPlanId" in item and "rating" in item:
                found[item["assessmentPlanId"]] = item["rating"]
    return {link: _SAF_SPELLING.get(rating, rating) for link, rating in found.items()}
