"""The benchmark suite (``python -m bench``): the monitor against a simulated CQC API on loopback.

Sweeps (full and incremental review cycles), the floor client they are compared with, peak
memory, processing cost without HTTP and per-document micro-figures. See bench/RESULTS.md.
"""
