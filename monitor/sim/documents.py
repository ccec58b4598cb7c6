"""Location documents generated from a real template and a hospital record.

A generated document is a pure function of (template, record, ids, seed), so a population only
keeps those few values per location and renders the document when asked. The result shares
nested objects with the template: treat it as read-only, deep-copy it before mutating.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from typing import Any

from monitor.sim import assessments, inspections

Doc = dict[str, Any]

# Key order of CQC's own example document; keys not listed keep their place at the end.
KEY_ORDER = [
    "locationId",
    "providerId",
    "organisationType",
    "type",
    "name",
    "brandId",
    "brandName",
    "onspdCcgCode",
    "onspdCcgName",
    "odsCcgCode",
    "odsCcgName",
    "onspdIcbCode",
    "onspdIcbName",
    "odsCode",
    "registrationStatus",
    "registrationDate",
    "deregistrationDate",
    "dormancy",
    "dormancyStartDate",
    "dormancyEndDate",
    "alsoKnownAs",
    "onspdLatitude",
    "onspdLongitude",
    "careHome",
    "inspectionDirectorate",
    "website",
    "postalAddressLine1",
    "postalAddressLine2",
    "postalAddressTownCity",
    "postalAddressCounty",
    "region",
    "postalCode",
    "uprn",
    "mainPhoneNumber",
    "registeredManagerAbsentDate",
    "numberOfBeds",
    "constituency",
    "localAuthority",
    "lastInspection",
    "lastReport",
    "relationships",
    "locationTypes",
    "regulatedActivities",
    "gacServiceTypes",
    "specialisms",
    "inspectionCategories",
    "inspectionAreas",
    "currentRatings",
    "historicRatings",
    "assessment",
    "reports",
    "unpublishedReports",
    "providerInspectionAreas",
]
_RANK = {key: index for index, key in enumerate(KEY_ORDER)}

# Template fields that describe one real place and must not leak into generated ones.
_PLACE_FIELDS = frozenset(
    [
        "website",
        "postalAddressLine1",
        "postalAddressLine2",
        "postalAddressTownCity",
        "postalAddressCounty",
        "mainPhoneNumber",
        "numberOfBeds",
        "deregistrationDate",
        "lastInspection",
        "lastReport",
        "historicRatings",
        "reports",
    ]
)

# Service type names of the hospital export with the description CQC gives them.
_SERVICE_DESCRIPTIONS = {
    "Hospital": "Acute services with overnight beds",
    "Hospice": "Hospice services",
    "Doctors/Gps": "Doctors consultation service",
    "Diagnosis/screening": "Diagnostic and/or screening service",
    "Clinic": "Diagnostic and/or screening service",
    "Community services - Healthcare": "Community health care services",
}


@dataclass(frozen=True, slots=True)
class Identity:
    """What distinguishes one generated location from another built on the same record."""

    location_id: str
    provider_id: str
    provider_name: str
    name: str
    seed: int


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _place_fields(record: dict[str, Any], rng: random.Random) -> Doc:
    optional = {
        "website": record["website"],
        "postalAddressLine1": record["addressLine1"],
        "postalAddressLine2": record["addressLine2"],
        "postalAddressTownCity": record["townCity"],
        "postalAddressCounty": record["county"],
        "mainPhoneNumber": record["phone"],
        "numberOfBeds": record["numberOfBeds"],
    }
    fields: Doc = {key: value for key, value in optional.items() if value}  # empty is omitted
    fields.update(
        region=record["region"],
        postalCode=record["postalCode"],
        localAuthority=record["localAuthority"],
        constituency=record["constituency"],
        onspdLatitude=record["latitude"],
        onspdLongitude=record["longitude"],
        registrationDate=record["registrationDate"],
        uprn=str(rng.randrange(10**10, 10**12)),
        odsCode="V" + "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", k=4)),
    )
    return fields


def _service_fields(record: dict[str, Any]) -> Doc:
    fields: Doc = {
        "type": "Independent Healthcare Org",
        "inspectionDirectorate": "Hospitals",
        "careHome": "N",
    }
    services = [
        {"name": name, "description": _SERVICE_DESCRIPTIONS.get(name, name)}
        for name in _split(record["serviceTypes"])
    ]
    if services:
        fields["gacServiceTypes"] = services
    specialisms = [{"name": name} for name in _split(record["specialisms"])]
    if specialisms:
        fields["specialisms"] = specialisms
    return fields


# Shares of the generated register, drawn per location from its own seed. About half of CQC's
# register is adult social care; by late 2026 roughly a third of rated locations carry a
# Single Assessment Framework rating.
SOCIAL_CARE_SHARE = 0.4
ASSESSED_SHARE = 0.3
# Salt of the second random stream: the first one's draws, and so every other generated
# field, stay what they were before social care and assessments were added.
_SECOND_STREAM = 0x5AF


def _social_care_fields() -> Doc:
    return {
        "type": "Social Care Org",
        "inspectionDirectorate": "Adult social care",
        "careHome": "Y",
        "gacServiceTypes": [
            {"name": "Residential homes", "description": "Care home service without nursing"}
        ],
    }


def _identity_fields(identity: Identity) -> Doc:
    return {
        "locationId": identity.location_id,
        "providerId": identity.provider_id,
        "name": identity.name,
        "brandId": f"BD{zlib.crc32(identity.provider_id.encode()) % 1000}",
        "brandName": f"BRAND {identity.provider_name}",
        "registrationStatus": "Registered",
    }


def ordered(fields: Doc) -> Doc:
    """``fields`` in CQC's key order."""
    return dict(sorted(fields.items(), key=lambda item: _RANK.get(item[0], len(_RANK))))


def generated(template: Doc, record: dict[str, Any], identity: Identity) -> Doc:
    """The document of one generated location (read-only; shares template objects)."""
    rng = random.Random(identity.seed)
    fields = {k: v for k, v in template.items() if k not in _PLACE_FIELDS}
    fields.update(_identity_fields(identity))
    fields.update(_place_fields(record, rng))
    fields.update(_service_fields(record))
    second = random.Random(identity.seed ^ _SECOND_STREAM)
    if second.random() < SOCIAL_CARE_SHARE:
        fields.update(_social_care_fields())
    overall = template.get("currentRatings", {}).get("overall", {})
    fields.update(
        inspections.generate(
            rng,
            record["rating"],
            record["ratingDate"],
            record["registrationDate"],
            depth=2 if "historicRatings" in template else 0,
            use_of_resources="useOfResources" in overall,
            uri_suffix="?" in template.get("reports", [{}])[0].get("reportUri", ""),
        )
    )
    if second.random() < ASSESSED_SHARE:
        plan_id = inspections.new_link_id(second)
        fields.update(assessments.generated(second, fields, plan_id))
    return ordered(fields)
