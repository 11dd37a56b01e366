"""The calendar writer writes, byte for byte, the file icalendar's objects would: text
escaped and lines folded the same way, times in the agency's zone with its VTIMEZONE, in any
zone, language and span of years."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from flask import Flask
from flask_babel import force_locale
from icalendar import Calendar, Event

from portal.i18n import agency_zone
from portal.models import Appointment, Client, User, utcnow
from portal.services import calendars

NOW = datetime(2030, 12, 20, 17, 45, 12, 345678, tzinfo=UTC)


def reference(
    appointments: Sequence[Appointment], *, locale: str, calendar_name: str, for_family: bool
) -> bytes:
    """The file as icalendar's objects write it (how ``to_ical`` was first written)."""
    zone = agency_zone()
    calendar = Calendar()
    calendar.add("prodid", "-//Waypoint//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", zone.key)
    stamp = utcnow()
    with force_locale(locale):
        for appointment in appointments:
            event = Event()
            event.add("uid", f"appointment-{appointment.id}@waypoint")
            event.add("dtstamp", stamp)
            event.add("dtstart", appointment.starts_at.astimezone(zone))
            event.add("dtend", appointment.ends_at.astimezone(zone))
            event.add("summary", calendars._summary(appointment, for_family=for_family))
            event.add("sequence", appointment.version)
            event.add("status", "CANCELLED" if appointment.status == "cancelled" else "CONFIRMED")
            if appointment.location:
                event.add("location", appointment.location)
            if appointment.video_link:
                event.add("url", appointment.video_link)
            calendar.add_component(event)
    if appointments:
        first = min(a.starts_at for a in appointments).date()
        last = max(a.ends_at for a in appointments).date()
        calendar.add_missing_timezones(
            first_date=date(first.year, 1, 1), last_date=date(last.year + 1, 1, 1)
        )
    return bytes(calendar.to_ical())


LOCATIONS = [
    None,
    "Waypoint office, room 2; ask at the desk",
    "Back door \\ side entrance\nRing twice\r\nthen wait\rplease",
    "Clínica de salud mental — edificio Ñandú, tercer piso, oficina 3; pregunte por Ana",
    "🏥 " * 40,
    "x" * 72 + "\\,;" + "y" * 80,
    "a" * 73 + ",",
    "é" * 37 + "," + "b" * 100,
    "literal \\N and \\n stay text",
    # With "LOCATION:", lines of 74, 75 and 76 octets: the first is one short of the fold
    # width and written as it is, the others are folded; in ASCII and in two-octet characters.
    "m" * 65,
    "m" * 66,
    "m" * 67,
    "é" * 32 + "m",
    "é" * 33,
    "é" * 33 + "m",
]


def appointments() -> list[Appointment]:
    staff = User(display_name="Dr. Ana Ruiz, MD; Psychiatry", email="s@example.org")
    client = Client(legal_name="Zoë O'Brien-Smith", preferred_name=None)
    rows = []
    start = datetime(2030, 12, 30, 14, 0, tzinfo=UTC)  # the span crosses a new year
    for n, location in enumerate(LOCATIONS):
        begins = start + timedelta(days=n, hours=n % 3, minutes=15 * n)
        rows.append(
            Appointment(
                id=100 + n,
                version=1 + n % 3,
                starts_at=begins,
                ends_at=begins + timedelta(minutes=50),
                kind=("office", "home_visit", "telehealth", "phone", "group")[n % 5],
                status="cancelled" if n % 4 == 3 else "scheduled",
                location=location,
                video_link="https://video.example.org/room/" + "k" * (n * 9) if n % 2 else None,
                staff=staff,
                client=client,
            )
        )
    return rows


@pytest.mark.parametrize(
    "zone", ["America/Chicago", "UTC", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"]
)
@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("for_family", [False, True])
def test_the_writer_writes_what_icalendar_writes(app: Flask, zone, locale, for_family):
    app.config["TIMEZONE"] = zone
    rows = appointments()
    name = "Waypoint, Community Services; appointments of a very long agency name " * 2
    with app.test_request_context(), time_machine.travel(NOW, tick=False):
        for chosen in (rows, rows[:1], []):
            written = calendars.to_ical(
                chosen, locale=locale, calendar_name=name, for_family=for_family
            )
            expected = reference(chosen, locale=locale, calendar_name=name, for_family=for_family)
            assert written == expected
