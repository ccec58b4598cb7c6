"""What the command modules share: the context (configuration, secrets, logging), the
``--format`` and ``--no-migrate`` options, and read-only access to the database.

Every command module is imported to list it in ``--help``: the heavy libraries (SQLAlchemy,
pydantic, structlog) are imported here, and in the commands, only when they are used.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from monitor import output
from monitor.errors import StorageError
from monitor.redaction import Redactor

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from monitor.bootstrap import App
    from monitor.settings.model import Settings

T = TypeVar("T")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FORMAT = click.option(
    "--format", "fmt", type=click.Choice(output.FORMATS), default="table", show_default=True
)
DATABASE = click.option(
    "--database",
    metavar="URL",
    default=None,
    help="Read this database instead of the configured one, e.g. sqlite:///copy.db "
    "(no configuration file is needed).",
)
NO_MIGRATE = click.option(
    "--no-migrate",
    is_flag=True,
    help="Refuse a database behind the migrations instead of upgrading it.",
)


def cqc_ids(_ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """A click callback: each id given (one, or a tuple of them) must have the shape the
    watchlist accepts, or the command is a usage error (exit 2) naming the parameter."""
    if not value:
        return value
    from monitor.settings.sections import checked_cqc_id

    try:
        if isinstance(value, tuple):
            return tuple(checked_cqc_id(item) for item in value)
        return checked_cqc_id(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param=param) from None


class Context:
    def __init__(self, config_path: str | None = None) -> None:
        self.config_path = config_path
        self._settings: Settings | None = None
        # Error messages printed on the way out are masked too, once the secrets are known.
        self.redact = Redactor()

    def settings(self) -> Settings:
        if self._settings is None:
            from monitor.logs import configure_logging
            from monitor.settings.model import load_settings

            self._settings = load_settings(self.config_path)
            self.redact = Redactor(self._settings.secrets())
            logging = self._settings.logging
            configure_logging(logging.level, logging.format, redact=self.redact)
        return self._settings

    def has_config(self) -> bool:
        """Whether a configuration file was named, or is where the default looks."""
        import os

        from monitor.settings.files import resolve_config_path

        named = self.config_path or os.environ.get("MONITOR_CONFIG")
        return bool(named) or resolve_config_path(None).exists()

    def database_url(self, database: str | None) -> str:
        """``--database`` when given (no configuration file needed), else the configured one."""
        if database:
            from urllib.parse import urlsplit

            password = urlsplit(database).password
            self.redact = Redactor([password] if password else [])
            return database
        return self.settings().database.url

    def app(self, **overrides: Any) -> App:
        from monitor.bootstrap import build_app

        return build_app(self.settings(), **overrides)


pass_context = click.make_pass_decorator(Context)


def read(ctx: Context, query: Callable[[Session], T], database: str | None = None) -> T:
    """Read commands open the database read-only and never migrate it; ``database``: the
    ``--database`` URL, read without any configuration file."""
    from monitor.store import migrate
    from monitor.store.engine import make_session_factory

    engine = readonly_engine(ctx.database_url(database))
    try:
        migrate.require_current(engine)
        with make_session_factory(engine)() as session:
            return query(session)
    finally:
        engine.dispose()


def readonly_engine(url: str) -> Engine:
    from monitor.store.engine import make_readonly_engine

    try:
        return make_readonly_engine(url)
    except StorageError as exc:  # no SQLite file yet
        raise StorageError(f"{exc}: run cqc-monitor db upgrade (or a first check)") from None


def iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
