"""The alert rules (deploy/prometheus) and the Grafana dashboard (deploy/grafana) query only
metrics the worker exports: names read from their PromQL, compared with a live registry over
a real migrated database."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.registry import CollectorRegistry
from sqlalchemy import Engine

from monitor.runtime.health import DatabaseProbe
from monitor.runtime.metrics import Metrics
from monitor.sources.attempts import AttemptTally
from monitor.store.engine import make_session_factory
from monitor.store.figures import Figures, read_figures

ROOT = Path(__file__).parents[2]
RULES = ROOT / "deploy" / "prometheus" / "cqc-monitor-alerts.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "cqc-monitor.json"
METRIC = re.compile(r"\bcqc_monitor_[a-z0-9_]+\b")
# Each kind of family and the series names Prometheus gets from it.
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "gauge": ("",),
}
# Queried by a rule or panel before the worker exports it (empty: every name is exported).
# A name added here must be exported soon: the second test fails once it is.
NOT_YET_EXPORTED: set[str] = set()


def exported(registry: CollectorRegistry) -> set[str]:
    names = set()
    for family in registry.collect():
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


@pytest.fixture
def worker_metrics(engine: Engine) -> set[str]:
    """What ``run`` exports, over a migrated database (SQLite and PostgreSQL)."""
    sessions = make_session_factory(engine)

    def figures() -> Figures:
        with sessions() as session:
            return read_figures(session, sinks=["ops-email"])

    metrics = Metrics(figures, ready=DatabaseProbe(engine).probe, attempts=AttemptTally())
    return exported(metrics.registry)


def rule_expressions() -> dict[str, str]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def panel_expressions() -> dict[str, str]:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return {
        f"{panel['title']} {target['refId']}": target["expr"]
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    }


def unexported(expressions: dict[str, str], names: set[str]) -> dict[str, list[str]]:
    return {
        where: missing
        for where, expr in expressions.items()
        if (missing := sorted(set(METRIC.findall(expr)) - names - NOT_YET_EXPORTED))
    }


def test_every_metric_a_rule_or_panel_queries_is_exported(worker_metrics: set[str]) -> None:
    assert rule_expressions() and panel_expressions()
    assert unexported(rule_expressions(), worker_metrics) == {}
    assert unexported(panel_expressions(), worker_metrics) == {}


def test_the_names_waiting_to_be_exported_are_still_missing(worker_metrics: set[str]) -> None:
    assert worker_metrics & NOT_YET_EXPORTED == set(), "exported now: drop it from the list"


def test_a_misspelt_metric_would_be_caught(worker_metrics: set[str]) -> None:
    typo = {"a panel": "sum(rate(cqc_monitor_cycle_total[5m]))"}
    assert unexported(typo, worker_metrics) == {"a panel": ["cqc_monitor_cycle_total"]}


def test_every_panel_is_a_valid_promql_query(tmp_path: Path) -> None:
    """The dashboard's queries parse as PromQL (promtool checks them as recording rules,
    Grafana's variables replaced by values)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package prometheus)")
    rules: list[dict[str, Any]] = [
        {"record": f"panel:{number}", "expr": _grafana_values(expr)}
        for number, expr in enumerate(panel_expressions().values())
    ]
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _grafana_values(expr: str) -> str:
    return expr.replace("$__rate_interval", "5m").replace("$job", "cqc-monitor")


def test_the_dashboard_imports_into_any_grafana() -> None:
    """Panels on their own grid cells, unique ids, and every query on the data source the
    importer chooses (the ``datasource`` variable), not one of this project's own."""
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    panels = dashboard["panels"]
    assert len({panel["id"] for panel in panels}) == len(panels)
    taken: dict[tuple[int, int], str] = {}
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in taken, f"{panel['title']} overlaps {taken[(x, y)]}"
                taken[(x, y)] = panel["title"]
        for target in [panel, *panel.get("targets", [])] if panel["type"] != "row" else []:
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    variables = {variable["name"] for variable in dashboard["templating"]["list"]}
    assert variables == {"datasource", "job"}
