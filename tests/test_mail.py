"""Outgoing mail reaches a real SMTP server in tests, and .eml files in the demo."""

from __future__ import annotations

from email import message_from_bytes
from pathlib import Path

import pytest

from portal.services.mail import send_message


@pytest.fixture
def app_config(mail_sink):
    return {"MAIL_SERVER": mail_sink.host, "MAIL_PORT": mail_sink.port, "MAIL_BACKEND": "smtp"}


def test_message_is_delivered_over_smtp(app, mail_sink):
    send_message(
        "client@example.org",
        subject="You have a new message",
        body="Sign in to read it: https://waypoint.example.org/client/messages",
    )
    assert len(mail_sink.messages) == 1
    received = mail_sink.messages[0]
    assert received["To"] == "client@example.org"
    assert received["Subject"] == "You have a new message"
    assert "no-reply@waypoint.example.org" in received["From"]
    assert "/client/messages" in received.get_payload(decode=True).decode()


def test_demo_writes_eml_files_and_logs_the_link(app, caplog, mail_sink):
    app.config["MAIL_BACKEND"] = "file"
    link = "http://127.0.0.1:5000/reset/abc123"
    with caplog.at_level("WARNING"):
        send_message(
            "cm@example.org", subject="Reset your password", body=f"Open {link}", link=link
        )
    files = list((Path(app.instance_path) / "mail").glob("*.eml"))
    assert len(files) == 1
    parsed = message_from_bytes(files[0].read_bytes())
    assert parsed["To"] == "cm@example.org" and parsed["Subject"] == "Reset your password"
    assert link in caplog.text
    assert mail_sink.messages == []
