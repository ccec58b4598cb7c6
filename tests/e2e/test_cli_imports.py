"""A command imports only what it uses: each runs in a process of its own, and what it left
in ``sys.modules`` is compared with what it must not load.

Start-up is most of the cost of a short command (``healthcheck`` every 30 s in a container,
``status`` from a shell); the figures are in docs/benchmarks.md (``python -m bench.startup``). These
tests keep them: a module-level import of a heavy library in the wrong place fails here,
naming what was loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from monitor.sim import Population, SimulatedCqc
from tests.support import documents as docs
from tests.support.cli import ROOT, clean_environment, run_cli, write_config

pytestmark = pytest.mark.slow

# The database layer, the migrations, the scheduler, the web app, the sinks' network
# libraries, the terminal renderer, the settings model and logging.
STARTUP_ONLY_CLICK = (
    "sqlalchemy",
    "alembic",
    "apscheduler",
    "flask",
    "werkzeug",
    "jinja2",
    "requests",
    "urllib3",
    "standardwebhooks",
    "apprise",
    "smtplib",
    "prometheus_client",
    "rich",
    "pygments",
    "pydantic",
    "structlog",
    "tenacity",
    "selectolax",
    "monitor.bootstrap",
    "monitor.runtime.worker",
    "monitor.services",
    "monitor.settings.model",
    "monitor.sinks",
    "monitor.sources",
    "monitor.store",
    "monitor.web",
    "monitor.sim",
)
# The dashboard's Flask application (``monitor.web.config`` is a plain dataclass the
# composition root fills).
WEB_APP = ("monitor.web.app", "monitor.web.serve", "monitor.web.views")
# Never on SQLite: PostgreSQL's dialect and its drivers' modules.
POSTGRES = ("sqlalchemy.dialects.postgresql", "psycopg")
# What no command that only reads may load: the web app, the scheduler, the HTTP clients of
# the sources and sinks, and (on a database at head) the migrations.
NOT_FOR_READING = (
    *POSTGRES,
    "flask",
    "werkzeug",
    "apscheduler",
    "monitor.runtime.worker",
    "prometheus_client",
    "requests",
    "urllib3",
    "standardwebhooks",
    "apprise",
    "alembic",
    *WEB_APP,
    "monitor.sim",
)


def loaded(modules: Sequence[str], forbidden: Sequence[str]) -> list[str]:
    """Each forbidden package or module that was imported, with how many of its modules."""
    found = []
    for name in forbidden:
        inside = [m for m in modules if m == name or m.startswith(name + ".")]
        if inside:
            found.append(f"{name} ({len(inside)} modules)" if len(inside) > 1 else name)
    return found


def modules_after(config: Path | None, *args: str, folder: Path) -> tuple[int, list[str]]:
    """(exit status, modules imported) of ``cqc-monitor [--config config] args``."""
    report = folder / "modules.json"
    argv = [*(("--config", str(config)) if config else ()), *args]
    subprocess.run(
        [sys.executable, "-m", "tests.support.import_probe", str(report), *argv],
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = json.loads(report.read_text(encoding="utf-8"))
    return found["exit"], found["modules"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A configuration with a webhook and an email sink, a database at head holding one
    checked location, the simulated API it was fetched from: (config, a scratch folder)."""
    folder = tmp_path_factory.mktemp("imports")
    simulator = SimulatedCqc(
        Population.from_documents(docs.all_real().values()), subscription_key="sim-key"
    )
    with simulator.serve() as server:
        config = write_config(
            folder,
            server.base_url,
            locations=(docs.HENLEY,),
            extra="""
[[sinks]]
name = "ops-webhook"
type = "webhook"
url = "http://127.0.0.1:9/hook"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[[sinks]]
name = "ops-email"
type = "email"
host = "127.0.0.1"
port = 9
from = "monitor@example.org"
to = ["ops@example.org"]
""",
        )
        first = run_cli(config, "check", "--no-deliver")
        assert first.returncode == 0, first.stderr
        yield config, folder


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("check", "--help"),
        ("sinks", "--help"),
        ("config", "--help"),
        ("db", "--help"),
        ("digest", "--help"),
        ("digest", "send", "--help"),
        ("dashboard", "--help"),
        ("demo", "--help"),
        ("healthcheck", "--help"),
        ("source", "--help"),
    ],
    ids=lambda args: " ".join(args),
)
def test_help_loads_nothing_but_the_command_line(args: tuple[str, ...], tmp_path: Path) -> None:
    status, modules = modules_after(None, *args, folder=tmp_path)
    assert status == 0
    assert loaded(modules, STARTUP_ONLY_CLICK) == [], f"`{' '.join(args)}` imported these"


def test_healthcheck_reads_its_two_keys_and_asks_without_loading_anything_else(
    world: tuple[Path, Path], tmp_path: Path
) -> None:
    config, _ = world
    status, modules = modules_after(config, "healthcheck", "--timeout", "0.5", folder=tmp_path)
    assert status == 1  # nothing listens on [server] port: unhealthy, and said so
    assert loaded(modules, STARTUP_ONLY_CLICK) == [], "`healthcheck` imported these"


def test_config_check_validates_every_sink_without_their_network_libraries(
    world: tuple[Path, Path], tmp_path: Path
) -> None:
    config, _ = world
    status, modules = modules_after(config, "config", "check", folder=tmp_path)
    assert status == 0
    assert "monitor.sinks.webhook" in modules  # the sinks' tables were validated
    assert loaded(modules, NOT_FOR_READING) == [], "`config check` imported these"


@pytest.mark.parametrize(
    "args",
    [
        ("status",),
        ("history", docs.HENLEY),
        ("changes",),
        ("alerts", "--format", "csv"),
        ("sinks",),
        ("source", "shape"),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_reading_commands_load_neither_the_web_app_nor_the_scheduler_nor_the_senders(
    args: tuple[str, ...], world: tuple[Path, Path], tmp_path: Path
) -> None:
    config, _ = world
    status, modules = modules_after(config, *args, folder=tmp_path)
    assert status in (0, 1)  # status: 1 when something needs attention (no worker ran)
    assert "sqlalchemy" in modules  # it did read the database
    assert loaded(modules, NOT_FOR_READING) == [], f"`{' '.join(args)}` imported these"


def test_a_check_loads_no_web_app_no_scheduler_and_no_migrations_on_a_current_database(
    world: tuple[Path, Path], tmp_path: Path
) -> None:
    config, _ = world
    status, modules = modules_after(
        config, "check", "--location", docs.HENLEY, "--no-deliver", folder=tmp_path
    )
    assert status == 0
    forbidden = ("flask", "werkzeug", "apscheduler", "prometheus_client", "alembic", "apprise")
    assert loaded(modules, (*forbidden, *WEB_APP, "monitor.runtime.worker")) == []
    # It draws no table and no progress bar: rich is not loaded (structlog would load it for
    # tracebacks it is never asked to draw).
    assert loaded(modules, ("rich", "pygments", *POSTGRES)) == [], "a piped `check` imported these"
    # Nothing new was inspected: no report is read, no website page parsed; and of the sinks,
    # only those the configuration names.
    unused = ("monitor.domain.findings", "selectolax", "monitor.sinks.console")
    assert loaded(modules, unused) == [], "a steady `check` imported these"
    assert "monitor.sinks.webhook" in modules and "monitor.sinks.email" in modules
