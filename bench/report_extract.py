"""A PDF text extract of any size, from the simulator's layout of the real report excerpts.

One report, laid out as the simulator serves it (a cover page, wrapped lines, hyphenation,
page furniture inline on every page), whose body is every excerpt of
shared/data/cqc/report-text/ in turn, again and again, each time at another page width (so
that, as in a real report, no line of prose comes back word for word: only the running
headers and footers do), until the text is ``size`` bytes: the length of a long hospital
report's text, with the findings, the furniture and the wording of all of them to read.
"""

from __future__ import annotations

from monitor.sim.report_text import EXCERPTS, ReportFacts, as_text, compose


def extract(size: int, name: str = "Henley House") -> str:
    facts = ReportFacts("bench-report", name, "Ipswich", "2025-11-04", "2025-10-01", "Inadequate")
    rounds = 1
    while True:
        names = EXCERPTS * rounds
        widths = [80 + index % 23 for index in range(len(names))]
        text = as_text(compose(facts, names, width=widths))
        if len(text.encode("utf-8")) >= size:
            # Cut at the first line end past the size (the rest of a page not read yet).
            cut = text.encode("utf-8").find(b"\n", size)
            return text.encode("utf-8")[: cut + 1].decode("utf-8") if cut != -1 else text
        rounds = rounds * 2
