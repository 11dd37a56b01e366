"""Appointment reminders (``flask --app portal send-reminders``), delivered to a real local
SMTP server: one per recipient, appointment and start time, in the recipient's language, to
the client and to family members whose consent in force shares appointments, never with the
reason or the note; a mail that fails is tried again on the next run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from babel.dates import format_date, format_time
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.models import AppointmentReminder, Client, Role, User, utcnow

from .factories import (
    grant_family_access,
    make_appointment,
    make_appointment_request,
    make_client,
    make_user,
)

CHICAGO = ZoneInfo("America/Chicago")
NOTE = "Bring your benefits letter and your ID"
REASON = "I want to talk about the eviction notice from my landlord"
PUBLIC_URL = "https://portal.waypoint.example.org"


@pytest.fixture
def app_config(mail_sink):
    return {
        "MAIL_SERVER": mail_sink.host,
        "MAIL_PORT": mail_sink.port,
        "MAIL_BACKEND": "smtp",
        "PUBLIC_URL": PUBLIC_URL,
    }


@dataclass
class People:
    manager: User
    account: User
    client: Client


@pytest.fixture
def people(app) -> People:
    manager = make_user(Role.CASE_MANAGER, display_name="Casey Manager")
    account = make_user(Role.CLIENT, email="olive@example.org", display_name="Olive Portal")
    record = make_client(
        legal_name="Olivia Quince",
        preferred_name="Olive",
        primary_case_manager=manager,
        portal_user=account,
    )
    return People(manager, account, record)


def soon(hours: float) -> datetime:
    return (utcnow() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def run(app: Any, *args: str) -> Any:
    """The command as cron runs it; the test's session then reads what it stored."""
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["send-reminders", *args])
    db.session.expire_all()
    return result


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def recipients(sink: Any) -> list[str]:
    return sorted(str(m["To"]) for m in sink.messages)


def reminders() -> list[AppointmentReminder]:
    return list(db.session.scalars(select(AppointmentReminder).order_by(AppointmentReminder.id)))


def when(moment: datetime, locale: str) -> tuple[str, str]:
    """The day and time as the reminder writes them: in Chicago, in the reader's language."""
    return (
        format_date(moment.astimezone(CHICAGO), "full", locale=locale),
        format_time(moment, "short", tzinfo=CHICAGO, locale=locale),
    )


def spanish(message: str, **values: Any) -> str:
    with force_locale("es"):
        return str(_(message, **values))


# ---- The client's reminder -----------------------------------------------------------------


def test_an_appointment_tomorrow_gets_one_reminder_saying_when_and_nothing_private(
    app, people, mail_sink
):
    appointment = make_appointment(
        people.client,
        people.manager,
        starts_at=soon(20),
        location="12 Main Street",
        client_note=NOTE,
    )
    make_appointment_request(
        people.client, purpose="reschedule", appointment_id=appointment.id, reason=REASON
    )

    result = run(app)

    assert result.exit_code == 0, result.output
    assert "1 reminder(s) sent" in result.output
    [message] = mail_sink.messages
    assert message["To"] == "olive@example.org"
    assert subject_of(message) == "Appointment reminder"
    body = body_of(message)
    day, clock = when(appointment.starts_at, "en")
    assert f"{day} at {clock}" in body
    assert "Waypoint Community Services" in body
    assert f"{PUBLIC_URL}/client/appointments" in body
    for private in ("benefits letter", "eviction", "Olivia", "Quince", "Casey", "Office visit"):
        assert private not in body
    [row] = reminders()
    assert row.appointment_id == appointment.id
    assert row.recipient == "olive@example.org"
    assert row.user_id == people.account.id
    assert row.locale == "en"
    assert row.starts_at == appointment.starts_at


def test_running_again_sends_nothing_more(app, people, mail_sink):
    make_appointment(people.client, people.manager, starts_at=soon(20))
    assert run(app).exit_code == 0

    result = run(app)

    assert result.exit_code == 0
    assert "0 reminder(s) sent" in result.output
    assert len(mail_sink.messages) == 1
    assert len(reminders()) == 1


def test_an_appointment_beyond_the_window_is_not_reminded_yet(app, people, mail_sink):
    make_appointment(people.client, people.manager, starts_at=soon(30))

    result = run(app)

    assert "0 reminder(s) sent" in result.output
    assert mail_sink.messages == []
    assert reminders() == []


def test_the_window_can_be_widened(app, people, mail_sink):
    make_appointment(people.client, people.manager, starts_at=soon(30))

    assert "1 reminder(s) sent" in run(app, "--hours", "36").output

    assert recipients(mail_sink) == ["olive@example.org"]


def test_the_window_follows_the_configuration(app, people, mail_sink):
    app.config["REMINDER_HOURS"] = 2
    make_appointment(people.client, people.manager, starts_at=soon(20))
    make_appointment(people.client, people.manager, starts_at=soon(1))

    run(app)

    assert len(mail_sink.messages) == 1


@pytest.mark.parametrize("status", ["cancelled", "attended", "no_show"])
def test_an_appointment_no_longer_scheduled_is_not_reminded(app, people, mail_sink, status):
    make_appointment(people.client, people.manager, starts_at=soon(20), status=status)

    run(app)

    assert mail_sink.messages == []
    assert reminders() == []


def test_an_appointment_that_has_started_is_not_reminded(app, people, mail_sink):
    make_appointment(people.client, people.manager, starts_at=soon(-0.5))

    run(app)

    assert mail_sink.messages == []


def test_an_appointment_moved_to_a_new_time_is_reminded_again(app, people, mail_sink):
    appointment = make_appointment(people.client, people.manager, starts_at=soon(10))
    first_start = appointment.starts_at
    run(app)
    appointment.starts_at = soon(22)
    appointment.ends_at = appointment.starts_at + timedelta(hours=1)
    db.session.flush()

    result = run(app)

    assert "1 reminder(s) sent" in result.output
    first, second = mail_sink.messages
    assert second["To"] == "olive@example.org"
    day, clock = when(appointment.starts_at, "en")
    assert f"{day} at {clock}" in body_of(second)
    assert [r.starts_at for r in reminders()] == [first_start, appointment.starts_at]
    assert "0 reminder(s) sent" in run(app).output


@pytest.mark.parametrize("how", ["saved_choice", "record_language"])
def test_a_spanish_speaking_client_is_reminded_in_spanish(app, people, mail_sink, how):
    if how == "saved_choice":
        people.account.locale = "es"
    else:
        people.client.preferred_language = "es"
    appointment = make_appointment(people.client, people.manager, starts_at=soon(20))

    run(app)

    [message] = mail_sink.messages
    subject = spanish("Appointment reminder")
    assert subject != "Appointment reminder", "the Spanish catalog lacks the subject"
    assert subject_of(message) == subject
    body = body_of(message)
    day, clock = when(appointment.starts_at, "es")
    assert spanish("%(date)s at %(time)s", date=day, time=clock) in body
    assert "Hello" not in body
    assert "Sign in" not in body
    assert [r.locale for r in reminders()] == ["es"]


def test_the_day_is_the_agencys_day_when_utc_has_already_moved_on(app, people, mail_sink):
    # 02:30 UTC on Wednesday is still Tuesday evening, 20:30, in Chicago.
    starts_at = datetime(2030, 1, 16, 2, 30, tzinfo=UTC)
    make_appointment(people.client, people.manager, starts_at=starts_at)

    with time_machine.travel(starts_at - timedelta(hours=12), tick=True):
        run(app)

    [message] = mail_sink.messages
    assert "Tuesday, January 15, 2030 at 8:30\u202fPM" in body_of(message)


def test_a_saved_english_choice_wins_over_the_records_language(app, people, mail_sink):
    people.account.locale = "en"
    people.client.preferred_language = "es"
    make_appointment(people.client, people.manager, starts_at=soon(20))

    run(app)

    assert subject_of(mail_sink.messages[0]) == "Appointment reminder"


def test_a_turned_off_portal_account_gets_no_reminder(app, people, mail_sink):
    people.account.active = False
    make_appointment(people.client, people.manager, starts_at=soon(20))

    run(app)

    assert "olive@example.org" not in recipients(mail_sink)


# ---- Family --------------------------------------------------------------------------------


def test_a_family_member_who_shares_appointments_gets_one_reminder(app, people, mail_sink):
    family = make_user(Role.FAMILY, email="fay@example.org", display_name="Fay Family")
    grant_family_access(people.client, family, scopes=("appointments",))
    appointment = make_appointment(
        people.client, people.manager, starts_at=soon(20), client_note=NOTE
    )

    run(app)
    run(app)

    assert recipients(mail_sink) == ["fay@example.org", "olive@example.org"]
    message = next(m for m in mail_sink.messages if m["To"] == "fay@example.org")
    body = body_of(message)
    day, clock = when(appointment.starts_at, "en")
    assert f"Olive has an appointment with Waypoint Community Services on {day} at {clock}" in body
    assert f"{PUBLIC_URL}/family/appointments" in body
    assert "benefits letter" not in body
    row = next(r for r in reminders() if r.recipient == "fay@example.org")
    assert row.user_id == family.id


def test_a_spanish_speaking_family_member_is_reminded_in_spanish(app, people, mail_sink):
    family = make_user(Role.FAMILY, email="fay@example.org", locale="es")
    grant_family_access(people.client, family, scopes=("appointments",))
    make_appointment(people.client, people.manager, starts_at=soon(20))

    run(app)

    subjects = {m["To"]: subject_of(m) for m in mail_sink.messages}
    assert subjects == {
        "fay@example.org": spanish("Appointment reminder"),
        "olive@example.org": "Appointment reminder",
    }


@pytest.mark.parametrize(
    "consent", ["no_appointments_scope", "revoked", "expired", "account_turned_off"]
)
def test_a_family_member_without_an_appointments_consent_in_force_gets_none(
    app, people, mail_sink, consent
):
    family = make_user(Role.FAMILY, email="fay@example.org", active=consent != "account_turned_off")
    past = utcnow() - timedelta(hours=1)
    grant_family_access(
        people.client,
        family,
        scopes=("materials", "goals") if consent == "no_appointments_scope" else ("appointments",),
        revoked_at=past if consent == "revoked" else None,
        expires_at=past if consent == "expired" else None,
    )
    make_appointment(people.client, people.manager, starts_at=soon(20))

    run(app)

    assert recipients(mail_sink) == ["olive@example.org"]
    assert [r.recipient for r in reminders()] == ["olive@example.org"]


def test_a_family_member_of_another_client_gets_none(app, people, mail_sink):
    family = make_user(Role.FAMILY, email="fay@example.org")
    grant_family_access(make_client(), family, scopes=("appointments",))
    make_appointment(people.client, people.manager, starts_at=soon(20))

    run(app)

    assert recipients(mail_sink) == ["olive@example.org"]


# ---- Failures ------------------------------------------------------------------------------


def test_a_reminder_that_could_not_be_sent_is_sent_on_the_next_run(app, people, mail_sink):
    make_appointment(people.client, people.manager, starts_at=soon(20))
    app.config["MAIL_PORT"] = 9  # nothing listens there: the mail server is down
    app.extensions["mail"].port = 9

    failed = run(app)

    assert failed.exit_code == 1
    assert "1 failed" in failed.output
    assert reminders() == []
    app.config["MAIL_PORT"] = mail_sink.port
    app.extensions["mail"].port = mail_sink.port

    result = run(app)

    assert result.exit_code == 0
    assert recipients(mail_sink) == ["olive@example.org"]
    assert len(reminders()) == 1


def test_no_reminder_for_a_client_who_turned_reminders_off(app, people, mail_sink):
    people.account.notify_reminders = False
    make_appointment(people.client, people.manager, starts_at=soon(20))

    result = run(app)

    assert result.exit_code == 0
    assert mail_sink.messages == []
    assert reminders() == []


def test_no_reminder_once_the_portal_account_is_turned_off(app, people, mail_sink):
    people.account.active = False
    people.client.email = "olive.home@example.org"
    make_appointment(people.client, people.manager, starts_at=soon(20))

    run(app)

    assert mail_sink.messages == []


def test_a_client_without_a_portal_account_is_told_to_call_not_to_sign_in(app, mail_sink):
    manager = make_user(Role.CASE_MANAGER)
    record = make_client(primary_case_manager=manager, email="Nell@Example.org")
    make_appointment(record, manager, starts_at=soon(20))

    run(app)

    [message] = mail_sink.messages
    assert message["To"] == "nell@example.org"
    text = body_of(message)
    assert "555-0110" in text
    assert "Sign in" not in text
    assert PUBLIC_URL not in text


def test_no_reminder_for_family_who_turned_reminders_off(app, people, mail_sink):
    family = make_user(Role.FAMILY, email="fay@example.org", notify_reminders=False)
    grant_family_access(people.client, family, scopes=("appointments",))
    make_appointment(people.client, people.manager, starts_at=soon(20))

    run(app)

    assert recipients(mail_sink) == ["olive@example.org"]
