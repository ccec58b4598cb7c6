"""``cqc-monitor demo``: the real worker against the simulated CQC API, offline (SPEC §9).

Imported only when the demo runs: ``command`` (the click command), ``story`` (the chapters),
``delivery`` (the sinks and receiver that write the alerts to files).
"""
