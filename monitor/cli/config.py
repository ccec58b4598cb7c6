"""``config check``: validate the configuration and print it resolved, secrets masked."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.common import Context, pass_context
from monitor.errors import StorageError
from monitor.redaction import MASK

if TYPE_CHECKING:
    from monitor.settings.model import Settings


@click.group()
def config() -> None:
    """Configuration."""


@config.command("check")
@click.option(
    "--resolve", is_flag=True, help="Ask the CQC API how many locations each search matches now."
)
@pass_context
def config_check(ctx: Context, resolve: bool) -> None:
    """Validate the configuration and print it resolved, secrets masked."""
    from monitor.settings.model import mask_url, sink_configs

    settings = ctx.settings()
    data = settings.model_dump(mode="json", exclude={"sinks", "path"})
    data["database"]["url"] = mask_url(settings.database.url)
    data["sinks"] = [
        _mask_sink(c.model_dump(mode="json", by_alias=True)) for c in sink_configs(settings.sinks)
    ]
    data["watch"]["file_ids"] = len(settings.watch_file_ids())
    _check_schema(settings.database.url)
    warnings = _useless(settings)
    if resolve:
        warnings += _resolve(ctx, settings, data)
    click.echo(f"# {settings.path}: valid")
    click.echo(json.dumps(data, indent=2))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


def _resolve(ctx: Context, settings: Settings, data: dict[str, Any]) -> list[str]:
    """Asks CQC: each search's matches now, and which configured ids it has no location for."""
    from monitor.cli.search import resolve_searches, unknown_ids  # the API client loads here

    app = ctx.app()
    try:
        ids = list(dict.fromkeys((*settings.watch.locations, *settings.watch_file_ids())))
        missing, unasked = unknown_ids(app, ids)
        resolve_searches(app, data["watch"]["search"])
    finally:
        app.close()
    data["watch"]["not_found_at_cqc"] = missing
    warnings = [f"{location_id}: not found at CQC" for location_id in missing]
    if unasked:
        warnings.append(f"{unasked} never-checked ids not asked about: the next cycle checks them")
    return warnings


def _useless(settings: Settings) -> list[str]:
    """Valid, yet nothing useful would happen: said, but not an error (exit 0)."""
    watch = settings.watch
    warnings = []
    listed = watch.all or watch.locations or watch.providers or watch.search
    if not listed and not settings.watch_file_ids():
        warnings.append("the watchlist is empty: cycles will fetch nothing ([watch])")
    if not settings.sinks:
        warnings.append("no sinks: changes are recorded but nobody is told ([[sinks]])")
    return warnings


def _check_schema(url: str) -> None:
    """A database behind the migrations fails the check; none yet (or unreachable) is a note."""
    from monitor.store import migrate
    from monitor.store.engine import database_errors, make_readonly_engine

    try:
        engine = make_readonly_engine(url)
    except StorageError:
        click.echo("note: no database yet: the first check (or db upgrade) creates it", err=True)
        return
    try:
        with database_errors():
            state = migrate.schema_state(engine)
    except StorageError as exc:
        engine.dispose()
        click.echo(f"warning: {exc}", err=True)
        return
    try:
        if state == "empty":
            note = "note: the database has no schema yet: check or db upgrade adds it"
            click.echo(note, err=True)
        else:
            migrate.require_current(engine)  # behind the migrations: the check fails
    finally:
        engine.dispose()


def _mask_sink(section: dict[str, Any]) -> dict[str, Any]:
    """Webhook paths often carry tokens: show only where they point. Header values are masked
    when the header's name says it carries a credential; a plain ``X-Team`` stays readable."""
    from monitor.settings.model import mask_url_path

    if isinstance(section.get("url"), str):
        section["url"] = mask_url_path(section["url"])
    if isinstance(section.get("headers"), dict):
        section["headers"] = {
            name: MASK if _SECRET_HEADER.search(name) else value
            for name, value in section["headers"].items()
        }
    return section


_SECRET_HEADER = re.compile(r"auth|token|key|secret|pass|cookie|signature|session|credential", re.I)
