"""Every configuration mistake is a usage error (exit 2) naming the key or file, from
``config check`` and from every other command alike: never a traceback, a wrong exit status,
or a value that passes and then fails at every request or send."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.cli import run_cli

pytestmark = pytest.mark.slow

WEBHOOK = """
[[sinks]]
name = "hook"
type = "webhook"
url = "https://hooks.example.org/cqc"
secret = "whsec_c2VjcmV0LXNpZ25pbmcta2V5"
"""
EMAIL = """
[[sinks]]
name = "mail"
type = "email"
host = "smtp.example.org"
to = ["ops@example.org"]
"""
Setup = Callable[[Path], Path]


# What a shell's CQC_SUBSCRIPTION_KEY=$'KEY\n' hands over.
ENVIRONMENT = {"CQC_KEY": "KEY-7f3a\n"}


def config(*, url: str = "", key: str = "k-1", api: str = "", extra: str = "") -> Setup:
    """A config file: the database (SQLite in the test folder unless ``url``), then
    ``[sources.cqc_api]`` with ``api`` added, then ``extra``."""

    def write(folder: Path) -> Path:
        path = folder / "monitor.toml"
        database = url or f"sqlite:///{folder / 'monitor.db'}"
        text = f'[database]\nurl = "{database}"\n[sources.cqc_api]\nsubscription_key = "{key}"\n'
        path.write_text(text + api + "\n" + extra, encoding="utf-8")
        return path

    return write


def config_folder(folder: Path) -> Path:
    (folder / "config.d").mkdir()
    return folder / "config.d"


def latin1_config(folder: Path) -> Path:
    path = folder / "monitor.toml"
    path.write_bytes('[sources.cqc_api]\nsubscription_key = "clé"\n'.encode("latin-1"))
    return path


def binary_watch_file(folder: Path) -> Path:
    (folder / "ids.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00")
    return config(extra='[watch]\nfile = "ids.csv"')(folder)


def sqlite_under_a_file(folder: Path) -> Path:
    (folder / "plain-file").write_text("not a folder")
    return config(url=f"sqlite:///{folder / 'plain-file' / 'monitor.db'}")(folder)


CASES: dict[str, tuple[Setup, str]] = {
    "config-path-is-a-folder": (config_folder, "config.d"),
    "config-not-utf8": (latin1_config, "monitor.toml"),
    "watch-file-binary": (binary_watch_file, "watch.file"),
    "database-mysql": (config(url="mysql://cqc@db/cqc"), "database.url"),
    "database-driver-not-installed": (
        config(url="postgresql+psycopg2://cqc@db/cqc"),
        "database.url",
    ),
    "database-not-a-url": (config(url="not a url"), "database.url"),
    "sqlite-path-cannot-be-created": (sqlite_under_a_file, "database.url"),
    "timeout-1e400": (config(api="timeout_seconds = 1e400"), "sources.cqc_api.timeout_seconds"),
    "timeout-1e300": (config(api="timeout_seconds = 1e300"), "sources.cqc_api.timeout_seconds"),
    "sink-timeout-inf": (config(extra=WEBHOOK + "timeout_seconds = inf"), "sinks[0].timeout"),
    "port-not-a-number": (config(extra='[server]\nport = "nine"'), "server.port"),
    "port-true": (config(extra="[server]\nport = true"), "server.port"),
    "email-port-not-a-number": (
        config(extra=EMAIL + 'from = "a@example.org"\nport = "smtp"'),
        "sinks[0].port",
    ),
    "api-url-not-a-url": (config(api='base_url = "not a url"'), "sources.cqc_api.base_url"),
    "webhook-header-crlf": (
        config(extra=WEBHOOK + '[sinks.headers]\nX-Token = "abc\\r\\nX-Injected: 1"'),
        "sinks[0].headers.X-Token",
    ),
    "webhook-header-name-with-space": (
        config(extra=WEBHOOK + '[sinks.headers]\n"X Token" = "abc"'),
        "sinks[0].headers",
    ),
    "email-from-crlf": (
        config(extra=EMAIL + 'from = "a@example.org\\r\\nBcc: all@example.org"'),
        "sinks[0].from",
    ),
    "subscription-key-trailing-newline": (
        config(key="${CQC_KEY}"),
        "sources.cqc_api.subscription_key",
    ),
}
COMMANDS = {
    "config-check": ("config", "check"),
    "check": ("check", "--no-deliver"),
    "changes": ("changes",),
}


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
@pytest.mark.parametrize(("setup", "named"), CASES.values(), ids=CASES.keys())
def test_config_mistakes_exit_2_naming_the_key_or_file(
    tmp_path: Path, setup: Setup, named: str, command: tuple[str, ...]
) -> None:
    result = run_cli(setup(tmp_path), *command, env=ENVIRONMENT)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert named in result.stderr
    assert "KEY-7f3a" not in result.stderr + result.stdout  # a secret is named, never shown


def test_config_check_reports_every_problem_in_one_run(tmp_path: Path) -> None:
    text = (
        '[sources.cqc_api]\nsubscription_key = "${CQC_KEY_UNSET}"\n'
        'partner_code = "${PARTNER_UNSET}"\n'
    )
    path = tmp_path / "monitor.toml"
    path.write_text(text, encoding="utf-8")
    missing = run_cli(path, "config", "check")
    assert missing.returncode == 2
    assert "CQC_KEY_UNSET" in missing.stderr and "PARTNER_UNSET" in missing.stderr

    invalid = config(
        api="requests_per_second = -1\nconcurrency = 0",
        extra=WEBHOOK.replace('url = "https://hooks.example.org/cqc"', 'url = "ftp://x"')
        + "[schedule]\ngrace_seconds = -5\n",
    )(tmp_path)
    result = run_cli(invalid, "config", "check")
    assert result.returncode == 2
    for key in ("requests_per_second", "concurrency", "grace_seconds", "sinks[0].url"):
        assert key in result.stderr, (key, result.stderr)


def test_config_check_warns_about_a_config_that_can_do_nothing(tmp_path: Path) -> None:
    result = run_cli(config()(tmp_path), "config", "check")
    assert result.returncode == 0, result.stderr
    assert "warning: the watchlist is empty" in result.stderr
    assert "warning: no sinks" in result.stderr
    assert "warning" not in result.stdout


def test_config_check_masks_secrets_and_only_secrets(tmp_path: Path) -> None:
    headers = '[sinks.headers]\nX-Team = "compliance"\nAuthorization = "Bearer abc123"\n'
    path = config(extra='[watch]\nlocations = ["1-10000302982"]\n' + WEBHOOK + headers)(tmp_path)
    result = run_cli(path, "config", "check")
    assert result.returncode == 0, result.stderr
    assert '"X-Team": "compliance"' in result.stdout
    assert "abc123" not in result.stdout and "/cqc" not in result.stdout
    assert "warning" not in result.stderr
