"""``cqc-monitor demo``: the real worker against a simulated CQC, offline, in seconds (SPEC §9).

A simulated Syndication API and website run on 127.0.0.1; the worker (the same review cycle,
outbox and dispatcher as ``run``) keeps its SQLite database in the output folder, so the
dashboard can browse it afterwards, and delivers to five sinks: two email sinks that write
``.eml`` files, a signed webhook to a local receiver that saves JSON files, a webhook whose
endpoint was retired (410 Gone: its alerts go dead), and the console. ``demo_story`` plays the
chapters.
"""

from __future__ import annotations

import base64
import os
import secrets
import shlex
import shutil
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

# The command is listed by every ``cqc-monitor --help``: what it runs (the simulator, the
# worker, the sinks) is imported only when it runs.
if TYPE_CHECKING:
    from monitor.demo.delivery import OutputFolder
    from monitor.demo.story import StoryClock
    from monitor.settings.model import Settings
    from monitor.sim import SimulatedCqc
    from monitor.sinks.base import Sink, SinkConfig

SIM_KEY = "demo-subscription-key"
DATABASE_FILE = "monitor.db"
RETIRED_SINK = "pager-webhook"
MIN_SIZE = 7  # the three real documents, Harley Street, and three generated locations
PAUSE_SECONDS = 1.5


@click.command("demo")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the database, .eml and webhook JSON files "
    "(default: ./demo-output/<timestamp>).",
)
@click.option(
    "--size",
    type=click.IntRange(min=MIN_SIZE),
    default=40,
    show_default=True,
    help="Locations in the simulated register.",
)
@click.option("--fast", is_flag=True, help="No pauses between chapters.")
@click.option("--verbose", is_flag=True, help="Show the worker's log lines on stderr.")
@click.option(
    "--now",
    "now_text",
    metavar="TIME",
    help="End the story at TIME (ISO 8601, UTC unless it names a zone) instead of now: the "
    "same dates on every run.",
)
def demo_command(
    output: Path | None, size: int, fast: bool, verbose: bool, now_text: str | None
) -> None:
    """Offline end-to-end demonstration against a simulated CQC API."""
    from monitor.logs import configure_logging

    now = _parse_now(now_text)
    root = _output_root(output)
    configure_logging("info" if verbose else "error", "console")
    _bypass_proxies_for_loopback()
    pause = 0.0 if fast or not sys.stdout.isatty() else PAUSE_SECONDS
    run_demo(root, size=size, pause=pause, echo=click.echo, program=_program(), now=now)


def run_demo(
    root: Path,
    *,
    size: int = 40,
    pause: float = 0.0,
    echo: Callable[[str], None] = print,
    program: str = "cqc-monitor",
    now: datetime | None = None,
) -> None:
    """Plays the whole story; the database and the alerts land in ``root`` (which must exist).

    The story ends at ``now`` (default: the current time, to the minute): its cycles run in the
    hours before, and what the regulator publishes is dated the days before."""
    from monitor.bootstrap import build_app
    from monitor.demo.delivery import OutputFolder, WebhookReceiver
    from monitor.demo.story import HARLEY, HENLEY, LUCERNE, TRUST, Stage, StoryClock, tell
    from monitor.sim import Population, SimulatedCqc

    folder = OutputFolder(root)
    end = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    clock = StoryClock(end)
    sim = SimulatedCqc(
        Population.generate(size), subscription_key=SIM_KEY, web_pages=True, clock=clock
    )
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode("ascii")
    echo(f"cqc-monitor demo: alerts are written to {root}")
    database_url = f"sqlite:///{root / DATABASE_FILE}"
    with sim.serve() as server, WebhookReceiver(folder, secret) as receiver:
        settings = demo_settings(
            database_url,
            api_url=server.base_url,
            web_url=server.web_base_url,
            webhook_url=receiver.url,
            webhook_secret=secret,
            retired_webhook_url=receiver.retired_url,
            watch=[HENLEY, LUCERNE, HARLEY, *sim.population.ids()[4:MIN_SIZE]],
            providers=[TRUST],
        )
        app = build_app(settings, clock=clock, sinks=demo_sinks(settings, folder, clock))
        try:
            app.prepare_database()
            _introduce(echo, sim, settings, database_url, server.base_url)
            tell(Stage(sim, app, clock, receiver, folder, echo, end), pause=pause)
        finally:
            app.close()
    _conclude(echo, folder, database_url, program)


def demo_settings(
    database_url: str,
    *,
    api_url: str,
    web_url: str,
    webhook_url: str,
    webhook_secret: str,
    watch: list[str],
    retired_webhook_url: str | None = None,
    providers: list[str] | None = None,
) -> Settings:
    """The configuration a user would write, pointed at the local simulator and receiver."""
    from monitor.demo.story import AREA_SEARCH, WEBHOOK_SINK
    from monitor.settings.model import settings_from_dict

    email = {"type": "email", "host": "smtp.example.org", "from": "cqc-monitor@example.org"}
    sinks: list[dict[str, Any]] = [
        {**email, "name": "ops-email", "to": ["ops@example.org"]},
        {
            **email,
            "name": "board-email",
            "to": ["quality-board@example.org"],
            "min_severity": "critical",
        },
        {"name": WEBHOOK_SINK, "type": "webhook", "url": webhook_url, "secret": webhook_secret},
        {"name": "console", "type": "console"},
    ]
    if retired_webhook_url:
        sinks.insert(
            3,
            {
                "name": RETIRED_SINK,
                "type": "webhook",
                "url": retired_webhook_url,
                "secret": webhook_secret,
                "min_severity": "critical",
            },
        )
    return settings_from_dict(
        {
            "database": {"url": database_url},
            "sources": {
                "cqc_api": {
                    "base_url": api_url,
                    "subscription_key": SIM_KEY,
                    "partner_code": "cqc-monitor-demo",
                    "requests_per_second": 0,  # the simulator is local: no need to pace
                    "timeout_seconds": 5,
                },
                "cqc_web": {
                    "enabled": True,
                    "base_url": web_url,
                    "requests_per_second": 0,
                    "timeout_seconds": 5,
                },
            },
            "watch": {"locations": watch, "providers": providers or [], "search": [AREA_SEARCH]},
            "alerts": {"first_seen": "silent"},
            "sinks": sinks,
        }
    )


def demo_sinks(settings: Settings, folder: OutputFolder, clock: StoryClock) -> dict[str, Sink]:
    """The real sinks, except that email goes to ``.eml`` files instead of an SMTP server."""
    import requests

    from monitor.demo.delivery import EmlEmailSink
    from monitor.settings.model import sink_configs
    from monitor.sinks.console import ConsoleConfig, ConsoleSink
    from monitor.sinks.email import EmailConfig
    from monitor.sinks.webhook import WebhookConfig, WebhookSink

    # Loopback only: an HTTP(S)_PROXY from the environment must not capture the receiver.
    session = requests.Session()
    session.trust_env = False

    def build(config: SinkConfig) -> Sink:
        if isinstance(config, EmailConfig):
            return EmlEmailSink(config, folder, clock=clock.now)
        if isinstance(config, WebhookConfig):
            # The signature timestamp is checked against the receiver's real clock.
            return WebhookSink(config, session=session)
        if isinstance(config, ConsoleConfig):
            return ConsoleSink(config)
        raise ValueError(f"the demo has no sink of type {config.type!r}")

    return {config.name: build(config) for config in sink_configs(settings.sinks)}


def _introduce(
    echo: Callable[[str], None],
    sim: SimulatedCqc,
    settings: Settings,
    database_url: str,
    api_url: str,
) -> None:
    from monitor.demo.story import WEBHOOK_SINK

    echo(f"simulated CQC API: {api_url} ({len(sim.population)} locations, website pages on)")
    echo(f"database: {database_url} (kept: browse it with the dashboard afterwards)")
    echo("watching:")
    for location_id in settings.watch.locations:
        echo(f"  {location_id}  {sim.document(location_id)['name']}")
    for provider_id in settings.watch.providers:
        echo(f"  provider {provider_id}: its own ratings and every location of it")
    for search in settings.watch.search:
        filters = ", ".join(f"{k} = {' or '.join(v)}" for k, v in search.filters.items())
        echo(f"  search {search.name!r}: every location with {filters}")
    echo("sinks: ops-email (all alerts) and board-email (critical only) write .eml files;")
    echo(f"       {WEBHOOK_SINK} signs each alert (Standard Webhooks) for a local receiver;")
    echo(f"       {RETIRED_SINK} (critical only) calls an endpoint its owner retired: 410 Gone,")
    echo("       so its alerts go dead and the sink is disabled;")
    echo("       console prints each alert below as it is delivered.")


def _conclude(
    echo: Callable[[str], None], folder: OutputFolder, database_url: str, program: str
) -> None:
    files = sorted(p for p in folder.files() if not p.name.startswith(DATABASE_FILE))
    echo("")
    echo(f"Done. {len(files)} files in {folder.root}:")
    for path in files:
        echo(f"  {path.relative_to(folder.root)}")
    database = shlex.quote(database_url)
    echo("")
    echo("Read the story with the commands an operator uses (no configuration file needed):")
    echo(f"  {program} status --database {database}")
    echo(f"  {program} changes --database {database}")
    echo(f"  {program} history {HENLEY_ID} --database {database}")
    echo("Browse the whole story (changes, ratings over time, deliveries) in the dashboard:")
    echo(f"  {program} dashboard --database {database}")
    echo("and open http://127.0.0.1:9108/ (Ctrl-C stops it).")


HENLEY_ID = "1-10000302982"  # the story's downgrade (story.HENLEY, loaded only with the story)


def _program() -> str:
    """The command as it can be typed again from here: ``cqc-monitor`` when that is on the
    PATH, else the path it was run by (``.venv/bin/cqc-monitor`` from the checkout), or the
    interpreter with ``-m monitor``."""
    script = Path(sys.argv[0])
    if script.name == "cqc-monitor":
        found = shutil.which("cqc-monitor")
        if found and Path(found).resolve() == script.resolve():
            return "cqc-monitor"
        return shlex.quote(_from_here(script))
    return f"{shlex.quote(_from_here(Path(sys.executable)))} -m monitor"


def _from_here(path: Path) -> str:
    """``path`` relative to the working folder when it is inside it."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def _parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a time such as 2026-01-31T12:00:00Z", param_hint="--now"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _output_root(option: Path | None) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    root = (option or Path("demo-output") / stamp).resolve()
    if root.is_dir() and any(root.iterdir()):
        raise click.UsageError(f"{root} is not empty; pick another --output folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.UsageError(f"cannot create {root}: {exc.strerror}") from None
    return root


def _bypass_proxies_for_loopback() -> None:
    # The API client honours the environment's proxy settings (right in production); the
    # demo's simulator is on 127.0.0.1, which a proxy could not reach.
    current = os.environ.get("no_proxy") or os.environ.get("NO_PROXY") or ""
    os.environ["no_proxy"] = ",".join(filter(None, [current, "127.0.0.1", "localhost"]))
