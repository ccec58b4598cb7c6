"""config/monitor.example.toml is what operators copy: it must load, and stay complete."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from monitor.settings.model import Settings, load_settings, sink_configs

EXAMPLE = Path(__file__).parents[2] / "config" / "monitor.example.toml"
ENV = {
    "CQC_SUBSCRIPTION_KEY": "example-key",
    "SMTP_USER": "alerts",
    "SMTP_PASSWORD": "example-password",
    "WEBHOOK_SECRET": "whsec_c2VjcmV0LXNpZ25pbmcta2V5LTEyMzQ1Ng==",
    "APPRISE_SLACK_URL": "slack://TokenA/TokenB/TokenC/#quality",
}


def test_the_example_loads_with_its_secrets_from_the_environment() -> None:
    settings = load_settings(EXAMPLE, environ=ENV)
    assert settings.sources.cqc_api.subscription_key.get_secret_value() == "example-key"
    sinks = {config.name: config for config in sink_configs(settings.sinks)}
    assert {config.type for config in sinks.values()} == {"email", "webhook"}
    assert sinks["ops-webhook"].model_dump()["secret"].get_secret_value() == ENV["WEBHOOK_SECRET"]


def test_the_operations_sink_hears_when_cqc_changes_its_documents() -> None:
    settings = load_settings(EXAMPLE, environ=ENV)
    sinks = {config.name: config for config in sink_configs(settings.sinks)}
    operations = sinks["ops-email"]
    assert operations.events is not None and "source_changed" in operations.events
    assert operations.locations is None and operations.providers is None


def test_every_secret_is_an_environment_reference() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    for key in ("subscription_key", "password", "secret", "username"):
        values = re.findall(rf'^\s*{key}\s*=\s*"([^"]*)"', text, flags=re.MULTILINE)
        assert values and all(re.fullmatch(r"\$\{[A-Z_]+\}", v) for v in values), key


def _tables(model: type[BaseModel], prefix: str = "") -> dict[str, set[str]]:
    """Every settings table (``sources.cqc_api`` ...) with the plain settings it holds."""
    found: dict[str, set[str]] = {prefix.rstrip("."): set()} if prefix else {}
    for name, field in model.model_fields.items():
        kind = field.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found.update(_tables(kind, f"{prefix}{name}."))
        elif prefix:
            found[prefix.rstrip(".")].add(name)
    return {table: keys for table, keys in found.items() if keys}


@pytest.mark.parametrize(
    ("table", "keys"), [pytest.param(t, k, id=t) for t, k in sorted(_tables(Settings).items())]
)
def test_every_setting_is_shown(table: str, keys: set[str]) -> None:
    raw: Any = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    for part in table.split("."):
        raw = raw[part]
    assert keys - set(raw) == set(), f"[{table}] leaves out a setting"


def test_the_commented_out_sink_examples_are_valid_too(tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    enabled = tmp_path / "monitor.toml"
    enabled.write_text(text + "\n" + "\n".join(_commented_sinks(text)) + "\n", encoding="utf-8")
    settings = load_settings(enabled, environ=ENV)
    types = [config.type for config in sink_configs(settings.sinks)]
    assert types == ["email", "webhook", "apprise", "console"]


def _commented_sinks(text: str) -> list[str]:
    """Each ``# [[sinks]]`` block, uncommented, up to the first line that is not ``# ...``."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.strip() == "# [[sinks]]":
            current = []
            blocks.append("")
        if current is not None and line.startswith("# "):
            current.append(line[2:])
            blocks[-1] = "\n".join(current)
        else:
            current = None
    return blocks
