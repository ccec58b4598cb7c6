"""Which rate limit a process gets: on PostgreSQL the deployment's buckets, one per source; on
SQLite (one worker) its own, and nothing about it in the database."""

from __future__ import annotations

from sqlalchemy import select

from monitor.sim import Population, SimulatedCqc
from monitor.store.tables import RateBucket
from tests.support import documents as docs
from tests.support.apps import app_for, settings_for


def test_api_and_website_requests_are_paced_by_the_deployments_buckets_on_postgresql(
    database_url: str,
) -> None:
    simulator = SimulatedCqc(Population.from_documents(docs.all_real().values()), web_pages=True)
    with simulator.serve() as server:
        settings = settings_for(
            database_url,
            sources={
                "cqc_api": {
                    "base_url": server.base_url,
                    "subscription_key": "sim-key",
                    "requests_per_second": 50,
                },
                "cqc_web": {
                    "enabled": True,
                    "base_url": server.web_base_url,
                    "requests_per_second": 50,
                },
            },
            watch={"locations": [docs.HENLEY, docs.LUCERNE]},
        )
        app = app_for(settings)
        report = app.review().run("full")

    assert report.baselines == 2
    with app.sessions() as session:
        buckets = set(session.scalars(select(RateBucket.name)))
    postgres = database_url.startswith("postgresql")
    assert buckets == ({"api", "web"} if postgres else set())
