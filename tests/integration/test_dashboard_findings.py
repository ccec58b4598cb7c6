"""What the reports found, on the dashboard: each location's report texts with their findings,
each text on a page of its own, and the Changes filter for special measures / enforcement
(the demo's database: Henley House's downgrade placed it in special measures)."""

from __future__ import annotations

import csv
import io
import re

from tests.support import documents as docs
from tests.support.dashboard import client, serving


def test_the_location_page_shows_what_its_reports_found(demo_database: str) -> None:
    with serving(demo_database) as base:
        http = client()
        page = http.get(f"{base}/locations/{docs.HENLEY}", timeout=10).text
        section = page[page.index('id="report-texts"') : page.index('id="website"')]
        assert "3 breaches of regulation · special measures" in section
        assert (
            "Regulation 9: Person-centred care; Regulation 12: Safe care and treatment" in section
        )
        assert "<blockquote>The assessment commenced on 6 November 2024" in section
        link = re.search(rf'href="(/locations/{docs.HENLEY}/reports/[^"]+)"', section)
        assert link is not None
        text_page = http.get(base + link.group(1), timeout=10)
        missing = http.get(f"{base}/locations/{docs.HENLEY}/reports/not-a-report", timeout=10)
        elsewhere = http.get(base + link.group(1).replace(docs.HENLEY, docs.LUCERNE), timeout=10)
    assert text_page.status_code == 200
    assert (
        "We identified 3 breaches of regulation relating to person centred care" in text_page.text
    )
    assert '<pre class="report-text">Henley House' in text_page.text
    assert (missing.status_code, elsewhere.status_code) == (404, 404)


def test_changes_filtered_to_special_measures_and_enforcement(demo_database: str) -> None:
    with serving(demo_database) as base:
        http = client()
        page = http.get(base + "/changes?findings=serious", timeout=10).text
        every = http.get(base + "/changes", timeout=10).text
        download = http.get(base + "/changes.csv?findings=serious", timeout=10).text
        wrong = http.get(base + "/changes?findings=everything", timeout=10)
    shown = re.findall(r'<tr id="(evt_[0-9a-f]+)">', page)
    assert len(shown) == 1 < len(re.findall(r'<tr id="(evt_[0-9a-f]+)">', every))
    assert "New CQC inspection report published for Henley House" in page
    assert "Findings: 3 breaches of regulation · special measures" in page
    assert 'name="findings" value="serious" checked' in page
    (row,) = csv.DictReader(io.StringIO(download))
    assert row["id"] == shown[0]
    assert (row["breaches"], row["special_measures"], row["findings_source"]) == (
        "3",
        "placed",
        "report_text",
    )
    assert row["regulations"].startswith("Regulation 9: Person-centred care; Regulation 12")
    assert wrong.status_code == 400
