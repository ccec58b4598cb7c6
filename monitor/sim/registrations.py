"""New registrations and moves between areas: how the register changes besides ratings.

A new registration is a document of a real care home's shape (Henley House) for a service
CQC has not inspected yet: no ratings, no reports, as a real new registration reads.
"""

from __future__ import annotations

import copy
from typing import Any

from monitor.sim import resources
from monitor.sim.documents import ordered

Doc = dict[str, Any]

# Everything about the template's own history and place that a new service does not have.
_NOT_YET = (
    "currentRatings",
    "historicRatings",
    "assessment",
    "reports",
    "lastInspection",
    "lastReport",
    "deregistrationDate",
    "dormancy",
    "numberOfBeds",
    "postalAddressLine2",
    "postalAddressCounty",
    "uprn",
    "onspdLatitude",
    "onspdLongitude",
    "odsCode",
    "onspdIcbCode",
    "onspdIcbName",
)


def care_home(
    location_id: str,
    *,
    name: str,
    provider_id: str,
    local_authority: str,
    region: str,
    registered: str,
    constituency: str | None = None,
    postal_code: str | None = None,
    town: str | None = None,
) -> Doc:
    """A care home registered on ``registered`` (ISO date), not yet rated."""
    doc = copy.deepcopy(resources.templates()[0])
    for key in _NOT_YET:
        doc.pop(key, None)
    doc.update(
        locationId=location_id,
        providerId=provider_id,
        name=name,
        brandName=f"BRAND {name}",
        registrationStatus="Registered",
        registrationDate=registered,
        localAuthority=local_authority,
        region=region,
        constituency=constituency or local_authority,
        postalAddressLine1="1 High Street",
        postalAddressTownCity=town or local_authority,
        postalCode=postal_code or "AB1 2CD",
    )
    return ordered(doc)


def move(
    doc: Doc,
    *,
    local_authority: str,
    region: str | None = None,
    constituency: str | None = None,
    postal_code: str | None = None,
) -> None:
    """The location now lies in another local authority (in place)."""
    doc["localAuthority"] = local_authority
    doc["constituency"] = constituency or local_authority
    if region is not None:
        doc["region"] = region
    if postal_code is not None:
        doc["postalCode"] = postal_code
