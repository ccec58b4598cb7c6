"""Masking the configured secrets in error text before it is stored, logged or printed.

A secret reaches an error message in more shapes than its own: a server echoing the key in
its error body (whitespace collapsed by our error summary), requests quoting a refused header
value (``repr``), a JSON log line (escaped), a URL (percent-encoded), or a message cut at a
length limit, leaving the secret's first characters at the very end. The redactor masks them
all, whatever characters the secret holds.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any, overload
from urllib.parse import quote, quote_plus

MASK = "********"
# Shorter values protect nothing and masking them would garble every message.
MIN_LENGTH = 4
# A message cut short may end with this much of a secret or more.
_MIN_CUT = 6


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        forms = {form for secret in secrets for form in _forms(secret) if len(form) >= MIN_LENGTH}
        longest_first = sorted(forms, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, longest_first))) if forms else None
        self._forms = [form for form in longest_first if len(form) > _MIN_CUT]

    @overload
    def __call__(self, text: str) -> str: ...

    @overload
    def __call__(self, text: None) -> None: ...

    def __call__(self, text: str | None) -> str | None:
        if text is None or self._pattern is None:
            return text
        return self._cut_short(self._pattern.sub(MASK, text))

    def value(self, value: Any) -> Any:
        """``value`` with every string inside it (dicts, lists, tuples) redacted."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(item) for item in value)
        return value

    def _cut_short(self, text: str) -> str:
        for form in self._forms:
            for length in range(len(form) - 1, _MIN_CUT - 1, -1):
                if text.endswith(form[:length]):
                    return text[:-length] + MASK
        return text


def _forms(secret: str) -> set[str]:
    shapes = {secret, secret.strip(), " ".join(secret.split())}
    forms = set(shapes)
    for shape in shapes:
        forms |= {
            repr(shape)[1:-1],
            json.dumps(shape)[1:-1],
            json.dumps(shape, ensure_ascii=False)[1:-1],
            quote(shape, safe=""),
            quote_plus(shape),
            html.escape(shape),
        }
    # Each of them again inside a JSON log line (an exception logged as an object is its repr).
    return forms | {json.dumps(form)[1:-1] for form in forms}
