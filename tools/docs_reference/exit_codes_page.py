"""The exit statuses of the command line, from its constants, and the error tree they come
from."""

from __future__ import annotations

from tools.docs_reference import live
from tools.docs_reference.descriptions import EXIT_CODES
from tools.docs_reference.markdown import GENERATED, Warn, code, table


def render(warn: Warn) -> str:
    rows = []
    for name, value in sorted(live.exit_codes().items(), key=lambda item: item[1]):
        meaning = EXIT_CODES.get(name)
        if meaning is None:
            warn(f"the exit status {name} is not described (docs_reference/descriptions.py)")
        rows.append((code(str(value)), meaning or ""))
    rows.append(
        (
            "`128 + signal`",
            "A signal stopped `check` before it finished: `143` for SIGTERM, `130` for SIGINT "
            "(the cycle is marked abandoned; what it committed stands). `run` exits `0` after "
            "a signal: stopping is its normal end.",
        )
    )
    tree = live.error_tree().strip()
    return (
        GENERATED + "# Exit codes\n\nEvery `cqc-monitor` command ends with one of these statuses; "
        "errors print one line, `error: ...`, with secrets masked.\n\n"
        + table(("status", "meaning"), rows)
        + "\n## Where they come from\n\nErrors raised on purpose form one tree; only the "
        "command line turns them into exit statuses:\n\n```text\n" + tree + "\n```\n"
    )
