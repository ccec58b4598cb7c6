"""The email sink against a real SMTP server (aiosmtpd) in this process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from monitor.errors import ConfigError
from monitor.sinks.email import EmailSink
from monitor.sinks.registry import build_sink
from tests.support.events import alerts, deregistered_event, inspection_event, rating_event
from tests.support.smtp import SmtpServer, unused_port
from tests.support.tls import CertPair, make_self_signed_cert

PASSWORD = "s3cret-Pa55word"


def email_sink(port: int, **overrides: Any) -> EmailSink:
    section = {
        "name": "ops-email",
        "type": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "from": "CQC Monitor <cqc-monitor@example.org>",
        "to": ["ops@example.org", "compliance@example.org"],
        "timeout_seconds": 5,
        **overrides,
    }
    sink = build_sink(section)
    assert isinstance(sink, EmailSink)
    return sink


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    with SmtpServer() as running:
        yield running


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    return make_self_signed_cert(tmp_path_factory.mktemp("tls"))


def test_three_events_arrive_as_one_grouped_message(server: SmtpServer) -> None:
    batch = alerts(rating_event(), inspection_event(), deregistered_event())
    outcomes = email_sink(server.port).send(batch)

    assert [(o.delivery_id, o.ok) for o in outcomes] == [(101, True), (102, True), (103, True)]
    [received] = server.received
    assert received.mail_from == "cqc-monitor@example.org"
    assert received.rcpt_tos == ["ops@example.org", "compliance@example.org"]
    message = received.message
    assert message["Subject"] == "[CQC] CRITICAL 3 changes at 3 locations (2 critical)"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    text, markup = plain.get_content(), html.get_content()
    assert "Overall: Good → Requires improvement" in text
    assert "Safe: Good → Requires improvement" in text
    assert "Registration: Registered → Deregistered" in text
    assert "Report type: Location" in text
    assert text.index("Overall:") < text.index("Safe:")
    for name in ("Henley House", "Lucerne House", "Allied Healthcare Bournemouth"):
        assert name in text and name in markup
    assert "Good → Requires improvement" in markup
    assert str(message["X-CQC-Event-Ids"]).count("evt_") == 3


def test_resending_the_same_batch_repeats_the_message_id(server: SmtpServer) -> None:
    batch = alerts(rating_event(), inspection_event())
    sink = email_sink(server.port)
    sink.send(batch)
    sink.send(list(reversed(batch)))
    sink.send(alerts(rating_event(), first_id=500))

    first, again, other = server.messages
    assert first["Message-ID"] == again["Message-ID"]
    assert first["Message-ID"] != other["Message-ID"]
    assert str(first["Message-ID"]).endswith("@example.org>")


def test_starttls_with_auth_verifies_the_certificate_with_ca_file(cert: CertPair) -> None:
    with SmtpServer(tls=cert, credentials=("monitor", PASSWORD)) as server:
        sink = email_sink(
            server.port,
            host="localhost",
            security="starttls",
            username="monitor",
            password=PASSWORD,
            ca_file=str(cert.cert_file),
        )
        outcomes = sink.send(alerts(rating_event()))

        assert [o.ok for o in outcomes] == [True]
        assert server.authenticator is not None and server.authenticator.attempts
        assert server.messages[0]["Subject"].startswith("[CQC] CRITICAL Henley House:")


def test_implicit_tls_on_the_ssl_port(cert: CertPair) -> None:
    with SmtpServer(tls=cert, implicit_tls=True) as server:
        sink = email_sink(
            server.port, host="localhost", security="ssl", ca_file=str(cert.cert_file)
        )
        assert [o.ok for o in sink.send(alerts(inspection_event()))] == [True]
        assert len(server.messages) == 1


def test_an_untrusted_certificate_is_refused(cert: CertPair) -> None:
    with SmtpServer(tls=cert) as server:
        [outcome] = email_sink(server.port, host="localhost", security="starttls").send(
            alerts(rating_event())
        )
        assert not outcome.ok and not outcome.permanent
        assert outcome.error is not None and "certificate" in outcome.error
        assert server.messages == []


def test_wrong_password_is_permanent_and_never_logged(cert: CertPair) -> None:
    with SmtpServer(tls=cert, credentials=("monitor", "the-right-one")) as server:
        sink = email_sink(
            server.port,
            host="localhost",
            security="starttls",
            username="monitor",
            password=PASSWORD,
            ca_file=str(cert.cert_file),
        )
        with capture_logs() as logs:
            outcomes = sink.send(alerts(rating_event(), inspection_event()))

    assert [(o.ok, o.permanent) for o in outcomes] == [(False, True), (False, True)]
    assert "authentication failed: 535" in str(outcomes[0].error)
    assert logs and PASSWORD not in repr(logs) and PASSWORD not in repr(sink.config)
    assert PASSWORD not in repr(outcomes)


def test_server_down_is_a_transient_failure() -> None:
    outcomes = email_sink(unused_port()).send(alerts(rating_event(), inspection_event()))

    assert [o.delivery_id for o in outcomes] == [101, 102]
    assert all(not o.ok and not o.permanent for o in outcomes)
    assert "refused" in str(outcomes[0].error).lower()


def test_a_server_that_never_finishes_answering_is_cut_off_at_the_deadline() -> None:
    with SmtpServer(stall=0.05) as stalling:  # a line in good time for the 5 s read timeout
        sink = email_sink(stalling.port, deadline_seconds=0.5)
        outcomes = sink.send(alerts(rating_event(), inspection_event()))
    assert [(o.ok, o.permanent) for o in outcomes] == [(False, False), (False, False)]
    assert outcomes[0].error == "no complete answer within the 0.5s deadline"


def test_deadlines_default_to_twice_the_timeout() -> None:
    assert email_sink(25).config.deadline_seconds == 10
    assert email_sink(25, timeout_seconds=30, deadline_seconds=45).config.deadline_seconds == 45


def test_refused_recipient_is_a_permanent_failure() -> None:
    with SmtpServer(refuse={"gone@example.org"}) as server:
        sink = email_sink(server.port, to=["gone@example.org"])
        [outcome] = sink.send(alerts(rating_event()))

    assert not outcome.ok and outcome.permanent
    assert "gone@example.org: 550" in str(outcome.error)
    assert server.messages == []


def test_one_refused_recipient_among_several_is_not_retried() -> None:
    with SmtpServer(refuse={"gone@example.org"}) as server:
        sink = email_sink(server.port, to=["ops@example.org", "gone@example.org"])
        [outcome] = sink.send(alerts(rating_event()))

    assert not outcome.ok and outcome.permanent
    assert "gone@example.org" in str(outcome.error)
    assert [item.rcpt_tos for item in server.received] == [["ops@example.org"]]


def test_empty_batch_sends_nothing(server: SmtpServer) -> None:
    assert email_sink(server.port).send([]) == []
    assert server.received == []


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ({"to": []}, "to"),
        ({"from": "not an address"}, "from"),
        ({"security": "tls"}, "security"),
        ({"password": "only-a-password"}, "password"),
        ({"username": "only-a-user"}, "password"),
        ({"smtp_host": "typo"}, "smtp_host"),
    ],
    ids=["no-to", "bad-from", "bad-security", "no-user", "no-password", "unknown-key"],
)
def test_config_errors_name_the_key(override: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        email_sink(25, **override)
    assert caught.value.key == key
    assert "only-a-password" not in str(caught.value)


def test_ssl_security_defaults_to_port_465() -> None:
    section = {
        "name": "e",
        "type": "email",
        "host": "smtp.example.org",
        "security": "ssl",
        "from": "a@example.org",
        "to": ["b@example.org"],
    }
    sink = build_sink(section)
    assert isinstance(sink, EmailSink) and sink.config.port == 465
    assert isinstance(build_sink({**section, "security": "starttls"}), EmailSink)
