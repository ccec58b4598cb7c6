"""Configuration loading: TOML, ${ENV} expansion, errors that name the key (SPEC §3)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from monitor.errors import ConfigError
from monitor.settings.model import Settings, load_settings, mask_url

MINIMAL = """
[sources.cqc_api]
subscription_key = "${CQC_KEY}"
partner_code = "acme-care"

[watch]
locations = ["1-10000302982"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text(text)
    return path


def test_env_references_are_expanded_and_defaults_filled(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, MINIMAL), environ={"CQC_KEY": "k-123"})
    api = settings.sources.cqc_api
    assert api.subscription_key.get_secret_value() == "k-123"
    assert api.requests_per_second == 8
    assert settings.schedule.changes == "0 7 * * *"
    assert settings.database.url == "sqlite:///data/monitor.db"
    assert settings.alerts.first_seen == "silent"


def test_request_deadlines_default_to_twice_the_timeout(tmp_path: Path) -> None:
    defaults = load_settings(write(tmp_path, MINIMAL), environ={"CQC_KEY": "k"})
    assert defaults.sources.cqc_api.deadline_seconds == 60
    assert defaults.sources.cqc_web.deadline_seconds == 60

    text = (
        '[sources.cqc_api]\nsubscription_key = "k"\ntimeout_seconds = 20\n'
        "[sources.cqc_web]\ntimeout_seconds = 20\ndeadline_seconds = 45\n"
    )
    settings = load_settings(write(tmp_path, text), environ={})
    assert settings.sources.cqc_api.deadline_seconds == 40
    assert settings.sources.cqc_web.deadline_seconds == 45


def test_database_url_from_the_environment_wins(tmp_path: Path) -> None:
    env = {"CQC_KEY": "k", "MONITOR_DATABASE_URL": "postgresql+psycopg://u@db/x"}
    settings = load_settings(write(tmp_path, MINIMAL), environ=env)
    assert settings.database.url == "postgresql+psycopg://u@db/x"


def test_config_path_from_monitor_config(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    settings = load_settings(None, environ={"CQC_KEY": "k", "MONITOR_CONFIG": str(path)})
    assert settings.path == str(path)


API = '[sources.cqc_api]\nsubscription_key = "k"\n'


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (API + "concurrency = 0", "sources.cqc_api.concurrency"),
        (API + "deadline_seconds = 0", "sources.cqc_api.deadline_seconds"),
        (
            API + '[sources.cqc_web]\ndeadline_seconds = "soon"',
            "sources.cqc_web.deadline_seconds",
        ),
        (API + '[schedule]\nchanges = "0 7 * *"', "schedule.changes"),
        (API + '[schedule]\ntimezone = "Mars/Olympus"', "schedule.timezone"),
        (API + '[alerts]\nfirst_seen = "loud"', "alerts.first_seen"),
        (API + '[watch]\nproviders = ["not an id"]', "watch.providers"),
        (API + "[server]\nport = 70000", "server.port"),
        (API + "[retention]\nfetch_log_days = 0", "retention.fetch_log_days"),
        (API + "[surprise]\nx = 1", "surprise"),
        (
            API + '[[sinks]]\nname = "w"\ntype = "webhook"\nurl = "https://x"\nsecret = "no"',
            "sinks[0].secret",
        ),
        (
            API + '[[sinks]]\nname = "e"\ntype = "email"\nhost = "h"\nfrom = "a@b"\nto = []',
            "sinks[0].to",
        ),
        (API + '[[sinks]]\nname = "p"\ntype = "pager"', "sinks[0].type"),
    ],
    ids=lambda value: value if not value.startswith("[sources") else None,
)
def test_invalid_values_name_the_offending_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ={})
    assert caught.value.key == key


def test_missing_environment_variable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="CQC_KEY is not set") as caught:
        load_settings(write(tmp_path, MINIMAL), environ={})
    assert caught.value.key == "sources.cqc_api.subscription_key"


def test_missing_subscription_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, "[sources.cqc_api]\n"), environ={})
    assert caught.value.key == "sources.cqc_api.subscription_key"


def test_duplicate_sink_names_are_refused(tmp_path: Path) -> None:
    text = (
        MINIMAL
        + '\n[[sinks]]\nname = "a"\ntype = "console"\n[[sinks]]\nname = "a"\ntype = "console"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ={"CQC_KEY": "k"})
    assert caught.value.key == "sinks[1].name"


def test_watch_file_ids_skip_blanks_comments_and_header(tmp_path: Path) -> None:
    (tmp_path / "ids.csv").write_text("location_id,name\n1-101,A\n\n# retired\n1-102,B\n")
    text = MINIMAL.replace('[watch]\nlocations = ["1-10000302982"]', '[watch]\nfile = "ids.csv"')
    settings = load_settings(write(tmp_path, text), environ={"CQC_KEY": "k"})
    assert settings.watch_file_ids() == ["1-101", "1-102"]


def test_unparseable_toml_and_missing_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[database\n"), environ={})
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "absent.toml", environ={})


def test_mask_url_hides_only_the_password() -> None:
    assert (
        mask_url("postgresql+psycopg://cqc:s3cret@db:5432/cqc")
        == "postgresql+psycopg://cqc:***@db:5432/cqc"
    )
    assert mask_url("sqlite:///data/monitor.db") == "sqlite:///data/monitor.db"


def _number_fields(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, type]]:
    for name, field in model.model_fields.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            yield from _number_fields(field.annotation, key)
        elif field.annotation in (int, float):
            yield key, field.annotation


NUMBER_FIELDS = dict(_number_fields(Settings, ""))


@pytest.mark.parametrize("key", NUMBER_FIELDS)
@pytest.mark.parametrize("size", ["1e300", "inf", "nan", "true"])
def test_every_number_refuses_values_the_runtime_cannot_hold(
    tmp_path: Path, key: str, size: str
) -> None:
    """Huge, infinite or boolean numbers used to pass and then overflow a timer or a
    timedelta at run time (or, for true, quietly mean 1)."""
    section, name = key.rsplit(".", 1)
    value = str(10**30) if NUMBER_FIELDS[key] is int and size == "1e300" else size
    text = API + f"[{section}]\n{name} = {value}\n"
    if section == "sources.cqc_api":
        text = API + f"{name} = {value}\n"
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ={})
    assert caught.value.key == key


def test_number_fields_are_found() -> None:
    assert {"sources.cqc_api.timeout_seconds", "schedule.grace_seconds"} <= set(NUMBER_FIELDS)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (API.replace('"k"', '"k\\n"'), "sources.cqc_api.subscription_key"),
        (API.replace('"k"', '"k\\u0085"'), "sources.cqc_api.subscription_key"),
        (API.replace('"k"', '"k€y"'), "sources.cqc_api.subscription_key"),
        (API.replace('"k"', '" k"'), "sources.cqc_api.subscription_key"),
        (API + 'partner_code = "acme\\tcare"', "sources.cqc_api.partner_code"),
        (API + '[watch]\nlocations = ["1-101", "1-102\\r"]', "watch.locations[1]"),
    ],
    ids=["newline", "next-line", "non-ascii", "leading-space", "tab", "in-a-list"],
)
def test_text_a_header_or_request_would_refuse_is_refused_at_load(
    tmp_path: Path, text: str, key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ={})
    assert caught.value.key == key
    assert "k\n" not in str(caught.value) and "k€y" not in str(caught.value)
