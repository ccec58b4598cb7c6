"""Start-up of the command line: wall time and peak RSS of ``cqc-monitor`` commands, each run
in a fresh process, as a shell, cron or a container engine runs them.

    python -m bench.startup                  # 7 runs of each command, this tree
    python -m bench.startup --tree DIR       # the same commands, from another source tree

Each command runs ``--runs`` times after one untimed run (the database and the operating
system's file cache warmed, as they are for a worker's health checks and a cron job). The
one-location ``check`` runs against the simulated API in a process of its own, on a database
that has already seen the location: a steady check, the cost an operator pays every time.
``healthcheck`` asks a real health server in this process. Peak RSS is each process's own,
as ``/usr/bin/time`` reports it, the largest of its runs. The tree's modules are compiled to
bytecode first, as pip and the image install them: an editable install under
``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module on every start.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.measure import ROOT
from bench.simproc import SUBSCRIPTION_KEY, SimProcess

# (name, arguments after --config, exit statuses that mean it worked)
COMMANDS: tuple[tuple[str, tuple[str, ...], tuple[int, ...]], ...] = (
    ("--help", ("--help",), (0,)),
    ("healthcheck", ("healthcheck",), (0,)),
    ("config check", ("config", "check"), (0,)),
    ("status", ("status",), (0, 1)),  # 1: something needs attention (no worker has run)
    ("history", ("history", "{location}"), (0,)),
    ("check, one location", ("check", "--location", "{location}"), (0,)),
)
# The start-up targets: (command, most median seconds, most peak RSS MB or None).
TARGETS = (
    ("--help", 0.25, None),
    ("healthcheck", 0.15, 40.0),
    ("check, one location", 0.6, None),
)
_TIME = "/usr/bin/time"  # GNU time: the peak RSS of the process it runs
_SIZE = 20  # locations in the simulated register: enough to page, quick to render


def run(runs: int = 7, tree: Path | None = None) -> dict[str, Any]:
    """Every command of ``COMMANDS``, ``runs`` times each, from ``tree`` (default: this one)."""
    source = (tree or ROOT).resolve()
    compile_tree(source)
    with (
        tempfile.TemporaryDirectory(prefix="cqc-startup-") as folder,
        SimProcess(_SIZE) as sim,
        _health_server() as port,
    ):
        location = sim.ids[0]
        config = write_config(Path(folder), sim.base_url, server_port=port)
        results: dict[str, Any] = {"tree": str(source), "runs": runs, "commands": {}}
        # A first cycle: the schema and every location's baseline, for what reads them.
        run_timed(source, command(config, ["check"]), (0,))
        for name, arguments, ok in COMMANDS:
            argv = [a.format(location=location) for a in arguments]
            results["commands"][name] = _measure(source, config, argv, ok, runs)
    return results


def _measure(
    source: Path, config: Path, argv: Sequence[str], ok: tuple[int, ...], runs: int
) -> dict[str, Any]:
    """One untimed run, then ``runs`` timed ones: the median and best wall time, peak RSS."""
    full = command(config, argv)
    run_timed(source, full, ok)
    walls, peaks = [], []
    for _ in range(runs):
        wall, peak = run_timed(source, full, ok)
        walls.append(wall)
        peaks.append(peak)
    return {
        "argv": list(argv),
        "median_s": round(statistics.median(walls), 3),
        "best_s": round(min(walls), 3),
        "worst_s": round(max(walls), 3),
        "peak_rss_mb": round(max(peaks), 1),
    }


def compile_tree(source: Path) -> None:
    """The package's bytecode, as an installed package has it (pip compiles on install)."""
    if not compileall.compile_dir(source / "monitor", quiet=1):
        raise RuntimeError(f"could not compile {source / 'monitor'}")


def command(config: Path, argv: Sequence[str]) -> list[str]:
    """``cqc-monitor --config CONFIG ARGV...``, as this interpreter runs it."""
    return [sys.executable, "-m", "monitor", "--config", str(config), *argv]


def run_timed(source: Path, argv: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one process.

    The peak comes from ``/usr/bin/time``: a child forked from this process would inherit
    this process's high-water mark (Linux carries it across ``exec``), not report its own.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    env["PYTHONPATH"] = str(source)
    with tempfile.NamedTemporaryFile() as peak, tempfile.TemporaryFile() as errors:
        timed = [_TIME, "--format=%M", f"--output={peak.name}", *argv]
        started = time.perf_counter()
        done = subprocess.run(timed, cwd=source, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        wall = time.perf_counter() - started
        if done.returncode not in ok:
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"{' '.join(argv[3:])} exited {done.returncode}:\n{tail}")
        kilobytes = int(Path(peak.name).read_text(encoding="ascii").split()[-1])
    return wall, kilobytes / 1024


@contextmanager
def _health_server() -> Iterator[int]:
    """A worker's health endpoint, always healthy: what ``healthcheck`` asks."""
    from monitor.runtime.health import HealthServer

    def healthy() -> tuple[bool, dict[str, Any]]:
        return True, {"status": "ok"}

    server = HealthServer("127.0.0.1", 0, alive=healthy, ready=healthy, metrics=lambda: b"")
    server.start()
    try:
        yield server.port
    finally:
        server.stop()


def write_config(
    folder: Path, base_url: str, *, source_options: str = "", server_port: int | None = None
) -> Path:
    """An operator's configuration file for a benchmark: a SQLite database in ``folder``, the
    simulated API unpaced, the whole register watched, JSON logs at warning.
    ``source_options``: more lines of ``[sources.cqc_api]``; ``server_port``: a ``[server]``."""
    server = ""
    if server_port is not None:  # 0 too: a port the system chooses
        server = f'\n[server]\nhost = "127.0.0.1"\nport = {server_port}\n'
    config = folder / "monitor.toml"
    config.write_text(
        f"""
[database]
url = "sqlite:///{folder / "monitor.db"}"

[sources.cqc_api]
base_url = "{base_url}"
subscription_key = "{SUBSCRIPTION_KEY}"
requests_per_second = 0
{source_options}
[watch]
all = true
{server}
[logging]
format = "json"
level = "warning"
""",
        encoding="utf-8",
    )
    return config


def render(startup: dict[str, Any]) -> list[str]:
    lines = ["", f"Command-line start-up, a fresh process each ({startup['runs']} runs)"]
    lines.append(f"  {'command':<22}{'median s':>10}{'best s':>9}{'worst s':>9}{'peak MB':>9}")
    for name, figures in startup["commands"].items():
        lines.append(
            f"  {name:<22}{figures['median_s']:10.3f}{figures['best_s']:9.3f}"
            f"{figures['worst_s']:9.3f}{figures['peak_rss_mb']:9.1f}"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each command (7)")
    parser.add_argument("--tree", type=Path, help="the source tree to run (default: this one)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    from bench.report import startup_targets

    startup = run(args.runs, args.tree)
    startup["targets"] = startup_targets(startup)
    if args.json:
        args.json.write_text(json.dumps(startup, indent=2) + "\n", encoding="utf-8")
    print("\n".join(render(startup)).lstrip("\n"))
    for target in startup["targets"]:
        mark = "met   " if target["met"] else "MISSED"
        print(f"  [{mark}] {target['target']}: {target['measured']} {target['unit']}")


if __name__ == "__main__":
    main()
