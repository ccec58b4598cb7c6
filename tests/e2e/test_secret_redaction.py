"""Secrets stay secret even when a server echoes them back in an error body (SPEC §3, §8):
not in the database, not in CLI output, not in the log, not in alerts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest
from sqlalchemy import create_engine, inspect, select, table, text

from tests.support.cli import run_cli, write_config
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow

# Quotes, a backslash, a doubled space, URL and HTML characters: every way a secret is
# escaped, collapsed or encoded on its way into a message.
KEY = 'Zx9-s3cr3t "odd"  \\key+/%41&<b>=end'
TOKEN = "tok-h00k 'odd' \\ value"
FRAGMENTS = ("s3cr3t", "h00k")
SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class EchoingApi(BaseHTTPRequestHandler):
    """Refuses every location, quoting the key it was sent (some gateways do)."""

    def do_GET(self) -> None:
        key = self.headers.get("Ocp-Apim-Subscription-Key", "")
        status = 401 if self.path.startswith("/locations/1-401") else 400
        body = json.dumps({"statusCode": status, "message": f"Access denied for key {key}."})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoingApi)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def database_text(url: str) -> str:
    """Every text value of every row of every table."""
    engine = create_engine(url)
    values = []
    with engine.connect() as connection:
        for name in inspect(engine).get_table_names():
            for row in connection.execute(select(text("*")).select_from(table(name))):
                values += [str(v) for v in row if not isinstance(v, bytes)]
    engine.dispose()
    return "\n".join(values)


def test_an_echoed_key_or_header_never_appears_in_rows_output_logs_or_alerts(
    tmp_path: Path, api: str
) -> None:
    with WebhookReceiver() as hook:
        sink = (
            f'[alerts]\nfailing_after = 1\n[[sinks]]\nname = "hook"\ntype = "webhook"\n'
            f'url = "{hook.url}"\nsecret = "{SECRET}"\n'
            '[sinks.headers]\nX-Api-Token = "${HOOK_TOKEN}"\n'
        )
        config = write_config(tmp_path, api, key="${CQC_KEY}", locations=[], extra=sink)
        env = {"CQC_KEY": KEY, "HOOK_TOKEN": TOKEN}
        hook.respond(500, body=json.dumps({"error": f"token {TOKEN} revoked"}).encode())

        runs = [
            run_cli(config, "check", "--full", "--location", "1-400", env=env),
            run_cli(config, "check", "--full", "--location", "1-401", env=env),
            run_cli(config, "history", "1-400", "--format", "json", env=env),
            run_cli(config, "history", "1-400", "--format", "csv", env=env),
            run_cli(config, "changes", "--format", "json", env=env),
            run_cli(config, "alerts", "--format", "json", env=env),
        ]
        alerts = [request.body.decode() for request in hook.requests]

    assert [r.returncode for r in runs] == [1, 1, 0, 0, 0, 0], runs[1].stderr
    assert "subscription key" in runs[1].stderr  # the refusal is still explained
    history = json.loads(runs[2].stdout)
    assert any("Access denied for key ********" in str(h.get("error")) for h in history)
    (failing,) = json.loads(runs[4].stdout)
    assert failing["type"] == "monitor_failing"
    (delivery,) = json.loads(runs[5].stdout)
    assert delivery["status"] == "failed" and "token ******** revoked" in delivery["last_error"]
    assert len(alerts) == 1

    seen = {
        "database": database_text(f"sqlite:///{tmp_path / 'monitor.db'}"),
        "stdout": "\n".join(r.stdout for r in runs),
        "stderr and logs": "\n".join(r.stderr for r in runs),
        "alerts": "\n".join(alerts),
    }
    for where, content in seen.items():
        for fragment in FRAGMENTS:
            assert fragment not in content, f"{fragment!r} leaked into {where}"
