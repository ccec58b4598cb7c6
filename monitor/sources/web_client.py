"""Fetches CQC website location pages (SPEC §2.2), the only home of monthly data reviews."""

from __future__ import annotations

from urllib.parse import quote

from monitor.errors import AuthenticationError, MalformedResponseError
from monitor.sources.api_client import fetch_document
from monitor.sources.base import FetchResult
from monitor.sources.http import HttpGetter, HttpResponse

DEFAULT_BASE_URL = "https://www.cqc.org.uk"
_PAGE_HEADERS = {
    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en-GB,en;q=0.8",
}


class CqcWebClient:
    """Reads ``{base_url}/location/{id}/reports`` as raw HTML bytes; parsing lives elsewhere."""

    def __init__(self, getter: HttpGetter, *, base_url: str = DEFAULT_BASE_URL) -> None:
        self.getter = getter
        self._base_url = base_url.rstrip("/")

    def close(self) -> None:
        self.getter.close()

    def page_url(self, location_id: str) -> str:
        return f"{self._base_url}/location/{quote(location_id, safe='')}/reports"

    def fetch_page(self, location_id: str) -> FetchResult:
        """The location's inspections page; every failure is an ``error`` or ``gone`` value."""
        url = self.page_url(location_id)
        try:
            return fetch_document(self.getter, url, decode=_require_html, headers=_PAGE_HEADERS)
        except AuthenticationError as exc:
            # No credential is involved here: a 401/403 is the site turning this request
            # away (bot protection), which must not stop the API side of the cycle.
            return FetchResult("error", url, http_status=exc.http_status, error=str(exc))


def _require_html(resp: HttpResponse) -> None:
    content_type = resp.headers.get("Content-Type", "")
    if "html" in content_type.lower():
        return
    if not content_type and resp.body.lstrip()[:1] == b"<":
        return  # no declared type; markup is good enough for a text parser
    raise MalformedResponseError(
        f"expected an HTML page from {resp.url}, got {content_type or 'no content type'}",
        http_status=resp.status,
    )
