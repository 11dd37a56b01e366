"""The account emails, written in the recipient's language, with no clinical content."""

from __future__ import annotations

import logging
import smtplib

from flask import render_template
from flask_babel import gettext as _

from ..i18n import current_language, force_locale
from ..models import User
from ..services.mail import send_message

log = logging.getLogger(__name__)


def _send(user: User, *, subject: str, body: str, link: str) -> None:
    """Send, and never let a mail failure change the page: that would tell who has an account."""
    try:
        send_message(user.email, subject=subject, body=body, link=link)
    except (smtplib.SMTPException, OSError):
        log.exception("could not send %r to user %s", subject, user.id)


def _locale_for(user: User) -> str:
    return user.locale or current_language()


def send_password_reset(user: User, link: str, minutes: int) -> None:
    """The reset link, valid for ``minutes``."""
    with force_locale(_locale_for(user)):
        subject = _("Reset your Waypoint password")
        body = render_template("mail/password_reset.txt", user=user, link=link, minutes=minutes)
    _send(user, subject=subject, body=body, link=link)


def send_sign_in_link(user: User, link: str, minutes: int) -> None:
    """A single-use sign-in link for a client or family member."""
    with force_locale(_locale_for(user)):
        subject = _("Your Waypoint sign-in link")
        body = render_template("mail/sign_in_link.txt", user=user, link=link, minutes=minutes)
    _send(user, subject=subject, body=body, link=link)


def send_invitation(user: User, link: str) -> None:
    """A single-use link to set a password for a new portal account."""
    with force_locale(_locale_for(user)):
        subject = _("You are invited to Waypoint")
        body = render_template("mail/invitation.txt", user=user, link=link)
    _send(user, subject=subject, body=body, link=link)
