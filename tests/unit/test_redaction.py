"""The redactor masks a secret in every shape it takes inside an error message."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import structlog

from monitor.logs import configure_logging
from monitor.redaction import MASK, Redactor

SECRET = 'k3y "odd"  \\with+/%&<b>'


@pytest.mark.parametrize(
    "message",
    [
        f"HTTP 401: Access denied for key {SECRET}.",
        f"Invalid leading whitespace in header value: {SECRET!r}",  # requests' refusal
        "HTTP 400: key " + " ".join(SECRET.split()) + " unknown",  # whitespace collapsed
        "body " + json.dumps({"key": SECRET}),
        f"GET /x?key={quote(SECRET, safe='')} failed",
        f"error detail cut at 300 characters: {SECRET[:9]}",
    ],
    ids=["as-is", "repr", "collapsed", "json", "url-encoded", "cut-short"],
)
def test_every_shape_of_a_secret_is_masked(message: str) -> None:
    redacted = Redactor([SECRET])(message)
    assert "k3y" not in redacted
    assert MASK in redacted


def test_other_text_values_and_none_pass_unchanged() -> None:
    redact = Redactor([SECRET, "abc", ""])
    assert redact("HTTP 500 from https://api.example.org: abc") == (
        "HTTP 500 from https://api.example.org: abc"  # too short to be worth masking
    )
    assert redact(None) is None
    assert redact.value({"n": 3, "list": [SECRET], "t": (SECRET,)}) == {
        "n": 3,
        "list": [MASK],
        "t": (MASK,),
    }


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level
    structlog.reset_defaults()


@pytest.mark.usefixtures("restore_logging")
def test_log_lines_mask_secrets_in_fields_messages_and_tracebacks() -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream, redact=Redactor([SECRET]))
    try:
        raise ValueError(f"refused {SECRET}")
    except ValueError as exc:
        structlog.get_logger("test").exception("fetch_failed", error=str(exc), cause=exc)
    logging.getLogger("urllib3").warning("retrying with key %s", SECRET)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["fetch_failed", "retrying with key " + MASK]
    assert "k3y" not in stream.getvalue()
    assert "ValueError: refused " + MASK in lines[0]["exception"]
