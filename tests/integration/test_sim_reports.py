"""The simulator's /reports/{linkId}: the text of every real excerpt laid out as a PDF extract
for ``Accept: text/plain``, a valid PDF otherwise, read through the real client and reader."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests

from monitor.domain.findings import read_findings
from monitor.sim import Population, SimulatedCqc
from monitor.sim.report_text import EXCERPTS, ReportFacts, chosen_excerpts
from monitor.sources.http import build_http_getter
from monitor.sources.report_text import ReportTextClient
from tests.support import documents as docs
from tests.support.report_texts import EXPECTED

HENLEY_REPORT = "8d751af1-d418-4d70-956d-eac92d2c9ff6"
HENLEY_URI = f"/reports/{HENLEY_REPORT}?20220420120000"  # as the real document has it


@pytest.fixture
def served() -> Iterator[tuple[SimulatedCqc, str]]:
    sim = SimulatedCqc(Population.from_documents(docs.all_real().values()))
    with sim.serve() as server:
        yield sim, server.base_url


def text_client(base_url: str) -> ReportTextClient:
    getter = build_http_getter(requests_per_second=0, concurrency=1, timeout_seconds=30)
    return ReportTextClient(getter, base_url=base_url, subscription_key="sim-key")


@pytest.mark.parametrize("name", EXCERPTS)
def test_every_excerpt_is_served_as_a_pdf_extract_and_read_right(
    served: tuple[SimulatedCqc, str], name: str
) -> None:
    sim, base_url = served
    sim.set_report_text(HENLEY_REPORT, excerpts=(name,))
    client = text_client(base_url)
    try:
        result = client.fetch_text(HENLEY_URI)
    finally:
        client.close()
    assert result.status == "ok" and isinstance(result.data, str)
    text = result.data
    # Laid out as pdftotext gives a CQC PDF back: a cover page, page furniture inline.
    assert text.startswith("Henley House\n333 Henley Road, Ipswich, IP1 6TB\n")
    assert re.search(
        r"^(?:1 Henley House (?:Inspection|Quality) [Rr]eport|Page 1 of \d)", text, re.M
    )
    found = read_findings(text, location_name="Henley House")
    expected = EXPECTED[name]
    assert found.breaches == expected.get("breaches")
    assert list(found.regulations) == expected.get("regulations", [])
    assert found.special_measures == expected.get("special_measures")
    assert list(found.enforcement) == expected.get("enforcement", [])
    assert found.summary is not None and found.summary.startswith(expected["summary"])


def test_without_text_plain_the_report_is_a_valid_pdf(served: tuple[SimulatedCqc, str]) -> None:
    sim, base_url = served
    sim.set_report_text(HENLEY_REPORT, excerpts=("05a",))
    response = requests.get(
        base_url + HENLEY_URI, headers={"Ocp-Apim-Subscription-Key": "sim-key"}, timeout=10
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.rstrip().endswith(b"%%EOF")
    # The cross-reference table points at each object exactly.
    start = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n", 1)[0])
    assert pdf[start:].startswith(b"xref\n")
    entries = pdf[start:].split(b"\n")[3:]
    offsets = [int(line[:10]) for line in entries if line.endswith(b" n ")]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number)
    # One PDF page per page of the text ("Page 2 of 3" in its footers), its lines as drawn.
    text = sim.report_text(HENLEY_REPORT) or ""
    total = int(re.findall(r"^Page \d+ of (\d+)$", text, re.M)[0])
    assert pdf.count(b"/Type /Page ") == total and b"/Count %d " % total in pdf
    line = next(ln for ln in text.split("\n") if "We identified 3 breaches" in ln)
    assert b"(" + line.encode("cp1252") + b") '" in pdf


def test_an_unknown_report_is_a_404_and_a_missing_key_a_401(
    served: tuple[SimulatedCqc, str],
) -> None:
    _, base_url = served
    client = text_client(base_url)
    try:
        assert client.fetch_text("/reports/not-a-report").status == "gone"
    finally:
        client.close()
    bare = requests.get(base_url + HENLEY_URI, headers={"Accept": "text/plain"}, timeout=10)
    assert bare.status_code == 401


def test_a_report_reads_like_its_rating_by_default(served: tuple[SimulatedCqc, str]) -> None:
    sim, _ = served
    # Henley House's real 2022 report rated it Good: nothing of the sort found.
    good = read_findings(sim.report_text(HENLEY_REPORT) or "")
    assert (good.breaches, good.special_measures, good.enforcement) == (None, None, ())
    link = sim.set_ratings(docs.HENLEY, {"Overall": "Inadequate"}, report_date="2026-11-20")
    assert chosen_excerpts(_facts(link, "Inadequate"))[0] in (
        "05a",
        "05b",
        "05c",
        "03c",
        "03e",
        "01a",
    )
    assert sim.report_text(link) is not None


def test_every_excerpt_is_some_rating_s_default() -> None:
    chosen = {
        chosen_excerpts(_facts(f"link-{n}", rating))[0]
        for n in range(200)
        for rating in ("Inadequate", "Requires improvement", "Good", None)
    }
    assert chosen == set(EXCERPTS)


def _facts(link: str, rating: str | None) -> ReportFacts:
    return ReportFacts(link, "Henley House", "Ipswich", "2026-11-20", None, rating)
