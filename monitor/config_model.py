"""What every configuration table refuses, shared by the settings and each sink's own table.

Each rule stops a value that validation used to accept and that then failed at run time:
at the first request, at every send for 24 hours of retries, or in a timer of the OS.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from monitor.errors import ConfigError

_NUMBERS = (int, float, int | None, float | None)
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
        return value


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
