"""The ``cqc-monitor`` command line: the only place errors become exit codes.

``main`` (main.py) is the entry point and the one list of commands; each command group has
a module of its own, and what it prints (tables, progress, reports) sits beside it.
"""
