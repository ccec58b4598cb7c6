"""The one error tree of cqc-monitor.

    MonitorError                      base of everything we raise on purpose
    ├── ConfigError                   invalid or missing configuration  → exit 2
    ├── CronError                     a schedule that is not a crontab string (also a ValueError,
    │                                 so configuration validation reports it with its key)
    ├── StorageError                  database unreachable / not migrated → exit 1
    │   ├── RecordRejectedError       a row refused for its content (one location's data)
    │   ├── SlotTakenError            a scheduled slot already has its cycle (another replica)
    │   └── CycleLostError            another replica took the running cycle over (lease lost)
    ├── Interrupted                   SIGTERM/SIGINT stopped a command → exit 128 + signal
    ├── SourceError                   a regulator source failed
    │   ├── AuthenticationError       the subscription key was refused (whole cycle stops)
    │   ├── NotFoundError             404: the id is gone
    │   ├── ResponseTooLargeError     body above the configured cap
    │   ├── MalformedResponseError    not the JSON / HTML we expect
    │   └── TransientSourceError      429, 5xx, timeouts, connection errors (retried)
    │       └── RateLimitedError      429, carries Retry-After

Third-party exceptions (requests, smtplib, SQLAlchemy) are translated at the adapter
edge; only ``monitor.cli`` maps errors to exit codes.
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class for errors raised on purpose by cqc-monitor."""


class ConfigError(MonitorError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message


class CronError(MonitorError, ValueError):
    pass


class ConfigErrors(ConfigError):
    """Several problems found in one pass, so an operator fixes them all in one edit."""

    def __init__(self, problems: list[ConfigError]) -> None:
        super().__init__(problems[0].key, problems[0].message)
        self.problems = problems

    def __str__(self) -> str:
        return f"{len(self.problems)} problems:\n" + "\n".join(f"  {p}" for p in self.problems)


def combined(problems: list[ConfigError]) -> ConfigError:
    """One problem as itself, several together."""
    return problems[0] if len(problems) == 1 else ConfigErrors(problems)


def raise_config_errors(problems: list[ConfigError]) -> None:
    if problems:
        raise combined(problems)


class StorageError(MonitorError):
    pass


class RecordRejectedError(StorageError):
    """The database refused a row for what it holds (not for being unreachable)."""


class SlotTakenError(StorageError):
    """The scheduled slot already has a cycle: another process ran it, or runs it now."""


class CycleLostError(StorageError):
    """This process's lease on a running cycle expired and another replica took the cycle
    over: nothing more is written for it here."""


class Interrupted(MonitorError):
    """A signal stopped a command before it finished; work committed so far stands."""

    def __init__(self, signal_number: int, message: str) -> None:
        super().__init__(message)
        self.signal_number = signal_number


class SourceError(MonitorError):
    def __init__(self, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class AuthenticationError(SourceError):
    pass


class NotFoundError(SourceError):
    pass


class ResponseTooLargeError(SourceError):
    pass


class MalformedResponseError(SourceError):
    pass


class TransientSourceError(SourceError):
    pass


class RateLimitedError(TransientSourceError):
    def __init__(
        self, message: str, *, http_status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, http_status=http_status)
        self.retry_after = retry_after


def short_error(exc: BaseException, limit: int = 300) -> str:
    """The first line of an exception's message, bounded; its type when it has no message.

    Database drivers and HTTP libraries append pages of SQL, parameters and context: one
    line is what a log line, a stored error or a message to the user can carry.
    """
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:limit]
