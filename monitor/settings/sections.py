"""The tables of the configuration file, each validated on its own: the database, the
regulator's sources, the watchlist, the schedule, alerts, delivery, the server, logging and
retention. Errors name the key (``schedule.changes``); ``model.Settings`` puts them together."""

from __future__ import annotations

import re
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from monitor.config_model import ConfigModel, header_value, http_url
from monitor.cron import check_expression
from monitor.errors import CronError
from monitor.net.deadline import twice_the_timeout
from monitor.settings.searches import CQC_ID, SearchSettings
from monitor.store.engine import check_database_url

LOCATION_ID = CQC_ID
_MAX_ID_LENGTH = 32  # the width of the id columns
# Every number has an upper bound: past these, timers, timedelta and SQLite integers
# overflow at run time. The bounds are far beyond any useful setting.
_HOUR, _DAY = 3600, 86400
_MAX_BYTES = 1024**3
_MIN_TOKEN = 16
_PATH_PREFIX = re.compile(r"^(/[A-Za-z0-9._~-]+)+/?$")


class _Section(ConfigModel):
    pass


class DatabaseSettings(_Section):
    # The default is not checked while loading: a container with a read-only root and its
    # database elsewhere (MONITOR_DATABASE_URL) must never need this path. Opening it says
    # what is wrong with it, if it is ever used.
    url: str = "sqlite:///data/monitor.db"

    @field_validator("url")
    @classmethod
    def _usable(cls, value: str) -> str:
        check_database_url(value)
        return value


class _Fetching(_Section):
    """A source: ``deadline_seconds`` bounds a whole request; absent, twice its timeout."""

    @model_validator(mode="before")
    @classmethod
    def _deadline(cls, data: Any) -> Any:
        return twice_the_timeout(data, cls.model_fields["timeout_seconds"].default)


class ApiSettings(_Fetching):
    base_url: str = "https://api.service.cqc.org.uk/public/v1"
    subscription_key: SecretStr
    partner_code: str | None = None
    requests_per_second: float = Field(default=8.0, ge=0, le=10_000)
    concurrency: int = Field(default=4, ge=1, le=64)
    timeout_seconds: float = Field(default=30.0, gt=0, le=_HOUR)
    deadline_seconds: float = Field(default=60.0, gt=0, le=_HOUR)
    max_response_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=_MAX_BYTES)
    max_attempts: int = Field(default=5, ge=1, le=20)
    change_feed_overlap_minutes: float = Field(default=60.0, ge=0, le=7 * 24 * 60)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("subscription_key")
    @classmethod
    def _header(cls, value: SecretStr) -> SecretStr:
        header_value(value.get_secret_value(), "Ocp-Apim-Subscription-Key")
        return value


class WebSettings(_Fetching):
    enabled: bool = False
    base_url: str = "https://www.cqc.org.uk"
    requests_per_second: float = Field(default=2.0, ge=0, le=10_000)
    timeout_seconds: float = Field(default=30.0, gt=0, le=_HOUR)
    deadline_seconds: float = Field(default=60.0, gt=0, le=_HOUR)
    max_response_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=_MAX_BYTES)

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value)


class ReportTextSettings(_Fetching):
    """Reading each new report's text for its findings (SPEC §2.3): through the API's own
    request rate and subscription key, with a size cap, a deadline and retries of its own."""

    enabled: bool = True
    timeout_seconds: float = Field(default=30.0, gt=0, le=_HOUR)
    deadline_seconds: float = Field(default=60.0, gt=0, le=_HOUR)
    max_response_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, le=_MAX_BYTES)
    max_attempts: int = Field(default=2, ge=1, le=20)  # per request, on 429, 5xx, timeouts
    read_attempts: int = Field(default=6, ge=1, le=100)  # cycles trying one report's text
    cycle_seconds: float = Field(default=120.0, ge=1, le=_DAY)  # one cycle's time for texts


class SourcesSettings(_Section):
    cqc_api: ApiSettings
    cqc_web: WebSettings = WebSettings()
    report_text: ReportTextSettings = ReportTextSettings()


class WatchSettings(_Section):
    locations: list[str] = Field(default_factory=list)
    providers: list[str] = Field(default_factory=list)
    file: str = ""
    all: bool = False
    search: list[SearchSettings] = Field(default_factory=list)

    @field_validator("locations", "providers")
    @classmethod
    def _ids(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(checked_cqc_id(value) for value in values))


class ScheduleSettings(_Section):
    timezone: str = "Europe/London"
    changes: str = "0 7 * * *"
    review: str = "0 6 1 * *"
    deliver_every_seconds: float = Field(default=60.0, gt=0, le=_DAY)
    # Poll the change feed at this interval instead of by the ``changes`` cron string (0: by
    # cron): for trials against the simulator and a staging API, never needed against CQC.
    changes_every_seconds: float = Field(default=0.0, ge=0, le=_DAY)
    # On SIGTERM, how long running work may take to finish (or stop) before the worker exits.
    grace_seconds: float = Field(default=30.0, ge=0, le=_HOUR)
    # PostgreSQL replicas: a running cycle whose lease is not renewed for this long (its
    # replica died or was cut off) is taken over by another replica.
    cycle_lease_seconds: float = Field(default=60.0, ge=2, le=_HOUR)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("changes_every_seconds")
    @classmethod
    def _interval(cls, value: float) -> float:
        if 0 < value < 0.5:
            raise ValueError("polls at most twice a second (0: by the changes cron string)")
        return value

    @field_validator("changes", "review")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            check_expression(value)
        except CronError as exc:
            raise ValueError(str(exc)) from None
        return value


class AlertSettings(_Section):
    first_seen: Literal["silent", "alert"] = "silent"
    failing_after: int = Field(default=3, ge=1, le=1000)


class DeliverySettings(_Section):
    retry_horizon_hours: float = Field(default=24.0, gt=0, le=366 * 24)
    initial_backoff_seconds: float = Field(default=30.0, gt=0, le=_DAY)
    max_backoff_seconds: float = Field(default=3600.0, gt=0, le=_DAY)
    batch_size: int = Field(default=100, ge=1, le=10_000)


class ServerSettings(_Section):
    host: str = "0.0.0.0"
    port: int = Field(default=9108, ge=0, le=65535)
    dashboard: bool = False
    dashboard_auth: Literal["none", "basic", "bearer"] = "none"
    # user name -> password hash (`cqc-monitor dashboard hash-password`), for "basic"
    dashboard_users: dict[str, SecretStr] = Field(default_factory=dict, validate_default=True)
    dashboard_token: SecretStr | None = Field(default=None, validate_default=True)  # "bearer"
    dashboard_path_prefix: str = ""

    @field_validator("dashboard_users")
    @classmethod
    def _users(cls, users: dict[str, SecretStr], info: ValidationInfo) -> dict[str, SecretStr]:
        if info.data.get("dashboard_auth") == "basic" and not users:
            raise ValueError('dashboard_auth = "basic" needs at least one user')
        for name, hashed in users.items():
            check_dashboard_user(name, hashed.get_secret_value())
        return users

    @field_validator("dashboard_token")
    @classmethod
    def _token(cls, token: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if info.data.get("dashboard_auth") != "bearer":
            return token
        if token is None or len(token.get_secret_value()) < _MIN_TOKEN:
            raise ValueError(f'dashboard_auth = "bearer" needs a token of {_MIN_TOKEN}+ characters')
        header_value(token.get_secret_value(), "Authorization")
        return token

    @field_validator("dashboard_path_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if value and not _PATH_PREFIX.match(value):
            raise ValueError("must be a path such as /cqc (letters, digits, - _ . / only)")
        return value.rstrip("/")


def check_dashboard_user(name: str, hashed: str) -> None:
    """A user name Basic authentication can carry, and a hash (never a plain password)."""
    if not name or ":" in name:
        raise ValueError(f"user name {name[:40]!r} must be non-empty and hold no ':'")
    method, _, rest = hashed.partition("$")
    if rest.count("$") != 1 or method.split(":")[0] not in ("scrypt", "pbkdf2"):
        raise ValueError(
            f"the password of {name!r} must be a hash from "
            "`cqc-monitor dashboard hash-password`, not the password itself"
        )


class LoggingSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"
    # How often a long cycle logs ``cycle_progress`` (0: after every batch).
    progress_seconds: float = Field(default=60.0, ge=0, le=_DAY)


class RetentionSettings(_Section):
    fetch_log_days: int = Field(default=90, ge=1, le=100 * 366)
    keep_raw_payload: bool = True


def checked_cqc_id(value: str) -> str:
    """``value`` when it has the shape of a CQC location or provider id, else ValueError."""
    if len(value) > _MAX_ID_LENGTH or not LOCATION_ID.match(value):
        raise ValueError(
            f"{value[:40]!r} is not a CQC id: 1- and digits (1-10000302982) or an NHS code "
            "in capitals (RXQ, RXQ02)"
        )
    return value
