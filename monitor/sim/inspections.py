"""Ratings and inspection reports of simulated locations: generation and mutation.

Documents keep CQC's shape: ``currentRatings.overall`` with ``keyQuestionRatings`` in the real
order, ``historicRatings`` newest first, ``reports`` newest first sharing link ids with the
ratings they published, and ``lastInspection`` / ``lastReport`` following the newest report.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

KEY_QUESTIONS = ("Safe", "Well-led", "Caring", "Responsive", "Effective")
SCALE = ("Inadequate", "Requires improvement", "Good", "Outstanding")
NO_RATING = "No published rating"
QUESTIONS = ("Overall", *KEY_QUESTIONS)

Doc = dict[str, Any]


def iso_date(value: date | str) -> str:
    """A date as CQC writes it (YYYY-MM-DD); strings are validated, not trusted."""
    return (value if isinstance(value, date) else date.fromisoformat(value)).isoformat()


def _shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def _weekday_before(day: str, days: int) -> str:
    """``days`` before ``day``, moved back to a Friday when it falls on a weekend."""
    moved = date.fromisoformat(day) - timedelta(days=days)
    return (moved - timedelta(days=max(moved.weekday() - 4, 0))).isoformat()


def _vary(rng: random.Random, rating: str, chance: float) -> str:
    """Mostly the same rating, sometimes one step either way (as real key questions are)."""
    if rating not in SCALE or rng.random() >= chance:
        return rating
    index = SCALE.index(rating) + rng.choice((-1, 1))
    return SCALE[min(max(index, 0), len(SCALE) - 1)]


def new_link_id(rng: random.Random) -> str:
    """A report link id shaped like CQC's (a version 4 UUID), drawn from ``rng``."""
    value = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(value[16], 16) % 4]
    return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-{variant}{value[17:20]}-{value[20:]}"


def _report(link_id: str, report_date: str, first_visit: str, suffix: bool) -> Doc:
    uri = f"/reports/{link_id}"
    if suffix:  # some real reportUri values carry a timestamp query suffix
        uri += "?" + report_date.replace("-", "") + "120000"
    return {
        "linkId": link_id,
        "reportDate": report_date,
        "firstVisitDate": first_visit,
        "reportUri": uri,
        "reportType": "Location",
    }


def _unrated(use_of_resources: bool) -> Doc:
    overall: Doc = {"rating": NO_RATING}
    if use_of_resources:
        overall["useOfResources"] = {}
    overall["keyQuestionRatings"] = [{"name": q, "rating": NO_RATING} for q in KEY_QUESTIONS]
    return {"overall": overall}


def _current(overall: str, keys: list[str], day: str, link: str, use_of_resources: bool) -> Doc:
    published = {"reportDate": day, "reportLinkId": link}
    block: Doc = {"rating": overall, **published}
    if use_of_resources:
        block["useOfResources"] = {}
    block["keyQuestionRatings"] = [
        {"name": q, "rating": r, **published} for q, r in zip(KEY_QUESTIONS, keys, strict=True)
    ]
    return {"overall": block, "reportDate": day}


def _historic(overall: str, keys: list[str], day: str, link: str) -> Doc:
    questions = [{"name": q, "rating": r} for q, r in zip(KEY_QUESTIONS, keys, strict=True)]
    return {
        "reportLinkId": link,
        "reportDate": day,
        "overall": {"rating": overall, "keyQuestionRatings": questions},
    }


def generate(
    rng: random.Random,
    rating: str,
    rating_date: str,
    registered: str,
    *,
    depth: int,
    use_of_resources: bool,
    uri_suffix: bool,
) -> Doc:
    """Rating and report fields for a location whose current overall rating is ``rating``.

    ``depth`` earlier inspections (each with a historic rating) are added when the
    registration date leaves room for them.
    """
    if rating == "Not rated" or not rating_date:
        return {"currentRatings": _unrated(use_of_resources)}
    link, first_visit = new_link_id(rng), _weekday_before(rating_date, rng.randint(14, 70))
    keys = [_vary(rng, rating, 0.25) for _ in KEY_QUESTIONS]
    fields: Doc = {
        "lastInspection": {"date": first_visit},
        "lastReport": {"publicationDate": rating_date},
        "currentRatings": _current(rating, keys, rating_date, link, use_of_resources),
    }
    reports = [_report(link, rating_date, first_visit, uri_suffix)]
    historic: list[Doc] = []
    day = rating_date
    for _ in range(depth):
        day = _weekday_before(day, rng.randint(540, 1100))
        if day < _shift(registered, 180):
            break
        link, old = new_link_id(rng), _vary(rng, rating, 0.4)
        historic.append(_historic(old, [_vary(rng, old, 0.25) for _ in KEY_QUESTIONS], day, link))
        reports.append(_report(link, day, _weekday_before(day, rng.randint(14, 70)), uri_suffix))
    if historic:
        fields["historicRatings"] = historic
    fields["reports"] = reports
    return fields


# --- mutations of a materialised document -------------------------------------------------


def place(doc: Doc, key: str, value: Any, after: tuple[str, ...]) -> None:
    """Set ``doc[key]``; a new key goes right after the last present key of ``after``."""
    if key in doc:
        doc[key] = value
        return
    anchor = next((k for k in reversed(after) if k in doc), None)
    items = list(doc.items())
    position = len(items) if anchor is None else [k for k, _ in items].index(anchor) + 1
    items.insert(position, (key, value))
    doc.clear()
    doc.update(items)


def add_report(
    doc: Doc, link_id: str, report_date: str, first_visit: str, report_type: str | None
) -> None:
    """Insert a report (newest first) and move lastInspection / lastReport forward."""
    report: Doc = {"linkId": link_id, "reportDate": report_date, "firstVisitDate": first_visit}
    report["reportUri"] = f"/reports/{link_id}"
    if report_type:
        report["reportType"] = report_type
    reports: list[Doc] = doc.get("reports", [])
    position = next((i for i, r in enumerate(reports) if r["reportDate"] <= report_date), None)
    reports.insert(len(reports) if position is None else position, report)
    place(doc, "reports", reports, ("currentRatings", "historicRatings"))
    last_visit = doc.get("lastInspection", {}).get("date", "")
    last_report = doc.get("lastReport", {}).get("publicationDate", "")
    anchors = ("localAuthority", "constituency", "numberOfBeds")
    place(doc, "lastInspection", {"date": max(first_visit, last_visit)}, anchors)
    published = {"publicationDate": max(report_date, last_report)}
    place(doc, "lastReport", published, (*anchors, "lastInspection"))


def _archive_current(doc: Doc) -> None:
    """Copy the published current overall rating to the front of historicRatings."""
    overall = doc.get("currentRatings", {}).get("overall", {})
    if "reportLinkId" not in overall:
        return
    questions = [
        {"name": q["name"], "rating": q["rating"]} for q in overall.get("keyQuestionRatings", [])
    ]
    entry: Doc = {
        "reportLinkId": overall["reportLinkId"],
        "reportDate": overall["reportDate"],
        "overall": {"rating": overall["rating"], "keyQuestionRatings": questions},
    }
    historic = [entry, *doc.get("historicRatings", [])]
    place(doc, "historicRatings", historic, ("currentRatings",))


def _slot(doc: Doc, question: str, service: str | None) -> Doc:
    """The rating entry to overwrite, created when missing."""
    current: Doc = doc.setdefault("currentRatings", {})
    holder: Doc
    if service is None:
        holder = current.setdefault("overall", {"rating": NO_RATING})
    else:
        services: list[Doc] = current.setdefault("serviceRatings", [])
        holder = next((s for s in services if s.get("name") == service), {})
        if not holder:
            holder = {"name": service, "rating": NO_RATING}
            services.append(holder)
    if question == "Overall":
        return holder
    questions: list[Doc] = holder.setdefault("keyQuestionRatings", [])
    entry = next((q for q in questions if q.get("name") == question), None)
    if entry is None:
        entry = {"name": question, "rating": NO_RATING}
        questions.append(entry)
    return entry


def set_ratings(
    doc: Doc,
    ratings: dict[str, str],
    report_date: str,
    service: str | None,
    new_link: Callable[[], str],
    report_type: str = "Location",
) -> str:
    """Publish ``ratings`` ({question: rating}) in the report of ``report_date``.

    A report with that date is reused; otherwise a new one is added and the previous current
    rating moves to historicRatings. Returns the report's link id.
    """
    unknown = set(ratings) - set(QUESTIONS)
    if unknown:
        raise ValueError(f"unknown question(s) {sorted(unknown)}; expected one of {QUESTIONS}")
    link = next((r["linkId"] for r in doc.get("reports", []) if r["reportDate"] == report_date), "")
    if not link:
        link = new_link()
        _archive_current(doc)
        add_report(doc, link, report_date, _shift(report_date, -35), report_type)
    for question, rating in ratings.items():
        _slot(doc, question, service).update(
            rating=rating, reportDate=report_date, reportLinkId=link
        )
    current = doc["currentRatings"]
    current["reportDate"] = max(current.get("reportDate", ""), report_date)
    return link
