"""``python -m monitor.sim``: serve a simulated CQC API in the foreground until Ctrl-C/SIGTERM."""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from datetime import date
from types import FrameType

from monitor.sim import Population, SimulatedCqc, Step, demo_story


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
    shape = parser.add_argument_group(
        "a change of CQC's document shape, for the shape watch (SPEC 2.1.3)"
    )
    shape.add_argument(
        "--add-key",
        action="append",
        default=[],
        metavar="PATH=JSON",
        help="add a key to every location document, e.g. currentRatings.overall.scoreBand='\"B\"'",
    )
    shape.add_argument(
        "--drop-key", action="append", default=[], metavar="PATH", help="drop a key from them"
    )
    shape.add_argument(
        "--new-label",
        metavar="LABEL",
        help="publish a rating label never used before (e.g. Exceptional) on the first location",
    )
    shape.add_argument(
        "--shape-after",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="when the change of shape happens, after the start (60)",
    )
    return parser.parse_args(argv)


def _shape_change(args: argparse.Namespace, first: str) -> Step[SimulatedCqc] | None:
    """The change of shape the options ask for, as one step of the timeline."""
    if not (args.add_key or args.drop_key or args.new_label):
        return None
    added = dict(_key_value(item) for item in args.add_key)

    def change(sim: SimulatedCqc) -> None:
        sim.reshape(add=added, drop=args.drop_key, feed=True)
        if args.new_label:
            sim.introduce_label(first, args.new_label, published=date.today())

    return Step("change of shape", change, args.shape_after)


def _key_value(item: str) -> tuple[str, object]:
    path, separator, value = item.partition("=")
    if not separator:
        raise SystemExit(f"--add-key {item!r}: expected PATH=JSON")
    try:
        return path, json.loads(value)
    except ValueError:
        return path, value  # a bare word is a text value


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    population = Population.generate(args.size, seed=args.seed)
    if args.prerender:
        population.prerender()
    sim = SimulatedCqc(population, subscription_key=args.key, web_pages=args.web)
    steps = demo_story(population.ids()[0], every=args.story) if args.story else []
    shape = _shape_change(args, population.ids()[0]) if len(population) else None
    steps += [shape] if shape else []
    sim.schedule(sorted(steps, key=lambda step: step.at or 0.0))
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
