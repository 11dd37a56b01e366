"""Outgoing mail: SMTP in production and tests, .eml files in the demo."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from flask import current_app
from flask_mail import Message

from ..extensions import mail
from ..models import utcnow

log = logging.getLogger(__name__)


def send_message(
    to: str, *, subject: str, body: str, link: str | None = None, html: str | None = None
) -> Message:
    """Send one message. Bodies carry no clinical content, only what to do and where.

    With ``MAIL_BACKEND = "file"`` (the demo) the message is written under
    ``instance/mail/`` and its link is logged, so invitations and resets work
    without a mail server.
    """
    message = Message(subject=subject, recipients=[to], body=body, html=html)
    if current_app.config["MAIL_BACKEND"] == "file":
        outbox = Path(current_app.instance_path) / "mail"
        outbox.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
        path = outbox / name
        path.write_bytes(message.as_bytes())
        log.warning("mail to %s written to %s%s", to, path, f" (link: {link})" if link else "")
    else:
        mail.send(message)
    return message
