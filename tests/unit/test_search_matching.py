"""The saved-search rule against the three real CQC documents, with literal values."""

from __future__ import annotations

import pytest

from monitor.domain.search import LocationFacts, Search, matched_values, matches, mismatches
from monitor.sources.search_facts import location_facts
from tests.support import documents as docs


def facts_of(location_id: str) -> LocationFacts:
    return location_facts(docs.real(location_id))


def test_henley_house_facts_are_read_from_its_document() -> None:
    assert facts_of(docs.HENLEY) == LocationFacts(
        local_authority=("Suffolk",),
        region=("East",),
        care_home=("Y",),
        constituency=("Central Suffolk and North Ipswich",),
        service_types=("Care home service without nursing",),
        inspection_directorate=("Adult social care",),
        primary_categories=("Residential social care",),
        primary_category_codes=("S1",),
        regulated_activities=("Accommodation for persons who require nursing or personal care",),
        overall_rating=("Good",),
        report_types=("Location",),
        onspd_ccg_code=("E38000086",),
        onspd_ccg_name=("NHS Ipswich and East Suffolk CCG",),
        provider_id=("1-102642938",),
    )


def test_a_deregistered_agency_without_activities_or_report_types() -> None:
    facts = facts_of(docs.ALLIED)
    assert facts.care_home == ("N",)
    assert facts.service_types == ("Domiciliary care service",)
    assert facts.regulated_activities == ()
    assert facts.report_types == ()  # its pre-2014 reports carry no reportType
    assert facts.overall_rating == ("No published rating",)
    assert facts.primary_categories == ("Community based adult social care services",)


CASES = [
    # (location, filters, matches?)
    (docs.HENLEY, {"localAuthority": ["Suffolk"], "careHome": ["Y"]}, True),
    (docs.HENLEY, {"localAuthority": ["Kent", "Medway"], "careHome": ["Y"]}, False),
    (docs.HENLEY, {"localAuthority": ["Kent", "Suffolk"]}, True),  # a list is "any of"
    (docs.HENLEY, {"localAuthority": ["suffolk"], "region": ["EAST"]}, True),  # case
    (docs.HENLEY, {"careHome": ["N"]}, False),
    (docs.HENLEY, {"gacServiceTypeDescription": ["Care home service with nursing"]}, False),
    (docs.LUCERNE, {"gacServiceTypeDescription": ["Care home service with nursing"]}, True),
    (docs.LUCERNE, {"regulatedActivity": ["Treatment of disease, disorder or injury"]}, True),
    (docs.LUCERNE, {"constituency": ["Exeter"], "region": ["South West"]}, True),
    (docs.LUCERNE, {"overallRating": ["Outstanding"]}, True),
    (docs.LUCERNE, {"overallRating": ["Good", "Requires improvement"]}, False),
    (docs.LUCERNE, {"primaryInspectionCategoryName": ["Residential social care"]}, True),
    (docs.LUCERNE, {"nonPrimaryInspectionCategoryName": ["Residential social care"]}, False),
    (
        docs.LUCERNE,
        {"onspdCcgName": ["NHS Devon CCG"], "inspectionDirectorate": ["Adult social care"]},
        True,
    ),
    (docs.LUCERNE, {"reportType": ["Location"]}, True),
    (docs.ALLIED, {"reportType": ["Location"]}, False),
    (docs.ALLIED, {"overallRating": ["No Published Rating"]}, True),
    (docs.ALLIED, {"localAuthority": ["Bournemouth, Christchurch and Poole"]}, True),
    (docs.ALLIED, {"odsCcgCode": ["E38000045"]}, False),  # absent from the document
    (docs.HENLEY, {"providerId": ["1-102642938"], "region": ["East"]}, True),
    (docs.LUCERNE, {"providerId": ["1-102642938"]}, False),
]


@pytest.mark.parametrize(
    ("location_id", "filters", "expected"),
    CASES,
    ids=[f"{c[0]}-{'+'.join(c[1])}-{c[2]}" for c in CASES],
)
def test_matches(location_id: str, filters: dict[str, list[str]], expected: bool) -> None:
    assert matches(Search.of("s", filters), facts_of(location_id)) is expected


def test_what_no_longer_holds_is_named_with_what_the_location_has_instead() -> None:
    search = Search.of("kent-care-homes", {"localAuthority": ["Kent", "Medway"], "careHome": ["Y"]})
    assert mismatches(search, facts_of(docs.LUCERNE)) == [("localAuthority", ("Devon",))]
    assert mismatches(search, facts_of(docs.ALLIED)) == [
        ("careHome", ("N",)),
        ("localAuthority", ("Bournemouth, Christchurch and Poole",)),
    ]


def test_the_values_that_matched_are_the_documents_own() -> None:
    search = Search.of("s", {"localAuthority": ["DEVON", "Kent"], "careHome": ["y"]})
    assert matched_values(search, facts_of(docs.LUCERNE)) == {
        "careHome": ["Y"],
        "localAuthority": ["Devon"],
    }


def test_filters_are_kept_in_one_order_so_the_fingerprint_is_stable() -> None:
    one = Search.of("s", {"region": ["London"], "careHome": ["Y"]})
    two = Search.of("s", {"careHome": ["Y"], "region": ["London"]})
    assert one == two and one.fingerprint() == two.fingerprint()
    assert Search.of("s", {"region": ["East"]}).fingerprint() != one.fingerprint()
    assert one.api_filters() == {"careHome": ("Y",), "region": ("London",)}


def test_only_the_filters_in_use_are_read_besides_what_the_wording_needs() -> None:
    facts = location_facts(docs.real(docs.LUCERNE), ["constituency"])
    assert facts == LocationFacts(
        local_authority=("Devon",),
        region=("South West",),
        care_home=("Y",),
        constituency=("Exeter",),
        service_types=("Care home service with nursing",),
    )
