"""A cycle's progress as the worker shows it: ``cycle_progress`` log lines and gauges."""

from __future__ import annotations

from datetime import UTC, datetime

from structlog.testing import capture_logs

from monitor.runtime.metrics import Metrics
from monitor.runtime.progress import LoggedProgress
from monitor.store import runstate
from monitor.store.figures import Figures, read_figures
from tests.fakes import FakeCqc
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for

WATCHED = [docs.HENLEY, docs.LUCERNE, docs.ALLIED]


class Scraping(LoggedProgress):
    """Scrapes the metrics after each batch, as Prometheus would while the cycle runs."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(0, metrics)
        self.metrics = metrics
        self.scrapes: list[str] = []

    def advanced(self, done: int, errors: int) -> None:
        super().advanced(done, errors)
        self.scrapes.append(self.metrics.render().decode())


def test_progress_gauge_counts_while_the_cycle_runs_and_goes_after(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    cqc.errors[docs.ALLIED] = "HTTP 503"
    app = app_for(settings_for(database_url, watch={"locations": WATCHED}), api=cqc)
    metrics = Metrics()
    progress = Scraping(metrics)

    with capture_logs() as logs:
        app.review(progress=progress).run("full")

    during = progress.scrapes[-1].splitlines()
    assert 'cqc_monitor_cycle_progress{count="done",kind="full"} 3.0' in during
    assert 'cqc_monitor_cycle_progress{count="total",kind="full"} 3.0' in during
    assert "cqc_monitor_cycle_progress{" not in metrics.render().decode()
    (line,) = [entry for entry in logs if entry["event"] == "cycle_progress"]
    assert (line["kind"], line["done"], line["total"], line["errors"]) == ("full", 3, 3, 1)
    assert line["eta_s"] == 0 and line["rate"] > 0


def test_no_progress_line_before_progress_seconds_have_passed(database_url: str) -> None:
    app = app_for(
        settings_for(database_url, watch={"locations": WATCHED}), api=FakeCqc(docs.all_real())
    )
    with capture_logs() as logs:
        app.review(progress=LoggedProgress(3600)).run("full")
    assert not [entry for entry in logs if entry["event"] == "cycle_progress"]


def test_a_polls_total_is_the_feeds_candidates_that_joined(database_url: str) -> None:
    cqc = FakeCqc(docs.all_real())
    app = app_for(settings_for(database_url, watch={"locations": WATCHED}), api=cqc)
    app.review().run("full")
    cqc.changed = [docs.HENLEY, docs.LUCERNE]
    with capture_logs() as logs:
        app.review(progress=LoggedProgress(0)).run("incremental", only=None)
    (line,) = [entry for entry in logs if entry["event"] == "cycle_progress"]
    assert (line["done"], line["total"], line["eta_s"]) == (2, 2, 0)


def test_next_run_of_each_schedule_is_exported(database_url: str) -> None:
    app = app_for(settings_for(database_url))
    moment = datetime(2027, 1, 1, 6, tzinfo=UTC)
    with app.sessions.begin() as session:
        runstate.save_job(session, "review", next_run_at=moment)

    def figures() -> Figures:
        with app.sessions() as session:
            return read_figures(session)

    text = Metrics(figures).render().decode().splitlines()
    (line,) = [line for line in text if line.startswith("cqc_monitor_next_run_timestamp_seconds{")]
    name, value = line.split(" ")
    assert name == 'cqc_monitor_next_run_timestamp_seconds{schedule="review"}'
    assert float(value) == moment.timestamp()
