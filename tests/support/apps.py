"""Building a real application (real database) around fakes of the CQC source and sinks."""

from __future__ import annotations

from typing import Any

from monitor.bootstrap import App, build_app
from monitor.settings.model import Settings, settings_from_dict


def settings_for(database_url: str, **sections: Any) -> Settings:
    data: dict[str, Any] = {
        "database": {"url": database_url},
        "sources": {"cqc_api": {"subscription_key": "test-key", "base_url": "http://127.0.0.1:9"}},
        "watch": {"locations": []},
    }
    data.update(sections)
    return settings_from_dict(data)


def sim_api(base_url: str, **options: Any) -> dict[str, Any]:
    """``[sources.cqc_api]`` against a simulator at ``base_url``: its key, no rate limit."""
    return {
        "base_url": base_url,
        "subscription_key": "sim-key",
        "requests_per_second": 0,
        **options,
    }


def simulator_source(base_url: str, **options: Any) -> dict[str, Any]:
    """``[sources]`` for the simulated CQC API on loopback: its key, no rate limit."""
    return {"cqc_api": sim_api(base_url, **options)}


# Every app built for a test; conftest closes them after each test.
OPEN_APPS: list[App] = []


def app_for(settings: Settings, **overrides: Any) -> App:
    app = build_app(settings, **overrides)
    OPEN_APPS.append(app)
    app.prepare_database()
    return app


def close_open_apps() -> None:
    while OPEN_APPS:
        OPEN_APPS.pop().close()
