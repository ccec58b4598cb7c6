"""[server] dashboard settings: refused with the key named, secrets never echoed."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from monitor.bootstrap import dashboard_config
from monitor.errors import ConfigError
from tests.support.apps import settings_for

HASH = generate_password_hash("correct horse battery")


def server(**values: object) -> dict[str, object]:
    return {"server": {"dashboard": True, **values}}


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        ({"dashboard_auth": "basic"}, "server.dashboard_users", "needs at least one user"),
        (
            {"dashboard_auth": "basic", "dashboard_users": {"auditor": "plain-password"}},
            "server.dashboard_users",
            "must be a hash from `cqc-monitor dashboard hash-password`",
        ),
        (
            {"dashboard_auth": "basic", "dashboard_users": {"a:b": HASH}},
            "server.dashboard_users",
            "hold no ':'",
        ),
        ({"dashboard_auth": "bearer"}, "server.dashboard_token", "16+ characters"),
        (
            {"dashboard_auth": "bearer", "dashboard_token": "short"},
            "server.dashboard_token",
            "16+ characters",
        ),
        ({"dashboard_auth": "magic"}, "server.dashboard_auth", "'none', 'basic' or 'bearer'"),
        ({"dashboard_path_prefix": "cqc"}, "server.dashboard_path_prefix", "such as /cqc"),
        ({"dashboard_path_prefix": "/a b"}, "server.dashboard_path_prefix", "such as /cqc"),
    ],
)
def test_unusable_dashboard_settings_name_their_key(
    values: dict[str, object], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        settings_for("sqlite:///unused.db", **server(**values))
    assert caught.value.key == key
    assert message in caught.value.message
    assert "plain-password" not in str(caught.value)


def test_users_and_token_become_the_dashboard_configuration_and_are_masked() -> None:
    token = "t0ken-of-enough-length"
    settings = settings_for(
        "sqlite:///unused.db",
        **server(
            dashboard_auth="basic",
            dashboard_users={"auditor": HASH},
            dashboard_token=token,
            dashboard_path_prefix="/cqc/",
        ),
    )
    config = dashboard_config(settings)
    assert config.auth == "basic" and dict(config.users) == {"auditor": HASH}
    assert config.path_prefix == "/cqc"
    assert {HASH, token} <= set(settings.secrets())
    assert HASH not in repr(config) and token not in repr(config)
    assert HASH not in settings.model_dump_json()
