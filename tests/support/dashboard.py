"""The dashboard served on loopback over a real database, for HTTP and browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import requests

from monitor.demo.command import DATABASE_FILE, run_demo
from monitor.web.config import DashboardConfig
from monitor.web.serve import DashboardServer, open_dashboard

# When the demo's story ends: now, as when a user runs it, but one moment for the whole run so
# that tests can tell the dates the story gives what CQC publishes.
DEMO_END = datetime.now(UTC).replace(second=0, microsecond=0)


def play_demo(folder: Path) -> str:
    """The demo's whole story played into ``folder``, ending at ``DEMO_END``; the URL of the
    database it leaves."""
    folder.mkdir(parents=True, exist_ok=True)
    run_demo(folder, pause=0.0, echo=lambda _line: None, now=DEMO_END)
    return f"sqlite:///{folder / DATABASE_FILE}"


@contextmanager
def serving(database_url: str, config: DashboardConfig | None = None) -> Iterator[str]:
    """The dashboard on an ephemeral loopback port; yields its base URL."""
    dashboard = open_dashboard(database_url, config)
    server = DashboardServer("127.0.0.1", 0, dashboard).start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()
        dashboard.close()


def client() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # loopback: no proxy from the environment
    return session
