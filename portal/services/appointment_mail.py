"""Emails about appointment requests. They say that something is waiting and where, in the
recipient's language; never who the client is, why they asked, or anything clinical."""

from __future__ import annotations

import logging
import smtplib

from flask import current_app
from flask_babel import gettext as _

from ..i18n import force_locale
from ..models import Client, User
from .mail import send_message

log = logging.getLogger(__name__)


def _language(user: User, fallback: str | None = None) -> str:
    languages = current_app.config["LANGUAGES"]
    for code in (user.locale, fallback):
        if code in languages:
            return str(code)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _send(to: str, subject: str, body: str, link: str) -> None:
    try:
        send_message(to, subject=subject, body=body, link=link)
    except (smtplib.SMTPException, OSError):
        # The request is saved and on the dashboard; a lost email must not lose it.
        log.exception("could not send an appointment email")


def tell_case_manager(client: Client, *, link: str, cancelled: bool = False) -> bool:
    """The client's case manager hears that a request (or a cancellation) is waiting."""
    manager = client.primary_case_manager
    if manager is None or not manager.active:
        return False
    with force_locale(_language(manager)):
        if cancelled:
            subject = _("An appointment was cancelled in Waypoint")
            body = _(
                "A client cancelled an appointment from the portal.\n\n"
                "Open Waypoint to see it: %(link)s\n\n"
                "For privacy, this email carries no details.",
                link=link,
            )
        else:
            subject = _("New appointment request in Waypoint")
            body = _(
                "A client sent a request about an appointment.\n\n"
                "Open Waypoint to answer it: %(link)s\n\n"
                "For privacy, this email carries no details.",
                link=link,
            )
    _send(manager.email, subject, body, link)
    return True


def tell_client(client: Client, *, link: str) -> bool:
    """The client hears that their request has an answer (read it after signing in)."""
    account = client.portal_user
    if account is None or not account.active:
        return False
    with force_locale(_language(account, client.preferred_language)):
        subject = _("Your appointment request has an answer")
        body = _(
            "Hello,\n\nYour care team answered your appointment request.\n\n"
            "Sign in to read it: %(link)s",
            link=link,
        )
    _send(account.email, subject, body, link)
    return True
