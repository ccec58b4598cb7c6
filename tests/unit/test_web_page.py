"""The CQC website location page parser, over fixtures rendered from a real page's text.

tests/fixtures/web/make_pages.py renders the seed text of Alliance Medical Harley Street
(1-201307300) into differently structured pages; each must read back as the seed says.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from monitor.errors import MalformedResponseError
from monitor.sources.site_dates import parse_site_date
from monitor.sources.web_page import (
    MAX_PAGE_BYTES,
    MAX_SUMMARY_CHARS,
    LocationPage,
    parse_location_page,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "web"
SEED = FIXTURES / "alliance-medical-harley-street.txt"
STRUCTURES = ["modern", "noisy", "legacy", "semantic"]
NAME = "Alliance Medical Harley Street"
PROVIDER = "European Scanning Centre (Harley Street) Limited"

# (date as written, first day, last day, kind, label)
TIMELINE = [
    (
        "6 July 2023",
        "2023-07-06",
        "2023-07-06",
        "data_review",
        "During a monthly review of our data",
    ),
    (
        "25 February 2022",
        "2022-02-25",
        "2022-02-25",
        "routine_inspection",
        "During a routine inspection",
    ),
    (
        "15th and 28th January 2019",
        "2019-01-15",
        "2019-01-28",
        "partial_inspection",
        "During an inspection looking at part of the service",
    ),
    (
        "30 May 2013",
        "2013-05-30",
        "2013-05-30",
        "routine_inspection",
        "During a routine inspection",
    ),
    (
        "22 November 2011",
        "2011-11-22",
        "2011-11-22",
        "routine_inspection",
        "During a routine inspection",
    ),
]


def html(structure: str) -> str:
    return (FIXTURES / f"{structure}.html").read_text(encoding="utf-8")


def parse(structure: str) -> LocationPage:
    return parse_location_page((FIXTURES / f"{structure}.html").read_bytes())


def variant(structure: str, old: str, new: str) -> str:
    """The fixture with one exact passage replaced."""
    page = html(structure)
    assert page.count(old) == 1, f"{old!r} is not unique in {structure}.html"
    return page.replace(old, new)


def seed_summaries() -> list[str]:
    """Each entry's text in the seed: one line per paragraph or bullet, whitespace tidied."""
    lines = [" ".join(line.split()) for line in SEED.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    starts = [lines.index(written) for written, *_ in TIMELINE]
    ends = [*starts[1:], len(lines)]
    return ["\n".join(lines[start + 2 : end]) for start, end in zip(starts, ends, strict=True)]


# -- the same page in every structure ---------------------------------------------------------


@pytest.mark.parametrize("structure", STRUCTURES)
def test_location_fields(structure: str) -> None:
    page = parse(structure)

    assert (page.name, page.archived) == (NAME, False)
    assert page.overall_rating == "Good"
    assert page.provider == PROVIDER
    assert page.provider_changed is None


@pytest.mark.parametrize("structure", STRUCTURES)
def test_timeline_dates_kinds_and_labels(structure: str) -> None:
    timeline = parse(structure).timeline

    assert [(e.date, e.last_date, e.kind, e.label) for e in timeline] == [
        expected[1:] for expected in TIMELINE
    ]


@pytest.mark.parametrize("structure", STRUCTURES)
def test_summaries_are_the_seed_text(structure: str) -> None:
    for entry, expected in zip(parse(structure).timeline, seed_summaries(), strict=True):
        if len(expected) <= MAX_SUMMARY_CHARS:
            assert entry.summary == expected
        else:  # long reports are cut at a word, marked, and kept within the bound
            assert len(entry.summary) <= MAX_SUMMARY_CHARS
            assert entry.summary.endswith("…")
            assert expected.startswith(entry.summary[:-1])


@pytest.mark.parametrize("structure", STRUCTURES)
def test_monthly_review_summary(structure: str) -> None:
    review = parse(structure).timeline[0]

    assert review.summary.startswith(
        "We carried out a review of the data available to us about Alliance Medical Harley "
        "Street on 6 July 2023"
    )
    # The site's "give feedback" and "Back to top" links after the timeline stay out.
    assert review.summary.endswith("you can give feedback on this service.")
    assert "Back to top" not in parse(structure).timeline[-1].summary


@pytest.mark.parametrize("structure", STRUCTURES[1:])
def test_every_structure_reads_the_same_as_the_modern_page(structure: str) -> None:
    assert parse(structure) == parse("modern")


def test_misleading_text_in_scripts_navigation_and_banners_is_ignored() -> None:
    noisy = html("noisy")
    # The noise is really there: dated, labelled and in front of the real content.
    assert noisy.index("1 January 2020") < noisy.index("Overall: Inadequate") < noisy.index("<main")
    assert "During a routine inspection" in noisy[: noisy.index("<main")]

    assert parse_location_page(noisy) == parse_location_page(html("semantic"))


def test_page_without_a_main_landmark_still_drops_the_furniture() -> None:
    noisy = html("noisy").replace('<main id="main-content">', "<div>").replace("</main>", "</div>")

    assert parse_location_page(noisy) == parse("modern")


def test_timeline_outside_the_main_landmark_is_still_found() -> None:
    section = '<section class="timeline"'
    page = variant("modern", "</article>\n</main>", "").replace(section, "</main>" + section)

    assert parse_location_page(page) == parse("modern")


# -- what the page says about the location ---------------------------------------------------


def test_archived_profile_is_flagged_and_the_prefix_removed() -> None:
    page = parse_location_page(
        variant("modern", f">{NAME}</h1>", f"><span>Archived:</span> {NAME}</h1>")
    )

    assert (page.name, page.archived) == (NAME, True)
    assert len(page.timeline) == 5


RATING_DIV = '<div class="location__rating">'


def test_provider_changed_notice_is_captured() -> None:
    notice = (
        '<div class="notice"><p>The provider of this service changed. '
        '<a href="/location/1-1234567890">See new profile</a></p></div>'
    )
    page = parse_location_page(variant("modern", RATING_DIV, notice + RATING_DIV))

    assert page.provider_changed == "The provider of this service changed. See new profile"
    assert page.provider == PROVIDER


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Requires Improvement", "Requires improvement"),
        ("Outstanding", "Outstanding"),
        ("No published rating", "No published rating"),
        ("Exceptional", "Exceptional"),  # a rating CQC might add later keeps its text
    ],
    ids=["canonical-case", "outstanding", "non-rating", "unknown-kept"],
)
def test_overall_rating_is_canonicalised(written: str, expected: str) -> None:
    page = parse_location_page(variant("modern", ">Good</span>", f">{written}</span>"))

    assert page.overall_rating == expected


def test_page_without_overall_rating() -> None:
    old = html("modern")
    start, end = (
        old.index('<div class="location__rating">'),
        old.index('<div class="location__contact">'),
    )

    assert parse_location_page(old[:start] + old[end:]).overall_rating is None


def test_name_falls_back_to_the_title() -> None:
    page = parse_location_page(variant("modern", f'<h1 class="location__name">{NAME}</h1>', ""))

    assert page.name == NAME


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("During a monthly review of our data", "data_review"),
        ("During a routine inspection", "routine_inspection"),
        ("During an inspection looking at part of the service", "partial_inspection"),
        ("During an inspection to check that improvements had been made", "follow_up"),
        (
            "During an inspection to make sure that the improvements required had been made",
            "follow_up",
        ),
        ("During a follow-up inspection", "follow_up"),
        ("During an inspection in response to concerns", "other"),
        ("During an assessment under our new approach", "other"),
    ],
    ids=[
        "data-review",
        "routine",
        "part-of-service",
        "check-improvements",
        "improvements-required",
        "follow-up",
        "concerns-other",
        "assessment-other",
    ],
)
def test_entry_kind_from_label(label: str, kind: str) -> None:
    old = '<time>22 November 2011</time>\n<h3 class="timeline__label">During a routine inspection'
    new = f'<time>22 November 2011</time>\n<h3 class="timeline__label">{label}'
    last = parse_location_page(variant("modern", old, new)).timeline[-1]

    assert (last.kind, last.label) == (kind, label)


DATES = [
    ("6 July 2023", ("2023-07-06", "2023-07-06")),
    ("15th and 28th January 2019", ("2019-01-15", "2019-01-28")),
    ("15 - 28 January 2019", ("2019-01-15", "2019-01-28")),
    ("15–28 January 2019", ("2019-01-15", "2019-01-28")),
    ("30 September to 2 October 2019", ("2019-09-30", "2019-10-02")),
    ("1 and 2 March 2020", ("2020-03-01", "2020-03-02")),
    ("1, 2 and 3 March 2020", ("2020-03-01", "2020-03-03")),
    ("30 December to 2 January 2020", ("2019-12-30", "2020-01-02")),
    ("1st Sept 2019", ("2019-09-01", "2019-09-01")),
    ("31 February 2020", None),
    ("6 July", None),
    ("15 and 28", None),
    ("2019", None),
    ("We inspected on 6 July 2023", None),
]


@pytest.mark.parametrize(("written", "expected"), DATES, ids=[written for written, _ in DATES])
def test_site_dates(written: str, expected: tuple[str, str] | None) -> None:
    assert parse_site_date(written) == expected


def test_date_forms_on_the_page() -> None:
    page = parse_location_page(
        variant("legacy", "22&nbsp;November 2011", "30 September to 2&nbsp;October 2019")
    )

    assert (page.timeline[-1].date, page.timeline[-1].last_date) == ("2019-09-30", "2019-10-02")


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    body = variant("modern", "Our rating of this location improved.", "Our rating \udcff.")
    raw = body.encode("utf-8", "surrogateescape")  # a lone 0xFF byte, as a broken proxy sends

    assert parse_location_page(raw).timeline[1].summary.startswith("Our rating \ufffd.")


def test_page_at_the_size_limit_is_parsed() -> None:
    page = html("modern")
    padding = MAX_PAGE_BYTES - len(page.encode("utf-8")) - len("<!---->")

    assert len(parse_location_page(page + f"<!--{'x' * padding}-->").timeline) == 5


# -- pages that are not a usable location page -----------------------------------------------


def _cut_after(structure: str, passage: str) -> str:
    page = html(structure)
    return page[: page.index(passage) + len(passage)]


def _without_entries() -> str:
    page = html("modern")
    cut = page[: page.index('<ol class="timeline__list">')]
    return cut + "</section></article></main></body></html>"


def _oversized() -> str:
    page = html("modern")
    padding = MAX_PAGE_BYTES - len(page.encode("utf-8")) - len("<!---->") + 1
    return page + f"<!--{'x' * padding}-->"


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"
NO_SECTION = "no 'All inspections' section"
UNUSABLE: list[tuple[str, Callable[[], str | bytes], str]] = [
    ("empty-bytes", lambda: b"", "empty"),
    ("whitespace", lambda: " \n\t", "empty"),
    ("json", lambda: b'{"locationId": "1-201307300", "name": "x"}', "JSON"),
    ("png", lambda: PNG, "binary"),
    ("plain-text", SEED.read_bytes, "no HTML markup"),
    ("over-size-limit", _oversized, "limit"),
    (
        "truncated-mid-timeline",
        lambda: _cut_after("modern", "15th and 28th January 2019</time>"),
        "truncated",
    ),
    ("heading-without-entries", _without_entries, "no dated entries"),
    (
        "unclosed-comment",
        lambda: html("modern").replace("<section", "<!-- <section", 1),
        "no dated entries",
    ),
    (
        "unclosed-script",
        lambda: html("legacy").replace('<DIV class="inspections">', "<SCRIPT>var x = 1;", 1),
        NO_SECTION,
    ),
    (
        "tag-soup",
        lambda: f"<html><body><h1>{NAME}</h1><div<p<h2 All inspections</h2 <p>6 July 2023<p</html>",
        NO_SECTION,
    ),
    (
        "no-timeline",
        lambda: f"<html><body><h1>{NAME}</h1><p>Overall: Good</p><p>Page not found</p></html>",
        NO_SECTION,
    ),
]


@pytest.mark.parametrize(
    ("build", "message"), [case[1:] for case in UNUSABLE], ids=[case[0] for case in UNUSABLE]
)
def test_unusable_page_is_an_error_never_an_empty_timeline(
    build: Callable[[], str | bytes], message: str
) -> None:
    with pytest.raises(MalformedResponseError, match=message):
        parse_location_page(build())


def test_page_without_a_name_is_an_error() -> None:
    page = variant("semantic", f"<h1>{NAME}</h1>", "").replace(f"<title>{NAME}</title>", "")

    with pytest.raises(MalformedResponseError, match="no name"):
        parse_location_page(page)


def test_fixtures_are_what_the_generator_writes() -> None:
    """The committed pages must come from make_pages.py, so they can be regenerated."""
    spec = importlib.util.spec_from_file_location("make_pages", FIXTURES / "make_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_pages"] = module  # dataclasses look their module up while building
    try:
        spec.loader.exec_module(module)
        rendered = module.render()
    finally:
        del sys.modules["make_pages"]

    assert sorted(rendered) == sorted(path.name for path in FIXTURES.glob("*.html"))
    for name, text in rendered.items():
        assert (FIXTURES / name).read_text(encoding="utf-8") == text, name


def test_service_not_yet_inspected_has_a_genuinely_empty_timeline() -> None:
    page = parse_location_page(
        "<html><body><main><h1>New Clinic</h1><p>Overall: No published rating</p>"
        "<h2>All inspections</h2><p>We have not inspected this service yet.</p>"
        "</main></body></html>"
    )
    assert page.name == "New Clinic"
    assert page.timeline == ()
    assert page.overall_rating == "No published rating"


def test_page_cut_off_in_transit_is_an_error_even_when_its_start_parses() -> None:
    page = html("modern")
    first_entry_end = page.index("25 February 2022")
    with pytest.raises(MalformedResponseError, match="truncated"):
        parse_location_page(page[:first_entry_end])
