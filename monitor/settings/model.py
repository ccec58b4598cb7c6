"""The settings model: the whole configuration validated at once, every problem named by
its key (SPEC §3); the sinks' tables each by its own type; secrets collected for masking."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError

from monitor.config_model import ConfigModel, check_text, describe
from monitor.domain.search import FILTERS
from monitor.errors import ConfigError, raise_config_errors
from monitor.settings.files import read_config_collecting, read_text
from monitor.settings.searches import duplicate_names, sink_search_problems
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
from monitor.sinks.registry import checked_sink_config, parse_sink_config


class Settings(ConfigModel):
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
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
    config_path, data, missing = read_config_collecting(path, env)
    if env.get("MONITOR_DATABASE_URL"):
        data.setdefault("database", {})["url"] = env["MONITOR_DATABASE_URL"]
    data["path"] = str(config_path)
    return settings_from_dict(data, missing)


def settings_from_dict(data: dict[str, Any], missing: Sequence[ConfigError] = ()) -> Settings:
    """The settings, or every problem of ``data`` at once (``missing``: the environment
    variables it names that are not set), so one run of ``config check`` lists them all."""
    check_text({k: v for k, v in data.items() if k != "path"}, "")
    problems: list[ConfigError] = []
    settings = None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        problems += [
            _problem(error)
            for error in exc.errors()
            if tuple(error["loc"][:1]) != ("sinks",) or len(error["loc"]) < 3
        ]
    problems += _sink_and_search_problems(data)
    if settings is not None:
        try:
            settings.watch_file_ids()  # an unreadable watch file stops every command
        except ConfigError as exc:
            problems.append(exc)
    # A value left empty by an unset variable is reported as that, not as what it breaks.
    unset = {problem.key for problem in missing}
    problems = [*missing, *(p for p in problems if p.key not in unset)]
    raise_config_errors(sorted(problems, key=lambda problem: _rank(problem.key)))
    assert settings is not None
    return settings


def _problem(error: Any) -> ConfigError:
    key, message = _key(error["loc"]), describe(error, _table_fields(error["loc"]))
    if key.endswith(".filters"):
        # A search's filters sit beside its name in the file: named as written there.
        word = message.split(" ", 1)[0]
        key = key.removesuffix("filters") + word if word in FILTERS else key
    return ConfigError(key, message)


def _sink_and_search_problems(data: dict[str, Any]) -> list[ConfigError]:
    """The sinks' tables (each by its type), duplicate sink and search names, and sinks
    following searches that do not exist."""
    watch = data.get("watch")
    searches = watch.get("search") if isinstance(watch, dict) else None
    names = [
        table["name"]
        for table in (searches if isinstance(searches, list) else [])
        if isinstance(table, dict) and isinstance(table.get("name"), str)
    ]
    problems = duplicate_names(searches, "watch.search", "search")
    sections = data.get("sinks")
    if not isinstance(sections, list) or not all(isinstance(s, dict) for s in sections):
        return problems
    parsed = []
    for index, section in enumerate(sections):
        config, found = checked_sink_config(section)
        problems += [ConfigError(f"sinks[{index}].{p.key}".rstrip("."), p.message) for p in found]
        if config is not None:
            parsed.append((index, config))
    problems += duplicate_names(sections, "sinks", "sink")
    return problems + sink_search_problems(parsed, names)


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


_SECTIONS = ("database", "sources", "watch", "schedule", "alerts", "delivery", "server")


def _rank(key: str) -> int:
    """Problems in the order of the file's usual tables, sinks last (a stable sort)."""
    head = key.split(".", 1)[0].split("[", 1)[0]
    if head == "sinks":
        return len(_SECTIONS) + 1
    return _SECTIONS.index(head) if head in _SECTIONS else len(_SECTIONS)


def _table_fields(location: tuple[int | str, ...]) -> list[str]:
    """The keys the table holding ``location``'s last key takes (for "did you mean")."""
    model: Any = Settings
    for part in location[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = _model_of(field.annotation) if field is not None else None
        if model is None:
            return []
    return [name for name in model.model_fields if name != "path"]


def _model_of(annotation: Any) -> type[ConfigModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, ConfigModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_of(argument)
        if found is not None:
            return found
    return None


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
