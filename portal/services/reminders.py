"""Appointment reminders (``flask --app portal send-reminders``, run from cron).

Each client, and each family member whose consent in force includes appointments, gets one
reminder per appointment (per start time: a moved appointment is reminded again) in their
own language. A reminder says when and where to sign in, never what the appointment is for.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import policy
from ..extensions import db
from ..i18n import force_locale
from ..models import Appointment, AppointmentReminder, Client, FamilyAccess, Role, User, utcnow
from .mail import send_message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    appointment: Appointment
    recipient: str
    locale: str
    user: User | None
    for_family: bool


def _language(code: str | None) -> str:
    languages = current_app.config["LANGUAGES"]
    return str(code) if code in languages else str(current_app.config["BABEL_DEFAULT_LOCALE"])


def due(now: datetime | None = None, hours: int | None = None) -> Iterator[Reminder]:
    """Reminders to send now: appointments starting within the next ``hours`` that a
    recipient has not been reminded of at that start time."""
    now = now or utcnow()
    hours = hours if hours is not None else int(current_app.config["REMINDER_HOURS"])
    appointments = db.session.scalars(
        select(Appointment)
        .options(
            selectinload(Appointment.client).selectinload(Client.portal_user),
            selectinload(Appointment.staff),
        )
        .where(
            Appointment.status == "scheduled",
            Appointment.starts_at > now,
            Appointment.starts_at <= now + timedelta(hours=hours),
        )
        .order_by(Appointment.starts_at)
    ).all()
    if not appointments:
        return
    ids = [a.id for a in appointments]
    sent: set[tuple[int, str, datetime]] = set(
        (int(a), str(r), s)
        for a, r, s in db.session.execute(
            select(
                AppointmentReminder.appointment_id,
                AppointmentReminder.recipient,
                AppointmentReminder.starts_at,
            ).where(AppointmentReminder.appointment_id.in_(ids))
        )
    )
    family: list[tuple[int, User]] = [
        (int(client_id), member)
        for client_id, member in db.session.execute(
            select(FamilyAccess.client_id, User)
            .join(User, User.id == FamilyAccess.family_user_id)
            .where(
                FamilyAccess.client_id.in_({a.client_id for a in appointments}),
                FamilyAccess.scope_appointments.is_(True),
                policy.consent_in_force(now),
                User.active.is_(True),
                User.role == Role.FAMILY,
            )
        )
    ]
    for appointment in appointments:
        for reminder in _recipients(appointment, family):
            key = (appointment.id, reminder.recipient, appointment.starts_at)
            if key not in sent:
                sent.add(key)
                yield reminder


def _recipients(appointment: Appointment, family: list[tuple[int, User]]) -> Iterator[Reminder]:
    client = appointment.client
    account = client.portal_user
    if account is not None:
        # An account turned off, or one whose owner chose no reminders, gets none.
        if account.active and account.notify_reminders:
            yield Reminder(
                appointment,
                account.email,
                _language(account.locale or client.preferred_language),
                account,
                False,
            )
    elif client.email:
        # No portal account: the email on the record, with nothing to sign in to.
        yield Reminder(
            appointment, client.email.lower(), _language(client.preferred_language), None, False
        )
    for client_id, member in family:
        if client_id == client.id and member.notify_reminders:
            yield Reminder(appointment, member.email, _language(member.locale), member, True)


def send(reminder: Reminder, *, link: str) -> bool:
    """Send one reminder and record it; False (and nothing recorded) if the mail failed."""
    appointment = reminder.appointment
    with force_locale(reminder.locale):
        when = _(
            "%(date)s at %(time)s",
            date=format_date(appointment.starts_at, "full"),
            time=format_time(appointment.starts_at, "short"),
        )
        agency = current_app.config["AGENCY_NAME"]
        if reminder.for_family:
            subject = _("Appointment reminder")
            body = _(
                "Hello,\n\n%(name)s has an appointment with %(agency)s on %(when)s.\n\n"
                "Sign in to see the details: %(link)s\n\n"
                "You get this reminder because %(name)s chose to share their appointments "
                "with you.",
                name=appointment.client.display_name,
                agency=agency,
                when=when,
                link=link,
            )
        elif reminder.user is None:
            subject = _("Appointment reminder")
            body = _(
                "Hello,\n\nYou have an appointment with %(agency)s on %(when)s.\n\n"
                "If you cannot come, please call us at %(phone)s as soon as you can.",
                agency=agency,
                when=when,
                phone=current_app.config["APPOINTMENT_PHONE"],
            )
        else:
            subject = _("Appointment reminder")
            body = _(
                "Hello,\n\nYou have an appointment with %(agency)s on %(when)s.\n\n"
                "Sign in to see the details, add it to your calendar, or ask to change it: "
                "%(link)s\n\nIf you cannot come, please let us know as soon as you can.",
                agency=agency,
                when=when,
                link=link,
            )
    try:
        send_message(reminder.recipient, subject=subject, body=body, link=link)
    except (smtplib.SMTPException, OSError):
        log.exception("could not send a reminder for appointment %s", appointment.id)
        return False
    db.session.add(
        AppointmentReminder(
            appointment_id=appointment.id,
            recipient=reminder.recipient,
            user_id=reminder.user.id if reminder.user else None,
            locale=reminder.locale,
            starts_at=appointment.starts_at,
        )
    )
    db.session.flush()
    return True


def sent_for(appointment_ids: list[int]) -> dict[int, list[AppointmentReminder]]:
    """Reminders already sent, per appointment (for the staff view)."""
    rows = db.session.scalars(
        select(AppointmentReminder)
        .where(AppointmentReminder.appointment_id.in_(appointment_ids))
        .order_by(AppointmentReminder.sent_at)
    )
    result: dict[int, list[AppointmentReminder]] = {}
    for row in rows:
        result.setdefault(row.appointment_id, []).append(row)
    return result
