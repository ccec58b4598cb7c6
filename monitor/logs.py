"""structlog, configured once: JSON lines in containers, readable console on a terminal.

Standard-library loggers (SQLAlchemy, APScheduler, urllib3) are routed through the same
processors, any field that looks like a secret is masked before it is rendered, and the
configured secrets are masked wherever they appear in a line (an echoed key in an error).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from monitor.redaction import MASK, Redactor

_SECRET_WORDS = ("password", "secret", "token", "subscription_key", "authorization", "api_key")


def mask_secrets(_logger: Any, _name: str, event_dict: MutableMapping[str, Any]) -> Any:
    for key in list(event_dict):
        if any(word in key.lower() for word in _SECRET_WORDS):
            event_dict[key] = MASK
    return event_dict


def configure_logging(
    level: str = "info",
    fmt: str = "auto",
    stream: TextIO | None = None,
    redact: Redactor | None = None,
) -> None:
    stream = stream or sys.stderr
    json_lines = fmt == "json" or (fmt == "auto" and not stream.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        mask_secrets,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redacting(renderer, redact or Redactor()),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Library chatter stays out of the operator's way unless asked for.
    for noisy in ("urllib3", "sqlalchemy", "alembic", "apscheduler", "mail.log", "asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _redacting(renderer: Any, redact: Redactor) -> Any:
    """Secrets masked in every value (tracebacks included), then in the rendered line, where
    objects logged as they are have become text."""

    def render(logger: Any, name: str, event_dict: MutableMapping[str, Any]) -> Any:
        return redact(renderer(logger, name, redact.value(dict(event_dict))))

    return render
