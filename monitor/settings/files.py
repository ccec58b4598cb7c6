"""Reading the configuration file: where it is, its TOML, and ``${ENV}`` references.

The standard library only, so that a command which needs a key or two (``healthcheck``)
reads the file without loading the settings model.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

from monitor.errors import ConfigError, raise_config_errors

DEFAULT_CONFIG_PATH = Path("config/monitor.toml")
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def resolve_config_path(explicit: str | None, environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(explicit or env.get("MONITOR_CONFIG") or DEFAULT_CONFIG_PATH)


def read_config(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> tuple[Path, dict[str, Any]]:
    """The file's path and its tables, every ``${NAME}`` replaced from the environment."""
    config_path, data, missing = read_config_collecting(path, environ)
    raise_config_errors(missing)  # every unset variable at once, before what they would fill
    return config_path, data


def read_config_collecting(
    path: str | Path | None = None, environ: dict[str, str] | None = None
) -> tuple[Path, dict[str, Any], list[ConfigError]]:
    """As ``read_config``, with the unset variables returned (their values left empty), so
    that validation reports them beside every other problem of the file."""
    env = dict(os.environ if environ is None else environ)
    config_path = resolve_config_path(str(path) if path else None, env)
    try:
        raw = tomllib.loads(read_text(config_path, "config"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config", f"{config_path} is not valid TOML: {exc}") from None
    missing: list[ConfigError] = []
    data = _expand(raw, env, "", missing)
    return config_path, data, missing


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
