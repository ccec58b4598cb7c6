"""``python -m monitor.sim``: serve a simulated CQC API in the foreground until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import threading
import time
from types import FrameType

from monitor.sim import Population, SimulatedCqc, demo_story


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m monitor.sim", description=__doc__)
    parser.add_argument("--size", type=int, default=500, help="number of locations (500)")
    parser.add_argument("--seed", type=int, default=0, help="population seed (0)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port (8080)")
    parser.add_argument("--key", default="sim-key", help="subscription key to accept")
    parser.add_argument("--web", action="store_true", help="serve /location/{id}/reports too")
    parser.add_argument(
        "--prerender", action="store_true", help="render every API body before serving"
    )
    parser.add_argument(
        "--story",
        type=float,
        metavar="SECONDS",
        help="play the demo story on the first location, one step every SECONDS",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    population = Population.generate(args.size, seed=args.seed)
    if args.prerender:
        population.prerender()
    sim = SimulatedCqc(population, subscription_key=args.key, web_pages=args.web)
    if args.story and len(population):
        sim.schedule(demo_story(population.ids()[0], every=args.story))
    stop = threading.Event()

    def on_signal(number: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with sim.serve(args.host, args.port) as server:
        print(f"base_url {server.base_url}", flush=True)
        print(f"web_base_url {server.web_base_url}", flush=True)
        print(f"subscription_key {args.key}", flush=True)
        started = time.monotonic()
        while not stop.wait(0.2):
            for step in sim.timeline.run_due(time.monotonic() - started):
                print(f"story step: {step.name}", flush=True)


if __name__ == "__main__":
    main()
