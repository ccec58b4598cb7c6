"""Reading new reports' words within the cycle (SPEC §2.3, §5.2, §5.3).

Only a report that makes an event needs its text: a silent baseline of thousands of locations
reads none. For each new ``new_inspection`` of a batch the cycle reads, before it writes the
batch, the API's text extract of the report (else the assessment's narrative in the document,
else the website's summary of the same inspection), in parallel, within the time the cycle
may spend on texts. What is read goes into the event itself; what is not goes out without it
(``findings: null``), and later cycles try again a limited number of times, each success
making a ``report_findings`` event. Each report is read at most once, keyed by its link id;
its text and findings are kept in ``report_texts``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from monitor.domain.decide import Decision
from monitor.domain.events import Event
from monitor.domain.report_events import ANNOUNCING, wants_text, with_findings
from monitor.errors import short_error
from monitor.redaction import Redactor
from monitor.services.ports import Clock, ReportTextSource
from monitor.store.report_texts import FAILED, READ, Known, Reading
from monitor.store.repository import Applied, FetchLog

if TYPE_CHECKING:
    from monitor.domain.findings import Findings

log = structlog.get_logger(__name__)
_LONGEST_WAIT = timedelta(hours=12)


@dataclass(frozen=True)
class TextOptions:
    enabled: bool = True
    concurrency: int = 4
    cycle_seconds: float = 120.0  # what one cycle may spend waiting for report texts
    read_attempts: int = 6  # cycles that try one report's text before giving up
    retry_after: timedelta = timedelta(minutes=30)  # doubles with each failed attempt
    retry_batch: int = 100  # pending texts tried at the end of one cycle


@dataclass(frozen=True, slots=True)
class Wanted:
    """A report whose words an event waits for, with every place they may be found."""

    link_id: str
    location_id: str
    location_name: str | None
    report_date: str | None
    report_uri: str | None
    narrative: str | None = None  # the assessment's narrative, from the document
    website: str | None = None  # the website's summary of the same inspection
    attempts: int = 0  # API reads tried by earlier cycles


class TextReader:
    """Reads report texts for one cycle, within its time for them."""

    def __init__(
        self,
        source: ReportTextSource | None,
        *,
        options: TextOptions,
        clock: Clock,
        redact: Redactor | None = None,
    ) -> None:
        self.source = source if options.enabled else None
        self.options = options
        self.clock = clock
        self.redact = redact or Redactor()
        self._spent = 0.0

    def start_cycle(self) -> None:
        self._spent = 0.0

    def remaining(self) -> float:
        return max(0.0, self.options.cycle_seconds - self._spent)

    def read(self, wanted: Sequence[Wanted], known: Mapping[str, Known]) -> dict[str, Reading]:
        """What each wanted report says, by link id; a report read before is not read again."""
        readings: dict[str, Reading] = {}
        jobs = []
        for want in wanted:
            before = known.get(want.link_id)
            if before is not None and before.status == READ and before.findings is not None:
                readings[want.link_id] = _reading(want, findings=before.findings)
            elif before is not None and before.status == FAILED:
                readings[want.link_id] = _reading(want, error="given up: not read again")
            else:
                jobs.append(replace(want, attempts=before.attempts if before else 0))
        readings.update(self._run(jobs))
        return readings

    def _run(self, jobs: Sequence[Wanted]) -> dict[str, Reading]:
        fetched = [job for job in jobs if job.report_uri and self.source is not None]
        results = {job.link_id: self._fallback(job, None, None, False) for job in jobs}
        if not fetched:
            return results
        if self.remaining() <= 0:
            error = (
                f"not read: the cycle's {self.options.cycle_seconds:g}s for report texts ran out"
            )
            return {job.link_id: self._fallback(job, error, None, False) for job in jobs}
        started = time.monotonic()
        pool = ThreadPoolExecutor(self.options.concurrency, thread_name_prefix="report-text")
        try:
            futures: dict[Future[Reading], Wanted] = {
                pool.submit(self._read_one, job): job for job in fetched
            }
            done, late = wait(futures, timeout=self.remaining())
            for future in done:
                results[futures[future].link_id] = future.result()
            for future in late:
                job = futures[future]
                error = f"not read within the cycle's {self.options.cycle_seconds:g}s"
                results[job.link_id] = self._fallback(job, error, None, future.running())
        finally:
            # A read still running is left to its own deadline; its answer is not waited for.
            pool.shutdown(wait=False, cancel_futures=True)
            self._spent += time.monotonic() - started
        return results

    def _read_one(self, job: Wanted) -> Reading:
        """Never raises: whatever a text does to the reader is an error for that report."""
        assert self.source is not None and job.report_uri is not None
        started = self.clock.now()
        try:
            result = self.source.fetch_text(job.report_uri)
            fetch = FetchLog(
                job.location_id, "report", started, result.http_status, result.elapsed_ms,
                result.size, self.redact(result.error) if result.status != "ok" else None,
            )  # fmt: skip
            if result.status == "ok" and isinstance(result.data, str):
                findings = _findings_of(
                    result.data, source="report_text", location_name=job.location_name
                )
                log.info("report_text_read", link_id=job.link_id, chars=len(result.data))
                reading = _reading(job, findings=findings, text=result.data, attempted=True)
                return replace(reading, http_status=result.http_status, fetch=fetch)
            reading = self._fallback(job, fetch.error, result.http_status, True)
            return replace(reading, fetch=fetch)
        except Exception as exc:
            error = self.redact(f"could not read the report text: {short_error(exc)}")
            return self._fallback(job, error, None, True)

    def _fallback(
        self, job: Wanted, error: str | None, http_status: int | None, attempted: bool
    ) -> Reading:
        """The narrative, else the website summary, when the API's text could not be had."""
        for source, text in (("assessment_narrative", job.narrative), ("website", job.website)):
            if text:
                findings = _findings_of(text, source=source, location_name=job.location_name)
                return _reading(job, findings=findings, text=text, attempted=attempted)
        if error is not None:
            log.warning("report_text_not_read", link_id=job.link_id, error=error)
        retry_at = self.clock.now() + _backoff(self.options.retry_after, job.attempts + 1)
        reading = _reading(job, error=error, attempted=attempted, retry_at=retry_at)
        if not job.report_uri:
            return replace(reading, error="the report has no text to read", give_up=True)
        return replace(reading, http_status=http_status)


def _reading(
    want: Wanted,
    *,
    findings: Findings | None = None,
    text: str | None = None,
    error: str | None = None,
    attempted: bool = False,
    retry_at: datetime | None = None,
) -> Reading:
    return Reading(
        link_id=want.link_id,
        location_id=want.location_id,
        report_date=want.report_date,
        report_uri=want.report_uri,
        attempted=attempted,
        text=text,
        findings=findings,
        error=error,
        retry_at=retry_at,
    )


def _findings_of(text: str, *, source: str, location_name: str | None) -> Findings:
    """What a report's text says; the reader (its wordings compiled when it is imported)
    loads with the first text of the process, not with every command that might read one."""
    from monitor.domain.findings import read_findings

    return read_findings(text, source=source, location_name=location_name)


def _backoff(first: timedelta, attempt: int) -> timedelta:
    delay: timedelta = first * 2 ** min(max(0, attempt - 1), 16)
    return min(delay, _LONGEST_WAIT)


# -- the cycle's events ------------------------------------------------------------------------


def attach(items: Iterable[Applied], readings: Mapping[str, Reading]) -> None:
    """Put each report's findings into the ``new_inspection`` announcing it (that report's
    own link id only: never another inspection's words), and its reads into the fetch log."""
    for item in items:
        decision: Decision = item.decision
        events = []
        for event in decision.events:
            link = wants_text(event)
            reading = readings.get(link) if link else None
            if reading is not None and reading.fetch is not None:
                item.fetches.append(reading.fetch)
            if reading is not None and reading.findings is not None:
                event = with_findings(event, reading.findings)
            events.append(event)
        decision.events = events


def to_record(
    items: Iterable[Applied],
    readings: Mapping[str, Reading],
    report_uris: Mapping[str, str],
) -> list[Reading]:
    """One reading per report announced in this batch, naming the events involved. A report
    the cycle had no reading for (its event was not foreseen) is recorded to be read later."""
    recorded = []
    for item in items:
        for event in item.decision.events:
            link = _announced(event)
            if link is None:
                continue
            reading = readings.get(link) or Reading(
                link_id=link,
                location_id=event.subject.id,
                report_date=_text(event.details.get("report_date")),
                report_uri=report_uris.get(link),
                attempted=False,
            )
            carried = event.details.get("findings") is not None
            recorded.append(
                replace(reading, event_id=event.id, findings_event_id=event.id if carried else None)
            )
    return recorded


def _announced(event: Event) -> str | None:
    link = event.details.get("report_link_id") if event.type in ANNOUNCING else None
    return str(link) if link else None


def _text(value: Any) -> str | None:
    return str(value) if value else None
