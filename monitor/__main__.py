"""``python -m monitor`` is ``cqc-monitor``."""

from monitor.cli.main import console

console()
