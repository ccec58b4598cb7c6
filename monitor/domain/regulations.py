"""The regulations CQC reports say were breached, by number or by their subject (SPEC §5.3).

Reports name a regulation by number ("a breach of regulation 12", "regulations 12 and 17",
"Regulation 17 HSCA RA Regulations 2014 Good governance") or by its subject ("breaches of
regulation relating to person centred care, safe care and treatment and good governance").
Both become one label per regulation, e.g. ``Regulation 12: Safe care and treatment``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from monitor.domain.text_blocks import holds_any

# (scheme, number): "2014" — the Health and Social Care Act 2008 (Regulated Activities)
# Regulations 2014, the fundamental standards; "2009" — the Care Quality Commission
# (Registration) Regulations 2009 (notifications); "2010" — the regulations before 2015.
Regulation = tuple[str, str]

_TITLES: dict[str, dict[str, str]] = {
    "2014": {
        "4": "Requirements where the service provider is an individual or partnership",
        "5": "Fit and proper persons: directors",
        "6": "Requirement where the service provider is a body other than a partnership",
        "7": "Requirements relating to registered managers",
        "8": "General",
        "9": "Person-centred care",
        "10": "Dignity and respect",
        "11": "Need for consent",
        "12": "Safe care and treatment",
        "13": "Safeguarding service users from abuse and improper treatment",
        "14": "Meeting nutritional and hydration needs",
        "15": "Premises and equipment",
        "16": "Receiving and acting on complaints",
        "17": "Good governance",
        "18": "Staffing",
        "19": "Fit and proper persons employed",
        "20": "Duty of candour",
        "20a": "Requirement as to display of performance assessments",
    },
    "2009": {
        "12": "Statement of purpose",
        "13": "Financial position",
        "14": "Notice of absence",
        "15": "Notice of changes",
        "16": "Notification of death of service user",
        "17": "Notification of death or unauthorised absence of a detained service user",
        "18": "Notification of other incidents",
        "20": "Requirements relating to termination of pregnancies",
    },
    "2010": {
        "9": "Care and welfare of people who use services",
        "10": "Assessing and monitoring the quality of service provision",
        "11": "Safeguarding people who use services from abuse",
        "12": "Cleanliness and infection control",
        "13": "Management of medicines",
        "14": "Meeting nutritional needs",
        "15": "Safety and suitability of premises",
        "16": "Safety, availability and suitability of equipment",
        "17": "Respecting and involving people who use services",
        "18": "Consent to care and treatment",
        "19": "Complaints",
        "20": "Records",
        "21": "Requirements relating to workers",
        "22": "Staffing",
        "23": "Supporting workers",
        "24": "Cooperating with other providers",
    },
}

# Subjects of the fundamental standards as reports word them (lower case, quotes removed),
# each with words one of its wordings holds: the expression is tried only where they occur.
_TOPICS: tuple[tuple[Regulation, tuple[str, ...], str], ...] = (
    (
        ("2014", "5"),
        ("director",),
        r"fit and proper persons?:? (?:\w+ ){0,2}?(?:for )?directors|directors'? fit and proper",
    ),
    (("2014", "9"), ("person",), r"person[- ]?cent(?:red|ered)|personali[sz]ed care"),
    (("2014", "10"), ("dignity", "privacy"), r"dignity|privacy"),
    (("2014", "11"), ("consent", "capacity"), r"consent|mental capacity"),
    (
        ("2014", "12"),
        ("safe", "medic", "infection", "risk"),
        r"safe care|safe treatment|medicines?\b|medication|infection (?:prevention|control)"
        r"|risk management|managing risks?|(?:assess|manag|mitigat)\w* risks?",
    ),
    (
        ("2014", "13"),
        ("safeguard", "abuse", "improper", "deprivation", "restraint"),
        r"safeguard|abuse|improper treatment|deprivation of liberty|restraint",
    ),
    (("2014", "14"), ("nutrition", "hydration"), r"nutrition|hydration"),
    (("2014", "15"), ("premises", "equipment", "cleanliness"), r"premises|equipment|cleanliness"),
    (("2014", "16"), ("complaint",), r"complaint"),
    (
        ("2014", "17"),
        ("governance", "assurance", "oversight", "record", "monitor"),
        r"governance|quality assurance|oversight|record[- ]?keeping|\brecords\b"
        r"|monitor\w* (?:the )?quality",
    ),
    (
        ("2014", "18"),
        ("staff", "training", "supervision", "appraisal", "competen"),
        r"staffing|staff (?:levels|numbers|deployment)|deploy\w* (?:of )?staff|training"
        r"|supervision|appraisal|competen(?:ce|cy|t)|sufficient (?:numbers of )?\w* ?staff",
    ),
    (
        ("2014", "19"),
        ("fit and proper", "recruit", "employment"),
        r"fit and proper persons employed|recruit|employment checks",
    ),
    (("2014", "20"), ("candour",), r"candour"),
    (
        ("2014", "20a"),
        ("display",),
        r"display\w* (?:of )?(?:the |their )?(?:performance|ratings?)",
    ),
    (("2009", "18"), ("notif",), r"notif(?:y|ied|ication)"),
)
_TOPIC = tuple((regulation, words, re.compile(pattern)) for regulation, words, pattern in _TOPICS)
_NUMBERS = re.compile(
    # "regulations 12 (safe care and treatment) and 17 (good governance)": a number, its
    # paragraphs or its title in brackets, then the next number. ("Reg 12", "Reg. 17" too.)
    r"\b(?:regulations?|regs?\.?)\s+((?:[0-9]{1,2}[a-z]?(?![0-9])(?:\s*\(\s*\w{1,4}\s*\)"
    r"|\s*\([^()]{5,60}\))*(?:\s*(?:,|and|&|/|or)\s*(?:reg(?:ulation)?\.?\s+)?)?)+)"
)
_PARENTHESES = re.compile(r"\([^)]*\)")
# A regulation's number: ASCII digits, and "a" the only letter after them ("20A"): "12b" or
# another script's digits are no regulation of any scheme.
_NUMBER = re.compile(r"(?<![0-9a-z])[0-9]{1,2}a?(?![0-9a-z])")
_REGISTRATION = re.compile(r"\(?registration\)? regulations|regulations 2009")


def era(lowered_text: str) -> str:
    """The scheme a report's bare numbers belong to: 2010 only when it cites no other."""
    if "regulations 2010" in lowered_text and "regulations 2014" not in lowered_text:
        return "2010"
    return "2014"


def numbered(lowered: str, scheme: str) -> Iterator[Regulation]:
    """Regulations named by number in ``lowered`` (lower case): 12, 17, 20A..."""
    for match in _NUMBERS.finditer(lowered):
        after = lowered[match.end() : match.end() + 80]
        own = "2009" if _REGISTRATION.search(after) else scheme
        for number in _NUMBER.findall(_PARENTHESES.sub(" ", match.group(1))):
            if 1 <= int(number.rstrip("a")) <= 30:
                yield (own, number)


def by_subject(lowered: str) -> Iterator[Regulation]:
    """Regulations of the fundamental standards named by their subject."""
    for regulation, words, pattern in _TOPIC:
        if holds_any(lowered, words) and pattern.search(lowered):
            yield regulation


def label(regulation: Regulation) -> str:
    scheme, number = regulation
    title = _TITLES.get(scheme, {}).get(number)
    shown = number.upper()
    name = {"2014": f"Regulation {shown}", "2009": f"Regulation {shown} (Registration)"}.get(
        scheme, f"Regulation {shown} ({scheme})"
    )
    return f"{name}: {title}" if title else name


def order(regulation: Regulation) -> tuple[int, int, str]:
    scheme, number = regulation
    return ({"2014": 0, "2009": 1}.get(scheme, 2), int(number.rstrip("a")), number)
