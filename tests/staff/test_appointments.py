"""The staff calendar: who may use which route, booking with overlap checks, the clock
changes of America/Chicago, the week, day and list views, attendance and its figures, the
timeline, and the calendar in Spanish. (Clients' requests are in test_appointment_requests.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from babel.dates import format_date as babel_date
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Appointment, AppointmentRequest, Client, Task, utcnow

from ..factories import make_appointment, make_appointment_request, make_client
from ..helpers import csrf_token
from .support import (
    HTMX,
    ROLES,
    events,
    field_error,
    field_value,
    page,
    post,
    section,
    sign_in,
    sign_in_as,
)
from .test_timeline import lines

CHICAGO = ZoneInfo("America/Chicago")
A = "/staff/appointments"


def local(day: date, hh: int, mm: int = 0) -> datetime:
    """The UTC instant of a wall-clock time in Chicago (never in a skipped hour)."""
    return datetime.combine(day, time(hh, mm), tzinfo=CHICAGO).astimezone(UTC)


def stored(appointment_id: int) -> Appointment:
    db.session.expire_all()
    return db.session.get_one(Appointment, appointment_id)


def appointment_count() -> int:
    return int(db.session.scalar(select(func.count(Appointment.id))) or 0)


def text(response: Any) -> str:
    """The page as a reader sees it: entities decoded, Babel's narrow spaces made plain."""
    return page(response).replace("\u202f", " ").replace("\xa0", " ")


def booking(client: Client, staff: Any, day: date, start: str, end: str, **extra: Any):
    return {
        "client_id": client.id,
        "staff_id": staff.id,
        "day": day.isoformat(),
        "start": start,
        "end": end,
        "kind": "office",
        **extra,
    }


def calendar_items(body: str) -> dict[int, str]:
    """Each appointment on the calendar, by id, as the markup of its item."""
    return {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r'<li class="appt[^"]*" id="appointment-(\d+)">(.*?)</li>', body, re.S)
    }


# ---- Who may use which route ---------------------------------------------------------------

# Far from today, so that nothing here has started and nothing clashes with anything else.
DAY = date(2030, 3, 5)


@pytest.fixture
def ids(agency) -> dict[str, int]:
    appointment = make_appointment(agency.own, agency.cm, starts_at=local(DAY, 9))
    req = make_appointment_request(agency.own, preferred_1=local(DAY + timedelta(days=1), 14))
    db.session.commit()
    return {
        "client": agency.own.id,
        "appointment": appointment.id,
        "request": req.id,
        "cm": agency.cm.id,
    }


def _version(model: Any, key: str) -> Callable[[dict[str, int]], int]:
    def current(ids: dict[str, int]) -> int:
        db.session.expire_all()
        return db.session.get_one(model, ids[key]).version

    return current


def _book(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "client_id": ids["client"],
        "staff_id": ids["cm"],
        "day": (DAY + timedelta(days=2)).isoformat(),
        "start": "10:00",
        "end": "11:00",
        "kind": "office",
    }


def _move(ids: dict[str, int]) -> dict[str, Any]:
    return {
        **_book(ids),
        "day": (DAY + timedelta(days=3)).isoformat(),
        "location": "Room 2",
        "version": _version(Appointment, "appointment")(ids),
    }


def _cancel(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "outcome": "cancelled",
        "cancelled_by": "client",
        "reason": "Client has the flu",
        "version": _version(Appointment, "appointment")(ids),
    }


def _accept(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "answer": "accept",
        "staff_id": ids["cm"],
        "day": (DAY + timedelta(days=1)).isoformat(),
        "start": "14:00",
        "end": "15:00",
        "version": _version(AppointmentRequest, "request")(ids),
    }


ROUTES = [
    ("appointment_index", "GET", A + "?view=week&date=2030-03-05", None),
    ("appointment_new", "GET", A + "/new", None),
    ("appointment_new (book)", "POST", A + "/new", _book),
    ("appointment_detail", "GET", A + "/{appointment}", None),
    ("appointment_edit", "GET", A + "/{appointment}/edit", None),
    ("appointment_edit (save)", "POST", A + "/{appointment}/edit", _move),
    ("appointment_outcome", "POST", A + "/{appointment}/outcome", _cancel),
    ("appointment_request_detail", "GET", A + "/requests/{request}", None),
    ("appointment_request_detail (answer)", "POST", A + "/requests/{request}", _accept),
    ("client_appointments", "GET", "/staff/clients/{client}/appointments", None),
    # staff names only; opened in a tab, it leads to the booking page with the search
    ("appointment_clinicians", "GET", A + "/clinicians?staff_q=Cleo", None),
]

CALENDAR = (200, 200, 200, 200, 200, 200, 403, 403, 403, 302)
READ = (200, 404, 200, 404, 200, 404, 403, 403, 403, 302)
CHANGE = (303, 404, 303, 404, 303, 404, 403, 403, 403, 302)
TABLE: dict[str, tuple[int, ...]] = {
    # route:                                cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "appointment_index": CALENDAR,
    "appointment_new": CALENDAR,
    "appointment_new (book)": CHANGE,
    "appointment_detail": READ,
    "appointment_edit": READ,
    "appointment_edit (save)": CHANGE,
    "appointment_outcome": CHANGE,
    "appointment_request_detail": READ,
    "appointment_request_detail (answer)": CHANGE,
    # a tab of the record: an administrator sees no record at all
    "client_appointments": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "appointment_clinicians": (303, 303, 303, 303, 303, 303, 403, 403, 403, 302),
}


def _ask(browser, ids, method, path, data, *, htmx=False):
    url = path.format(**ids)
    if method == "GET":
        return url, browser.get(url, headers=HTMX if htmx else None)
    return url, post(browser, url, data(ids), htmx=htmx)


def snapshot(ids: dict[str, int]) -> tuple[Any, ...]:
    db.session.expire_all()
    appointment = db.session.get_one(Appointment, ids["appointment"])
    req = db.session.get_one(AppointmentRequest, ids["request"])
    return (
        appointment_count(),
        appointment.starts_at,
        appointment.status,
        appointment.version,
        req.status,
        req.version,
    )


def test_the_table_covers_every_staff_appointment_route(app):
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("staff.appointment_", "staff.client_appointments"))
    }
    assert {f"staff.{name.split(' ')[0]}" for name in TABLE} == endpoints
    assert [name for name, *_rest in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, ids, role):
    before = snapshot(ids)
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers, leaks = {}, []
    for name, method, path, data in ROUTES:
        url, response = _ask(client, ids, method, path, data)
        answers[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next="), url
        # (the client's own portal account is "Olive Portal": their name in the menu)
        shown = page(response).replace("Olive Portal", "")
        if response.status_code in (403, 404) and ("Olive" in shown or "housing" in shown):
            leaks.append(url)
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}
    assert leaks == []  # a refusal shows nothing of the client

    if TABLE["appointment_new (book)"][column] != 303:
        assert snapshot(ids) == before  # a refused user changed nothing at all
        return
    # a scheduler's changes all landed: one booked, one moved and cancelled, one request met
    appointment = stored(ids["appointment"])
    assert appointment.starts_at == local(DAY + timedelta(days=3), 10)
    assert (appointment.status, appointment.cancelled_by) == ("cancelled", "client")
    req = db.session.get_one(AppointmentRequest, ids["request"])
    assert req.status == "accepted"
    starts = db.session.scalars(
        select(Appointment.starts_at).where(Appointment.id != appointment.id)
    ).all()
    assert sorted(starts) == [
        local(DAY + timedelta(days=1), 14),
        local(DAY + timedelta(days=2), 10),
    ]


def test_anonymous_htmx_requests_get_401_and_a_redirect_header(client, agency, ids):
    client.csrf = csrf_token(client, "/login")
    for _name, method, path, data in ROUTES:
        url, response = _ask(client, ids, method, path, data, htmx=True)
        assert response.status_code == 401, url
        assert unquote(response.headers["HX-Redirect"]) == f"/login?next={url}", url


def test_another_teams_appointment_is_404_and_the_attempt_is_logged(client, agency, ids):
    sign_in(client, agency.other_supervisor)
    before = snapshot(ids)
    url = f"{A}/{ids['appointment']}"
    assert client.get(url).status_code == 404
    assert post(client, url + "/outcome", _cancel(ids)).status_code == 404
    assert post(client, url + "/edit", _move(ids)).status_code == 404
    assert snapshot(ids) == before
    denied = [
        e
        for e in events("access_denied", agency.own.id)
        if e.actor_id == agency.other_supervisor.id and e.object_type == "appointment"
    ]
    assert [e.object_id for e in denied] == [str(ids["appointment"])] * 3
    # the refusal reads as if there were no such appointment
    refused, missing = client.get(url), client.get(f"{A}/999999")
    assert refused.status_code == missing.status_code == 404
    assert "Olive" not in page(refused)


def test_another_teams_request_is_404_and_the_attempt_is_logged(client, agency, ids):
    sign_in(client, agency.cm_other)
    url = f"{A}/requests/{ids['request']}"
    assert client.get(url).status_code == 404
    assert post(client, url, _accept(ids)).status_code == 404
    assert db.session.get_one(AppointmentRequest, ids["request"]).status == "pending"
    denied = [
        e
        for e in events("access_denied", agency.own.id)
        if e.actor_id == agency.cm_other.id and e.object_type == "appointment_request"
    ]
    assert len(denied) == 2


def test_booking_for_a_client_one_may_not_see_is_404_and_logged(client, agency):
    sign_in(client, agency.cm_other)
    response = post(client, A + "/new", booking(agency.own, agency.cm_other, DAY, "10:00", "11:00"))
    assert response.status_code == 404
    assert appointment_count() == 0
    denied = [e for e in events("access_denied", agency.own.id) if e.actor_id == agency.cm_other.id]
    assert [e.object_type for e in denied] == ["client"]


# ---- Overlaps ------------------------------------------------------------------------------


@pytest.fixture
def second(agency) -> Client:
    """Another client of Casey's."""
    return make_client(legal_name="Beatrice Second", primary_case_manager=agency.cm)


def test_the_same_staff_member_overlapping_is_422_with_the_clash_listed(client, agency, second):
    make_appointment(agency.own, agency.cm, starts_at=local(DAY, 10))
    sign_in(client, agency.cm)
    response = post(
        client, A + "/new", booking(second, agency.cm, DAY, "10:30", "11:30", location="Room 9")
    )
    assert response.status_code == 422
    body = text(response)
    assert "This time overlaps:" in body
    assert "Olive with Casey Manager" in body
    assert "overlaps another appointment" in field_error(body, "overlap_reason")
    assert not field_value(body, "overlap_reason")
    assert (field_value(body, "start"), field_value(body, "location")) == ("10:30", "Room 9")
    assert appointment_count() == 1


def test_the_same_client_with_someone_else_is_422(client, agency):
    make_appointment(agency.own, agency.team, starts_at=local(DAY, 10))
    sign_in(client, agency.cm)
    response = post(client, A + "/new", booking(agency.own, agency.cm, DAY, "10:45", "11:15"))
    assert response.status_code == 422
    assert "Olive with Dr Pat Psychiatrist" in text(response)
    assert appointment_count() == 1


def test_a_clash_with_a_client_one_may_not_see_names_nobody(client, agency):
    make_appointment(agency.theirs, agency.cm_other, starts_at=local(DAY, 10))
    sign_in(client, agency.cm)
    response = post(client, A + "/new", booking(agency.own, agency.cm_other, DAY, "10:30", "11:30"))
    assert response.status_code == 422
    body = text(response)
    assert "Cleo Other is busy" in body
    assert "Theodora" not in body
    assert appointment_count() == 1


def test_end_touching_start_is_not_an_overlap(client, agency, second):
    make_appointment(agency.own, agency.cm, starts_at=local(DAY, 10))
    sign_in(client, agency.cm)
    after = post(client, A + "/new", booking(second, agency.cm, DAY, "11:00", "12:00"))
    assert after.status_code == 303
    before = post(client, A + "/new", booking(agency.own, agency.cm, DAY, "09:00", "10:00"))
    assert before.status_code == 303
    assert appointment_count() == 3
    detail = client.get(after.headers["Location"])
    assert "Booked over another appointment" not in text(detail)


def test_a_cancelled_appointment_does_not_clash(client, agency, second):
    make_appointment(
        agency.own,
        agency.cm,
        starts_at=local(DAY, 10),
        status="cancelled",
        cancelled_by="client",
        outcome_reason="Moved away",
    )
    sign_in(client, agency.cm)
    response = post(client, A + "/new", booking(second, agency.cm, DAY, "10:00", "11:00"))
    assert response.status_code == 303
    assert appointment_count() == 2


def test_a_reason_books_the_overlap_and_is_kept(client, agency, second):
    make_appointment(agency.own, agency.cm, starts_at=local(DAY, 10))
    sign_in(client, agency.cm)
    data = booking(second, agency.cm, DAY, "10:30", "11:30")
    assert post(client, A + "/new", data).status_code == 422
    response = post(client, A + "/new", {**data, "overlap_reason": "Only slot with an interpreter"})
    assert response.status_code == 303
    booked = db.session.scalar(select(Appointment).where(Appointment.client_id == second.id))
    assert booked is not None
    assert booked.overlap_reason == "Only slot with an interpreter"
    assert (booked.starts_at, booked.ends_at) == (local(DAY, 10, 30), local(DAY, 11, 30))
    detail = text(client.get(response.headers["Location"]))
    assert "Booked over another appointment because" in detail
    assert "Only slot with an interpreter" in detail


def test_moving_onto_another_appointment_is_422_and_changes_nothing(client, agency, second):
    make_appointment(agency.own, agency.cm, starts_at=local(DAY, 10))
    moving = make_appointment(second, agency.cm, starts_at=local(DAY, 14))
    sign_in(client, agency.cm)
    data = {**booking(second, agency.cm, DAY, "10:15", "10:45"), "version": moving.version}
    response = post(client, f"{A}/{moving.id}/edit", data)
    assert response.status_code == 422
    assert "Olive with Casey Manager" in text(response)
    assert stored(moving.id).starts_at == local(DAY, 14)


def test_a_stale_edit_is_409_and_keeps_what_was_typed(client, agency):
    appointment = make_appointment(agency.own, agency.cm, starts_at=local(DAY, 10))
    sign_in(client, agency.cm)
    first = {**booking(agency.own, agency.cm, DAY, "11:00", "12:00"), "version": 1}
    assert post(client, f"{A}/{appointment.id}/edit", first).status_code == 303
    late = {
        **booking(agency.own, agency.cm, DAY, "15:00", "16:00"),
        "location": "Library",
        "version": 1,
    }
    response = post(client, f"{A}/{appointment.id}/edit", late)
    assert response.status_code == 409
    body = text(response)
    assert "Someone changed this appointment meanwhile" in body
    assert (field_value(body, "start"), field_value(body, "location")) == ("15:00", "Library")
    assert stored(appointment.id).starts_at == local(DAY, 11)


def test_only_a_scheduled_appointment_can_be_changed(client, agency):
    done = make_appointment(
        agency.own, agency.cm, starts_at=local(DAY, 10), status="cancelled", cancelled_by="staff"
    )
    sign_in(client, agency.cm)
    data = {**booking(agency.own, agency.cm, DAY, "12:00", "13:00"), "version": done.version}
    response = post(client, f"{A}/{done.id}/edit", data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{A}/{done.id}"
    body = text(client.get(response.headers["Location"]))
    assert "Only a scheduled appointment can be changed." in body
    assert "Change or move" not in body
    assert stored(done.id).starts_at == local(DAY, 10)


# ---- Clock changes (America/Chicago) -------------------------------------------------------

SPRING = date(2026, 3, 8)  # 02:00 CST becomes 03:00 CDT
FALL = date(2026, 11, 1)  # 02:00 CDT becomes 01:00 CST


def test_a_time_skipped_by_spring_forward_is_refused_at_the_start_field(client, agency):
    sign_in(client, agency.cm)
    data = booking(
        agency.own,
        agency.cm,
        SPRING,
        "02:30",
        "03:30",
        location="Room 4",
        client_note="Bring your benefits letter",
    )
    response = post(client, A + "/new", data)
    assert response.status_code == 422
    body = text(response)
    message = field_error(body, "start")
    assert "02:30 does not exist on March 8, 2026" in message
    assert "clocks go forward" in message
    assert [field_value(body, name) for name in ("day", "start", "end", "location")] == [
        "2026-03-08",
        "02:30",
        "03:30",
        "Room 4",
    ]
    assert "Bring your benefits letter" in body
    assert appointment_count() == 0


def test_a_repeated_time_in_the_fall_books_its_first_occurrence(client, agency):
    sign_in(client, agency.cm)
    response = post(client, A + "/new", booking(agency.own, agency.cm, FALL, "01:30", "02:30"))
    assert response.status_code == 303
    booked = db.session.scalars(select(Appointment)).one()
    # 01:30 CDT (UTC-5) is the first 01:30; 02:30 comes after the clocks went back (CST, UTC-6)
    assert booked.starts_at == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    assert booked.ends_at == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    detail = text(client.get(response.headers["Location"]))
    assert "Sunday, November 1, 2026" in detail
    assert "1:30 AM–2:30 AM" in detail


def test_changing_an_appointment_in_the_repeated_hour_keeps_its_time(client, agency):
    # 01:30 CST, the second 01:30 of the night the clocks go back
    second = make_appointment(
        agency.own, agency.cm, starts_at=datetime(2026, 11, 1, 7, 30, tzinfo=UTC), minutes=30
    )
    sign_in(client, agency.cm)
    form = text(client.get(f"{A}/{second.id}/edit"))
    assert (field_value(form, "day"), field_value(form, "start")) == ("2026-11-01", "01:30")
    data = {
        **booking(agency.own, agency.cm, FALL, "01:30", "02:00"),
        "location": "Room 5",
        "version": second.version,
    }
    assert post(client, f"{A}/{second.id}/edit", data).status_code == 303
    changed = stored(second.id)
    assert changed.location == "Room 5"
    assert (changed.starts_at, changed.ends_at) == (
        datetime(2026, 11, 1, 7, 30, tzinfo=UTC),
        datetime(2026, 11, 1, 8, 0, tzinfo=UTC),
    )


def test_the_day_after_the_change_is_on_standard_time(client, agency):
    sign_in(client, agency.cm)
    day = FALL + timedelta(days=1)
    response = post(client, A + "/new", booking(agency.own, agency.cm, day, "10:00", "11:00"))
    assert response.status_code == 303
    booked = db.session.scalars(select(Appointment)).one()
    assert booked.starts_at == datetime(2026, 11, 2, 16, 0, tzinfo=UTC)
    week = text(client.get(f"{A}?view=week&date={day.isoformat()}"))
    monday = section(week, f"day-{day.isoformat()}")
    assert calendar_items(monday)[booked.id].count("10:00 AM–11:00 AM") == 1


@pytest.mark.parametrize(
    ("week_of", "times"),
    [
        # the week that ends with the clocks going forward
        (
            SPRING,
            [
                (date(2026, 3, 2), 0, 30),  # 06:30 UTC, Monday
                (date(2026, 3, 7), 23, 30),  # 05:30 UTC on Sunday
                (SPRING, 1, 30),  # the last hour of standard time
                (SPRING, 3, 30),  # the first hour of summer time
                (SPRING, 23, 0),  # 04:00 UTC on Monday
            ],
        ),
        # the week that ends with the clocks going back
        (
            FALL,
            [
                (date(2026, 10, 26), 0, 30),
                (date(2026, 10, 31), 23, 30),  # 04:30 UTC on Sunday
                (FALL, 0, 30),
                (FALL, 3, 0),  # after the repeated hour
                (FALL, 23, 30),  # 05:30 UTC on Monday
            ],
        ),
    ],
)
def test_the_week_of_a_clock_change_puts_each_appointment_on_its_day(
    client, agency, week_of, times
):
    made = {}
    for day, hh, mm in times:
        appointment = make_appointment(
            agency.own, agency.cm, starts_at=local(day, hh, mm), minutes=20
        )
        made[appointment.id] = (day, f"{(hh - 1) % 12 + 1}:{mm:02d} {'AM' if hh < 12 else 'PM'}")
    # outside the week on either side, by a minute
    monday = week_of - timedelta(days=6)
    early = make_appointment(
        agency.own, agency.cm, starts_at=local(monday, 0) - timedelta(minutes=1)
    )
    late = make_appointment(agency.own, agency.cm, starts_at=local(week_of + timedelta(days=1), 0))
    sign_in(client, agency.cm)
    body = text(client.get(f"{A}?view=week&date={week_of.isoformat()}"))
    shown: dict[int, tuple[date, str]] = {}
    for n in range(7):
        day = monday + timedelta(days=n)
        for appointment_id, markup in calendar_items(
            section(body, f"day-{day.isoformat()}")
        ).items():
            start = re.search(r'class="appt__time">([^–]+)–', markup)
            assert start
            shown[appointment_id] = (day, start.group(1))
    assert shown == made
    assert early.id not in shown and late.id not in shown


# ---- The calendar's views ------------------------------------------------------------------


def test_the_week_shows_only_the_chosen_staff_members_appointments(client, agency, second):
    mine = make_appointment(agency.own, agency.cm, starts_at=local(DAY, 9))
    pats = make_appointment(second, agency.team, starts_at=local(DAY, 13))
    sign_in(client, agency.cm)
    own_week = calendar_items(page(client.get(f"{A}?date={DAY.isoformat()}")))
    assert set(own_week) == {mine.id}
    pat_week = page(client.get(f"{A}?date={DAY.isoformat()}&staff={agency.team.id}"))
    assert set(calendar_items(pat_week)) == {pats.id}
    title = re.search(r'<h2 id="calendar-title"[^>]*>(.*?)</h2>', pat_week, re.S)
    assert title and "Dr Pat Psychiatrist" in title.group(1)
    assert "Beatrice Second" in calendar_items(pat_week)[pats.id]


def _calendar_choices(body: str) -> tuple[list[str], str]:
    """The names the "Calendar of" list offers, and the one selected."""
    field = re.search(
        r'<select class="field__input" id="staff" name="staff">(.*?)</select>', body, re.S
    )
    assert field, "no Calendar of list"
    options = re.findall(r"<option [^>]*>(.*?)</option>", field.group(1))
    selected = re.findall(r"<option [^>]*selected[^>]*>(.*?)</option>", field.group(1))
    return options, selected[0]


@pytest.mark.parametrize(
    ("who", "offered"),
    [
        ("cm", ["Casey Manager (me)", "Dr Pat Psychiatrist", "Pia Peer", "Sam Supervisor"]),
        ("team", ["Casey Manager", "Dr Pat Psychiatrist (me)", "Pia Peer"]),
        ("supervisor", ["Casey Manager", "Dr Pat Psychiatrist", "Pia Peer", "Sam Supervisor (me)"]),
    ],
)
def test_the_calendar_offers_the_people_one_works_with(client, agency, who, offered):
    # Not every clinician of the agency: Cleo and Tess (another team), Nico and Theo (on no
    # care team of these clients) are not offered.
    sign_in(client, getattr(agency, who))
    options, selected = _calendar_choices(page(client.get(A)))
    assert options == offered
    assert selected.endswith("(me)")


def test_anyones_calendar_still_opens_from_its_address(client, agency, second):
    visit = make_appointment(second, agency.not_team, starts_at=local(DAY, 11))
    sign_in(client, agency.cm)
    body = page(client.get(f"{A}?date={DAY.isoformat()}&staff={agency.not_team.id}"))
    options, selected = _calendar_choices(body)
    assert selected == "Nico Nurse" and "Nico Nurse" in options
    assert set(calendar_items(body)) == {visit.id}
    # An administrator is nobody's calendar: the address falls back to mine.
    body = page(client.get(f"{A}?staff={agency.admin.id}"))
    assert _calendar_choices(body)[1] == "Casey Manager (me)"


def test_the_day_and_list_views_hold_their_own_window(client, agency):
    today = make_appointment(agency.own, agency.cm, starts_at=local(DAY, 9))
    tomorrow = make_appointment(agency.own, agency.cm, starts_at=local(DAY + timedelta(days=1), 9))
    later = make_appointment(agency.own, agency.cm, starts_at=local(DAY + timedelta(days=27), 9))
    beyond = make_appointment(agency.own, agency.cm, starts_at=local(DAY + timedelta(days=28), 9))
    sign_in(client, agency.cm)
    day = page(client.get(f"{A}?view=day&date={DAY.isoformat()}"))
    assert set(calendar_items(day)) == {today.id}
    listed = page(client.get(f"{A}?view=list&date={DAY.isoformat()}"))
    links = set(map(int, re.findall(r'<a href="/staff/appointments/(\d+)">Olive</a>', listed)))
    assert links == {today.id, tomorrow.id, later.id}
    assert beyond.id not in links


@pytest.mark.parametrize(
    ("view", "on", "previous", "following"),
    [
        ("week", "2030-03-06", "2030-02-25", "2030-03-11"),
        ("day", "2030-03-06", "2030-03-05", "2030-03-07"),
        ("list", "2030-03-06", "2030-02-06", "2030-04-03"),
    ],
)
def test_previous_and_next_links_carry_the_dates(client, agency, view, on, previous, following):
    sign_in(client, agency.cm)
    body = page(client.get(f"{A}?view={view}&date={on}&staff={agency.team.id}"))
    for rel, expected in (("prev", previous), ("next", following)):
        match = re.search(rf'<a [^>]*href="([^"]+)"[^>]*rel="{rel}"', body)
        assert match, rel
        link = urlsplit(match.group(1))
        assert link.path == A
        assert parse_qs(link.query) == {
            "date": [expected],
            "view": [view],
            "staff": [str(agency.team.id)],
        }
        assert f'hx-get="{match.group(1)}"' in body


def test_an_htmx_request_gets_the_calendar_alone(client, agency):
    appointment = make_appointment(agency.own, agency.cm, starts_at=local(DAY, 9))
    sign_in(client, agency.cm)
    url = f"{A}?view=week&date={DAY.isoformat()}"
    full = client.get(url)
    partial = client.get(url, headers=HTMX)
    assert full.status_code == partial.status_code == 200
    assert "<html" in page(full)
    body = page(partial)
    assert "<html" not in body
    assert body.lstrip().startswith("{#") is False
    assert 'id="calendar"' in body
    assert set(calendar_items(body)) == {appointment.id}
    assert "HX-Request" in full.headers["Vary"]
    assert "HX-Request" in partial.headers["Vary"]


def test_a_client_the_viewer_may_not_see_shows_as_busy(client, make_client, agency):
    appointment = make_appointment(
        agency.own, agency.cm, starts_at=local(DAY, 9), kind="home_visit", location="12 Elm St"
    )
    sign_in(client, agency.cm_other)
    for view in ("week", "day", "list"):
        response = client.get(f"{A}?view={view}&date={DAY.isoformat()}&staff={agency.cm.id}")
        body = text(response)
        assert "Busy" in body, view
        for secret in ("Olive", "Olivia", "Home visit", "12 Elm St"):
            assert secret not in body, (view, secret)
        assert f"{A}/{appointment.id}" not in body, view
    # whom the viewer may see are named, on the same calendar
    body = text(
        sign_in(make_client(), agency.supervisor).get(
            f"{A}?date={DAY.isoformat()}&staff={agency.cm.id}"
        )
    )
    assert "Olive" in calendar_items(body)[appointment.id]
    assert "Busy" not in calendar_items(body)[appointment.id]


@pytest.mark.parametrize("htmx", [False, True])
def test_the_week_view_costs_the_same_queries_for_one_or_many(client, agency, count_queries, htmx):
    sign_in(client, agency.cm)
    monday = date(2030, 3, 4)
    url = f"{A}?view=week&date={monday.isoformat()}"
    headers = HTMX if htmx else None
    make_appointment(agency.own, agency.cm, starts_at=local(monday, 8))
    db.session.commit()
    client.get(url, headers=headers)  # warm up
    with count_queries() as one:
        assert client.get(url, headers=headers).status_code == 200
    # 24 more: every day of the week, clients seen and not seen, every kind and status
    kinds = ("office", "home_visit", "telehealth", "phone", "group")
    for n in range(24):
        day = monday + timedelta(days=n % 7)
        who = agency.own if n % 3 else agency.theirs
        make_appointment(
            who,
            agency.cm,
            starts_at=local(day, 9 + n // 7),
            minutes=30,
            kind=kinds[n % 5],
            status="cancelled" if n % 4 == 0 else "scheduled",
        )
    db.session.commit()
    with count_queries() as many:
        response = client.get(url, headers=headers)
    assert len(calendar_items(page(response))) == 25
    assert many.count == one.count, many.statements


# ---- Outcomes ------------------------------------------------------------------------------


def outcome(browser, appointment_id: int, what: str, **extra: Any):
    version = stored(appointment_id).version
    data = {"outcome": what, "version": version, "cancelled_by": "", "reason": "", **extra}
    return post(browser, f"{A}/{appointment_id}/outcome", data)


def follow_up_tasks(client_id: int) -> list[Task]:
    return list(
        db.session.scalars(
            select(Task).where(Task.client_id == client_id, Task.title.like("%missed%"))
        )
    )


@pytest.mark.parametrize("what", ["attended", "no_show"])
def test_attendance_is_refused_before_the_start(client, agency, what):
    soon = make_appointment(agency.own, agency.cm, starts_at=utcnow() + timedelta(minutes=5))
    sign_in(client, agency.cm)
    page_before = text(client.get(f"{A}/{soon.id}"))
    assert "Attendance can be recorded once the appointment has started" in page_before
    response = outcome(client, soon.id, what)
    assert response.status_code == 422
    assert "has not started yet: it can only be cancelled" in field_error(text(response), "outcome")
    assert stored(soon.id).status == "scheduled"
    assert follow_up_tasks(agency.own.id) == []


def test_a_no_show_gives_the_primary_case_manager_one_follow_up_task(client, make_client, agency):
    missed = make_appointment(agency.own, agency.team, starts_at=utcnow() - timedelta(hours=2))
    sign_in(client, agency.team)  # Pat saw nobody; Casey is Olive's case manager
    response = outcome(client, missed.id, "no_show")
    assert response.status_code == 303
    detail = text(client.get(response.headers["Location"]))
    assert "Recorded as a no-show. A follow-up task was added for the case manager." in detail
    [task] = follow_up_tasks(agency.own.id)
    assert task.assignee_id == agency.cm.id
    # the day as people write it, in the agency's zone (not 2026-11-23)
    day = missed.starts_at.astimezone(ZoneInfo("America/Chicago")).date()
    assert babel_date(day, "medium", locale="en") in task.title
    assert task.status == "open"
    assert stored(missed.id).follow_up_task_id == task.id
    assert f'href="/staff/tasks/{task.id}"' in detail
    # it is on Casey's list of tasks
    assert task.title in text(sign_in(make_client(), agency.cm).get("/staff/"))
    # asking again makes no second task
    assert outcome(client, missed.id, "no_show").status_code == 422
    assert len(follow_up_tasks(agency.own.id)) == 1


def test_attended_makes_no_task_and_shows_on_the_page(client, agency):
    seen = make_appointment(agency.own, agency.cm, starts_at=utcnow() - timedelta(minutes=1))
    sign_in(client, agency.cm)
    response = outcome(client, seen.id, "attended", reason="Brought the lease")
    assert response.status_code == 303
    body = text(client.get(response.headers["Location"]))
    assert "Recorded as attended." in body
    assert "Brought the lease" in section(body, "outcome-title")
    assert "Record the outcome" not in body
    assert follow_up_tasks(agency.own.id) == []
    assert stored(seen.id).outcome_by_id == agency.cm.id


def test_cancelling_needs_who_and_why(client, agency):
    upcoming = make_appointment(agency.own, agency.cm, starts_at=local(DAY, 10))
    sign_in(client, agency.cm)
    nobody = outcome(client, upcoming.id, "cancelled", reason="Unwell")
    assert nobody.status_code == 422
    assert field_error(text(nobody), "cancelled_by") == "Say who cancelled."
    assert field_value(text(nobody), "reason") == "Unwell"
    no_reason = outcome(client, upcoming.id, "cancelled", cancelled_by="staff")
    assert no_reason.status_code == 422
    assert field_error(text(no_reason), "reason") == "Give the reason for the cancellation."
    assert stored(upcoming.id).status == "scheduled"
    done = outcome(client, upcoming.id, "cancelled", cancelled_by="staff", reason="Staff sick")
    assert done.status_code == 303
    body = text(client.get(done.headers["Location"]))
    assert "Appointment cancelled." in body
    assert "Cancelled by staff" in section(body, "outcome-title")
    assert (stored(upcoming.id).status, stored(upcoming.id).outcome_reason) == (
        "cancelled",
        "Staff sick",
    )


def test_a_second_outcome_is_refused(client, agency):
    seen = make_appointment(agency.own, agency.cm, starts_at=utcnow() - timedelta(hours=1))
    sign_in(client, agency.cm)
    stale_version = stored(seen.id).version
    assert outcome(client, seen.id, "attended").status_code == 303
    # from a page opened before: the outcome recorded meanwhile is shown
    late = post(
        client,
        f"{A}/{seen.id}/outcome",
        {"outcome": "no_show", "version": stale_version},
    )
    assert late.status_code == 303
    body = text(client.get(late.headers["Location"]))
    assert "Someone recorded this appointment's outcome meanwhile" in body
    # with the current version: still refused, and said so
    again = outcome(client, seen.id, "cancelled", cancelled_by="client", reason="Late")
    assert again.status_code == 422
    assert "The outcome of this appointment is already recorded." in text(again)
    assert stored(seen.id).status == "attended"
    assert follow_up_tasks(agency.own.id) == []


def test_an_attended_home_visit_opens_a_prefilled_note(client, agency):
    start = datetime.now(CHICAGO).replace(second=0, microsecond=0) - timedelta(hours=3)
    visit = make_appointment(
        agency.own,
        agency.cm,
        starts_at=start.astimezone(UTC),
        minutes=45,
        kind="home_visit",
        location="14 Orchard Lane, Apt 3",
    )
    sign_in(client, agency.cm)
    before = text(client.get(f"{A}/{visit.id}"))
    assert "Write the note of this home visit" not in before
    assert outcome(client, visit.id, "attended").status_code == 303
    detail = text(client.get(f"{A}/{visit.id}"))
    link = f"/staff/clients/{agency.own.id}/notes/new?appointment={visit.id}"
    assert f'href="{link}">Write the note of this home visit' in detail
    editor = text(client.get(link))
    assert field_value(editor, "contact_at") == start.strftime("%Y-%m-%dT%H:%M")
    assert field_value(editor, "duration_minutes") == "45"
    assert field_value(editor, "location") == "14 Orchard Lane, Apt 3"
    assert re.search(
        r'<option selected value="home_visit">|<option value="home_visit" selected', editor
    )


def test_a_note_cannot_be_prefilled_from_another_clients_appointment(client, agency, second):
    other = make_appointment(second, agency.cm, starts_at=utcnow() - timedelta(hours=1))
    sign_in(client, agency.cm)
    response = client.get(f"/staff/clients/{agency.own.id}/notes/new?appointment={other.id}")
    assert response.status_code == 404


# ---- Figures -------------------------------------------------------------------------------


def history(client: Client, staff: Any, statuses: list[str], days_ago: int = 10) -> None:
    for n, status in enumerate(statuses):
        make_appointment(
            client,
            staff,
            starts_at=utcnow() - timedelta(days=days_ago + n),
            status=status,
            cancelled_by="client" if status == "cancelled" else None,
        )


def test_the_record_shows_the_no_show_rate(client, agency):
    history(agency.own, agency.cm, ["attended", "attended", "no_show", "attended", "cancelled"])
    history(agency.own, agency.team, ["scheduled"])  # past, waiting for its outcome
    make_appointment(agency.own, agency.team, starts_at=local(DAY, 10))
    sign_in(client, agency.cm)
    expected = "No-show rate over all appointments: 25% (1 of 4 with an outcome)."
    tab = text(client.get(f"/staff/clients/{agency.own.id}/appointments"))
    assert expected in tab
    assert "Outcome not recorded" in section(tab, "past-title")
    overview = text(client.get(f"/staff/clients/{agency.own.id}"))
    summary = overview[overview.index('id="appointments-summary"') :]
    assert expected in summary
    assert "Next: 3/5/30, 10:00 AM with Dr Pat Psychiatrist" in summary


def test_a_record_without_outcomes_says_so(client, agency):
    make_appointment(agency.own, agency.cm, starts_at=local(DAY, 10))
    history(agency.own, agency.cm, ["cancelled"])
    sign_in(client, agency.cm)
    message = "No-show rate: no appointment has an outcome yet."
    assert message in text(client.get(f"/staff/clients/{agency.own.id}/appointments"))
    assert message in text(client.get(f"/staff/clients/{agency.own.id}"))


def no_show_rows(body: str) -> list[tuple[str, str, str, str]]:
    panel = section(body, "today-title")
    return re.findall(
        r'<tr><th scope="row">([^<]+)</th><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>',
        panel,
    )


def test_the_dashboard_counts_no_shows_per_case_manager_over_90_days(make_client, agency, second):
    # Casey's clients: Olive and Beatrice, 3 attended and 1 no-show in the window
    history(agency.own, agency.team, ["attended", "no_show"])
    history(second, agency.cm, ["attended", "attended", "cancelled", "scheduled"])
    history(agency.own, agency.cm, ["no_show", "no_show"], days_ago=91)  # too long ago
    # Cleo's client, Theodora: 1 of 2 missed, in Tess's team
    history(agency.theirs, agency.cm_other, ["attended", "no_show"])
    for user, rows in (
        (agency.cm, [("Casey Manager", "25%", "1", "4")]),
        (agency.supervisor, [("Casey Manager", "25%", "1", "4")]),
        (agency.other_supervisor, [("Cleo Other", "50%", "1", "2")]),
        (agency.cm_other, [("Cleo Other", "50%", "1", "2")]),
    ):
        body = text(sign_in(make_client(), user).get("/staff/"))
        assert no_show_rows(body) == rows, user.display_name


def test_a_dashboard_without_outcomes_says_so(client, agency):
    history(agency.own, agency.cm, ["cancelled", "scheduled"])
    history(agency.own, agency.cm, ["no_show"], days_ago=120)
    sign_in(client, agency.cm)
    body = text(client.get("/staff/"))
    assert no_show_rows(body) == []
    assert "No appointment of your clients has an outcome in the last 90 days." in body


def test_the_dashboard_lists_todays_appointments(client, agency):
    with time_machine.travel(local(DAY, 9), tick=False):
        today = make_appointment(agency.own, agency.cm, starts_at=local(DAY, 23, 30))
        make_appointment(agency.own, agency.cm, starts_at=local(DAY, 0) - timedelta(hours=1))
        make_appointment(agency.own, agency.cm, starts_at=local(DAY + timedelta(days=1), 0))
        sign_in(client, agency.cm)
        panel = section(text(client.get("/staff/")), "today-title")
    assert re.findall(r'href="/staff/appointments/(\d+)"', panel) == [str(today.id)]
    assert "11:30 PM · Olive" in panel


# ---- The timeline --------------------------------------------------------------------------


def test_booking_and_the_outcome_are_on_the_timeline(client, agency):
    sign_in(client, agency.cm)
    yesterday = datetime.now(CHICAGO).date() - timedelta(days=1)
    response = post(client, A + "/new", booking(agency.own, agency.cm, yesterday, "10:00", "11:00"))
    assert response.status_code == 303
    appointment = db.session.scalars(select(Appointment)).one()
    assert outcome(client, appointment.id, "attended").status_code == 303
    shown = lines(text(client.get(f"/staff/clients/{agency.own.id}/timeline")))
    link = f"{A}/{appointment.id}"
    assert shown[:2] == [(link, "Appointment outcome: Attended"), (link, "Appointment scheduled")]
    overview = text(client.get(f"/staff/clients/{agency.own.id}"))
    assert "Appointment outcome: Attended" in overview


# ---- Spanish -------------------------------------------------------------------------------


def test_the_calendar_speaks_spanish(client, agency):
    agency.cm.locale = "es"
    make_appointment(agency.own, agency.cm, starts_at=local(DAY, 9), kind="home_visit")
    make_appointment(agency.theirs, agency.cm, starts_at=local(DAY, 11))  # Cleo's client: busy
    sign_in(client, agency.cm)
    body = text(client.get(f"{A}?view=week&date={DAY.isoformat()}"))
    assert '<html lang="es"' in body
    for spanish in ("Citas", "Visita a domicilio", "Ocupado", "Sin citas", "Anterior", "Hoy"):
        assert spanish in body, spanish
    for english in ("Home visit", "Busy", "Nothing booked", "Previous", "Today"):
        assert english not in body, english
