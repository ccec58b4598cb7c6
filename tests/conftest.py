"""Shared fixtures: real databases (SQLite files; PostgreSQL when configured)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text

from monitor.store.engine import make_engine
from monitor.store.migrate import upgrade
from monitor.store.tables import Base
from tests.support.apps import close_open_apps
from tests.support.dashboard import play_demo

POSTGRES_URL = os.environ.get("MONITOR_TEST_DATABASE_URL", "")

# In CI the property tests draw the same examples every run: a submission's result does not
# depend on the draw (developers' runs keep exploring new examples).
hypothesis_settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")
FIXTURES = Path(__file__).parent / "fixtures"


def reset_postgres(url: str) -> None:
    """An empty database for each test: drop what earlier tests (or runs) left behind."""
    engine = make_engine(url)
    with engine.begin() as connection:
        Base.metadata.drop_all(connection)
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not POSTGRES_URL, reason="MONITOR_TEST_DATABASE_URL is not set (PostgreSQL)"
                ),
            ],
        ),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'monitor.db'}"
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _close_apps() -> Iterator[None]:
    """Engines and HTTP pools of apps a test built are released, whatever the test did."""
    yield
    close_open_apps()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database filled by the demo's story (read by the dashboard tests only)."""
    return play_demo(tmp_path_factory.mktemp("demo"))
