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
    TimeRemainingColumn,
)


class BarProgress:
    """done / total, rate, ETA and errors so far, redrawn on stderr while a cycle runs."""

    def __init__(self, stream: IO[str]) -> None:
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}/s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[errors]} errors"),
            console=Console(file=stream),
            transient=True,  # the summary line replaces it
        )
        self._task: TaskID | None = None

    def started(self, kind: str, total: int | None) -> None:
        self._bar.start()
        self._task = self._bar.add_task(f"{kind} cycle", total=total, rate="-", errors=0)

    def advanced(self, done: int, errors: int) -> None:
        if self._task is None:
            return
        task = self._bar.tasks[0]
        total = task.total if task.total is None else max(task.total, done)
        elapsed = task.elapsed or 0.0
        rate = f"{done / elapsed:.1f}" if elapsed > 0 else "-"
        self._bar.update(self._task, completed=done, total=total, rate=rate, errors=errors)

    def finished(self) -> None:
        self._bar.stop()
        self._task = None
