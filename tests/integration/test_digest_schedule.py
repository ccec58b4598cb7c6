"""``run``'s digest windows: a job per digest sink at its window, the next window recorded
for ``status`` and ``/metrics``, held deliveries following a schedule that moved, and one
catch-up digest at start-up for the windows missed while no worker ran."""

from __future__ import annotations

import threading
from datetime import timedelta

from monitor.runtime.jobs import Jobs
from monitor.runtime.metrics import Metrics
from monitor.runtime.schedule import Schedule
from monitor.runtime.slots import cycle_triggers
from monitor.store import runstate
from monitor.store.figures import read_figures
from tests.support import documents as docs
from tests.support.digests import WINDOW, World, deliveries, hook_sink
from tests.support.webhook_receiver import WebhookReceiver


def scheduled(world: World, **overrides: object) -> tuple[Jobs, Schedule]:
    app = world.process(**overrides)
    jobs = Jobs(app, cycle_triggers(app.settings.schedule), Metrics(), threading.Event())
    schedule = Schedule(
        jobs, timezone=app.settings.schedule.timezone, deliver_every=60, heartbeat=lambda: None
    )
    return jobs, schedule


def test_a_job_per_digest_sink_sends_at_its_window_and_records_the_next(
    database_url: str,
) -> None:
    with WebhookReceiver() as hook:
        world = World(database_url, [hook_sink(hook), {"name": "out", "type": "console"}])
        jobs, schedule = scheduled(world)
        jobs_by_id = {job.id for job in schedule.scheduler.get_jobs()}
        assert {"changes", "review", "deliver", "digest:hook"} <= jobs_by_id
        assert [job for job in jobs_by_id if job.startswith("digest:")] == ["digest:hook"]
        world.baseline(jobs.app)
        world.new_reports(jobs.app, docs.HENLEY, docs.ALLIED)
        schedule.catch_up()
        with jobs.app.sessions() as session:
            assert runstate.load_jobs(session)["digest:hook"].next_run_at == WINDOW
            figures = read_figures(session, sinks=jobs.app.sinks)
        assert figures.next_runs["digest:hook"] == WINDOW
        assert figures.deliveries_held == {"hook": 2, "out": 0}
        scraped = Metrics(lambda: figures).render().decode().splitlines()
        assert 'cqc_monitor_deliveries_held{sink="hook"} 2.0' in scraped
        assert 'cqc_monitor_deliveries_held{sink="out"} 0.0' in scraped
        (window,) = [line for line in scraped if line.startswith("cqc_monitor_digest_window_")]
        assert window.startswith('cqc_monitor_digest_window_timestamp_seconds{sink="hook"} ')
        assert float(window.split()[-1]) == WINDOW.timestamp()
        assert not any('digest_window_timestamp_seconds{sink="out"}' in line for line in scraped)

        world.clock.moment = WINDOW
        jobs.digest("hook")
        assert jobs.in_flight.wait_idle(30)

        (request,) = hook.wait_for(1)
        assert request.json()["type"] == "digest"
        with jobs.app.sessions() as session:
            record = runstate.load_jobs(session)["digest:hook"]
        assert record.last_status == "completed"
        assert record.next_run_at == WINDOW + timedelta(days=7)


def test_start_up_follows_a_moved_schedule_and_catches_up_once(database_url: str) -> None:
    with WebhookReceiver() as hook:
        world = World(database_url, [hook_sink(hook)])
        app = world.process()
        world.baseline(app)
        first = world.new_reports(app, docs.HENLEY)
        world.clock.advance(days=8)  # the Monday window passed with no worker up
        later = world.new_reports(app, docs.ALLIED)  # waits for the Monday after
        world.clock.advance(hours=1)

        # Restarted with a daily digest at 09:00: the later one waits for that instead.
        jobs, schedule = scheduled(world, sinks=[hook_sink(hook, digest="0 9 * * *")])
        schedule.catch_up()
        nine = world.clock.now().replace(hour=9, minute=0)
        assert nine > world.clock.now()
        assert [when for _, _, when in deliveries(jobs.app)] == [WINDOW, nine]

        jobs.deliver()  # the first round at start-up: the catch-up
        assert jobs.in_flight.wait_idle(30)
        (request,) = hook.wait_for(1)
        assert [event["id"] for event in request.json()["data"]["events"]] == first
        assert [status for _, status, _ in deliveries(jobs.app)] == ["sent", "held"]
        assert later  # it goes with the 09:00 digest


def test_a_sink_that_loses_its_digest_loses_its_window(database_url: str) -> None:
    with WebhookReceiver() as hook:
        world = World(database_url, [hook_sink(hook)])
        jobs, schedule = scheduled(world)
        schedule.catch_up()
        plain = {key: value for key, value in hook_sink(hook).items() if key != "digest"}
        jobs, schedule = scheduled(world, sinks=[plain])
        schedule.catch_up()
        with jobs.app.sessions() as session:
            assert "digest:hook" not in runstate.load_jobs(session)
