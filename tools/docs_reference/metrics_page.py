"""The metrics reference: every family ``run`` exports on ``/metrics``, with the alert rules
(deploy/prometheus) that read it."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tools.docs_reference import live
from tools.docs_reference.markdown import GENERATED, Warn, code, table

RULES = Path(__file__).parents[2] / "deploy" / "prometheus" / "cqc-monitor-alerts.yml"
_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "counter": ("",), "gauge": ("",)}


def alerts_by_metric() -> dict[str, list[tuple[str, str]]]:
    """Metric name → (alert, runbook page) of each rule whose expression reads it."""
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    found: dict[str, list[tuple[str, str]]] = {}
    for rule in (rule for group in groups for rule in group["rules"]):
        page = rule["annotations"]["runbook_url"].rsplit("/runbook/", 1)[-1]
        page = page.removesuffix(".html") + ".md"  # the source page the link is checked against
        for name in sorted(set(re.findall(r"\bcqc_monitor_[a-z0-9_]+\b", rule["expr"]))):
            found.setdefault(name, []).append((rule["alert"], page))
    return found


def render(warn: Warn) -> str:
    alerts = alerts_by_metric()
    parts = [GENERATED, _INTRO]
    for family in live.metric_families():
        if not family.help:
            warn(f"the metric {family.name} has no help text")
        parts.append(_section(family, alerts.get(family.name, [])))
    return "".join(parts)


def _section(family: live.MetricFamily, alerts: list[tuple[str, str]]) -> str:
    series = ", ".join(code(family.name + suffix) for suffix in _SUFFIXES.get(family.kind, ("",)))
    labels = ", ".join(code(label) for label in family.labels) or "none"
    source = (
        "the database, at scrape time (the same on every replica)"
        if family.from_database
        else "this process, since it started"
    )
    facts = [
        ("type", family.kind),
        ("series", series),
        ("labels", labels),
        ("from", source),
    ]
    if alerts:
        facts.append(
            ("alert rules", ", ".join(f"[{alert}](../runbook/{page})" for alert, page in alerts))
        )
    return (
        f"## {family.name}\n\n{family.help}\n\n"
        + table(("", ""), [(f"**{name}**", value) for name, value in facts])
        + "\n"
    )


_INTRO = """\
# Metrics

`cqc-monitor run` serves Prometheus' text format on `/metrics`, beside `/healthz` and
`/readyz`, on `[server] port` (9108). Scrape every replica. Two kinds of figure:

- **process**: counted in memory by the replica that did the work (cycles it ran, requests it
  sent, deliveries it attempted) since it started; sum them over the replicas, and use
  `rate()` or `increase()`, which allow for restarts.
- **database**: read from the shared database when Prometheus scrapes, so every replica
  reports the same value and it is right after a restart; take the `max` over the replicas.
  When the database cannot be read, these are left out of the scrape (and `cqc_monitor_ready`
  is 0).

The alert rules in `deploy/prometheus` ([Runbook](../runbook/index.md)) and the Grafana
dashboard in `deploy/grafana` read these; a test keeps them to metrics that exist.

"""
