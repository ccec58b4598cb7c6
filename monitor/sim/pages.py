"""The CQC website page ``/location/{id}/reports``, rendered from a location document.

Mirrors the text of the real page (shared/seeds/): the name ("Archived: " once deregistered),
an "Overall: {rating}" line, address, "Provided and run by:", then "All Inspections" with one
entry per inspection or monthly data review, newest first: a date line ("6 July 2023"), a
"During ..." label line and summary paragraphs. Every line is one block element with a single
text node, so text extraction gives the same lines whatever separator a parser uses.
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

from monitor.sim.inspections import NO_RATING, SCALE

Doc = dict[str, Any]

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
ROUTINE = "During a routine inspection"
DATA_REVIEW = "During a monthly review of our data"
NOT_INSPECTED = "We have not inspected this service yet."

Entry = tuple[str, str, list[str]]  # (ISO date, label, paragraphs)


def long_date(iso: str) -> str:
    """``2023-07-06`` → ``6 July 2023`` (locale-independent)."""
    day = date.fromisoformat(iso)
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _review(name: str, iso: str) -> Entry:
    return (
        iso,
        DATA_REVIEW,
        [
            f"We carried out a review of the data available to us about {name} on "
            f"{long_date(iso)}. We have not found evidence that we need to carry out an "
            "inspection or reassess our rating at this stage.",
            "This could change at any time if we receive new information. We will continue "
            "to monitor data about this service.",
            f"If you have concerns about {name}, you can give feedback on this service.",
        ],
    )


def _ratings_by_link(doc: Doc) -> dict[str, str]:
    ratings = doc.get("currentRatings", {})
    found = {
        entry["reportLinkId"]: entry["overall"]["rating"]
        for entry in doc.get("historicRatings", [])
        if "overall" in entry and "reportLinkId" in entry
    }
    overall = ratings.get("overall", {})
    if "reportLinkId" in overall:
        found[overall["reportLinkId"]] = overall["rating"]
    return found


def _summary(name: str, visit: str, rating: str | None, previous: str | None) -> str:
    if rating not in SCALE:
        return (
            f"We carried out an inspection of {name} on {long_date(visit)}. "
            "Read the full report to see what we found."
        )
    if previous not in SCALE:
        return f"This was our first rating of this location. We rated it as {rating.lower()}."
    step = SCALE.index(rating) - SCALE.index(previous)
    trend = "improved" if step > 0 else "went down" if step < 0 else "stayed the same"
    return f"Our rating of this location {trend}. We rated it as {rating.lower()}."


def _inspections(doc: Doc) -> list[Entry]:
    ratings, name = _ratings_by_link(doc), doc.get("name", "")
    oldest_first = sorted(doc.get("reports", []), key=lambda r: r.get("reportDate", ""))
    entries: list[Entry] = []
    previous: str | None = None
    for report in oldest_first:
        visit = report.get("firstVisitDate") or report["reportDate"]
        rating = ratings.get(report["linkId"])
        entries.append((visit, ROUTINE, [_summary(name, visit, rating, previous)]))
        previous = rating or previous
    return entries


def timeline(doc: Doc, reviews: list[str]) -> list[Entry]:
    """Inspections and data reviews, newest first."""
    entries = _inspections(doc) + [_review(doc.get("name", ""), day) for day in reviews]
    return sorted(entries, key=lambda entry: entry[0], reverse=True)


def _address(doc: Doc) -> str:
    keys = ("postalAddressLine1", "postalAddressLine2", "postalAddressTownCity", "postalCode")
    line = ", ".join(str(doc[key]) for key in keys if doc.get(key))
    phone = str(doc.get("mainPhoneNumber", ""))
    if len(phone) == 11 and phone.startswith("020"):
        phone = f"(020) {phone[3:7]} {phone[7:]}"
    return f"{line} {phone}".strip()


def _entry_html(entry: Entry) -> str:
    day, label, paragraphs = entry
    # Newlines between blocks keep lines apart even for text extraction without a separator.
    text = "".join(f"<p>{escape(p)}</p>\n" for p in paragraphs)
    return f'<li>\n<h3>{long_date(day)}</h3>\n<p class="label">{escape(label)}</p>\n{text}</li>'


def render(doc: Doc, provider_name: str, reviews: list[str]) -> bytes:
    """The page HTML as UTF-8 bytes."""
    name = str(doc.get("name", ""))
    if doc.get("registrationStatus") == "Deregistered":
        name = f"Archived: {name}"
    rating = doc.get("currentRatings", {}).get("overall", {}).get("rating", NO_RATING)
    services = "\n".join(f"<li>{escape(s['name'])}</li>" for s in doc.get("gacServiceTypes", []))
    items = "\n".join(_entry_html(entry) for entry in timeline(doc, reviews))
    if not items:  # a service registered but never inspected
        items = f"<li><p>{NOT_INSPECTED}</p></li>"
    html = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{escape(name)} - Care Quality Commission</title></head>
<body>
<main>
<ul class="service-types">{services}</ul>
<h1>{escape(name)}</h1>
<p class="rating">Overall: {escape(rating)} <a href="/about-us/how-we-do-our-job/ratings">\
read more about inspection ratings</a></p>
<p class="address">{escape(_address(doc))}</p>
<h2>Provided and run by:</h2>
<p><a href="/provider/{escape(str(doc.get("providerId", "")))}">{escape(provider_name)}</a></p>
<h2>All Inspections</h2>
<ol class="timeline">
{items}
</ol>
</main>
</body>
</html>
"""
    return html.encode()
