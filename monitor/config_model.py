"""What every configuration table refuses, shared by the settings and each sink's own table.

Each rule stops a value that validation used to accept and that then failed at run time:
at the first request, at every send for 24 hours of retries, or in a timer of the OS.
"""

from __future__ import annotations

import difflib
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from monitor.errors import ConfigError

_NUMBERS = (int, float, int | None, float | None)
_BOOLEANS = (bool, bool | None)
_QUOTED = re.compile(r"'([^']*)'")
# C0 and C1 control characters and DEL: no configuration value is multi-line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# RFC 9110 token: what a header name may be made of.
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Printable ASCII, no spaces at either end: anything else requests refuses, or cannot
# encode, at every request.
_HEADER_VALUE = re.compile(r"^(?:[!-~](?:[ -~]*[!-~])?)?$")


class ConfigModel(BaseModel):
    # inf and nan (TOML `inf`, or 1e400) would reach timeouts and timers that overflow.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic reads true/false as 1/0: `port = true` would quietly mean port 1.
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and field.annotation in _NUMBERS:
            raise ValueError("must be a number, not true or false")
        # pydantic reads "yes", "off", 1 as booleans: `all = "yes"` is refused, not guessed.
        if field is not None and field.annotation in _BOOLEANS and not isinstance(value, bool):
            raise ValueError("must be true or false (without quotes)")
        return value


def did_you_mean(value: object, choices: Any, *, quoted: bool = False) -> str:
    """`` (did you mean X?)`` when a choice is close to ``value``, else empty."""
    if not isinstance(value, str):
        return ""
    words = [str(choice) for choice in choices]
    folded = {word.casefold(): word for word in words}
    close = folded.get(value.casefold()) or next(
        iter(difflib.get_close_matches(value, words, n=1, cutoff=0.6)), None
    )
    if close is None:
        return ""
    return f" (did you mean {close!r}?)" if quoted else f" (did you mean {close}?)"


def describe(error: Any, fields: Any = None) -> str:
    """A pydantic error as an operator reads it: the message never quotes a value but an
    enumerated word, and names the real word closest to a typo.

    ``fields``: the keys the table takes, for an unknown key."""
    kind, message = error["type"], error["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        known = sorted(fields or [])
        key = str(error["loc"][-1]) if error["loc"] else ""
        hint = did_you_mean(key, known)
        listed = f"; it takes {', '.join(known)}" if known and not hint else ""
        return f"unknown key{hint}{listed}"
    if kind == "literal_error":
        expected = str(error.get("ctx", {}).get("expected", ""))
        value = error.get("input")
        hint = did_you_mean(value, _QUOTED.findall(expected), quoted=True)
        shown = f"{value!r} is not " if isinstance(value, str) and len(value) < 40 else "not "
        return f"{shown}{expected}{hint}"
    return str(message)


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value


def header_name(name: str) -> str:
    if not _TOKEN.match(name):
        raise ValueError(f"{name!r} is not a valid HTTP header name")
    return name


def header_value(value: str, header: str) -> str:
    """The message names the header, never the value: header values often carry tokens."""
    if not _HEADER_VALUE.match(value):
        raise ValueError(
            f"the value of {header} must be printable ASCII without spaces at either end "
            "(it is sent as an HTTP header)"
        )
    return value


def check_text(value: Any, key: str) -> None:
    """No value or key holds a control character.

    A newline at the end of a secret or header value (``$'KEY\\n'`` from a shell) is sent as
    is and refused at every request; CR/LF in an email address would write another header.
    The message never quotes the value, which may be a secret.
    """
    if isinstance(value, dict):
        for name, item in value.items():
            child = f"{key}.{name}" if key else str(name)
            if _CONTROL.search(str(name)):
                raise ConfigError(key or "config", f"the key {name!r} holds a control character")
            check_text(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_text(item, f"{key}[{index}]")
    elif isinstance(value, str) and _CONTROL.search(value):
        raise ConfigError(key, "holds a control character (newline, tab...); use one line of text")
