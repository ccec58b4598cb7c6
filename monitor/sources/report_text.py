"""The words of an inspection report (SPEC §2.3): the API's text extract of the report, and the
assessment framework's narrative fields of the location document.

``GET {reportUri}`` with ``Accept: text/plain`` answers a text extract of the report PDF
(without the header, the PDF). ``reportUri`` is relative to the API ("/reports/{linkId}",
sometimes with a query suffix such as "?20220420120000") and is resolved against the API's
base URL; an absolute one is followed only to the API's own host, since the request carries
the subscription key. Each request goes through the same HTTP edge as every other: the
deployment's request rate, a size cap, a total deadline and bounded retries.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from monitor.errors import AuthenticationError, MalformedResponseError
from monitor.sources.api_client import fetch_document
from monitor.sources.base import FetchResult
from monitor.sources.http import Getter, HttpResponse

_KEY_HEADER = "Ocp-Apim-Subscription-Key"
# Where the assessment framework keeps a report's words, in the order they are read.
NARRATIVE_KEYS = ("narrative", "overallPeopleExperience", "commentary")
_MAX_DEPTH = 8


class ReportTextClient:
    """Reads report texts from the Syndication API. Thread-safe when its getter is."""

    def __init__(
        self,
        getter: Getter,
        *,
        base_url: str,
        subscription_key: str,
        partner_code: str | None = None,
    ) -> None:
        self.getter = getter
        self._base_url = base_url.rstrip("/")
        self._headers = {_KEY_HEADER: subscription_key, "Accept": "text/plain"}
        self._partner = {"partnerCode": partner_code} if partner_code else {}

    def close(self) -> None:
        self.getter.close()

    def url(self, report_uri: str) -> str:
        """``reportUri`` resolved against the API base; ValueError for another host."""
        uri = report_uri.strip()
        if uri.startswith(("http://", "https://")):
            base, target = urlsplit(self._base_url), urlsplit(uri)
            if (target.scheme, target.netloc) != (base.scheme, base.netloc):
                raise ValueError(f"report link {uri[:200]!r} points outside the API")
            return uri
        if not uri or uri.startswith("//"):
            raise ValueError(f"report link {uri[:200]!r} is not a path of the API")
        return f"{self._base_url}/{uri.lstrip('/')}"

    def fetch_text(self, report_uri: str) -> FetchResult:
        """The report's text extract as ``data`` (a str); every failure is a value."""
        try:
            url = self.url(report_uri)
        except ValueError as exc:
            return FetchResult("error", report_uri, error=str(exc))
        try:
            return fetch_document(
                self.getter, url, decode=decode_text, params=self._partner, headers=self._headers
            )
        except AuthenticationError as exc:
            # A report the key may not read must not stop the cycle its alert belongs to.
            return FetchResult("error", url, http_status=exc.http_status, error=str(exc))


def decode_text(resp: HttpResponse) -> str:
    """A text extract as text; a PDF or other binary answer is refused, not read as words."""
    body = resp.body
    if body.lstrip()[:5] == b"%PDF-":
        raise MalformedResponseError(
            f"{resp.url} answered with the PDF, not its text extract", http_status=resp.status
        )
    if b"\x00" in body[:4096]:
        raise MalformedResponseError(f"{resp.url} answered binary data", http_status=resp.status)
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older extracts come in Windows-1252, CQC's PDFs' own encoding.
        return body.decode("cp1252", errors="replace")


def assessment_narrative(doc: Any, link_id: str, report_date: str | None) -> str | None:
    """The narrative of the assessment a report publishes, as text (HTML read as a page).

    The assessment is the one whose ``assessmentPlanId`` is the report's link id, else the
    only one published the day the report was: never another assessment's words.
    """
    items = list(_assessment_items(doc))
    chosen = [item for plan, _, item in items if plan == link_id]
    if not chosen and report_date:
        same_day = {plan for plan, day, _ in items if day == report_date[:10] and plan}
        if len(same_day) == 1:
            only = same_day.pop()
            chosen = [item for plan, _, item in items if plan == only]
    texts = list(dict.fromkeys(text for item in chosen for text in _narratives(item, 0)))
    return "\n\n".join(texts) or None


def _assessment_items(doc: Any) -> Iterator[tuple[str | None, str | None, dict[str, Any]]]:
    """(plan id, publication day, item) of every rating item of every assessment."""
    entries = doc.get("assessment") if isinstance(doc, dict) else None
    for entry in entries if isinstance(entries, list) else ():
        if not isinstance(entry, dict):
            continue
        published = _day(entry.get("assessmentPlanPublishedDateTime"))
        ratings = entry.get("ratings")
        groups = ratings if isinstance(ratings, dict) else {}
        plans = set()
        for key in ("overall", "asgRatings"):
            for item in groups.get(key) or ():
                if isinstance(item, dict):
                    plan = item.get("assessmentPlanId")
                    plans.add(plan)
                    day = _day(item.get("assessmentPlanPublishedDateTime")) or published
                    yield (plan if isinstance(plan, str) else None), day, item
        if len(plans) == 1:  # fields beside the ratings belong to that one assessment
            plan = next(iter(plans))
            rest = {k: v for k, v in entry.items() if k != "ratings"}
            yield (plan if isinstance(plan, str) else None), published, rest


def _narratives(node: Any, depth: int) -> Iterator[str]:
    """The narrative fields under ``node`` in document order, each as plain text."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, dict):
        heading = node.get("name") if isinstance(node.get("name"), str) else None
        for key, value in node.items():
            if key in NARRATIVE_KEYS and isinstance(value, str) and value.strip():
                text = _html_text(value) if "<" in value else value.strip()
                if text:
                    yield f"{heading}\n{text}" if heading and depth > 0 else text
            elif isinstance(value, dict | list):
                yield from _narratives(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from _narratives(value, depth + 1)


def _html_text(value: str) -> str:
    from monitor.sources.web_page import html_text  # selectolax, only for narratives in HTML

    return html_text(value)


def _day(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None
