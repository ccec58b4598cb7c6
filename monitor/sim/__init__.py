"""A simulated CQC Syndication API (and website page) for tests, the benchmark and the demo.

    sim = SimulatedCqc(Population.generate(500), web_pages=True)
    with sim.serve() as server:            # server.base_url ends in /public/v1
        sim.set_rating("1-10000302982", "Overall", "Inadequate", report_date="2025-11-03")
        sim.faults.status(429, retry_after=2)

Same paths, paging envelope, change feed and auth header as the real API; fault injection
(latency, status codes with Retry-After, hangs, malformed JSON, 404, endless paging);
scripted timelines; ``sim.requests.start()`` records when each request arrives.
``python -m monitor.sim --help`` runs it in the foreground.
"""

from monitor.sim.faults import Faults
from monitor.sim.population import Population
from monitor.sim.script import ManualClock, Step, Timeline
from monitor.sim.server import RunningServer
from monitor.sim.simulator import SimulatedCqc
from monitor.sim.story import demo_story
from monitor.sim.wire import Arrival, RequestLog, Response, Stats

__all__ = [
    "Arrival",
    "Faults",
    "ManualClock",
    "Population",
    "RequestLog",
    "Response",
    "RunningServer",
    "SimulatedCqc",
    "Stats",
    "Step",
    "Timeline",
    "demo_story",
]
