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
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from monitor.config_model import ConfigModel, check_text, header_value, http_url
from monitor.cron import build_trigger
from monitor.deadline import twice_the_timeout
from monitor.errors import ConfigError, ConfigErrors, CronError, combined, raise_config_errors
from monitor.search_settings import SearchSettings, check_sink_searches, unique_names
from monitor.sinks.base import SinkConfig
from monitor.sinks.registry import parse_sink_config
from monitor.store.engine import check_database_url

DEFAULT_CONFIG_PATH = Path("config/monitor.toml")
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LOCATION_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]*$")
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
    url: str = Field(default="sqlite:///data/monitor.db", validate_default=True)

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

    @field_validator("search")
    @classmethod
    def _unique(cls, searches: list[SearchSettings]) -> list[SearchSettings]:
        return unique_names(searches)


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
            build_trigger(value, ZoneInfo("UTC"))
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
    sinks: list[dict[str, Any]] = Field(default_factory=list)
    path: str | None = None  # where the settings were read from

    def secrets(self) -> list[str]:
        """Every value ``config check`` masks; the redactor keeps them out of error text."""
        values = [self.sources.cqc_api.subscription_key.get_secret_value()]
        values += [urlsplit(self.database.url).password or ""]
        server = self.server
        values += [hashed.get_secret_value() for hashed in server.dashboard_users.values()]
        values += [server.dashboard_token.get_secret_value() if server.dashboard_token else ""]
        for config in sink_configs(self.sinks):
            values += _sink_secrets(config)
        return [value for value in values if value]

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
        lines = read_text(path, "watch.file", encoding="utf-8-sig").splitlines()
        ids = []
        for number, line in enumerate(lines, start=1):
            value = line.split(",", 1)[0].strip().strip('"')
            if not value or value.startswith("#") or (number == 1 and not value[0].isdigit()):
                continue
            if not _LOCATION_ID.match(value):
                raise ConfigError("watch.file", f"line {number}: {value!r} is not a CQC id")
            ids.append(value)
        return ids


def checked_cqc_id(value: str) -> str:
    """``value`` when it has the shape of a CQC location or provider id, else ValueError."""
    if len(value) > _MAX_ID_LENGTH or not _LOCATION_ID.match(value):
        raise ValueError(f"{value[:40]!r} is not a CQC id such as 1-10000302982")
    return value


def resolve_config_path(explicit: str | None, environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(explicit or env.get("MONITOR_CONFIG") or DEFAULT_CONFIG_PATH)


def load_settings(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    env = dict(os.environ if environ is None else environ)
    config_path = resolve_config_path(str(path) if path else None, env)
    try:
        raw = tomllib.loads(read_text(config_path, "config"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", f"{config_path} is not valid TOML: {exc}") from None
    missing: list[ConfigError] = []
    data = _expand(raw, env, "", missing)
    raise_config_errors(missing)  # every unset variable at once, before what they would fill
    if env.get("MONITOR_DATABASE_URL"):
        data.setdefault("database", {})["url"] = env["MONITOR_DATABASE_URL"]
    data["path"] = str(config_path)
    return settings_from_dict(data)


def read_text(path: Path, key: str, encoding: str = "utf-8") -> str:
    """A text file the configuration names; every way it can be unreadable is a ConfigError."""
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise ConfigError(key, f"file not found: {path}") from None
    except IsADirectoryError:
        raise ConfigError(key, f"{path} is a directory, not a file") from None
    except OSError as exc:
        raise ConfigError(key, f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(key, f"{path} is not UTF-8 text (byte {exc.start})") from None


def settings_from_dict(data: dict[str, Any]) -> Settings:
    check_text({k: v for k, v in data.items() if k != "path"}, "")
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems = [
            ConfigError(_key(error["loc"]), error["msg"].removeprefix("Value error, "))
            for error in exc.errors()
        ]
        problems += _sink_problems(data.get("sinks"))
        raise combined(problems) from None
    _check_sinks(settings.sinks)
    check_sink_searches(sink_configs(settings.sinks), settings.watch.search)
    settings.watch_file_ids()  # an unreadable watch file stops every command, not a cycle
    return settings


def _check_sinks(sections: list[dict[str, Any]]) -> None:
    names: set[str] = set()
    for index, config in enumerate(sink_configs(sections)):
        if config.name in names:
            raise ConfigError(f"sinks[{index}].name", f"duplicate sink name {config.name!r}")
        names.add(config.name)


def sink_configs(sections: list[dict[str, Any]]) -> list[SinkConfig]:
    """Each ``[[sinks]]`` table validated by its own type; errors name ``sinks[i].key``, all
    of them at once."""
    configs, problems = [], []
    for index, section in enumerate(sections):
        try:
            configs.append(parse_sink_config(section))
        except ConfigError as exc:
            problems.append(ConfigError(f"sinks[{index}].{exc.key}", exc.message))
    raise_config_errors(problems)
    return configs


def _sink_problems(sections: Any) -> list[ConfigError]:
    """The sinks' own problems, when the rest of the file has some too."""
    if not isinstance(sections, list) or not all(isinstance(s, dict) for s in sections):
        return []
    try:
        sink_configs(sections)
    except ConfigErrors as exc:
        return exc.problems
    except ConfigError as exc:
        return [exc]
    return []


def _sink_secrets(config: SinkConfig) -> list[str]:
    values: list[str] = []
    for name, value in config:
        items = value if isinstance(value, list) else [value]
        values += [item.get_secret_value() for item in items if isinstance(item, SecretStr)]
        if name == "headers" and isinstance(value, dict):
            values += [str(item) for item in value.values()]
        if name == "url" and isinstance(value, str):
            values.append(_url_path(value))  # hooks carry their token in the path
    return values


def _url_path(url: str) -> str:
    parts = urlsplit(url)
    path = urlunsplit(("", "", parts.path, parts.query, ""))
    return path if path not in ("", "/") else ""


def _expand(value: Any, env: dict[str, str], key: str, missing: list[ConfigError]) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, env, f"{key}.{k}" if key else k, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, env, f"{key}[{i}]", missing) for i, v in enumerate(value)]
    if isinstance(value, str):
        return _ENV_REFERENCE.sub(lambda match: _lookup(match.group(1), env, key, missing), value)
    return value


def _lookup(name: str, env: dict[str, str], key: str, missing: list[ConfigError]) -> str:
    if name not in env:
        missing.append(ConfigError(key, f"environment variable {name} is not set"))
        return ""
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
