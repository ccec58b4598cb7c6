"""Runs ``cqc-monitor`` in this process, then writes every module it imported as JSON.

    python -m tests.support.import_probe OUT.json --config PATH status

For the start-up tests: what a command loads is what ``sys.modules`` holds once it is done.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(output: str, argv: list[str]) -> None:
    from monitor.cli.main import main as cqc_monitor

    try:
        cqc_monitor(argv)
    except SystemExit as exc:
        code = exc.code
    else:
        code = 0
    Path(output).write_text(json.dumps({"exit": code, "modules": sorted(sys.modules)}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
