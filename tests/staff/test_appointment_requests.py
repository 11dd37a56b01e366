"""Clients' appointment requests, answered from the staff calendar: a time booked (or the
appointment moved), another time proposed, or a decline with a message; the email that tells
the client, which says nothing but that there is an answer; and an answer given only once.
(Who may open a request is in the truth table of test_appointments.)"""

from __future__ import annotations

from datetime import date, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Appointment, AppointmentRequest

from ..factories import make_appointment, make_appointment_request
from .support import field_error, field_value, page, post, section, sign_in
from .test_appointments import A, local, text

DAY = date(2030, 3, 5)  # a Tuesday, far from today
REASON = "I would like to talk about my housing application."


@pytest.fixture
def app_config(mail_sink):
    return {"MAIL_SERVER": mail_sink.host, "MAIL_PORT": mail_sink.port, "MAIL_BACKEND": "smtp"}


def stored_request(request_id: int) -> AppointmentRequest:
    db.session.expire_all()
    return db.session.get_one(AppointmentRequest, request_id)


def appointments() -> list[Appointment]:
    return list(db.session.scalars(select(Appointment).order_by(Appointment.id)))


def url(req: AppointmentRequest) -> str:
    return f"{A}/requests/{req.id}"


def answer(browser: Any, req: AppointmentRequest, what: str, **fields: Any) -> Any:
    """Send the answer form as the page does: the select always has someone chosen (the
    client's case manager, as the page offers), the other fields what was typed."""
    current = stored_request(req.id)
    data = {
        "answer": what,
        "staff_id": current.client.primary_case_manager_id,
        "day": "",
        "start": "",
        "end": "",
        "message": "",
        "version": current.version,
        **fields,
    }
    return post(browser, url(req), data)


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


@pytest.fixture
def req(agency) -> AppointmentRequest:
    made = make_appointment_request(
        agency.own,
        preferred_1=local(DAY, 14),
        preferred_2=local(DAY + timedelta(days=1), 9, 30),
    )
    db.session.commit()
    return made


def test_the_request_page_offers_the_clients_times(client, agency, req):
    sign_in(client, agency.team)
    response = client.get(url(req))
    assert response.status_code == 200
    body = text(response)
    assert "Olive asks for an appointment" in body
    assert REASON in body
    asked = section(body, "asked-title")
    assert "Tuesday, March 5, 2030 at 2:00 PM" in asked
    assert "Wednesday, March 6, 2030 at 9:30 AM" in asked
    # the first time, with the client's case manager, is ready to book
    assert [field_value(body, n) for n in ("day", "start", "end")] == [
        "2030-03-05",
        "14:00",
        "15:00",
    ]
    assert f'<option selected value="{agency.cm.id}">' in body
    second = text(client.get(url(req) + "?choice=2"))
    assert [field_value(second, n) for n in ("day", "start")] == ["2030-03-06", "09:30"]


def test_accepting_books_the_chosen_time(client, make_client, agency, req, mail_sink):
    sign_in(client, agency.team)
    response = answer(
        client,
        req,
        "accept",
        staff_id=agency.team.id,
        day="2030-03-06",
        start="09:30",
        end="10:15",
        location="Clinic, room 3",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == A
    assert "Answer sent. The client sees it in the portal and gets an email." in text(client.get(A))
    [booked] = appointments()
    assert (booked.client_id, booked.staff_id, booked.kind, booked.status) == (
        agency.own.id,
        agency.team.id,
        "office",
        "scheduled",
    )
    assert (booked.starts_at, booked.ends_at) == (
        local(DAY + timedelta(days=1), 9, 30),
        local(DAY + timedelta(days=1), 10, 15),
    )
    assert booked.location == "Clinic, room 3"
    answered = stored_request(req.id)
    assert (answered.status, answered.appointment_id, answered.responded_by_id) == (
        "accepted",
        booked.id,
        agency.team.id,
    )
    assert len(mail_sink.messages) == 1
    # the request's page now says it is booked, and leads to the appointment
    body = text(client.get(url(req)))
    assert "Send the answer" not in body
    assert f'href="{A}/{booked.id}"' in body
    # and so does the client's own page
    portal = text(sign_in(make_client(), agency.client_user).get("/client/appointments"))
    assert "Your appointment is booked." in portal


def test_accepting_a_reschedule_moves_the_appointment(client, agency, mail_sink):
    booked = make_appointment(agency.own, agency.cm, starts_at=local(DAY, 9), location="Room 7")
    move = make_appointment_request(
        agency.own,
        purpose="reschedule",
        appointment_id=booked.id,
        preferred_1=local(DAY + timedelta(days=2), 11),
        preferred_2=None,
    )
    db.session.commit()
    sign_in(client, agency.cm)
    detail = text(client.get(f"{A}/{booked.id}"))
    assert "The client asked to move this appointment." in detail
    form = text(client.get(url(move)))
    assert "Olive asks to move an appointment" in form
    assert field_value(form, "location") == "Room 7"
    response = answer(
        client,
        move,
        "accept",
        staff_id=agency.cm.id,
        day="2030-03-07",
        start="11:00",
        end="12:00",
        location=field_value(form, "location"),
    )
    assert response.status_code == 303
    [moved] = appointments()  # moved, not a second one
    assert moved.id == booked.id
    assert (moved.starts_at, moved.ends_at) == (
        local(DAY + timedelta(days=2), 11),
        local(DAY + timedelta(days=2), 12),
    )
    assert (moved.location, moved.status) == ("Room 7", "scheduled")
    assert stored_request(move.id).status == "accepted"
    assert "The client asked to move this appointment." not in text(client.get(f"{A}/{booked.id}"))
    assert len(mail_sink.messages) == 1


def test_proposing_another_time_waits_for_the_client(client, make_client, agency, req, mail_sink):
    sign_in(client, agency.cm)
    response = answer(
        client,
        req,
        "propose",
        staff_id=agency.team.id,
        day="2030-03-08",
        start="11:00",
        end="11:45",
        message="Dr Pat is free on Friday morning.",
    )
    assert response.status_code == 303
    proposed = stored_request(req.id)
    assert proposed.status == "proposed"
    assert (proposed.proposed_start, proposed.proposed_end) == (
        local(date(2030, 3, 8), 11),
        local(date(2030, 3, 8), 11, 45),
    )
    assert proposed.proposed_by_id == agency.team.id
    assert proposed.response_message == "Dr Pat is free on Friday morning."
    assert appointments() == []  # nothing booked until the client says yes
    staff_page = text(client.get(url(req)))
    assert "You proposed 3/8/30, 11:00 AM; waiting for the client." in staff_page
    assert "Send the answer" not in staff_page
    portal = text(sign_in(make_client(), agency.client_user).get("/client/appointments"))
    mine = portal[portal.index(f'id="request-{req.id}"') :]
    assert "Another time proposed" in mine
    assert "Your care team suggested another time. Does it suit you?" in mine
    assert "Friday, March 8, 2030 at 11:00 AM" in mine
    assert "with Dr Pat Psychiatrist" in mine
    assert "Message from your care team: “Dr Pat is free on Friday morning.”" in mine
    assert "Yes, book this time" in mine
    assert len(mail_sink.messages) == 1


def test_proposing_a_time_in_the_past_is_422(client, agency, req, mail_sink):
    sign_in(client, agency.cm)
    response = answer(
        client, req, "propose", staff_id=agency.cm.id, day="2020-01-06", start="10:00", end="11:00"
    )
    assert response.status_code == 422
    assert field_error(text(response), "day") == "Propose a time in the future."
    assert stored_request(req.id).status == "pending"
    assert mail_sink.messages == []


def test_declining_needs_a_message(client, make_client, agency, req, mail_sink):
    sign_in(client, agency.cm)
    bare = answer(client, req, "decline")
    assert bare.status_code == 422
    body = text(bare)
    assert field_error(body, "message") == "Tell the client why, and what they can do instead."
    assert 'aria-describedby="message-hint message-error"' in body
    assert stored_request(req.id).status == "pending"
    assert mail_sink.messages == []
    declined = answer(
        client, req, "decline", message="We only meet in person. Please call us to talk."
    )
    assert declined.status_code == 303
    stored_req = stored_request(req.id)
    assert stored_req.status == "declined"
    assert stored_req.response_message == "We only meet in person. Please call us to talk."
    assert appointments() == []
    portal = text(sign_in(make_client(), agency.client_user).get("/client/appointments"))
    assert "Your care team could not book this. Read their message below." in portal
    assert "“We only meet in person. Please call us to talk.”" in portal
    assert len(mail_sink.messages) == 1


MESSAGE = "Dr Pat suggests Friday; bring the housing letter about your depression."
ANSWERS = {
    "accept": {"day": "2030-03-06", "start": "09:30", "end": "10:30", "message": MESSAGE},
    "propose": {"day": "2030-03-08", "start": "11:00", "end": "12:00", "message": MESSAGE},
    "decline": {"message": MESSAGE},
}


@pytest.mark.parametrize("what", list(ANSWERS))
def test_the_email_says_only_that_there_is_an_answer(client, agency, req, mail_sink, what):
    sign_in(client, agency.cm)
    response = answer(client, req, what, staff_id=agency.team.id, **ANSWERS[what])
    assert response.status_code == 303
    [message] = mail_sink.messages
    assert message["To"] == agency.client_user.email
    assert subject_of(message) == "Your appointment request has an answer"
    body = body_of(message)
    assert "Your care team answered your appointment request." in body
    assert "http://localhost/client/appointments" in body
    everything = (subject_of(message) + body).lower()
    for secret in (
        "housing",  # the client's reason, and the team's message
        "depression",
        "friday",
        "olive",  # who the client is
        "quince",
        "pat",  # who they meet, what, when and where
        "casey",
        "office",
        "2030",
        "march",
        "9:30",
        "11:00",
    ):
        assert secret not in everything, secret


def test_answering_twice_is_409_and_changes_nothing(client, make_client, agency, req, mail_sink):
    first_version = req.version
    sign_in(client, agency.cm)
    late_browser = sign_in(make_client(), agency.supervisor)
    booked = answer(
        client, req, "accept", staff_id=agency.cm.id, day="2030-03-05", start="14:00", end="15:00"
    )
    assert booked.status_code == 303
    # Sam had the page open before Casey answered
    late = post(
        late_browser,
        url(req),
        {
            "answer": "decline",
            "staff_id": agency.cm.id,
            "message": "Sorry, no.",
            "version": first_version,
        },
    )
    assert late.status_code == 409
    assert "Someone answered this request meanwhile." in text(late)
    # and from a fresh page, with the version as it is now
    again = answer(late_browser, req, "decline", message="Sorry, no.")
    assert again.status_code == 409
    assert "This request has already been answered." in text(again)
    final = stored_request(req.id)
    assert (final.status, final.response_message, final.responded_by_id) == (
        "accepted",
        None,
        agency.cm.id,
    )
    assert len(appointments()) == 1
    assert len(mail_sink.messages) == 1


def test_an_answer_that_clashes_is_422_until_a_reason_is_given(client, agency, req, mail_sink):
    make_appointment(agency.theirs, agency.cm, starts_at=local(DAY, 14, 30), minutes=30)
    sign_in(client, agency.cm)
    data = {"staff_id": agency.cm.id, "day": "2030-03-05", "start": "14:00", "end": "15:00"}
    clash = answer(client, req, "accept", **data)
    assert clash.status_code == 422
    body = text(clash)
    assert "This time overlaps:" in body
    # the other appointment is with a client Casey may not see (Cleo's): nobody is named
    assert "Casey Manager is busy" in body
    assert "Theodora" not in body
    assert "overlaps another appointment" in field_error(body, "overlap_reason")
    assert stored_request(req.id).status == "pending"
    assert len(appointments()) == 1
    assert mail_sink.messages == []
    done = answer(client, req, "accept", overlap_reason="Client's only free afternoon", **data)
    assert done.status_code == 303
    booked = db.session.get_one(Appointment, stored_request(req.id).appointment_id)
    assert booked.overlap_reason == "Client's only free afternoon"
    assert len(mail_sink.messages) == 1


def test_open_requests_are_queued_on_the_calendar_and_the_dashboard(client, agency, req):
    answered = make_appointment_request(agency.own, status="declined", response_message="No")
    theirs = make_appointment_request(agency.theirs, requested_by_id=agency.cm_other.id)
    db.session.commit()
    sign_in(client, agency.cm)
    for where in (A, "/staff/"):
        body = page(client.get(where))
        assert f'href="{url(req)}"' in body, where
        assert f'href="{url(answered)}"' not in body, where
        assert f'href="{url(theirs)}"' not in body, where
