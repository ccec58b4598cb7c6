"""MkDocs hook (mkdocs.yml ``hooks``): adds the reference pages, generated from the code, to
the site at build time. A command, key, event type or metric the code has and the pages could
not describe is a warning, which ``mkdocs build --strict`` (``make docs``) turns into a failure.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # MkDocs loads hooks by path, not as a package
    sys.path.insert(0, str(ROOT))

from mkdocs.structure.files import File, Files  # noqa: E402

from tools.docs_reference import (  # noqa: E402
    cli_page,
    config_page,
    events_page,
    exit_codes_page,
    metrics_page,
)

PAGES: dict[str, Callable[[Callable[[str], None]], str]] = {
    "reference/cli.md": cli_page.render,
    "reference/configuration.md": config_page.render,
    "reference/events.md": events_page.render,
    "reference/exit-codes.md": exit_codes_page.render,
    "reference/metrics.md": metrics_page.render,
}
log = logging.getLogger("mkdocs.hooks.reference")


def on_files(files: Files, config: Any) -> Files:
    for uri, render in PAGES.items():
        files.append(File.generated(config, uri, content=render(log.warning)))
    return files
