"""Demo appointments: ten weeks of history with realistic attendance across the three case
managers and the psychiatrist, the next three weeks booked (home visits included), one
past appointment still waiting for its outcome, and a pending request from Alex."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from ..extensions import db
from ..i18n import agency_today, agency_zone
from ..models import Appointment, AppointmentRequest, Client, User

# Of the appointments with an outcome, about one in eight is missed: a typical caseload.
OUTCOMES = ("attended",) * 14 + ("no_show",) * 2 + ("cancelled",)
KINDS = ("office",) * 5 + ("home_visit",) * 2 + ("telehealth", "phone")


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), agency_zone()).astimezone(UTC)


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def load_demo_appointments() -> int:
    """Once: skipped if any appointment exists."""
    if db.session.scalar(select(Appointment.id).limit(1)) is not None:
        return 0
    rng = random.Random(20261123)  # noqa: S311 - demo data, not security
    today = agency_today()
    taken: set[tuple[int, date, int]] = set()
    created = 0

    def book(client: Client, staff: User, day: date, hour: int, kind: str, status: str) -> None:
        nonlocal created
        day = _weekday(day)
        tries = 0
        while (staff.id, day, hour) in taken or (client.id, day, hour) in taken:
            hour, tries = 9 + (hour - 8) % 8, tries + 1
            if tries % 8 == 0:  # that day is full: the next working day
                day = _weekday(day + timedelta(days=1))
        taken.add((staff.id, day, hour))
        taken.add((client.id, day, hour))
        appointment = Appointment(
            client_id=client.id,
            staff_id=staff.id,
            starts_at=_at(day, hour),
            ends_at=_at(day, hour) + timedelta(minutes=60 if kind != "phone" else 30),
            kind=kind,
            location=(
                client.address or "Client's home"
                if kind == "home_visit"
                else ("Waypoint office, room 2" if kind in ("office", "group") else None)
            ),
            video_link="https://video.example.org/waypoint-demo" if kind == "telehealth" else None,
            client_note="Bring your benefits letter and your bus pass."
            if kind == "office"
            else None,
            status=status,
            created_by_id=staff.id,
        )
        if status == "cancelled":
            appointment.cancelled_by = rng.choice(("client", "staff"))
            appointment.outcome_reason = "Rescheduled (demo data)"
        if status != "scheduled":
            appointment.outcome_by_id = staff.id
            appointment.outcome_at = appointment.ends_at
        db.session.add(appointment)
        created += 1

    clients = db.session.scalars(
        select(Client)
        .where(Client.status.in_(("active", "intake", "on_hold")))
        .where(Client.primary_case_manager_id.is_not(None))
        .order_by(Client.id)
    ).all()
    psychiatrist = db.session.scalar(select(User).where(User.email == "psychiatrist@example.org"))
    for client in clients:
        staff = client.primary_case_manager
        assert staff is not None  # noqa: S101
        # Every other week for ten weeks, then the next two or three weeks.
        for weeks_ago in (10, 8, 6, 4, 2):
            day = today - timedelta(days=7 * weeks_ago + rng.randrange(0, 4))
            book(client, staff, day, rng.randrange(9, 16), rng.choice(KINDS), rng.choice(OUTCOMES))
        for weeks_ahead in (1, 3):
            day = today + timedelta(days=7 * weeks_ahead - 3 + rng.randrange(0, 4))
            book(client, staff, day, rng.randrange(9, 16), rng.choice(KINDS), "scheduled")
    db.session.flush()
    alex = db.session.scalar(select(Client).where(Client.legal_name == "Alexander Example"))
    if alex is not None and alex.primary_case_manager is not None:
        cm = alex.primary_case_manager
        # What the family member sees, and what waits for Casey's outcome.
        book(alex, cm, today + timedelta(days=2), 10, "office", "scheduled")
        book(alex, cm, today + timedelta(days=9), 14, "home_visit", "scheduled")
        if psychiatrist is not None:
            book(alex, psychiatrist, today + timedelta(days=5), 11, "telehealth", "scheduled")
            book(alex, psychiatrist, today - timedelta(days=30), 11, "telehealth", "attended")
        last_workday = today - timedelta(days=1)
        while last_workday.weekday() >= 5:
            last_workday -= timedelta(days=1)
        book(alex, cm, last_workday, 15, "home_visit", "scheduled")
        db.session.flush()
        if alex.portal_user_id is not None:
            first = _weekday(today + timedelta(days=6))
            db.session.add(
                AppointmentRequest(
                    client_id=alex.id,
                    requested_by_id=alex.portal_user_id,
                    purpose="new",
                    kind="office",
                    reason="I would like help filling in the housing application.",
                    preferred_1=_at(first, 10),
                    preferred_2=_at(first, 14),
                    preferred_3=_at(_weekday(first + timedelta(days=1)), 9, 30),
                    status="pending",
                )
            )
            created += 1
    db.session.flush()
    return created
