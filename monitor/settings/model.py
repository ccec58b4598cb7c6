"""The settings model: the whole configuration validated at once, every problem named by
its key (SPEC §3); the sinks' tables each by its own type; secrets collected for masking."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError

from monitor.config_model import ConfigModel, check_text
from monitor.errors import ConfigError, ConfigErrors, combined, raise_config_errors
from monitor.settings.files import read_config, read_text
from monitor.settings.searches import check_sink_searches
from monitor.settings.sections import (
    LOCATION_ID,
    AlertSettings,
    DatabaseSettings,
    DeliverySettings,
    LoggingSettings,
    RetentionSettings,
    ScheduleSettings,
    ServerSettings,
    SourcesSettings,
    WatchSettings,
)
from monitor.sinks.base import SinkConfig
from monitor.sinks.registry import parse_sink_config


class Settings(ConfigModel):
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
            if not value or value.startswith("#"):
                continue
            if number == 1 and not LOCATION_ID.match(value):
                continue  # a CSV header
            if not LOCATION_ID.match(value):
                raise ConfigError("watch.file", f"line {number}: {value!r} is not a CQC id")
            ids.append(value)
        return ids


def load_settings(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> Settings:
    env = dict(os.environ if environ is None else environ)
    config_path, data = read_config(path, env)
    if env.get("MONITOR_DATABASE_URL"):
        data.setdefault("database", {})["url"] = env["MONITOR_DATABASE_URL"]
    data["path"] = str(config_path)
    return settings_from_dict(data)


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
