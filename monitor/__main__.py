"""``python -m monitor`` is ``cqc-monitor``."""

from monitor.cli import main

main()
