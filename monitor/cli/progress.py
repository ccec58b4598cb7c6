"""``check``'s live progress bar on a terminal (rich); the worker's progress is in its logs."""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from monitor.runtime.progress import figures


class BarProgress:
    """done / total, rate, elapsed time, the time remaining (ETA) and errors so far, redrawn
    on stderr while a cycle runs. The total is what the listings said, never the count done."""

    def __init__(self, stream: IO[str]) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}/s"),
            TimeElapsedColumn(),
            TextColumn("ETA {task.fields[eta]}"),
            TextColumn("{task.fields[errors]} errors"),
            console=Console(file=stream),
            transient=True,  # the summary line replaces it
        )
        self._task: TaskID | None = None
        self._kind = ""

    def started(self, kind: str, total: int | None) -> None:
        self._bar.start()
        self._kind = kind
        self._task = self._bar.add_task(f"{kind} cycle", total=total, rate="-", eta="-", errors=0)

    def expect(self, total: int) -> None:
        if self._task is not None:
            self._bar.update(self._task, total=total)

    def advanced(self, done: int, errors: int) -> None:
        if self._task is None:
            return
        task = self._bar.tasks[0]
        total = None if task.total is None else int(max(task.total, done))
        now = figures(self._kind, done, total, errors, task.elapsed or 0.0)
        rate = f"{now['rate']:.1f}" if now["rate"] is not None else "-"
        eta = _clock(now["eta_s"]) if now["eta_s"] is not None else "-"
        self._bar.update(self._task, completed=done, total=total, rate=rate, eta=eta, errors=errors)

    def finished(self) -> None:
        self._bar.stop()
        self._task = None


def _clock(seconds: float) -> str:
    """Time remaining as h:mm:ss."""
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
