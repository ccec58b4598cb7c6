"""/healthz, /readyz and /metrics over real HTTP on 127.0.0.1 (an ephemeral port)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import Engine
from structlog.testing import capture_logs

from monitor.runtime.health import DatabaseProbe, HealthServer, Heartbeat
from monitor.runtime.metrics import Metrics
from monitor.store.engine import make_engine, make_session_factory
from monitor.store.figures import Figures, read_figures
from monitor.store.migrate import upgrade
from tests.fakes import FakeCqc, RecordingSink
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for


class Ticks:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    servers: list[HealthServer] = []

    def start(
        alive: Any = None, ready: Any = None, metrics: Callable[[], bytes] | None = None
    ) -> str:
        server = HealthServer(
            "127.0.0.1",
            0,
            alive=alive or Heartbeat().probe,
            ready=ready or (lambda: (True, {"status": "ready"})),
            metrics=metrics or Metrics().render,
        ).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        server.stop()


def get(url: str) -> requests.Response:
    return requests.get(url, timeout=10)


def test_healthz_answers_while_the_loop_beats_and_fails_when_it_stalls(
    serve: Callable[..., str],
) -> None:
    ticks = Ticks()
    heartbeat = Heartbeat(stale_after=30, clock=ticks)
    base = serve(alive=heartbeat.probe)

    ticks.value += 20
    ok = get(base + "/healthz")
    assert ok.status_code == 200
    assert ok.json() == {"status": "ok", "last_beat_seconds_ago": 20.0}

    ticks.value += 20
    stalled = get(base + "/healthz")
    assert stalled.status_code == 503
    assert stalled.json()["status"] == "stalled"

    heartbeat.beat()
    assert get(base + "/healthz").status_code == 200


def test_readyz_is_ready_on_a_migrated_database(serve: Callable[..., str], engine: Engine) -> None:
    response = get(serve(ready=DatabaseProbe(engine).probe) + "/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_readyz_fails_before_migrations_and_names_the_fix(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        response = get(serve(ready=DatabaseProbe(engine).probe) + "/readyz")
    finally:
        engine.dispose()
    assert response.status_code == 503
    assert "db upgrade" in response.json()["reason"]


def test_readyz_fails_when_the_sqlite_folder_is_gone(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    engine = make_engine(f"sqlite:///{folder / 'monitor.db'}")
    shutil.rmtree(folder)
    try:
        response = get(serve(ready=DatabaseProbe(engine).probe) + "/readyz")
    finally:
        engine.dispose()
    assert response.status_code == 503
    assert response.json()["reason"].startswith("database unreachable")


def delete(database: Path) -> None:
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        path.unlink(missing_ok=True)


def replace_with_a_copy(database: Path) -> None:
    copy = database.with_name("copy.db")
    shutil.copyfile(database, copy)
    delete(database)
    copy.rename(database)


@pytest.mark.parametrize(
    ("change", "said"),
    [(delete, "was deleted"), (replace_with_a_copy, "was replaced")],
    ids=["deleted", "replaced"],
)
def test_readyz_fails_when_the_sqlite_file_in_use_is_deleted_or_replaced(
    serve: Callable[..., str], tmp_path: Path, change: Callable[[Path], None], said: str
) -> None:
    database = tmp_path / "monitor.db"
    engine = make_engine(f"sqlite:///{database}")
    try:
        upgrade(engine)
        base = serve(ready=DatabaseProbe(engine).probe)
        assert get(base + "/readyz").status_code == 200
        change(database)
        response = get(base + "/readyz")
    finally:
        engine.dispose()
    assert response.status_code == 503
    assert said in response.json()["reason"] and str(database) in response.json()["reason"]


def test_readyz_fails_when_postgresql_is_unreachable(serve: Callable[..., str]) -> None:
    engine = make_engine("postgresql+psycopg://monitor:secret@127.0.0.1:1/monitor")
    try:
        response = get(serve(ready=DatabaseProbe(engine).probe) + "/readyz")
    finally:
        engine.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["reason"].startswith("database unreachable")
    assert "secret" not in response.text


def test_metrics_count_cycles_fetches_events_and_deliveries(
    serve: Callable[..., str], database_url: str
) -> None:
    cqc = FakeCqc(docs.all_real())
    settings = settings_for(
        database_url,
        watch={"locations": [docs.HENLEY, docs.LUCERNE, docs.ALLIED, "1-999000111"]},
        sinks=[{"name": "hook", "type": "console"}],
    )
    cqc.errors[docs.ALLIED] = "HTTP 503"
    app = app_for(settings, api=cqc, sinks={"hook": RecordingSink("hook", ["fail"])})
    try:
        sessions = make_session_factory(app.engine)

        def figures() -> Figures:
            with sessions() as session:
                return read_figures(session)

        metrics = Metrics(figures)
        base = serve(metrics=metrics.render)
        for _ in range(2):
            report = app.review().run("full")
            metrics.cycle_finished(report.kind, "completed", 2.5, report)
            cqc.documents[docs.HENLEY] = docs.set_key_question(
                docs.real(docs.HENLEY), "Safe", "Inadequate"
            )
        app.dispatcher(on_outcome=metrics.delivery_outcome).deliver_due()
        # Added to the watchlist after the last cycle: known, not yet baselined.
        app.settings.watch.locations.append("1-777000222")
        app.review().register_configured()
        response = get(base + "/metrics")
    finally:
        app.close()

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    lines = set(response.text.splitlines())
    assert 'cqc_monitor_cycles_total{kind="full",status="completed"} 2.0' in lines
    assert 'cqc_monitor_fetches_total{outcome="baseline"} 2.0' in lines
    assert 'cqc_monitor_fetches_total{outcome="changed"} 1.0' in lines
    assert 'cqc_monitor_events_total{type="rating_changed"} 1.0' in lines
    assert 'cqc_monitor_deliveries_total{outcome="failed",sink="hook"} 1.0' in lines
    assert "cqc_monitor_deliveries_pending 1.0" in lines
    assert "cqc_monitor_deliveries_dead 0.0" in lines
    assert 'cqc_monitor_locations{state="active"} 2.0' in lines
    assert 'cqc_monitor_locations{state="failing"} 1.0' in lines
    assert 'cqc_monitor_locations{state="gone"} 0.0' in lines
    assert 'cqc_monitor_locations{state="unknown"} 1.0' in lines  # 1-999000111 answers 404
    assert 'cqc_monitor_locations{state="unbaselined"} 1.0' in lines
    assert 'cqc_monitor_providers{state="active"} 0.0' in lines  # no [watch] providers
    assert 'cqc_monitor_cycle_duration_seconds_count{kind="full"} 2.0' in lines
    assert any(line.startswith("cqc_monitor_data_freshness_seconds ") for line in lines)
    assert any(
        line.startswith('cqc_monitor_last_successful_cycle_timestamp_seconds{kind="full"} ')
        for line in lines
    )


def test_metrics_still_answer_when_the_database_is_down(
    serve: Callable[..., str], tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    engine = make_engine(f"sqlite:///{folder / 'monitor.db'}")
    shutil.rmtree(folder)
    sessions = make_session_factory(engine)

    def figures() -> Figures:
        with sessions() as session:
            return read_figures(session)

    metrics = Metrics(figures)
    metrics.delivery_outcome("hook", "sent")
    try:
        response = get(serve(metrics=metrics.render) + "/metrics")
    finally:
        engine.dispose()
    assert response.status_code == 200
    assert 'cqc_monitor_deliveries_total{outcome="sent",sink="hook"} 1.0' in response.text
    assert "cqc_monitor_deliveries_pending " not in response.text


def test_unknown_paths_are_not_found(serve: Callable[..., str]) -> None:
    assert get(serve() + "/nope").status_code == 404


def test_a_request_that_fails_is_logged_as_one_record_not_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(_request: Any) -> None:
        raise RuntimeError("the delegate broke")

    server = HealthServer(
        "127.0.0.1",
        0,
        alive=Heartbeat().probe,
        ready=lambda: (True, {}),
        metrics=Metrics().render,
        other=broken,
    ).start()
    try:
        with capture_logs() as logs:
            with pytest.raises(requests.ConnectionError):
                get(f"http://127.0.0.1:{server.port}/dashboard")
            # The server still answers, and said what happened in the log.
            assert get(f"http://127.0.0.1:{server.port}/healthz").status_code == 200
    finally:
        server.stop()
    failed = [entry for entry in logs if entry["event"] == "request_failed"]
    assert len(failed) == 1 and failed[0]["log_level"] == "error" and failed[0]["exc_info"]
    assert "Traceback" not in capsys.readouterr().err
