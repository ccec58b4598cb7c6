"""What templates may call: dates, ages, rating colours, links that keep the current query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask, request, url_for

from monitor.domain.wording import findings_line
from monitor.web.charts import css_class

NAV = (
    ("pages.overview", "Overview"),
    ("pages.changes", "Changes"),
    ("pages.locations", "Locations"),
    ("pages.providers", "Providers"),
    ("pages.deliveries", "Deliveries"),
)


def register(app: Flask) -> None:
    app.add_template_filter(when)
    app.add_template_filter(day)
    app.add_template_global(ago)
    app.add_template_global(css_class, "rating_class")
    app.add_template_global(query_with)
    app.add_template_global(findings_of, "findings_of")
    app.add_template_global(text_findings, "findings_line")
    app.jinja_env.globals["NAV"] = NAV


def when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "—"


def day(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d") if moment else "—"


def ago(moment: datetime | None, now: datetime) -> str:
    """ "3 hours ago": how fresh a figure is, at a glance."""
    if moment is None:
        return "never"
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "in the future"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def findings_of(payload: dict[str, Any] | None) -> str | None:
    """An event's findings in one line ("3 breaches of regulation · special measures"), or
    None when it carries none."""
    details = (payload or {}).get("details") or {}
    found = details.get("findings") if isinstance(details, dict) else None
    if not isinstance(found, dict):
        return None
    return findings_line(found) or "no breach, special measures or enforcement named"


def text_findings(text: dict[str, Any]) -> str:
    """A stored report text's findings in one line, or where its reading stands."""
    found = text.get("findings")
    if not isinstance(found, dict):
        return {"pending": "text not read yet", "failed": "text could not be read"}.get(
            str(text.get("status")), "—"
        )
    return findings_line(found) or "no breach, special measures or enforcement named"


def query_with(endpoint: str | None = None, **changes: Any) -> str:
    """This page's URL (or ``endpoint``'s) with its query string, some values replaced.

    A value of None removes the parameter; filters, sort order and page size survive.
    """
    args = request.args.to_dict(flat=False)
    for name, value in changes.items():
        if value is None:
            args.pop(name, None)
        else:
            args[name] = value if isinstance(value, list) else [str(value)]
    values: dict[str, Any] = {**((request.view_args or {}) if endpoint is None else {}), **args}
    return url_for(endpoint or str(request.endpoint), **values)
