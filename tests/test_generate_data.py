"""generate-data: a small synthetic agency with the demo accounts, whose every page renders."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.extensions import db
from portal.i18n import agency_zone
from portal.models import (
    Appointment,
    Assessment,
    AuditEvent,
    CarePlan,
    Client,
    ProgressNote,
    Role,
    Task,
    User,
)
from portal.services import audit, generate_data, notes, users

from .helpers import login

DEMO_PASSWORD = "waypoint-demo"


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo accounts are hashed one by one; argon2 at its real cost would dominate here."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


def _count_by_client(model: type, ids: range) -> Counter[int]:
    rows = db.session.execute(
        select(model.client_id, func.count())  # type: ignore[attr-defined]
        .where(model.client_id.in_(ids))  # type: ignore[attr-defined]
        .group_by(model.client_id)  # type: ignore[attr-defined]
    ).all()
    return Counter({int(client_id): int(n) for client_id, n in rows})


def _signed_in(make_client: object, email: str) -> FlaskClient:
    browser: FlaskClient = make_client()  # type: ignore[operator]
    response = login(browser, email, DEMO_PASSWORD)
    assert response.status_code in (302, 303), email
    return browser


def test_generate_builds_an_agency_whose_pages_render(app: Flask, make_client: object) -> None:
    report = generate_data.generate(8, seed=3)
    db.session.commit()
    ids = report.client_ids
    assert report.clients == len(ids) == 8
    clients = db.session.scalars(select(Client).where(Client.id.in_(ids))).all()
    assert all(c.primary_case_manager_id is not None for c in clients)
    cm = db.session.scalar(select(User).where(User.email == "cm@example.org"))
    assert cm is not None
    mine = [c for c in clients if c.primary_case_manager_id == cm.id]
    # One generated case manager for 8 clients, and Casey shares them.
    assert len(mine) == 4
    generated_cms = db.session.scalars(
        select(User).where(User.email.like("cm%@generated.example.org"))
    ).all()
    assert len(generated_cms) == 1
    assert generated_cms[0].role == Role.CASE_MANAGER
    assert generated_cms[0].supervisor is not None
    assert generated_cms[0].supervisor.email == "supervisor@example.org"

    # Proportions a reader would notice, averaged over the clients.
    notes_per_client = sum(_count_by_client(ProgressNote, ids).values()) / len(ids)
    appointments = sum(_count_by_client(Appointment, ids).values()) / len(ids)
    assessments = sum(_count_by_client(Assessment, ids).values()) / len(ids)
    events = sum(_count_by_client(AuditEvent, ids).values()) / len(ids)
    assert 25 <= notes_per_client <= 100
    assert 10 <= appointments <= 40
    assert 4 <= assessments <= 20
    assert 120 <= events <= 300
    plans = db.session.scalars(select(CarePlan).where(CarePlan.client_id.in_(ids))).all()
    assert {p.status for p in plans} <= {"draft", "active", "superseded"}
    assert all(p.signed_at is not None for p in plans if p.status != "draft")
    signed = db.session.scalars(
        select(ProgressNote).where(ProgressNote.client_id.in_(ids), ProgressNote.status == "signed")
    ).all()
    assert signed and all(notes.hash_matches(n) for n in signed)

    report_chain = audit.verify_chain()
    assert report_chain.ok, report_chain
    # The app goes on numbering after the generated rows (PostgreSQL's sequences moved on).
    highest = db.session.scalar(select(func.max(Task.id)))
    later = Task(client_id=ids[0], title="Call back", assignee_id=cm.id)
    db.session.add(later)
    db.session.flush()
    assert later.id == highest + 1

    browser = _signed_in(make_client, "cm@example.org")
    client_id = mine[0].id
    pages = ["/staff/", "/staff/clients", "/staff/appointments", "/staff/reports"]
    pages += [
        f"/staff/clients/{client_id}{part}"
        for part in ("", "/timeline", "/plan", "/notes", "/notes/new", "/appointments")
    ]
    for page in pages:
        assert browser.get(page).status_code == 200, page
    # Written in bulk, past the model: the caseload search finds them all the same.
    surname = mine[0].legal_name.split()[-1]
    found = browser.get("/staff/clients", query_string={"q": surname.upper()}).get_data(True)
    assert f'id="client-{client_id}"' in found
    assert all(
        c.search_text == Client.search_text_of(c.legal_name, c.preferred_name, c.record_number)
        for c in clients
    )
    assert all(c.sort_name == Client.sort_name_of(c.legal_name, c.preferred_name) for c in clients)

    supervisor = _signed_in(make_client, "supervisor@example.org")
    assert supervisor.get("/staff/").status_code == 200
    assert supervisor.get(f"/staff/clients/{client_id}").status_code == 200

    portal = db.session.scalar(
        select(User)
        .join(Client, Client.portal_user_id == User.id)
        .where(Client.id.in_(ids))
        .order_by(User.id)
    )
    assert portal is not None and portal.email.endswith("@generated.example.org")
    own = _signed_in(make_client, portal.email)
    for page in ("/client/", "/client/goals", "/client/appointments"):
        assert own.get(page).status_code == 200, page

    with pytest.raises(generate_data.AlreadyGenerated):
        generate_data.generate(1)


def test_generate_data_command_runs_once(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["generate-data", "--clients", "1", "--seed", "5"])
    assert first.exit_code == 0, first.output
    assert "generated 1 client:" in first.output
    assert audit.verify_chain().ok
    again = runner.invoke(args=["generate-data", "--clients", "1"])
    assert again.exit_code == 1
    assert "already has generated data" in again.output


def _fingerprint(ids: range) -> list[tuple[object, ...]]:
    """What the generated clients' records say, in the order the clients were made: names,
    and every note's and appointment's time and status."""
    clients = db.session.scalars(select(Client).where(Client.id.in_(ids)).order_by(Client.id))
    found: list[tuple[object, ...]] = []
    for client in clients:
        noted = db.session.execute(
            select(ProgressNote.contact_at, ProgressNote.status)
            .where(ProgressNote.client_id == client.id)
            .order_by(ProgressNote.contact_at, ProgressNote.status)
        ).all()
        booked = db.session.execute(
            select(Appointment.starts_at, Appointment.status)
            .where(Appointment.client_id == client.id)
            .order_by(Appointment.starts_at, Appointment.status)
        ).all()
        found.append((client.legal_name, client.status, tuple(noted), tuple(booked)))
    return found


def test_the_same_seed_gives_the_same_agency_at_any_hour_of_a_day(app: Flask) -> None:
    """A benchmark rebuilt in the afternoon measures the records it measured in the morning:
    the records are dated back from the start of the agency's day, not from the minute."""
    zone = agency_zone()
    morning = datetime(2026, 3, 10, 8, 5, tzinfo=zone)
    afternoon = datetime(2026, 3, 10, 17, 40, tzinfo=zone)
    first = generate_data.generate(5, seed=3, now=morning)
    seen_first = _fingerprint(first.client_ids)
    db.session.rollback()
    again = generate_data.generate(5, seed=3, now=afternoon)
    seen_again = _fingerprint(again.client_ids)
    assert sum(len(notes) for _, _, notes, _ in seen_first) > 20
    assert seen_again == seen_first
    # Nothing is dated after the start of that day but what is booked ahead.
    start = datetime(2026, 3, 10, tzinfo=zone)
    assert max(at for *_, notes, _ in seen_again for at, _ in notes) <= start
