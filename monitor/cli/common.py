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
NO_MIGRATE = click.option(
    "--no-migrate",
    is_flag=True,
    help="Refuse a database behind the migrations instead of upgrading it.",
)


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

    def app(self, **overrides: Any) -> App:
        from monitor.bootstrap import build_app

        return build_app(self.settings(), **overrides)


pass_context = click.make_pass_decorator(Context)


def read(ctx: Context, query: Callable[[Session], T]) -> T:
    """Read commands open the database read-only and never migrate it."""
    from monitor.store import migrate
    from monitor.store.engine import make_session_factory

    engine = readonly_engine(ctx.settings().database.url)
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
