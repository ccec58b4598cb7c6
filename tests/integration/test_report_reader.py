"""Reading report texts within a cycle's time: in parallel, each at most once, from the
API's text else the narrative else the website, and never longer than the cycle allows."""

from __future__ import annotations

from monitor.domain.findings import Findings
from monitor.services.report_texts import TextOptions, TextReader, Wanted
from monitor.store.report_texts import Known
from tests.fakes import FakeClock, FakeReportTexts
from tests.support.report_texts import real_excerpt


def wanted(link: str, **extra: object) -> Wanted:
    fields: dict[str, object] = {
        "link_id": link,
        "location_id": "1-10000302982",
        "location_name": "Henley House",
        "report_date": "2026-11-20",
        "report_uri": f"/reports/{link}",
        **extra,
    }
    return Wanted(**fields)  # type: ignore[arg-type]


def reader(source: FakeReportTexts, **options: object) -> TextReader:
    return TextReader(source, options=TextOptions(**options), clock=FakeClock())  # type: ignore[arg-type]


def test_texts_are_read_and_their_findings_kept() -> None:
    source = FakeReportTexts({"/reports/a": real_excerpt("05a"), "/reports/b": real_excerpt("04a")})
    readings = reader(source).read([wanted("a"), wanted("b")], {})
    assert readings["a"].findings is not None and readings["a"].findings.breaches == 3
    assert readings["a"].findings.special_measures == "placed"
    assert readings["b"].findings is not None and readings["b"].findings.breaches == 3
    assert readings["a"].attempted and readings["a"].text == real_excerpt("05a")
    assert readings["a"].fetch is not None and readings["a"].fetch.source == "report"
    assert sorted(source.asked) == ["/reports/a", "/reports/b"]


def test_a_report_read_before_is_not_read_again() -> None:
    source = FakeReportTexts()
    stored = Findings("report_text", breaches=2)
    readings = reader(source).read([wanted("a")], {"a": Known("a", "read", 1, stored)})
    assert readings["a"].findings == stored and not readings["a"].attempted
    assert source.asked == []


def test_given_up_reports_are_not_tried() -> None:
    source = FakeReportTexts()
    readings = reader(source).read([wanted("a")], {"a": Known("a", "failed", 6, None)})
    assert readings["a"].findings is None and source.asked == []


def test_the_narrative_then_the_website_stand_in_for_a_missing_text() -> None:
    source = FakeReportTexts()
    source.statuses["/reports/b"] = 503
    readings = reader(source).read(
        [
            wanted("a", narrative="We found four breaches of regulation."),
            wanted("b", website="This service is being placed in special measures."),
            wanted("c"),
        ],
        {},
    )
    a, b, c = readings["a"], readings["b"], readings["c"]
    assert a.findings is not None and (a.findings.source, a.findings.breaches) == (
        "assessment_narrative",
        4,
    )
    assert b.findings is not None and b.findings.source == "website"
    assert c.findings is None and c.attempted and "404" in (c.error or "")
    assert c.retry_at is not None  # a later cycle tries again


def test_nothing_is_waited_for_past_the_cycle_s_time_for_texts() -> None:
    source = FakeReportTexts({"/reports/a": "We found one breach."}, delay=2.0)
    text_reader = reader(source, cycle_seconds=1.0, concurrency=1)
    readings = text_reader.read([wanted("a"), wanted("b")], {})
    # The read still running goes on alone; the cycle has its answer without it.
    assert readings["a"].findings is None and "not read within" in (readings["a"].error or "")
    assert readings["b"].findings is None and not readings["b"].attempted  # never started
    # The cycle's time is spent: later batches do not try at all.
    later = text_reader.read([wanted("c")], {})
    assert later["c"].findings is None and not later["c"].attempted
    assert "ran out" in (later["c"].error or "")


def test_a_report_without_a_link_is_given_up() -> None:
    readings = reader(FakeReportTexts()).read([wanted("a", report_uri=None)], {})
    assert readings["a"].give_up and readings["a"].findings is None


def test_reading_off_reads_nothing() -> None:
    source = FakeReportTexts({"/reports/a": "We found one breach."})
    readings = reader(source, enabled=False).read([wanted("a")], {})
    assert readings["a"].findings is None and source.asked == []
