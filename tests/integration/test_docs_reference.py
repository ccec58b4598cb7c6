"""The handbook's generated reference (tools/docs_reference) covers what the code has: every
command and option, configuration key, event type, exit status and metric of the live
objects, read here independently of the generators; the runbook covers every alert rule."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml
from pydantic import BaseModel

from monitor.runtime.health import DatabaseProbe
from monitor.runtime.metrics import Metrics
from monitor.sources.attempts import AttemptTally
from monitor.store.engine import make_engine, make_session_factory
from monitor.store.figures import Figures, read_figures
from monitor.store.migrate import upgrade
from tools.docs_reference import (
    cli_page,
    config_page,
    events_page,
    exit_codes_page,
    metrics_page,
)

ROOT = Path(__file__).parents[2]
RULES = ROOT / "deploy" / "prometheus" / "cqc-monitor-alerts.yml"
RUNBOOK = ROOT / "docs" / "runbook"


def rendered(render: object) -> str:
    """A page, failing on anything its generator could not describe."""
    warnings: list[str] = []
    page = render(warnings.append)  # type: ignore[operator]
    assert warnings == []
    assert isinstance(page, str)
    return page


def sections(page: str, level: str = "##") -> dict[str, str]:
    """Heading text → the text below it, up to the next heading of the same level or above."""
    parts = re.split(rf"^({level} .+)$", page, flags=re.MULTILINE)
    return {parts[i].lstrip("# ").strip(): parts[i + 1] for i in range(1, len(parts), 2)}


# --- commands ----------------------------------------------------------------------------------


def walk(
    group: click.Group, context: click.Context
) -> Iterator[tuple[str, click.Command, click.Context]]:
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None
        child = click.Context(command, info_name=name, parent=context)
        yield child.command_path, command, child
        if isinstance(command, click.Group):
            yield from walk(command, child)


def test_every_command_and_option_is_in_the_command_line_reference() -> None:
    from monitor.cli.main import cli

    page = sections(rendered(cli_page.render))
    root = click.Context(cli, info_name="cqc-monitor")
    found = list(walk(cli, root))
    assert {"cqc-monitor check", "cqc-monitor db upgrade", "cqc-monitor sinks enable"} <= {
        path for path, _, _ in found
    }
    for path, command, context in [("cqc-monitor", cli, root), *found]:
        assert path in page, f"{path} has no section"
        for param in command.get_params(context):
            for option in param.opts if isinstance(param, click.Option) else ():
                assert f"`{option}" in page[path] or f", {option}" in page[path], (path, option)


# --- configuration -------------------------------------------------------------------------------


def keys(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(section, key) of every plain key, nested tables walked."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from keys(annotation, f"{prefix}.{name}" if prefix else name)
        else:
            yield prefix, field.alias or name


def test_every_configuration_key_is_in_the_configuration_reference() -> None:
    from monitor.domain.search import FILTERS
    from monitor.settings.model import Settings
    from monitor.sinks.registry import SINK_TYPES

    page = rendered(config_page.render)
    tables = {**sections(page, "##"), **sections(page, "###")}
    expected = [(f"[{section}]", key) for section, key in keys(Settings)]
    expected = [item for item in expected if item[1] not in ("path", "search", "sinks")]
    expected += [("[[watch.search]]", key) for key in ("name", *FILTERS)]
    for kind, sink in SINK_TYPES.items():
        expected += [(f'type = "{kind}"', key) for _, key in keys(sink.Config)]
    for heading, key in expected:
        where = tables[heading] + tables.get("Every sink", "") * heading.startswith("type")
        assert f"`{key}`" in where, f"{key} is not in {heading}"
    assert "`localAuthority`" in tables["[[watch.search]]"]


# --- events, exit statuses ---------------------------------------------------------------------


def test_every_event_type_is_in_the_events_reference() -> None:
    from monitor.domain.events import EVENT_TYPES

    page = rendered(events_page.render)
    for event_type in EVENT_TYPES:
        assert re.search(rf"^\| `{event_type}` \|", page, flags=re.MULTILINE), event_type


def test_every_exit_status_is_in_the_exit_codes_reference() -> None:
    import monitor.cli.common as command_line

    page = rendered(exit_codes_page.render)
    statuses = [v for k, v in vars(command_line).items() if k.startswith("EXIT_")]
    assert sorted(statuses) == [0, 1, 2]
    for status in statuses:
        assert f"| `{status}` |" in page
    assert "128 + signal" in page and "ConfigError" in page


# --- metrics -----------------------------------------------------------------------------------


@pytest.fixture
def scraped_families(tmp_path: Path) -> dict[str, tuple[str, set[str]]]:
    """Family → (type, label names seen) from a live registry over a real migrated database."""
    engine = make_engine(f"sqlite:///{tmp_path / 'monitor.db'}")
    upgrade(engine)
    sessions = make_session_factory(engine)

    def figures() -> Figures:
        with sessions() as session:
            return read_figures(session, sinks=["ops-email"])

    attempts = AttemptTally()
    attempts.record("api", "ok")
    metrics = Metrics(figures, ready=DatabaseProbe(engine).probe, attempts=attempts)
    metrics.cycle_finished("full", "completed", 1.0)
    metrics.delivery_outcome("ops-email", "sent")
    metrics.cycle_progress("full", 1, 2)
    try:
        families = {
            family.name: (family.type, {k for s in family.samples for k in s.labels} - {"le"})
            for family in metrics.registry.collect()
        }
    finally:
        engine.dispose()
    return families


def test_every_metric_is_in_the_metrics_reference(
    scraped_families: dict[str, tuple[str, set[str]]],
) -> None:
    page = sections(rendered(metrics_page.render))
    exposed = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
    for name, (kind, labels) in scraped_families.items():
        title = name + "_total" if kind == "counter" else name
        assert title in page, f"{title} is missing"
        assert all(f"`{name}{suffix}`" in page[title] for suffix in exposed[kind]), title
        for label in labels:
            assert f"`{label}`" in page[title], f"{title} lacks its label {label}"
    assert len(page) == len(scraped_families)


def test_the_reference_names_each_metrics_alert_rules() -> None:
    page = sections(rendered(metrics_page.render))
    assert (
        "[CqcMonitorSinkDisabled](../runbook/sink-disabled.md)" in page["cqc_monitor_sink_disabled"]
    )


# --- the runbook ---------------------------------------------------------------------------------


def test_every_alert_rule_links_to_its_runbook_page() -> None:
    site = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["site_url"]
    rules = [
        r for g in yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"] for r in g["rules"]
    ]
    index = (RUNBOOK / "index.md").read_text(encoding="utf-8")
    linked = set()
    for rule in rules:
        url = rule["annotations"]["runbook_url"]
        assert url.startswith(site + "runbook/") and url.endswith(".html"), url
        page = url.removeprefix(site + "runbook/").removesuffix(".html")
        assert (RUNBOOK / f"{page}.md").is_file(), url
        assert rule["alert"] in (RUNBOOK / f"{page}.md").read_text(encoding="utf-8")
        assert f"`{rule['alert']}`" in index
        linked.add(page)
    assert linked == {path.stem for path in RUNBOOK.glob("*.md")} - {"index"}


# --- no machine's paths ------------------------------------------------------------------------

# Absolute paths of a machine (a home, a checkout, a temporary file) in what the project keeps.
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:work|root|home|Users|tmp)/[\w.-]")
# Where the image builds in its own temporary directory (its source, its requirements).
IMAGE_PATHS = {"Dockerfile", "tests/unit/test_container_files.py"}


def tracked() -> list[str]:
    try:
        result = subprocess.run(
            ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return result.stdout.splitlines()


def test_no_absolute_path_of_a_machine_is_kept_in_the_project() -> None:
    offending = set()
    for name in tracked():
        path = ROOT / name
        if name in IMAGE_PATHS or not path.is_file() or path.suffix in (".png", ".gz"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if MACHINE_PATH.search(text):
            offending.add(name)
    assert not offending, f"absolute paths of a machine in {sorted(offending)}"
