"""Each sink's digest windows (SPEC §6): which routed events wait, and for which window.

A sink with ``digest = "<cron>"`` sends events at or above ``immediate_min_severity`` at
once; the others are held until the next fire of its crontab string, in ``[schedule]
timezone``. The triggers are built when first asked, so a deployment without digests never
loads the scheduler library for them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from monitor.cron import build_trigger, latest_slot, next_slot
from monitor.domain.events import SEVERITIES, Event, severity_rank
from monitor.sinks.base import SinkConfig
from monitor.store.outbox import Route

if TYPE_CHECKING:
    from apscheduler.triggers.base import BaseTrigger

_TICK = timedelta(microseconds=1)


class DigestWindows:
    def __init__(self, configs: Sequence[SinkConfig], timezone: str) -> None:
        self.configs = {config.name: config for config in configs if config.digest is not None}
        self.timezone = timezone
        self._triggers: dict[str, BaseTrigger] = {}
        self._lock = threading.Lock()

    def sinks(self) -> list[str]:
        """The sinks with a digest, in configuration order."""
        return list(self.configs)

    def has_digest(self, sink: str) -> bool:
        return sink in self.configs

    def trigger(self, sink: str) -> BaseTrigger:
        with self._lock:
            if sink not in self._triggers:
                digest = self.configs[sink].digest
                assert digest is not None
                self._triggers[sink] = build_trigger(digest, ZoneInfo(self.timezone))
            return self._triggers[sink]

    def next_window(self, sink: str, now: datetime) -> datetime | None:
        """The sink's next window after ``now``; None for a schedule that never fires again."""
        return next_slot(self.trigger(sink), now)

    def latest_window(self, sink: str, now: datetime) -> datetime | None:
        """The window a digest closed at ``now`` belongs to: the latest fire time by then."""
        return latest_slot(self.trigger(sink), now)

    def window_before(self, sink: str, moment: datetime) -> datetime | None:
        """The schedule's fire before ``moment``: where a sink's first digest starts."""
        return latest_slot(self.trigger(sink), moment - _TICK)

    def held_severities(self, sink: str) -> tuple[str, ...]:
        """The severities the sink holds for its digest (none without a digest)."""
        config = self.configs.get(sink)
        if config is None:
            return ()
        limit = severity_rank(config.immediate_severity)
        return tuple(severity for severity in SEVERITIES if severity_rank(severity) < limit)

    def routes(self, event: Event, sinks: Sequence[str], now: datetime) -> list[Route]:
        """The event's way to each sink: held until the sink's next window when the sink
        holds it, else at once (also when the schedule never fires again: never held
        forever)."""
        return [Route(sink, self._held_until(sink, event, now)) for sink in sinks]

    def _held_until(self, sink: str, event: Event, now: datetime) -> datetime | None:
        config = self.configs.get(sink)
        if config is None or not config.holds(event):
            return None
        return self.next_window(sink, now)
