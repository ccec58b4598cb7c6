"""The document shapes the monitor knows before it has seen anything, and the paths it reads.

``DOCUMENTED`` holds, per kind of document, the key paths CQC documents: its OpenAPI document's
examples (location, provider, list and change-feed pages) and the assessment framework's
``assessment[]`` (SPEC §2.1.1, with the narrative fields consumers read). A path there is never
reported as new, so a small watchlist is not warned when one of its locations is deregistered
or first assessed. ``READ`` holds the paths the reader reads (``sources.api_document``,
``sources.assessment``, the API client): a test traces the reader to keep the two in step.

Paths collapse arrays to ``[]``: ``currentRatings.overall.keyQuestionRatings[].rating``.
"""

from __future__ import annotations

from typing import Any

LOCATION = "location"
PROVIDER = "provider"
LIST_PAGE = "list_page"
CHANGE_PAGE = "change_page"
KINDS: tuple[str, ...] = (LOCATION, PROVIDER, LIST_PAGE, CHANGE_PAGE)
KIND_NAMES = {
    LOCATION: "location documents",
    PROVIDER: "provider documents",
    LIST_PAGE: "location list pages",
    CHANGE_PAGE: "change-feed pages",
}

Tree = dict[str, Any]  # key → None (a value) or a Tree (an object; "key[]": array of objects)


def _leaves(names: str) -> Tree:
    """Keys holding plain values, written as one space-separated string."""
    return dict.fromkeys(names.split())


_USE_OF_RESOURCES: Tree = {
    "organisationId": None,
    "summary": None,
    "useOfResourcesSummary": None,
    "useOfResourcesRating": None,
    "combinedQualitySummary": None,
    "combinedQualityRating": None,
    "reportDate": None,
    "reportLinkId": None,
}
_DATED = {"reportDate": None, "reportLinkId": None, "organisationId": None}
_QUESTION: Tree = {"name": None, "rating": None, **_DATED}
_RATED: Tree = {"rating": None, **_DATED, "keyQuestionRatings[]": _QUESTION}
_OVERALL: Tree = {**_RATED, "useOfResources": _USE_OF_RESOURCES}
_SERVICE: Tree = {"name": None, **_RATED}
_CURRENT_RATINGS: Tree = {"reportDate": None, "overall": _OVERALL, "serviceRatings[]": _SERVICE}
_HISTORIC_RATINGS: Tree = {**_DATED, "overall": _OVERALL, "serviceRatings[]": _SERVICE}
_REPORT: Tree = {
    "linkId": None,
    "reportDate": None,
    "firstVisitDate": None,
    "reportUri": None,
    "reportType": None,
    "relatedDocuments[]": {"documentUri": None, "documentType": None},
    "inspectionLocations[]": {"locationId": None},
}
_ASSESSED_QUESTION: Tree = {
    "name": None,
    "rating": None,
    "status": None,
    "percentageScore": None,
    "narrative": None,
    "commentary": None,
    "topicareas[]": {"evidenceCategory[]": {"commentary": None}},
}
_ASSESSMENT_ITEM: Tree = {
    "assessmentPlanId": None,
    "assessmentPlanPublishedDateTime": None,
    "title": None,
    "assessmentDate": None,
    "assessmentPlanStatus": None,
    "name": None,
    "rating": None,
    "status": None,
    "organisationId": None,
    "narrative": None,
    "overallPeopleExperience": None,
    "keyQuestionRatings[]": _ASSESSED_QUESTION,
}
_ASSESSMENT: Tree = {
    "assessmentPlanPublishedDateTime": None,
    "ratings": {"overall[]": _ASSESSMENT_ITEM, "asgRatings[]": _ASSESSMENT_ITEM},
    "assessmentServiceGroup[]": {
        "name": None,
        "assessmentPlanId": None,
        "assessmentServiceId": None,
        "assessmentServiceName": None,
        "status": None,
        "startDate": None,
        "endDate": None,
    },
}
_PERSON: Tree = dict.fromkeys(("personTitle", "personGivenName", "personFamilyName", "personRoles"))
_INSPECTION_AREA: Tree = dict.fromkeys(
    (
        "inspectionAreaId",
        "inspectionAreaName",
        "inspectionAreaType",
        "status",
        "supersededBy",
        "endDate",
    )
)
_ORGANISATION: Tree = {
    **_leaves(
        "providerId organisationType type name brandId brandName odsCode alsoKnownAs "
        "registrationStatus registrationDate deregistrationDate website uprn "
        "postalAddressLine1 postalAddressLine2 postalAddressTownCity postalAddressCounty "
        "region postalCode onspdLatitude onspdLongitude onspdIcbCode onspdIcbName "
        "mainPhoneNumber inspectionDirectorate constituency localAuthority"
    ),
    "lastInspection": {"date": None},
    "lastReport": {"publicationDate": None},
    "inspectionCategories[]": {"code": None, "primary": None, "name": None},
    "inspectionAreas[]": _INSPECTION_AREA,
    "currentRatings": _CURRENT_RATINGS,
    "historicRatings[]": _HISTORIC_RATINGS,
    "assessment[]": _ASSESSMENT,
    "reports[]": _REPORT,
    "unpublishedReports[]": {"firstVisitDate": None},
}
_LOCATION: Tree = {
    **_ORGANISATION,
    **_leaves(
        "locationId onspdCcgCode onspdCcgName odsCcgCode odsCcgName dormancy "
        "dormancyStartDate dormancyEndDate careHome registeredManagerAbsentDate "
        "numberOfBeds"
    ),
    "relationships[]": dict.fromkeys(
        ("relatedLocationId", "relatedLocationName", "type", "reason")
    ),
    "locationTypes[]": {"type": None},
    "regulatedActivities[]": {"name": None, "code": None, "contacts[]": _PERSON},
    "gacServiceTypes[]": {"name": None, "description": None},
    "specialisms[]": {"name": None},
    "providerInspectionAreas[]": {
        "inspectionAreaId": None,
        "reports[]": dict.fromkeys(("inspectionId", "reportLinkId", "providerId", "locationId")),
    },
    "assessmentServiceGroup[]": _ASSESSMENT["assessmentServiceGroup[]"],
}
_PROVIDER: Tree = {
    **_ORGANISATION,
    **_leaves("locationIds ownershipType companiesHouseNumber charityNumber"),
    "contacts[]": _PERSON,
    "relationships[]": dict.fromkeys(
        ("relatedProviderId", "relatedProviderName", "type", "reason")
    ),
    "regulatedActivities[]": {"name": None, "code": None, "nominatedIndividual": _PERSON},
    "assessmentServiceGroup[]": _ASSESSMENT["assessmentServiceGroup[]"],
}
_ENVELOPE: Tree = _leaves(
    "total page totalPages perPage firstPageUri previousPageUri nextPageUri lastPageUri uri"
)
_LIST_PAGE: Tree = {
    **_ENVELOPE,
    "locations[]": {"locationId": None, "locationName": None, "postalCode": None},
}
_CHANGE_PAGE: Tree = {**_ENVELOPE, "changes": None}


def paths(tree: Tree, prefix: str = "") -> frozenset[str]:
    """Every key path of a tree: ``{"a[]": {"b": None}}`` is ``a`` and ``a[].b``."""
    found: set[str] = set()
    for key, child in tree.items():
        name = key.removesuffix("[]")
        path = f"{prefix}.{name}" if prefix else name
        found.add(path)
        if child is not None:
            found |= paths(child, path + ("[]" if key.endswith("[]") else ""))
    return frozenset(found)


DOCUMENTED: dict[str, frozenset[str]] = {
    LOCATION: paths(_LOCATION),
    PROVIDER: paths(_PROVIDER),
    LIST_PAGE: paths(_LIST_PAGE),
    CHANGE_PAGE: paths(_CHANGE_PAGE),
}

_RATING_READ: Tree = {
    "rating": None,
    "reportDate": None,
    "reportLinkId": None,
    "organisationId": None,
    "keyQuestionRatings[]": {
        "name": None,
        "rating": None,
        "reportDate": None,
        "reportLinkId": None,
        "organisationId": None,
    },
}
_ITEM_READ: Tree = {
    "assessmentPlanId": None,
    "assessmentPlanPublishedDateTime": None,
    "assessmentDate": None,
    "rating": None,
    "status": None,
    "organisationId": None,
    "keyQuestionRatings[]": {"name": None, "rating": None},
}
_HISTORY_READ: Tree = {"rating": None, "keyQuestionRatings[]": {"name": None, "rating": None}}
_LOCATION_READ: Tree = {
    **_leaves(
        "locationId name locationName providerId postalAddressLine1 postalAddressLine2 "
        "postalAddressTownCity postalAddressCounty postalCode region localAuthority type "
        "careHome numberOfBeds registrationStatus registrationDate deregistrationDate"
    ),
    "gacServiceTypes[]": {"name": None},
    "specialisms[]": {"name": None},
    "currentRatings": {
        "reportDate": None,
        "overall": _RATING_READ,
        "serviceRatings[]": {"name": None, **_RATING_READ},
    },
    "historicRatings[]": {
        "reportDate": None,
        "reportLinkId": None,
        "overall": _HISTORY_READ,
        "serviceRatings[]": {"name": None, **_HISTORY_READ},
    },
    "assessment[]": {
        "assessmentPlanPublishedDateTime": None,
        "ratings": {"overall[]": _ITEM_READ, "asgRatings[]": {"name": None, **_ITEM_READ}},
    },
    "reports[]": dict.fromkeys(
        ("linkId", "reportUri", "reportDate", "firstVisitDate", "reportType")
    ),
}

# What the client's paging reads of every page (``sources.paging``).
_PAGING_READ = ("total", "totalPages", "perPage", "nextPageUri")

READ: dict[str, frozenset[str]] = {
    LOCATION: paths(_LOCATION_READ),
    PROVIDER: frozenset({"locationIds"}),
    LIST_PAGE: frozenset({"locations", "locations[].locationId", *_PAGING_READ}),
    CHANGE_PAGE: frozenset({"changes", *_PAGING_READ}),
}
