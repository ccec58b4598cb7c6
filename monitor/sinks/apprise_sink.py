"""Apprise sink: Slack, Teams, Discord, Telegram, PagerDuty and 100+ more, by URL.

``apprise`` is an optional dependency (``cqc-monitor[apprise]``), imported only when such a
sink is built. Its URLs embed tokens, so they are secrets: never logged, never in errors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Literal

import structlog
from pydantic import Field, SecretStr

from monitor.domain.events import Event, severity_rank
from monitor.errors import ConfigError
from monitor.sinks.base import Alert, Digest, SendOutcome, SinkConfig
from monitor.sinks.digest_text import digest_body, digest_subject
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
    """Sends each batch as one notification per service: title like an email subject, text body.

    Services are notified one by one and the sink remembers which already have a delivery, so
    a retry after one service failed goes only to that service: chat messages have no id a
    receiver could use to drop a duplicate. (The memory lasts as long as the process.)
    """

    Config: ClassVar[type[SinkConfig]] = AppriseConfig

    def __init__(self, config: AppriseConfig) -> None:
        self.name = config.name
        self.config = config
        self._services = self._build(_import_apprise(), config)
        self._lock = threading.Lock()  # _done is also updated by notifications that end late
        self._done: list[set[Key]] = [set() for _ in self._services]  # per service
        self._running: list[Future[bool] | None] = [None for _ in self._services]

    @staticmethod
    def _build(apprise: Any, config: AppriseConfig) -> list[Any]:
        services = []
        for index, url in enumerate(config.urls):
            notifier = apprise.Apprise(asset=apprise.AppriseAsset(app_id="cqc-monitor"))
            if not notifier.add(url.get_secret_value()):
                raise ConfigError(f"urls[{index}]", "not a URL that Apprise understands")
            for service in notifier:
                # Each service keeps its own socket timeouts; make them the sink's.
                service.socket_connect_timeout = config.timeout_seconds
                service.socket_read_timeout = config.timeout_seconds
            services.append(notifier)
        return services

    def send(self, alerts: Sequence[Alert]) -> list[SendOutcome]:
        if not alerts:
            return []
        events = {("alert", alert.delivery_id): alert.event for alert in alerts}

        def compose(pending: Sequence[Key]) -> Note:
            batch = [events[key] for key in pending]
            return Note(subject(batch), text_body(batch), _worst(batch))

        error = self._notify_all(list(events), compose)
        return [SendOutcome(alert.delivery_id, ok=error is None, error=error) for alert in alerts]

    def send_digest(self, digest: Digest) -> SendOutcome:
        """The whole digest as one message per service."""
        cadence = self.config.cadence
        note = Note(
            digest_subject(digest, cadence),
            digest_body(digest, cadence),
            _worst(digest.events),
        )
        error = self._notify_all([("digest", digest.digest_id)], lambda _pending: note)
        return SendOutcome(digest.digest_id, ok=error is None, error=error)

    def _notify_all(self, keys: list[Key], compose: Callable[[Sequence[Key]], Note]) -> str | None:
        """Notify every service of what it has not had yet; the errors, or None."""
        errors = [self._notify(index, keys, compose) for index in range(len(self._services))]
        failures = [f"urls[{i}]: {error}" for i, error in enumerate(errors) if error]
        error = "; ".join(failures) or None
        if error is None:
            log.info("apprise.sent", sink=self.name, items=len(keys))
            with self._lock:
                for done in self._done:  # everyone has them: nothing more to remember
                    done.difference_update(keys)
        else:
            log.warning("apprise.failed", sink=self.name, error=error)
        return error

    def _notify(
        self, index: int, keys: list[Key], compose: Callable[[Sequence[Key]], Note]
    ) -> str | None:
        """Notify one service of what it has not had yet; the error, or None.

        Apprise has no overall deadline of its own, so the notification runs on a thread of
        its own and is given up on (not waited for) at the deadline: a retry comes later.
        """
        with self._lock:
            pending = [key for key in keys if key not in self._done[index]]
        if not pending:
            return None
        running = self._running[index]
        if running is not None and not running.done():
            return "the previous notification has not finished: not sending another"
        call = partial(self._call, index, pending, compose(pending))
        future = _start(call, f"apprise-{self.name}-{index}")
        self._running[index] = future
        try:
            delivered = future.result(timeout=self.config.deadline_seconds)
        except TimeoutError:
            return f"no complete answer within the {self.config.deadline_seconds:g}s deadline"
        except Exception as exc:  # a sink never raises: every failure becomes an outcome
            return f"apprise raised {type(exc).__name__}"
        return None if delivered else "apprise reported a failed notification"

    def _call(self, index: int, pending: Sequence[Key], note: Note) -> bool:
        """On the notification's own thread; remembers a success even after the deadline."""
        delivered = bool(
            self._services[index].notify(
                title=note.title,
                body=note.body,
                notify_type=_NOTIFY_TYPES.get(note.severity, "info"),
                body_format="text",
            )
        )
        if delivered:  # a retry must not send a chat message twice
            with self._lock:
                self._done[index].update(pending)
        return delivered


# What a service was told: an alert's delivery or a digest, by kind and id.
Key = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Note:
    title: str
    body: str
    severity: str  # the worst of what it carries


def _worst(events: Sequence[Event]) -> str:
    return max((event.severity for event in events), key=severity_rank)


def _start(call: Callable[[], bool], name: str) -> Future[bool]:
    """Run ``call`` on a daemon thread: one that never answers cannot keep the process up."""
    future: Future[bool] = Future()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(call())
        except Exception as exc:
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
