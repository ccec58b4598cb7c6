"""cqc-monitor: watches the Care Quality Commission register and alerts on changes."""

__version__ = "0.1.0"
