"""Configuration: one TOML file, ``${ENV}`` expansion, validation that names the key (SPEC §3)."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor.cron import CronError, build_trigger
from monitor.deadline import twice_the_timeout
from monitor.errors import ConfigError
from monitor.sinks.base import SinkConfig
from monitor.sinks.registry import parse_sink_config

DEFAULT_CONFIG_PATH = Path("config/monitor.toml")
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LOCATION_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]*$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseSettings(_Section):
    url: str = "sqlite:///data/monitor.db"


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
    requests_per_second: float = Field(default=8.0, ge=0)
    concurrency: int = Field(default=4, ge=1, le=64)
    timeout_seconds: float = Field(default=30.0, gt=0)
    deadline_seconds: float = Field(default=60.0, gt=0)
    max_response_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_attempts: int = Field(default=5, ge=1, le=20)
    change_feed_overlap_minutes: float = Field(default=60.0, ge=0)


class WebSettings(_Fetching):
    enabled: bool = False
    base_url: str = "https://www.cqc.org.uk"
    requests_per_second: float = Field(default=2.0, ge=0)
    timeout_seconds: float = Field(default=30.0, gt=0)
    deadline_seconds: float = Field(default=60.0, gt=0)
    max_response_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)


class SourcesSettings(_Section):
    cqc_api: ApiSettings
    cqc_web: WebSettings = WebSettings()


class WatchSettings(_Section):
    locations: list[str] = []
    providers: list[str] = []
    file: str = ""
    all: bool = False

    @field_validator("locations", "providers")
    @classmethod
    def _ids(cls, values: list[str]) -> list[str]:
        for value in values:
            if not _LOCATION_ID.match(value):
                raise ValueError(f"{value!r} is not a CQC id such as 1-10000302982")
        return list(dict.fromkeys(values))


class ScheduleSettings(_Section):
    timezone: str = "Europe/London"
    changes: str = "0 7 * * *"
    review: str = "0 6 1 * *"
    deliver_every_seconds: float = Field(default=60.0, gt=0)
    # On SIGTERM, how long running work may take to finish (or stop) before the worker exits.
    grace_seconds: float = Field(default=30.0, ge=0)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("changes", "review")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            build_trigger(value, ZoneInfo("UTC"))
        except CronError as exc:
            raise ValueError(str(exc)) from None
        return value


class AlertSettings(_Section):
    first_seen: Literal["silent", "alert"] = "silent"
    failing_after: int = Field(default=3, ge=1)


class DeliverySettings(_Section):
    retry_horizon_hours: float = Field(default=24.0, gt=0)
    initial_backoff_seconds: float = Field(default=30.0, gt=0)
    max_backoff_seconds: float = Field(default=3600.0, gt=0)
    batch_size: int = Field(default=100, ge=1)


class ServerSettings(_Section):
    host: str = "0.0.0.0"
    port: int = Field(default=9108, ge=0, le=65535)


class LoggingSettings(_Section):
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


class RetentionSettings(_Section):
    fetch_log_days: int = Field(default=90, ge=1)
    keep_raw_payload: bool = True


class Settings(_Section):
    database: DatabaseSettings = DatabaseSettings()
    sources: SourcesSettings
    watch: WatchSettings = WatchSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    alerts: AlertSettings = AlertSettings()
    delivery: DeliverySettings = DeliverySettings()
    server: ServerSettings = ServerSettings()
    logging: LoggingSettings = LoggingSettings()
    retention: RetentionSettings = RetentionSettings()
    sinks: list[dict[str, Any]] = []
    path: str | None = None  # where the settings were read from

    def watch_file_ids(self) -> list[str]:
        """Ids from ``[watch] file``, one per line; blanks, comments and a CSV header skipped."""
        if not self.watch.file:
            return []
        base = Path(self.path).parent if self.path else Path.cwd()
        path = (
            (base / self.watch.file)
            if not Path(self.watch.file).is_absolute()
            else Path(self.watch.file)
        )
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except OSError as exc:
            raise ConfigError("watch.file", f"cannot read {path}: {exc.strerror}") from None
        ids = []
        for number, line in enumerate(lines, start=1):
            value = line.split(",", 1)[0].strip().strip('"')
            if not value or value.startswith("#") or (number == 1 and not value[0].isdigit()):
                continue
            if not _LOCATION_ID.match(value):
                raise ConfigError("watch.file", f"line {number}: {value!r} is not a CQC id")
            ids.append(value)
        return ids


def resolve_config_path(explicit: str | None, environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(explicit or env.get("MONITOR_CONFIG") or DEFAULT_CONFIG_PATH)


def load_settings(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    env = dict(os.environ if environ is None else environ)
    config_path = resolve_config_path(str(path) if path else None, env)
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError("config", f"file not found: {config_path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", f"{config_path} is not valid TOML: {exc}") from None
    data = _expand(raw, env, "")
    if env.get("MONITOR_DATABASE_URL"):
        data.setdefault("database", {})["url"] = env["MONITOR_DATABASE_URL"]
    data["path"] = str(config_path)
    return settings_from_dict(data)


def settings_from_dict(data: dict[str, Any]) -> Settings:
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise ConfigError(_key(error["loc"]), error["msg"]) from None
    _check_sinks(settings.sinks)
    return settings


def _check_sinks(sections: list[dict[str, Any]]) -> None:
    names: set[str] = set()
    for index, config in enumerate(sink_configs(sections)):
        if config.name in names:
            raise ConfigError(f"sinks[{index}].name", f"duplicate sink name {config.name!r}")
        names.add(config.name)


def sink_configs(sections: list[dict[str, Any]]) -> list[SinkConfig]:
    """Each ``[[sinks]]`` table validated by its own type; errors name ``sinks[i].key``."""
    configs = []
    for index, section in enumerate(sections):
        try:
            configs.append(parse_sink_config(section))
        except ConfigError as exc:
            raise ConfigError(f"sinks[{index}].{exc.key}", exc.message) from None
    return configs


def _expand(value: Any, env: dict[str, str], key: str) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, env, f"{key}.{k}" if key else k) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str):
        return _ENV_REFERENCE.sub(lambda match: _lookup(match.group(1), env, key), value)
    return value


def _lookup(name: str, env: dict[str, str], key: str) -> str:
    if name not in env:
        raise ConfigError(key, f"environment variable {name} is not set")
    return env[name]


def _key(location: tuple[int | str, ...]) -> str:
    key = ""
    for part in location:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def mask_url(url: str) -> str:
    """``postgresql://user:secret@host/db`` → ``postgresql://user:***@host/db``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def mask_url_path(url: str) -> str:
    """``https://hooks.example.org/T0/B1/secret`` → ``https://hooks.example.org/***``."""
    parts = urlsplit(mask_url(url))
    if parts.path in ("", "/") and not parts.query:
        return urlunsplit(parts)
    return urlunsplit(parts._replace(path="/***", query="", fragment=""))
