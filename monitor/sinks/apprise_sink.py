"""Apprise sink: Slack, Teams, Discord, Telegram, PagerDuty and 100+ more, by URL.

``apprise`` is an optional dependency (``cqc-monitor[apprise]``), imported only when such a
sink is built. Its URLs embed tokens, so they are secrets: never logged, never in errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import structlog
from pydantic import Field, SecretStr

from monitor.domain.events import severity_rank
from monitor.errors import ConfigError
from monitor.sinks.base import Alert, SendOutcome, SinkConfig
from monitor.sinks.text import subject, text_body

log = structlog.get_logger(__name__)

_NOTIFY_TYPES = {"info": "info", "warning": "warning", "critical": "failure"}


class AppriseConfig(SinkConfig):
    type: Literal["apprise"] = "apprise"
    urls: list[SecretStr] = Field(min_length=1)


def _import_apprise() -> Any:
    try:
        import apprise
    except ImportError:
        raise ConfigError(
            "type", "the apprise sink needs the apprise package: pip install 'cqc-monitor[apprise]'"
        ) from None
    return apprise


class AppriseSink:
    """Sends the whole batch as one notification: title like an email subject, text body."""

    Config: ClassVar[type[SinkConfig]] = AppriseConfig

    def __init__(self, config: AppriseConfig) -> None:
        self.name = config.name
        self.config = config
        self._apprise = self._build(_import_apprise(), config)

    @staticmethod
    def _build(apprise: Any, config: AppriseConfig) -> Any:
        notifier = apprise.Apprise(asset=apprise.AppriseAsset(app_id="cqc-monitor"))
        for index, url in enumerate(config.urls):
            if not notifier.add(url.get_secret_value()):
                raise ConfigError(f"urls[{index}]", "not a URL that Apprise understands")
        for service in notifier:
            # Each service keeps its own socket timeouts; make them the sink's.
            service.socket_connect_timeout = config.timeout_seconds
            service.socket_read_timeout = config.timeout_seconds
        return notifier

    def send(self, alerts: Sequence[Alert]) -> list[SendOutcome]:
        if not alerts:
            return []
        events = [alert.event for alert in alerts]
        worst = max((event.severity for event in events), key=severity_rank)
        try:
            delivered = bool(
                self._apprise.notify(
                    title=subject(events),
                    body=text_body(events),
                    notify_type=_NOTIFY_TYPES.get(worst, "info"),
                    body_format="text",
                )
            )
            error = None if delivered else "apprise reported a failed notification"
        except Exception as exc:  # a sink never raises: every failure becomes an outcome
            delivered, error = False, f"apprise raised {type(exc).__name__}"
        if delivered:
            log.info("apprise.sent", sink=self.name, alerts=len(alerts))
        else:
            log.warning("apprise.failed", sink=self.name, error=error)
        return [SendOutcome(alert.delivery_id, ok=delivered, error=error) for alert in alerts]
