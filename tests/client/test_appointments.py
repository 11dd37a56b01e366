# ruff: noqa: F811  (the test functions take the imported `agency` fixture)
"""The client's appointments: what is coming and what is past, in the agency's time and the
client's language; asking for one, answering the team's proposal, moving and cancelling with
the agency's notice; one appointment as a calendar file; the family's read-only view; who may
open which page; a query budget that does not grow with the appointments."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appointment, AppointmentRequest, Role, utcnow

from ..factories import (
    grant_family_access,
    make_appointment,
    make_appointment_request,
    make_client,
    make_user,
)
from ..helpers import csrf_token
from ..staff.conftest import agency  # noqa: F401  (the small agency of the staff tests)
from ..staff.support import field_error, field_value, page, post, sign_in

LIST = "/client/appointments"
REQUEST = "/client/appointments/request"
# Fixed instants, far enough ahead to stay upcoming, on either side of daylight saving time.
WINTER = datetime(2030, 1, 15, 15, 30, tzinfo=UTC)  # Tuesday 9:30 in Chicago (CST, UTC-6)
SUMMER = datetime(2030, 7, 16, 14, 0, tzinfo=UTC)  # Tuesday 9:00 in Chicago (CDT, UTC-5)
PAST = datetime(2025, 6, 3, 16, 0, tzinfo=UTC)  # Tuesday 11:00 in Chicago
NOTE = "Bring your benefits letter and your ID"
REASON = "I want to talk about the eviction notice from my landlord"
TOO_LATE = "less than 24 hours away"
PHONE = "555-0110"  # APPOINTMENT_PHONE: where clients call to change an appointment


@pytest.fixture
def app_config(mail_sink):
    return {"MAIL_SERVER": mail_sink.host, "MAIL_PORT": mail_sink.port, "MAIL_BACKEND": "smtp"}


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def spanish(message: str, **values: Any) -> str:
    with force_locale("es"):
        return str(_(message, **values))


def card(body: str, appointment: Appointment) -> str:
    """The markup of one appointment on the page."""
    start = body.index(f'id="appointment-{appointment.id}"')
    return body[start : body.index("</article>", start)]


def section(body: str, title_id: str) -> str:
    start = body.index(f'aria-labelledby="{title_id}"')
    return body[start : body.index("</section>", start)]


def textarea(body: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', body, re.S)
    assert match, f"no textarea {name!r}"
    return match.group(1).strip()


def flashes(body: str) -> str:
    """The text of the flash region (where redirects leave their message)."""
    return " ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)</', body, re.S))


def stored(model: Any, ident: int) -> Any:
    db.session.expire_all()
    row = db.session.get(model, ident)
    assert row is not None
    return row


def requests_of(client_id: int) -> list[AppointmentRequest]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AppointmentRequest)
            .where(AppointmentRequest.client_id == client_id)
            .order_by(AppointmentRequest.id)
        )
    )


def soon(hours: float) -> datetime:
    return (utcnow() + timedelta(hours=hours)).replace(second=0, microsecond=0)


def ask(browser: Any, path: str = REQUEST, **fields: str) -> Any:
    data = {"kind": "office", "reason": REASON, "preferred_1": "2030-01-15T10:00"}
    data.update(fields)
    return post(browser, path, data)


# ---- What the client sees -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_at", "day", "clock"),
    [
        (WINTER, "Tuesday, January 15, 2030", "9:30\u202fAM"),
        (SUMMER, "Tuesday, July 16, 2030", "9:00\u202fAM"),
    ],
)
def test_upcoming_appointment_shows_the_agency_time_place_person_and_what_to_bring(
    client, agency, starts_at, day, clock
):
    appointment = make_appointment(
        agency.own,
        agency.cm,
        starts_at=starts_at,
        location="12 Main Street, room 3",
        client_note=NOTE,
    )
    sign_in(client, agency.client_user)

    response = client.get(LIST)

    assert response.status_code == 200
    shown = card(section(page(response), "upcoming-title"), appointment)
    assert f"{day} at {clock}" in shown
    assert "Casey Manager" in shown
    assert "Office visit" in shown
    assert "12 Main Street, room 3" in shown
    assert "What to bring" in shown
    assert NOTE in shown


def test_a_video_appointment_links_to_the_call(client, agency):
    appointment = make_appointment(
        agency.own,
        agency.cm,
        starts_at=WINTER,
        kind="telehealth",
        video_link="https://video.example.org/room/42",
    )
    sign_in(client, agency.client_user)

    shown = card(page(client.get(LIST)), appointment)

    assert "Video call" in shown
    assert '<a href="https://video.example.org/room/42"' in shown
    assert "Join the video call" in shown


def test_past_appointments_are_listed_apart_with_cancelled_and_missed_marked(client, agency):
    make_appointment(agency.own, agency.cm, starts_at=WINTER)
    make_appointment(agency.own, agency.cm, starts_at=PAST, status="attended")
    make_appointment(agency.own, agency.cm, starts_at=PAST + timedelta(days=7), status="cancelled")
    make_appointment(agency.own, agency.team, starts_at=PAST + timedelta(days=14), status="no_show")
    sign_in(client, agency.client_user)

    body = page(client.get(LIST))

    past = section(body, "past-title")
    assert "Jun 3, 2025 at 11:00\u202fAM with Casey Manager" in past
    assert re.search(r"Jun 10, 2025 at 11:00\u202fAM with Casey Manager\s*· Cancelled", past)
    assert re.search(r"Jun 17, 2025 at 11:00\u202fAM with Dr Pat Psychiatrist\s*· Missed", past)
    upcoming = section(body, "upcoming-title")
    assert "January 15, 2030" in upcoming
    assert "2025" not in upcoming


def test_a_client_with_no_appointments_is_told_how_to_ask(client, agency):
    sign_in(client, agency.client_user)

    body = page(client.get(LIST))

    assert "You have no appointments booked." in section(body, "upcoming-title")
    assert "You can cancel or ask to change an appointment here up to 24 hours before it." in body
    assert 'href="/client/appointments/request"' in body


def test_a_spanish_speaking_client_sees_dates_in_spanish(client, agency):
    agency.client_user.locale = "es"
    make_appointment(agency.own, agency.cm, starts_at=WINTER)
    make_appointment(agency.own, agency.cm, starts_at=PAST, status="attended")
    sign_in(client, agency.client_user)

    body = page(client.get(LIST))

    assert "martes, 15 de enero de 2030" in section(body, "upcoming-title")
    assert "9:30" in section(body, "upcoming-title")
    assert "January" not in body
    assert "3 jun 2025" in section(body, "past-title")


def test_someone_elses_appointment_is_not_found(client, agency):
    other = make_appointment(agency.theirs, agency.cm_other, starts_at=WINTER, client_note=NOTE)
    sign_in(client, agency.client_user)

    for path in (
        f"/client/appointments/{other.id}.ics",
        f"/client/appointments/{other.id}/change",
        f"/client/appointments/{other.id}/cancel",
    ):
        assert client.get(path).status_code == 404, path
    assert post(client, f"/client/appointments/{other.id}/cancel", {}).status_code == 404
    changed = ask(client, f"/client/appointments/{other.id}/change")
    assert changed.status_code == 404
    assert stored(Appointment, other.id).status == "scheduled"
    assert requests_of(agency.theirs.id) == []


def test_someone_elses_request_cannot_be_answered(client, agency):
    theirs = make_appointment_request(
        agency.theirs, requested_by_id=agency.cm_other.id, status="proposed"
    )
    sign_in(client, agency.client_user)

    response = post(
        client, f"/client/requests/{theirs.id}/answer", {"answer": "withdraw", "version": "1"}
    )

    assert response.status_code == 404
    assert stored(AppointmentRequest, theirs.id).status == "proposed"


CLIENT_PAGES = [
    ("get", LIST),
    ("get", REQUEST),
    ("get", "/client/appointments/{id}.ics"),
    ("get", "/client/appointments/{id}/change"),
    ("get", "/client/appointments/{id}/cancel"),
    ("post", "/client/appointments/{id}/cancel"),
    ("post", "/client/calendar-feed"),
]


@pytest.mark.parametrize("role", ["cm", "team", "admin", "family"])
@pytest.mark.parametrize(("method", "path"), CLIENT_PAGES)
def test_only_clients_enter_the_client_appointment_pages(client, agency, role, method, path):
    appointment = make_appointment(agency.own, agency.cm, starts_at=WINTER)
    sign_in(client, getattr(agency, role))
    url = path.format(id=appointment.id)

    response = client.get(url) if method == "get" else post(client, url, {"action": "issue"})

    assert response.status_code == 403
    assert stored(Appointment, appointment.id).status == "scheduled"


@pytest.mark.parametrize(("method", "path"), CLIENT_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, agency, method, path):
    appointment = make_appointment(agency.own, agency.cm, starts_at=WINTER)
    url = path.format(id=appointment.id)
    token = csrf_token(client, "/login")

    if method == "get":
        response = client.get(url)
    else:
        response = client.post(url, data={"csrf_token": token, "action": "issue"})

    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]
    assert stored(Appointment, appointment.id).status == "scheduled"


def test_an_htmx_request_without_a_session_is_told_where_to_sign_in(client, agency):
    response = client.get(LIST, headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]
    assert "<html" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["client_user", "cm", "admin"])
@pytest.mark.parametrize(
    "path", ["/family/appointments", "/family/appointments/{id}.ics", "/family/calendar-feed"]
)
def test_only_family_enter_the_family_appointment_pages(client, agency, role, path):
    appointment = make_appointment(agency.own, agency.cm, starts_at=WINTER)
    sign_in(client, getattr(agency, role))
    url = path.format(id=appointment.id)

    response = client.get(url) if "feed" not in url else post(client, url, {"action": "issue"})

    assert response.status_code == 403


# ---- Asking for an appointment -------------------------------------------------------------


def test_a_request_waits_for_an_answer_and_tells_the_case_manager_nothing_private(
    client, agency, mail_sink
):
    sign_in(client, agency.client_user)

    response = ask(
        client, kind="phone", preferred_1="2030-01-15T10:00", preferred_2="2030-01-16T14:30"
    )

    assert response.status_code == 303
    assert response.headers["Location"].endswith(LIST)
    [request] = requests_of(agency.own.id)
    assert request.status == "pending"
    assert request.purpose == "new"
    assert request.kind == "phone"
    assert request.reason == REASON
    # 10:00 and 14:30 in Chicago in January are 16:00 and 20:30 UTC.
    assert request.preferred_times == [
        datetime(2030, 1, 15, 16, 0, tzinfo=UTC),
        datetime(2030, 1, 16, 20, 30, tzinfo=UTC),
    ]
    body = page(client.get(LIST))
    mine = section(body, "requests-title")
    assert "Waiting for an answer" in mine
    assert "Your care team has your request and will answer soon." in mine
    assert "Your request is sent." in body
    [message] = mail_sink.messages
    assert message["To"] == agency.cm.email
    text = subject_of(message) + "\n" + body_of(message)
    assert "eviction" not in text
    for name in ("Olivia", "Olive", "Quince", "WP-000501"):
        assert name not in text
    assert "/staff/appointments" in body_of(message)


def test_a_request_form_is_offered_with_the_ways_to_meet(client, agency):
    sign_in(client, agency.client_user)

    body = page(client.get(REQUEST))

    assert "What would you like to talk about?" in body
    for label in ("Office visit", "Home visit", "Video call", "Phone call"):
        assert label in body
    assert 'type="datetime-local"' in body


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "group"}, "kind", "Not a valid choice"),
        ({"reason": ""}, "reason", "Tell us a few words about why"),
        ({"reason": "   "}, "reason", "Tell us a few words about why"),
        ({"preferred_1": ""}, "preferred_1", "Give at least one day and time that suits you."),
    ],
)
def test_a_request_without_a_reason_or_a_time_is_refused_keeping_what_was_typed(
    client, agency, mail_sink, fields, field, message
):
    sign_in(client, agency.client_user)

    response = ask(client, **{"kind": "telehealth", "preferred_2": "2030-01-16T14:30", **fields})

    assert response.status_code == 422
    body = page(response)
    assert message in field_error(body, field)
    assert "There is a problem" in body
    assert field_value(body, "preferred_2") == "2030-01-16T14:30"
    if field != "kind":
        assert 'selected value="telehealth"' in body or 'value="telehealth" selected' in body
    if field != "reason":
        assert textarea(body, "reason") == REASON
    else:
        assert field_value(body, "preferred_1") == "2030-01-15T10:00"
    assert requests_of(agency.own.id) == []
    assert mail_sink.messages == []


def test_a_time_that_has_passed_is_refused_at_its_field(client, agency, mail_sink):
    sign_in(client, agency.client_user)

    response = ask(client, preferred_1="2030-01-15T10:00", preferred_2="2024-05-01T10:00")

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "preferred_2") == "Choose a time that has not passed yet."
    assert textarea(body, "reason") == REASON
    assert requests_of(agency.own.id) == []
    assert mail_sink.messages == []


def test_a_time_past_the_end_of_the_calendar_is_refused_at_its_field(client, agency):
    sign_in(client, agency.client_user)

    response = ask(client, preferred_1="9999-12-31T23:30")

    assert response.status_code == 422
    assert field_error(page(response), "preferred_1") == "Not a valid datetime value."
    assert requests_of(agency.own.id) == []


@pytest.mark.parametrize("skipped", ["2026-03-08T02:30", "2030-03-10T02:30"])
def test_a_time_skipped_when_the_clocks_go_forward_is_refused(client, agency, skipped):
    sign_in(client, agency.client_user)

    response = ask(client, preferred_1=skipped)

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "preferred_1") == (
        "That time does not exist: the clocks change that night."
    )
    assert field_value(body, "preferred_1") == skipped
    assert requests_of(agency.own.id) == []


def proposed(agency: Any, **overrides: Any) -> AppointmentRequest:
    """A request the team answered with another time: 2030-01-15 9:30 with Casey."""
    fields: dict[str, Any] = {
        "status": "proposed",
        "proposed_start": WINTER,
        "proposed_end": WINTER + timedelta(minutes=45),
        "proposed_by_id": agency.cm.id,
        "responded_by_id": agency.cm.id,
        "response_message": "Could you come on Tuesday morning instead?",
    }
    fields.update(overrides)
    return make_appointment_request(agency.own, **fields)


def answer(browser: Any, request: AppointmentRequest, choice: str, message: str = "") -> Any:
    data = {"answer": choice, "version": str(request.version), "message": message}
    return post(browser, f"/client/requests/{request.id}/answer", data)


def test_a_proposed_time_is_shown_with_a_choice(client, agency):
    proposed(agency)
    sign_in(client, agency.client_user)

    mine = section(page(client.get(LIST)), "requests-title")

    assert "Another time proposed" in mine
    assert "Could you come on Tuesday morning instead?" in mine
    assert "Tuesday, January 15, 2030 at 9:30\u202fAM" in mine
    assert "with Casey Manager" in mine
    assert "Yes, book this time" in mine
    assert "Ask for another time" in mine
    # The message box stops where the server's limit is, so nothing typed is lost.
    assert re.search(r'<textarea[^>]*name="message"[^>]*maxlength="2000"', mine)


def test_accepting_the_proposal_books_that_time(client, agency, mail_sink):
    request = proposed(agency)
    sign_in(client, agency.client_user)

    response = answer(client, request, "accept")

    assert response.status_code == 303
    request = stored(AppointmentRequest, request.id)
    assert request.status == "accepted"
    booked = stored(Appointment, request.appointment_id)
    assert booked.client_id == agency.own.id
    assert booked.staff_id == agency.cm.id
    assert booked.status == "scheduled"
    assert (booked.starts_at, booked.ends_at) == (WINTER, WINTER + timedelta(minutes=45))
    body = page(client.get(LIST))
    assert "Your appointment is booked." in body
    assert "Tuesday, January 15, 2030 at 9:30\u202fAM" in section(body, "upcoming-title")
    assert [m["To"] for m in mail_sink.messages] == [agency.cm.email]


def test_asking_again_sends_the_request_back_to_the_team_with_the_clients_message(client, agency):
    request = proposed(agency)
    sign_in(client, agency.client_user)

    response = answer(client, request, "again", "Mornings are hard, afternoons are better")

    assert response.status_code == 303
    request = stored(AppointmentRequest, request.id)
    assert request.status == "pending"
    assert request.client_message == "Mornings are hard, afternoons are better"
    assert request.proposed_start is None
    assert db.session.scalars(select(Appointment)).all() == []
    body = page(client.get(LIST))
    assert "Your care team will look for another time." in body
    assert "Waiting for an answer" in section(body, "requests-title")


def test_withdrawing_a_request(client, agency):
    request = make_appointment_request(agency.own)
    sign_in(client, agency.client_user)

    response = answer(client, request, "withdraw")

    assert response.status_code == 303
    assert stored(AppointmentRequest, request.id).status == "withdrawn"
    body = page(client.get(LIST))
    assert "Your request is withdrawn." in body
    assert "You withdrew this request." in section(body, "requests-title")


def test_an_answer_to_a_request_that_changed_meanwhile_changes_nothing(client, agency):
    request = proposed(agency)
    seen = {"answer": "accept", "version": str(request.version)}
    request.status = "pending"  # the team took the proposal back meanwhile
    db.session.flush()
    request.status = "proposed"  # ... and made it again: same state, newer version
    sign_in(client, agency.client_user)

    response = post(client, f"/client/requests/{request.id}/answer", seen)

    assert response.status_code == 303
    assert stored(AppointmentRequest, request.id).status == "proposed"
    assert db.session.scalars(select(Appointment)).all() == []
    assert "This request changed meanwhile." in page(client.get(LIST))


@pytest.mark.parametrize("version", ["abc", "", "-1"])
def test_a_tampered_answer_is_refused_and_changes_nothing(client, agency, version):
    request = proposed(agency)
    sign_in(client, agency.client_user)

    response = post(
        client, f"/client/requests/{request.id}/answer", {"answer": "accept", "version": version}
    )

    assert response.status_code == 400
    assert stored(AppointmentRequest, request.id).status == "proposed"
    assert db.session.scalars(select(Appointment)).all() == []


def test_a_spanish_speaking_case_manager_hears_of_a_request_in_spanish(client, agency, mail_sink):
    agency.cm.locale = "es"
    sign_in(client, agency.client_user)

    assert ask(client).status_code == 303

    [message] = mail_sink.messages
    expected = spanish("New appointment request in Waypoint")
    assert expected != "New appointment request in Waypoint", "not in the Spanish catalog"
    assert subject_of(message) == expected
    assert "eviction" not in body_of(message)


# ---- Cancelling and moving, with notice ----------------------------------------------------


def test_cancelling_with_notice_cancels_and_tells_the_case_manager(client, agency, mail_sink):
    appointment = make_appointment(agency.own, agency.cm, starts_at=soon(72))
    sign_in(client, agency.client_user)
    form = page(client.get(f"/client/appointments/{appointment.id}/cancel"))
    assert "Yes, cancel it" in form

    response = post(
        client, f"/client/appointments/{appointment.id}/cancel", {"reason": "My bus is not running"}
    )

    assert response.status_code == 303
    cancelled = stored(Appointment, appointment.id)
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_by == "client"
    assert cancelled.outcome_reason == "My bus is not running"
    body = page(client.get(LIST))
    assert "Your appointment is cancelled." in body
    assert "Cancelled" in card(body, appointment)
    [message] = mail_sink.messages
    assert message["To"] == agency.cm.email
    assert subject_of(message) == "An appointment was cancelled in Waypoint"
    text = body_of(message)
    assert f"/staff/appointments/{appointment.id}" in text
    for private in ("bus", "Olivia", "Olive", "Quince"):
        assert private not in text


def test_inside_the_notice_window_cancelling_is_refused_with_the_phone_number(
    client, agency, mail_sink
):
    appointment = make_appointment(agency.own, agency.cm, starts_at=soon(2))
    sign_in(client, agency.client_user)

    listed = card(page(client.get(LIST)), appointment)
    assert f"To change it now, call {PHONE}." in listed
    assert "/cancel" not in listed
    form = page(client.get(f"/client/appointments/{appointment.id}/cancel"))
    assert TOO_LATE in form
    assert PHONE in form
    assert "Yes, cancel it" not in form

    response = post(client, f"/client/appointments/{appointment.id}/cancel", {"reason": "sick"})

    assert response.status_code == 422
    body = page(response)
    assert "This appointment is less than 24 hours away" in body
    assert f"Please call us at {PHONE}." in body
    assert stored(Appointment, appointment.id).status == "scheduled"
    assert mail_sink.messages == []


def test_the_notice_window_follows_the_configured_hours(app, client, agency):
    app.config["APPOINTMENT_NOTICE_HOURS"] = 48
    appointment = make_appointment(agency.own, agency.cm, starts_at=soon(30))
    sign_in(client, agency.client_user)

    response = post(client, f"/client/appointments/{appointment.id}/cancel", {})

    assert response.status_code == 422
    assert "less than 48 hours away" in page(response)
    assert stored(Appointment, appointment.id).status == "scheduled"


def test_asking_to_move_with_notice_sends_a_reschedule_request(client, agency, mail_sink):
    appointment = make_appointment(agency.own, agency.cm, starts_at=soon(72), kind="phone")
    sign_in(client, agency.client_user)
    form = page(client.get(f"/client/appointments/{appointment.id}/change"))
    assert "Ask to change an appointment" in form
    assert "It stays booked until your care team answers." in form

    response = ask(client, f"/client/appointments/{appointment.id}/change", kind="phone")

    assert response.status_code == 303
    [request] = requests_of(agency.own.id)
    assert (request.purpose, request.status) == ("reschedule", "pending")
    assert request.appointment_id == appointment.id
    assert stored(Appointment, appointment.id).status == "scheduled"
    body = page(client.get(LIST))
    assert "You asked to move this one." in card(body, appointment)
    assert "To move an appointment" in section(body, "requests-title")
    assert [m["To"] for m in mail_sink.messages] == [agency.cm.email]


def test_asking_to_move_twice_is_refused(client, agency):
    appointment = make_appointment(agency.own, agency.cm, starts_at=soon(72))
    make_appointment_request(agency.own, purpose="reschedule", appointment_id=appointment.id)
    sign_in(client, agency.client_user)

    response = ask(client, f"/client/appointments/{appointment.id}/change")

    assert response.status_code == 422
    assert "You already asked to move this appointment." in page(response)
    assert len(requests_of(agency.own.id)) == 1


def test_inside_the_notice_window_moving_is_refused_with_the_phone_number(
    client, agency, mail_sink
):
    appointment = make_appointment(agency.own, agency.cm, starts_at=soon(2))
    sign_in(client, agency.client_user)

    shown = client.get(f"/client/appointments/{appointment.id}/change")
    sent = ask(client, f"/client/appointments/{appointment.id}/change")

    for response in (shown, sent):
        assert response.status_code == 303
        assert response.headers["Location"].endswith(LIST)
    body = page(client.get(LIST))
    assert "This appointment is less than 24 hours away" in body
    assert f"Please call us at {PHONE}." in body
    assert requests_of(agency.own.id) == []
    assert stored(Appointment, appointment.id).starts_at == appointment.starts_at
    assert mail_sink.messages == []


@pytest.mark.parametrize("status", ["cancelled", "attended"])
def test_an_appointment_no_longer_scheduled_cannot_be_cancelled_or_moved(client, agency, status):
    appointment = make_appointment(agency.own, agency.cm, starts_at=soon(72), status=status)
    sign_in(client, agency.client_user)

    assert client.get(f"/client/appointments/{appointment.id}/cancel").status_code == 404
    assert client.get(f"/client/appointments/{appointment.id}/change").status_code == 404
    assert stored(Appointment, appointment.id).status == status


# ---- One appointment as a calendar file ---------------------------------------------------


def test_one_appointment_as_a_calendar_file_carries_time_place_and_person_only(client, agency):
    appointment = make_appointment(
        agency.own,
        agency.cm,
        starts_at=WINTER,
        minutes=45,
        location="12 Main Street, room 3",
        client_note=NOTE,
    )
    make_appointment_request(
        agency.own, purpose="reschedule", appointment_id=appointment.id, reason=REASON
    )
    sign_in(client, agency.client_user)

    response = client.get(f"/client/appointments/{appointment.id}.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data(as_text=True)
    calendar = Calendar.from_ical(raw)
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == WINTER
    assert event.decoded("dtend") == WINTER + timedelta(minutes=45)
    assert event["dtstart"].params["TZID"] == "America/Chicago"
    assert event.decoded("dtstart").astimezone(UTC) == WINTER
    [zone] = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "America/Chicago"
    assert "Casey Manager" in str(event["summary"])
    assert "Office visit" in str(event["summary"])
    assert str(event["location"]) == "12 Main Street, room 3"
    unfolded = raw.replace("\r\n ", "")
    assert "benefits letter" not in unfolded
    assert "eviction" not in unfolded
    assert "Olivia" not in unfolded


# ---- The family's view ---------------------------------------------------------------------


def test_family_see_shared_appointments_without_the_clients_note(client, agency):
    appointment = make_appointment(
        agency.own, agency.cm, starts_at=WINTER, location="12 Main Street", client_note=NOTE
    )
    make_appointment(agency.theirs, agency.cm_other, starts_at=WINTER + timedelta(days=1))
    sign_in(client, agency.family)

    response = client.get("/family/appointments")

    assert response.status_code == 200
    body = page(response)
    assert "Olive's upcoming appointments" in body
    shown = card(body, appointment)
    assert "Tuesday, January 15, 2030 at 9:30\u202fAM" in shown
    assert "Casey Manager" in shown
    assert "12 Main Street" in shown
    assert NOTE not in body
    assert "January 16, 2030" not in body
    assert "Ask to change" not in body
    assert "/cancel" not in body
    ics = client.get(f"/family/appointments/{appointment.id}.ics")
    assert ics.status_code == 200
    [event] = Calendar.from_ical(ics.get_data(as_text=True)).walk("VEVENT")
    assert "Olive" in str(event["summary"])
    assert "benefits letter" not in ics.get_data(as_text=True)


@pytest.mark.parametrize("consent", ["materials_only", "revoked", "expired"])
def test_family_without_an_appointments_consent_in_force_see_none(client, agency, consent):
    family = make_user(Role.FAMILY, display_name="Finn Family")
    past = utcnow() - timedelta(days=1)
    grant_family_access(
        agency.own,
        family,
        scopes=("materials",) if consent == "materials_only" else ("materials", "appointments"),
        revoked_at=past if consent == "revoked" else None,
        expires_at=past if consent == "expired" else None,
    )
    appointment = make_appointment(agency.own, agency.cm, starts_at=WINTER, location="12 Main St")
    sign_in(client, family)

    body = page(client.get("/family/appointments"))

    assert "Nobody shares their appointments with you at the moment." in body
    assert "January 15, 2030" not in body
    assert "12 Main St" not in body
    assert client.get(f"/family/appointments/{appointment.id}.ics").status_code == 404


# ---- Query budget --------------------------------------------------------------------------


def test_the_appointments_page_makes_as_many_queries_for_twenty_as_for_one(
    client, agency, count_queries
):
    staff = [agency.cm, agency.team, agency.extra]
    make_appointment(agency.own, agency.cm, starts_at=WINTER)
    make_appointment(agency.own, agency.team, starts_at=PAST, status="attended")
    proposed(agency)
    sign_in(client, agency.client_user)
    client.get(LIST)
    with count_queries() as one:
        assert client.get(LIST).status_code == 200

    for n in range(1, 20):
        make_appointment(
            agency.own, staff[n % 3], starts_at=WINTER + timedelta(days=n), client_note=NOTE
        )
        make_appointment(
            agency.own, staff[n % 3], starts_at=PAST + timedelta(days=n), status="attended"
        )
        proposed(agency, proposed_by_id=staff[n % 3].id)
    other = make_client(portal_user=make_user(Role.CLIENT))
    make_appointment(other, agency.cm, starts_at=WINTER + timedelta(hours=3))
    with count_queries() as many:
        response = client.get(LIST)

    assert page(response).count('class="appointment-card"') == 20
    assert many.count == one.count, "\n".join(many.statements)


def test_the_family_appointments_page_makes_as_many_queries_for_twenty_as_for_one(
    client, agency, count_queries
):
    staff = [agency.cm, agency.team, agency.extra]
    make_appointment(agency.own, agency.cm, starts_at=WINTER)
    sign_in(client, agency.family)
    client.get("/family/appointments")
    with count_queries() as one:
        assert client.get("/family/appointments").status_code == 200

    for n in range(1, 20):
        make_appointment(agency.own, staff[n % 3], starts_at=WINTER + timedelta(days=n))
    with count_queries() as many:
        response = client.get("/family/appointments")

    assert page(response).count('class="appointment-card"') == 20
    assert many.count == one.count, "\n".join(many.statements)


def test_cancelling_an_appointment_withdraws_the_request_to_move_it(client, agency):
    appointment = make_appointment(agency.own, agency.cm, starts_at=soon(72))
    moving = make_appointment_request(
        agency.own, purpose="reschedule", appointment_id=appointment.id
    )
    sign_in(client, agency.client_user)

    post(client, f"/client/appointments/{appointment.id}/cancel", {"reason": ""})

    assert stored(Appointment, appointment.id).status == "cancelled"
    assert stored(AppointmentRequest, moving.id).status == "withdrawn"
    assert "You withdrew this request." in section(page(client.get(LIST)), "requests-title")


def test_a_proposal_whose_time_has_passed_says_so_and_books_nothing(client, agency):
    request = proposed(agency, proposed_start=PAST, proposed_end=PAST + timedelta(hours=1))
    sign_in(client, agency.client_user)

    answer(client, request, "accept")

    assert stored(AppointmentRequest, request.id).status == "proposed"
    assert "The time your care team offered has passed." in flashes(page(client.get(LIST)))


def test_family_still_sees_an_appointment_that_is_under_way(client, agency):
    grant_family_access(agency.own, agency.family, scopes=("appointments",))
    under_way = make_appointment(agency.own, agency.cm, starts_at=soon(-0.5), minutes=60)
    over = make_appointment(agency.own, agency.cm, starts_at=soon(-3), minutes=60)
    sign_in(client, agency.family)

    body = page(client.get("/family/appointments"))

    assert f'id="appointment-{under_way.id}"' in body
    assert f'id="appointment-{over.id}"' not in body
