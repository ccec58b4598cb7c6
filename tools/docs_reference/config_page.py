"""The configuration reference: every key of the settings model, of every sink type and of
a saved search, with its type, default, bounds and meaning."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any, TypeGuard

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from tools.docs_reference import live
from tools.docs_reference.descriptions import CONFIG
from tools.docs_reference.markdown import GENERATED, Warn, code, table

# Set by the loader (where the file was read from), not by a configuration.
INTERNAL = {"path"}
# Tables whose keys are not the model's fields: they have their own sections.
SEARCHES, SINKS = "watch.search", "sinks"
_BOUNDS = (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"), ("min_length", "length ≥"))
HEADER = ("key", "type", "default", "meaning")


def sections(
    model: type[BaseModel], prefix: str = ""
) -> Iterator[tuple[str, dict[str, FieldInfo]]]:
    """(dotted section, its plain keys) for the model and every nested table, in order."""
    plain = {}
    nested: list[tuple[str, type[BaseModel]]] = []
    for name, field in model.model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        annotation = field.annotation
        if name in INTERNAL or key in (SEARCHES, SINKS):
            continue
        if _is_model(annotation):
            nested.append((key, annotation))
        else:
            plain[name] = field
    if plain:
        yield prefix, plain
    for key, annotation in nested:
        yield from sections(annotation, key)


def render(warn: Warn) -> str:
    parts = [GENERATED, _INTRO]
    for section, fields in sections(live.settings_model()):
        parts.append(f"## [{section}]\n\n")
        rows = [_row(f"{section}.{name}", name, field, warn) for name, field in fields.items()]
        parts.append(table(HEADER, rows) + "\n")
        if section == "watch":
            parts.append(_searches(warn))
    parts.append(_sinks(warn))
    return "".join(parts)


_INTRO = (
    "# Configuration keys\n\n"
    "One TOML file (`config/monitor.toml`, `--config PATH` or `$MONITOR_CONFIG`); "
    "`config/monitor.example.toml` shows every key. Any string may be `${ENV_NAME}`, "
    "replaced by that environment variable when the file is loaded (an unset one is an "
    "error naming the key). `MONITOR_DATABASE_URL` replaces `[database] url`. Every "
    "command validates the whole file first and exits with status 2 naming each key "
    "that is wrong: unknown keys, values out of bounds, numbers given as `true`/`false`, "
    "control characters in any value. `cqc-monitor config check` prints the result, "
    "secrets masked.\n\n"
)


def _searches(warn: Warn) -> str:
    rows = [(code("name"), "text", "required", _described("watch.search.name", None, warn))]
    meaning = _described("watch.search.FILTER", None, warn)
    rows += [(code(name), "text or list of text", "", meaning) for name in live.search_filters()]
    return (
        "### [[watch.search]]\n\nA saved search: a name and at least one filter "
        "([Watchlists and saved searches](../how-to/watchlists.md)).\n\n"
        + table(HEADER, rows)
        + "\n"
    )


def _sinks(warn: Warn) -> str:
    common, kinds = live.sink_models()
    parts = [
        "## [[sinks]]\n\nOne table per sink; `type` says which kind. "
        "[Sinks and routing](../how-to/sinks.md) shows them at work.\n\n",
        "### Every sink\n\n",
        table(HEADER, [_row(f"sinks.{n}", n, f, warn) for n, f in _keys(common)]) + "\n",
    ]
    shared = {name for name, _ in _keys(common)}
    for kind, model in kinds.items():
        own = [(n, f) for n, f in _keys(model) if n not in shared]
        parts.append(f'### type = "{kind}"\n\n')
        if own:
            parts.append(
                table(HEADER, [_row(f"sinks.{kind}.{n}", n, f, warn) for n, f in own]) + "\n"
            )
        else:
            parts.append("No keys besides those of every sink.\n\n")
    return "".join(parts)


def _keys(model: type[BaseModel]) -> list[tuple[str, FieldInfo]]:
    """A model's keys as spelt in TOML (``from``, not the attribute ``sender``)."""
    return [(field.alias or name, field) for name, field in model.model_fields.items()]


def _row(key: str, name: str, field: FieldInfo, warn: Warn) -> tuple[str, str, str, str]:
    meaning = _described(key, field, warn)
    bounds = _bounds(field)
    return (code(name), _type(field.annotation), _default(field), f"{meaning} {bounds}".strip())


def _described(key: str, field: FieldInfo | None, warn: Warn) -> str:
    text = CONFIG.get(key) or (field.description if field is not None else None)
    if not text:
        warn(f"the configuration key {key} is not described (docs_reference/descriptions.py)")
        return ""
    return text


def _bounds(field: FieldInfo) -> str:
    found = [
        f"{sign} {getattr(rule, attribute)}"
        for rule in field.metadata
        for attribute, sign in _BOUNDS
        if getattr(rule, attribute, None) is not None
    ]
    return f"({', '.join(found)})" if found else ""


def _default(field: FieldInfo) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "required"
    value = field.get_default(call_default_factory=True)
    return code(_toml(value)) if value is not None else "none"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    return str(value)


def _type(annotation: Any) -> str:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return " \\| ".join(code(_toml(arg)) for arg in args)
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type(arg) for arg in args if arg is not type(None))
    if origin is list:
        return f"list of {_type(args[0])}" if args else "list"
    if origin is dict:
        return "table"
    if annotation is SecretStr:
        return "text (secret)"
    names = {str: "text", int: "integer", float: "number", bool: "true or false"}
    return names.get(
        annotation, "path" if "Path" in getattr(annotation, "__name__", "") else "text"
    )


def _is_model(annotation: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
