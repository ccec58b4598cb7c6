"""Micro-benchmark: microseconds to parse one CQC website location page.

    python bench/bench_web_parse.py

Times ``parse_location_page`` on each HTML fixture in tests/fixtures/web/ and on a
"heavy" page: the modern fixture padded with menus, scripts, icons and layout markup to
~180 KB, the weight of a real site page, with and without a <main> landmark. Reports the
best of several rounds, per page, so background noise does not inflate the figure.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "web"
ROUNDS = 15
TARGET_SECONDS_PER_ROUND = 0.05


def _heavy_page(modern: str) -> str:
    """The modern fixture with a real site's weight of menus, inline scripts and markup."""
    menu = "".join(f'<li><a href="/section/{n}">Menu item {n}</a></li>' for n in range(400))
    script = "<script>" + "window.__state = {};" * 4000 + "</script>"
    svg = '<svg viewBox="0 0 24 24"><path d="M0 0h24v24H0z"/></svg>' * 300
    filler = '<div class="grid"><div class="cell"><span>&nbsp;</span></div></div>' * 800
    padding = f"<nav><ul>{menu}</ul></nav>{script}{svg}{filler}"
    return modern.replace("<main", padding + "<main", 1)


def _pages() -> dict[str, bytes]:
    pages = {path.stem: path.read_bytes() for path in sorted(FIXTURES.glob("*.html"))}
    modern = (FIXTURES / "modern.html").read_text(encoding="utf-8")
    pages["heavy"] = _heavy_page(modern).encode("utf-8")
    # Without a <main> landmark the whole body is walked: the slowest path.
    without_main = _heavy_page(modern).replace("<main", "<div").replace("</main>", "</div>")
    pages["heavy-no-main"] = without_main.encode("utf-8")
    return pages


def _time_one(body: bytes) -> float:
    """Best per-page time in microseconds over ROUNDS rounds."""
    from monitor.sources.web_page import parse_location_page

    parse_location_page(body)  # warm caches (regex compilation, imports)
    start = time.perf_counter()
    parse_location_page(body)
    single = max(time.perf_counter() - start, 1e-6)
    loops = max(1, int(TARGET_SECONDS_PER_ROUND / single))
    best = float("inf")
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(loops):
            parse_location_page(body)
        best = min(best, (time.perf_counter() - start) / loops)
    return best * 1e6


def run() -> dict[str, dict[str, float]]:
    """Per page: size in bytes and best microseconds per parse."""
    if str(ROOT) not in sys.path:  # run as a script from a checkout
        sys.path.insert(0, str(ROOT))
    return {
        name: {"bytes": float(len(body)), "us_per_page": _time_one(body)}
        for name, body in _pages().items()
    }


if __name__ == "__main__":
    for page, result in run().items():
        print(f"{page:<14} {result['bytes'] / 1024:7.1f} KB  {result['us_per_page']:8.1f} µs/page")
