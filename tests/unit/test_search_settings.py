"""``[[watch.search]]`` tables and a sink's ``searches``: what is accepted, and the errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.domain.search import Search
from monitor.errors import ConfigError
from monitor.settings.model import load_settings, sink_configs

HEAD = """
[sources.cqc_api]
subscription_key = "k"
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "monitor.toml"
    path.write_text(HEAD + text)
    return load_settings(path, environ={})


def refused(tmp_path: Path, text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value


def test_searches_with_single_values_and_lists(tmp_path: Path) -> None:
    settings = load(
        tmp_path,
        """
[[watch.search]]
name = "kent-care-homes"
localAuthority = ["Kent", "Medway"]
careHome = "y"

[[watch.search]]
name = "london-dentists"
region = "London"
gacServiceTypeDescription = "Dental   service"
""",
    )
    searches = [s.search() for s in settings.watch.search]  # type: ignore[attr-defined]
    assert searches == [
        Search.of("kent-care-homes", {"localAuthority": ["Kent", "Medway"], "careHome": ["Y"]}),
        Search.of(
            "london-dentists",
            {"region": ["London"], "gacServiceTypeDescription": ["Dental service"]},
        ),
    ]


def test_unknown_keys_are_all_named_with_a_suggestion(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        """
[[watch.search]]
name = "kent"
localauthority = "Kent"
colour = "blue"
""",
    )
    assert error.key == "watch.search[0]"
    assert "'colour', 'localauthority' (did you mean localAuthority?)" in error.message
    assert "filters of GET /locations: careHome, constituency" in error.message


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ('name = "a"', "watch.search[0]", "needs at least one filter"),
        ('name = "a"\ncareHome = "maybe"', "watch.search[0].careHome", 'careHome is "Y" or "N"'),
        ('name = "a"\nregion = []', "watch.search[0].region", "region needs at least one value"),
        ('name = "a"\nregion = 3', "watch.search[0].region", "region takes text"),
        ('name = "a"\nproviderId = "../x"', "watch.search[0].providerId", "CQC provider ids"),
        ('name = ""\nregion = "London"', "watch.search[0].name", "at least 1 character"),
        ('region = "London"', "watch.search[0].name", "Field required"),
    ],
)
def test_bad_searches_name_their_key(tmp_path: Path, text: str, key: str, message: str) -> None:
    error = refused(tmp_path, f"[[watch.search]]\n{text}\n")
    assert (error.key, message in error.message) == (key, True), error.message


def test_search_names_are_unique(tmp_path: Path) -> None:
    error = refused(
        tmp_path,
        '[[watch.search]]\nname = "a"\nregion = "London"\n'
        '[[watch.search]]\nname = "a"\nregion = "East"\n',
    )
    assert (error.key, error.message) == ("watch.search[1].name", "duplicate search name 'a'")


def test_a_sink_filters_by_configured_searches_only(tmp_path: Path) -> None:
    search = '[[watch.search]]\nname = "kent"\nlocalAuthority = "Kent"\n'
    settings = load(
        tmp_path, search + '[[sinks]]\nname = "c"\ntype = "console"\nsearches = ["kent"]\n'
    )
    (config,) = sink_configs(settings.sinks)  # type: ignore[attr-defined]
    assert config.searches == ["kent"]
    error = refused(
        tmp_path, search + '[[sinks]]\nname = "c"\ntype = "console"\nsearches = ["kemt"]\n'
    )
    assert error.key == "sinks[0].searches"
    assert error.message == "no search named 'kemt' (did you mean kent?) (searches: kent)"
