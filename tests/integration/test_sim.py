"""The simulated CQC API, driven over real HTTP on 127.0.0.1 with a plain requests client."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest
import requests

from monitor.sim import ManualClock, Population, RunningServer, SimulatedCqc, Step, demo_story
from monitor.sources.api_document import parse_location

HENLEY, LUCERNE, ALLIED, HARLEY = "1-10000302982", "1-125856395", "1-134558905", "1-201307300"
KEY_QUESTIONS = {"Safe", "Effective", "Caring", "Responsive", "Well-led"}
REAL_401 = {
    "statusCode": 401,
    "message": "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription.",
}
START = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def sim(clock: ManualClock) -> SimulatedCqc:
    return SimulatedCqc(Population.generate(120, seed=7), web_pages=True, clock=clock)


@pytest.fixture
def server(sim: SimulatedCqc) -> Iterator[RunningServer]:
    with sim.serve() as running:
        yield running


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Ocp-Apim-Subscription-Key"] = "sim-key"
        yield session


def get(http: requests.Session, server: RunningServer, path: str, **params: Any) -> Any:
    response = http.get(server.base_url + path, params=params, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


# --- paths, paging, providers ------------------------------------------------------------------


def test_paging_the_location_list_yields_every_location_once(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    seen: list[str] = []
    page = get(http, server, "/locations", perPage=50)
    while True:
        seen += [item["locationId"] for item in page["locations"]]
        if page["nextPageUri"] is None:
            break
        page = get(http, server, page["nextPageUri"])
    assert page["totalPages"] == 3 and page["total"] == 120
    assert sorted(seen) == sorted(sim.population.ids())
    assert len(set(seen)) == 120


def test_list_items_carry_name_and_postcode_and_per_page_is_capped(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    page = get(http, server, "/locations", perPage=5000)
    assert page["perPage"] == 1000
    first = page["locations"][0]
    assert first == {"locationId": HENLEY, "locationName": "Henley House", "postalCode": "IP1 6TB"}
    response = http.get(server.base_url + "/locations", params={"page": "x"}, timeout=5)
    assert response.status_code == 400


def test_provider_lists_exactly_its_locations(
    server: RunningServer, http: requests.Session
) -> None:
    ids = [item["locationId"] for item in get(http, server, "/locations")["locations"]]
    owners: dict[str, set[str]] = {}
    for location_id in ids:
        owners.setdefault(get(http, server, f"/locations/{location_id}")["providerId"], set()).add(
            location_id
        )
    provider_id, expected = max(owners.items(), key=lambda item: len(item[1]))
    assert len(expected) >= 2  # the population groups several locations under one provider
    provider = get(http, server, f"/providers/{provider_id}")
    assert set(provider["locationIds"]) == expected
    listed = get(http, server, f"/providers/{provider_id}/locations")["locations"]
    assert {item["locationId"] for item in listed} == expected
    missing = http.get(server.base_url + "/providers/1-0", timeout=5)
    assert missing.status_code == 404


# --- change feed ------------------------------------------------------------------------------


def changes(http: requests.Session, server: RunningServer, start: str, end: str) -> list[str]:
    result: list[str] = get(
        http, server, "/changes/location", startTimestamp=start, endTimestamp=end
    )["changes"]
    return result


def test_change_feed_start_is_inclusive_and_end_exclusive(
    sim: SimulatedCqc, clock: ManualClock, server: RunningServer, http: requests.Session
) -> None:
    sim.touch(HENLEY)  # at 09:00:00
    clock.advance(60)
    sim.set_rating(LUCERNE, "Safe", "Good", report_date="2025-11-03")  # at 09:01:00
    clock.advance(60)
    sim.deregister(ALLIED, "2025-11-03")  # at 09:02:00

    assert changes(http, server, "2025-11-03T09:00:00Z", "2025-11-03T09:01:00Z") == [HENLEY]
    assert changes(http, server, "2025-11-03T09:01:00Z", "2025-11-03T09:02:00Z") == [LUCERNE]
    # The same instants written with an offset and CQC's seven fractional digits.
    whole = changes(http, server, "2025-11-03T10:00:00.0000000+01:00", "2025-11-03T09:02:01Z")
    assert whole == [HENLEY, LUCERNE, ALLIED]
    assert changes(http, server, "2025-11-03T09:02:01Z", "2025-11-04T00:00:00Z") == []


def test_change_feed_rejects_missing_or_invalid_timestamps(
    server: RunningServer, http: requests.Session
) -> None:
    url = server.base_url + "/changes/location"
    for params in (
        {"startTimestamp": "2025-11-03T09:00:00Z"},
        {"startTimestamp": "yesterday", "endTimestamp": "2025-11-03T09:00:00Z"},
    ):
        assert http.get(url, params=params, timeout=5).status_code == 400


def test_change_feed_pages_its_ids(
    sim: SimulatedCqc, clock: ManualClock, server: RunningServer, http: requests.Session
) -> None:
    changed = list(sim.population.ids())[:25]
    for location_id in changed:
        sim.touch(location_id)
        clock.advance(1)
    window = {"startTimestamp": "2025-11-03T00:00:00Z", "endTimestamp": "2025-11-04T00:00:00Z"}
    pages = [
        get(http, server, "/changes/location", perPage=10, page=n, **window) for n in (1, 2, 3)
    ]
    assert [p["totalPages"] for p in pages] == [3, 3, 3]
    assert [i for p in pages for i in p["changes"]] == changed
    assert pages[2]["nextPageUri"] is None
    assert "startTimestamp=2025-11-03T00:00:00Z" in pages[0]["nextPageUri"]


def test_data_review_changes_the_website_only(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    before = get(http, server, f"/locations/{HARLEY}")
    sim.add_data_review(HARLEY, "2025-12-01")
    assert get(http, server, f"/locations/{HARLEY}") == before
    assert changes(http, server, "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z") == []
    page = http.get(f"{server.web_base_url}/location/{HARLEY}/reports", timeout=5).text
    assert "1 December 2025" in page and "During a monthly review of our data" in page


# --- auth -------------------------------------------------------------------------------------


def test_wrong_key_gets_the_real_401_body(server: RunningServer) -> None:
    real = resources.files("monitor.sim").joinpath("data", "error-401-invalid-key.json")
    url = f"{server.base_url}/locations/{HENLEY}"
    wrong = requests.get(url, headers={"Ocp-Apim-Subscription-Key": "nope"}, timeout=5)
    assert wrong.status_code == 401
    assert wrong.content == real.read_bytes()
    assert wrong.json() == REAL_401
    assert requests.get(url, timeout=5).status_code == 401  # no key at all
    by_query = requests.get(url, params={"subscription-key": "sim-key"}, timeout=5)
    assert by_query.status_code == 200


def test_the_request_log_records_arrivals_only_once_started(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    get(http, server, f"/locations/{HENLEY}")
    assert sim.requests.arrivals() == []

    before = time.time()
    sim.requests.start()
    get(http, server, f"/locations/{LUCERNE}")
    get(http, server, "/locations", perPage=5)
    http.get(f"{server.web_base_url}/location/{ALLIED}/reports", timeout=5)

    arrivals = sim.requests.arrivals()
    assert [(a.kind, a.location_id) for a in arrivals] == [
        ("location", LUCERNE),
        ("locations", None),
        ("web", ALLIED),
    ]
    assert before <= arrivals[0].at <= arrivals[1].at <= arrivals[2].at <= time.time()
    assert [a.location_id for a in sim.requests.arrivals("location")] == [LUCERNE]


# --- faults -----------------------------------------------------------------------------------


def test_rate_limit_carries_retry_after(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    sim.faults.status(429, times=1, retry_after=7)
    url = f"{server.base_url}/locations/{HENLEY}"
    limited = http.get(url, timeout=5)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert http.get(url, timeout=5).status_code == 200
    assert sim.stats.count("location", 429) == 1 and sim.stats.count("location", 200) == 1


def test_server_error_once_then_success(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    sim.faults.status(500, times=1, path_prefix="/changes")
    url = f"{server.base_url}/locations/{HENLEY}"
    assert http.get(url, timeout=5).status_code == 200  # other paths unaffected
    feed = server.base_url + "/changes/location"
    window = {"startTimestamp": "2025-11-03T00:00:00Z", "endTimestamp": "2025-11-04T00:00:00Z"}
    assert [http.get(feed, params=window, timeout=5).status_code for _ in range(2)] == [500, 200]


def test_hang_makes_the_client_time_out(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    sim.faults.hang(5, location_id=HENLEY)
    url = f"{server.base_url}/locations/{HENLEY}"
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        http.get(url, timeout=0.3)
    assert time.monotonic() - started < 2
    assert http.get(url, timeout=5).status_code == 200


def test_latency_delays_matching_responses(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    sim.faults.latency(0.2, path_prefix="/locations/")
    started = time.monotonic()
    get(http, server, f"/locations/{HENLEY}")
    assert time.monotonic() - started >= 0.2


def test_malformed_body_is_not_json(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    sim.faults.malformed(LUCERNE, times=1)
    response = http.get(f"{server.base_url}/locations/{LUCERNE}", timeout=5)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert get(http, server, f"/locations/{LUCERNE}")["name"] == "Lucerne House"


def test_removed_and_not_found_locations_answer_404(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    sim.remove(ALLIED)
    sim.faults.not_found(HENLEY)
    for location_id in (ALLIED, HENLEY):
        response = http.get(f"{server.base_url}/locations/{location_id}", timeout=5)
        assert response.status_code == 404
    assert ALLIED in changes(http, server, "2025-11-03T00:00:00Z", "2025-11-04T00:00:00Z")
    listed = [i["locationId"] for i in get(http, server, "/locations", perPage=1000)["locations"]]
    assert ALLIED not in listed and HENLEY in listed


# --- mutations --------------------------------------------------------------------------------


def test_set_rating_publishes_a_new_report(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    before = get(http, server, f"/locations/{HENLEY}")
    link = sim.set_rating(HENLEY, "Overall", "Requires improvement", report_date="2025-11-03")
    sim.set_rating(HENLEY, "Safe", "Inadequate", report_date="2025-11-03")  # same report

    doc = get(http, server, f"/locations/{HENLEY}")
    overall = doc["currentRatings"]["overall"]
    assert (overall["rating"], overall["reportDate"], overall["reportLinkId"]) == (
        "Requires improvement",
        "2025-11-03",
        link,
    )
    safe = next(q for q in overall["keyQuestionRatings"] if q["name"] == "Safe")
    assert (safe["rating"], safe["reportLinkId"]) == ("Inadequate", link)
    assert [r["linkId"] for r in doc["reports"]] == [link, before["reports"][0]["linkId"]]
    assert doc["historicRatings"][0]["overall"]["rating"] == "Good"
    assert doc["historicRatings"][0]["reportLinkId"] == before["reports"][0]["linkId"]
    assert doc["lastReport"] == {"publicationDate": "2025-11-03"}


def test_add_report_and_deregister_show_in_api_and_website(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    link = sim.add_report(HARLEY, report_date="2025-11-03", first_visit_date="2025-10-06")
    sim.deregister(HARLEY, "2025-11-10")
    doc = get(http, server, f"/locations/{HARLEY}")
    assert doc["reports"][0]["linkId"] == link
    assert doc["lastInspection"] == {"date": "2025-10-06"}
    assert (doc["registrationStatus"], doc["deregistrationDate"]) == ("Deregistered", "2025-11-10")
    page = http.get(f"{server.web_base_url}/location/{HARLEY}/reports", timeout=5).text
    assert "<h1>Archived: Alliance Medical Harley Street</h1>" in page
    inspections = page.index("All Inspections")
    assert page.index("6 October 2025", inspections) < page.index("During a routine inspection")


def test_never_inspected_location_page_says_so(
    sim: SimulatedCqc, server: RunningServer, http: requests.Session
) -> None:
    never = next(i for i in sim.population.ids() if "reports" not in sim.document(i))
    page = http.get(f"{server.web_base_url}/location/{never}/reports", timeout=5)
    assert page.status_code == 200
    assert "Overall: No published rating" in page.text
    assert "We have not inspected this service yet." in page.text


def test_website_pages_are_off_unless_enabled(clock: ManualClock) -> None:
    sim = SimulatedCqc(Population.generate(5), clock=clock)
    with sim.serve() as running:
        page = requests.get(f"{running.web_base_url}/location/{HENLEY}/reports", timeout=5)
    assert page.status_code == 404


def test_scripted_story_advances_step_by_step(sim: SimulatedCqc) -> None:
    sim.schedule(demo_story(HARLEY))
    assert [s.name for s in sim.advance_to("downgrade")] == ["new inspection", "downgrade"]
    doc = sim.document(HARLEY)
    assert doc["currentRatings"]["overall"]["rating"] == "Requires improvement"
    assert len(sim.feed) == 2
    sim.schedule([Step("touch", lambda s: s.touch(HENLEY))])
    assert [s.name for s in sim.advance_to(4)] == ["data review", "deregistration", "touch"]
    assert sim.advance() is None
    assert sim.document(HARLEY)["registrationStatus"] == "Deregistered"


# --- population -------------------------------------------------------------------------------


def test_seed_documents_are_served_verbatim(server: RunningServer, http: requests.Session) -> None:
    for location_id in (HENLEY, LUCERNE, ALLIED):
        assert get(http, server, f"/locations/{location_id}") == real_document(location_id)


def real_document(location_id: str) -> dict[str, Any]:
    path = resources.files("monitor.sim").joinpath("data", f"{location_id}.json")
    document: dict[str, Any] = json.loads(path.read_bytes())
    return document


def test_generated_documents_keep_the_real_shape(sim: SimulatedCqc) -> None:
    templates = [set(real_document(i)) for i in (HENLEY, LUCERNE, ALLIED)]
    known = set.union(*templates) | {"assessment"}  # Single Assessment Framework ratings
    optional = {"website", "postalAddressLine2", "postalAddressCounty", "mainPhoneNumber"}
    optional |= {"numberOfBeds", "deregistrationDate", "historicRatings"}
    common = set.intersection(*templates) - optional
    rated = 0
    for location_id in list(sim.population.ids())[3:]:
        doc = sim.document(location_id)
        overall = doc["currentRatings"]["overall"]
        assert {q["name"] for q in overall["keyQuestionRatings"]} == KEY_QUESTIONS
        assert set(doc) <= known, location_id  # nothing outside the real shape
        if "reports" not in doc:  # never inspected: empty fields are omitted
            assert overall["rating"] == "No published rating" and "reportDate" not in overall
            assert common - {"lastInspection", "reports"} <= set(doc), location_id
            continue
        rated += 1
        assert common <= set(doc), location_id
        assert overall["reportLinkId"] == doc["reports"][0]["linkId"]
        assert doc["lastReport"]["publicationDate"] == doc["reports"][0]["reportDate"]
        assert doc["registrationStatus"] == "Registered"
    assert rated > 20


def test_generated_population_has_assessments_in_the_real_shape() -> None:
    population = Population.generate(1000, seed=0)
    shapes: dict[str, int] = {"social": 0, "healthcare": 0}
    for location_id in population.ids():
        doc = population.view(location_id)
        if "assessment" not in doc:
            continue
        (entry,) = doc["assessment"]
        ratings = entry["ratings"]
        items = ratings["overall"] or ratings["asgRatings"]
        assert [item["status"] for item in items] == ["Current"]
        assert {kq["status"] for kq in items[0]["keyQuestionRatings"]} == {"Assessed"}
        if doc["careHome"] == "Y":
            shapes["social"] += 1
            assert ratings["overall"] == [] and ratings["asgRatings"][0]["name"] == "Care Homes"
        else:
            shapes["healthcare"] += 1
            assert ratings["overall"]
        # Whatever the shape, the assessment is the location's rating, newer than the legacy one.
        overall = parse_location(doc).rating("Overall")
        assert overall is not None and overall.framework == "assessment"
        legacy_date = doc["currentRatings"]["overall"]["reportDate"]
        assert overall.date is not None and overall.date > legacy_date
    # A realistic share of both kinds (simulator README: about a third of rated locations).
    assert shapes["social"] > 40 and shapes["healthcare"] > 40, shapes


def test_re_assessment_turns_the_previous_item_historic(sim: SimulatedCqc) -> None:
    sim.assess(HENLEY, overall="Good", key_questions={"Safe": "Good"}, published="2026-01-10")
    sim.assess(
        HENLEY, overall="Inadequate", key_questions={"Safe": "Inadequate"}, published="2026-09-10"
    )
    entries = sim.document(HENLEY)["assessment"]
    statuses = [item["status"] for e in entries for item in e["ratings"]["asgRatings"]]
    assert statuses == ["Current", "Historic"]
    assert parse_location(sim.document(HENLEY)).rating("Safe").rating == "Inadequate"  # type: ignore[union-attr]


def test_generation_is_deterministic_and_records_are_real() -> None:
    first, again = Population.generate(60, seed=3), Population.generate(60, seed=3)
    other = Population.generate(60, seed=4)
    assert list(first.ids()) == list(again.ids())
    assert [first.body(i) for i in first.ids()] == [again.body(i) for i in again.ids()]
    assert list(first.ids())[4:] != list(other.ids())[4:]
    harley = first.document(HARLEY)
    assert (harley["name"], harley["postalCode"]) == ("Alliance Medical Harley Street", "W1G 7HE")
    assert harley["currentRatings"]["overall"]["rating"] == "Good"


def test_fifty_thousand_locations_have_unique_ids() -> None:
    population = Population.generate(50_000, seed=1)
    ids = population.ids()
    assert len(ids) == len(set(ids)) == 50_000
    assert all(i.startswith("1-") and i[2:].isdigit() for i in ids[3:])
    assert population.document(ids[-1])["locationId"] == ids[-1]


def test_from_documents_serves_exactly_those(clock: ManualClock) -> None:
    doc = real_document(LUCERNE)
    doc["name"] = "Lucerne House (test)"
    sim = SimulatedCqc(Population.from_documents([doc]), clock=clock)
    response = sim.handle(
        f"/public/v1/locations/{LUCERNE}", {"Ocp-Apim-Subscription-Key": "sim-key"}
    )
    assert response.status == 200 and json.loads(response.body) == doc
    assert len(sim.population) == 1


# --- command line -----------------------------------------------------------------------------


@pytest.mark.slow
def test_module_serves_in_the_foreground_until_sigterm() -> None:
    command = [sys.executable, "-m", "monitor.sim", "--size", "30", "--port", "0", "--key", "k1"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        base_url = process.stdout.readline().split()[1]
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/public/v1")
        listed = requests.get(
            base_url + "/locations", headers={"Ocp-Apim-Subscription-Key": "k1"}, timeout=5
        )
        assert listed.json()["total"] == 30
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=5) == 0
        process.stdout.read()
