"""cqc-monitor: watches the Care Quality Commission register and alerts on changes.

Also what a command's start-up must not pay for, whatever the command: rich, loaded by
structlog, and the garbage collector's walks of what the imports made.
"""

from __future__ import annotations

import gc
import sys
from importlib.machinery import ModuleSpec, PathFinder
from types import ModuleType
from typing import Any

__version__ = "0.1.0"


class _StructlogWithoutRich:
    """Loads structlog with rich out of its sight.

    structlog's console renderer imports rich, when it is installed, to draw tracebacks; this
    project formats tracebacks itself (``format_exc_info``, so they can be redacted) and never
    asks for rich's. Loaded for nothing, rich and pygments cost every logging command about
    0.04 s and 4 MB of its start. rich stays importable: it is hidden only while structlog's
    own modules load, and the tables and the progress bar import it when they draw.
    """

    @classmethod
    def find_spec(cls, name: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if name != "structlog":
            return None
        if cls in sys.meta_path:
            sys.meta_path.remove(cls)  # once: structlog is loaded by this import
        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None or "rich" in sys.modules:
            return spec
        load = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            sys.modules["rich"] = None  # type: ignore[assignment]  # "not installed"
            try:
                load(module)
            finally:
                if sys.modules.get("rich", 0) is None:
                    del sys.modules["rich"]

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


if "structlog" not in sys.modules:
    sys.meta_path.insert(0, _StructlogWithoutRich)


_deferred: list[bool] = []  # whether collection was deferred, and not yet resumed


def defer_collection() -> None:
    """Pause Python's cyclic garbage collector until :func:`resume_collection`.

    A command's start-up makes a few hundred thousand objects that live as long as the
    process (modules, classes, functions, the settings' validators, the tables' mapping), and
    almost no garbage. Collecting as they are made, the collector walked them again and again:
    a one-location ``check`` collected 220 times, spent 67 ms on it (a tenth of its time) and
    freed 1,465 objects. The program's entry point defers collection; the composition root
    and the dashboard's server resume it once a command's parts are built (a short command
    that builds none ends with it deferred). Nothing happens if the collector is already off.
    """
    if not _deferred and gc.isenabled():
        gc.disable()
        _deferred.append(True)


def resume_collection() -> None:
    """The collector again, with what start-up made out of its sight (``gc.freeze``).

    Those objects live as long as the process; walking them in every full collection of a
    worker that runs for months would find nothing. What start-up left as garbage (a few
    hundred kilobytes at most) stays with them. Nothing happens unless collection was deferred.
    """
    if _deferred:
        _deferred.clear()
        gc.freeze()
        gc.enable()
