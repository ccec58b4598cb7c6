"""`cqc-monitor run` replicas as real processes: start, read their JSON log lines, stop."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.cli import clean_environment
from tests.support.waiting import wait_for


@dataclass
class Replica:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def owner(self) -> str:
        """The owner name the replica writes into cycle rows and leases."""
        return f"{socket.gethostname()}:{self.process.pid}"

    def lines(self) -> list[dict[str, Any]]:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == name]

    def logged(self, name: str, timeout: float = 60.0) -> dict[str, Any]:
        return wait_for(lambda: next(iter(self.events(name)), None), timeout, f"log {name}")

    def signal(self, number: signal.Signals) -> None:
        self.process.send_signal(number)

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM, and the exit status (killed if it does not end within ``timeout``)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


def start_replica(config: Path, log: Path, *args: str) -> Replica:
    with log.open("wb") as stream:
        process = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run", *args],
            stdout=subprocess.DEVNULL,
            stderr=stream,
            env=clean_environment(),
        )
    return Replica(process, log)
