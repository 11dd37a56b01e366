"""The staff dashboard holds to its statement budget: at most 12 statements for a case manager
and for a supervisor, the same number for one client as for 25 with every list full."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from portal.extensions import db
from portal.i18n import agency_today
from portal.models import (
    Assessment,
    CarePlan,
    Client,
    CrisisEvent,
    MessageThread,
    ProgressNote,
    Referral,
    Resource,
    Role,
    Task,
    TaskItem,
    User,
    utcnow,
)
from portal.services import audit, dashboard

from ..factories import make_appointment, make_appointment_request
from ..factories import make_client as make_record
from .support import page, section, sign_in

BUDGET = 12


def note(client: Client, author: User, *, days_ago: float, **fields: object) -> ProgressNote:
    at = utcnow() - timedelta(days=days_ago)
    row = ProgressNote(
        client_id=client.id,
        author_id=author.id,
        status="signed",
        contact_at=at,
        duration_minutes=30,
        contact_type="office",
        format="narrative",
        sections={"narrative": "Met and talked."},
        created_at=at,
        updated_at=at,
        signed_at=at,
    )
    for name, value in fields.items():
        setattr(row, name, value)
    db.session.add(row)
    return row


def fill(client: Client, cm: User, resource: Resource) -> None:
    """Something for every list of the dashboard: notes, a draft, a task with steps, today's
    and missed appointments, a late message, a referral, a crisis, plans, a critical
    check-in, a request, a view and a change in the audit log."""
    now, today = utcnow(), agency_today()
    client.risk_level = "high"
    note(client, cm, days_ago=40, needs_cosign=True)
    note(client, cm, days_ago=5, status="draft", signed_at=None)
    task = Task(client_id=client.id, title="Renew Medicaid", assignee_id=cm.id, due_on=today)
    task.items = [TaskItem(text="Form", done=True), TaskItem(text="Copy", position=1)]
    db.session.add(task)
    make_appointment(client, cm, starts_at=now.replace(second=0, microsecond=0))
    for days in (9, 2):
        make_appointment(client, cm, starts_at=now - timedelta(days=days), status="no_show")
    make_appointment(client, cm, starts_at=now - timedelta(hours=30))  # waits for its outcome
    make_appointment_request(client, requested_by_id=cm.id)
    db.session.add_all(
        [
            MessageThread(
                client_id=client.id,
                subject="Bus pass",
                created_by_id=cm.id,
                awaiting_team=True,
                last_message_at=now - timedelta(days=3),
            ),
            Referral(
                client_id=client.id,
                resource_id=resource.id,
                reason="Food",
                status="sent",
                follow_up_on=today - timedelta(days=1),
                created_by_id=cm.id,
            ),
            CrisisEvent(
                client_id=client.id,
                occurred_at=now - timedelta(days=1),
                what_happened="Called the crisis line.",
                risk_level="high",
                outcome="stabilized",
                created_by_id=cm.id,
            ),
            CarePlan(
                client_id=client.id,
                number=1,
                status="active",
                signed_at=now - timedelta(days=200),
                signed_by_id=cm.id,
                review_due_on=today - timedelta(days=3),
            ),
            CarePlan(
                client_id=client.id,
                number=2,
                status="awaiting_approval",
                signed_at=now - timedelta(days=1),
                signed_by_id=cm.id,
                review_due_on=today + timedelta(days=90),
            ),
            Assessment(
                client_id=client.id,
                instrument_code="phq9",
                instrument_version="1",
                administered_at=now - timedelta(days=1),
                self_report=True,
                answers={},
                total=15,
                critical_items=["q9"],
            ),
        ]
    )
    db.session.flush()
    audit.record(
        "view", actor=cm, ip=None, object_type="client", object_id=client.id, client_id=client.id
    )
    audit.record(
        "update",
        actor=cm,
        ip=None,
        object_type="client",
        object_id=client.id,
        client_id=client.id,
        detail="phone",
    )


def statements(make_browser, count_queries, user: User) -> tuple[int, str]:
    browser = sign_in(make_browser(), user)
    with count_queries() as counter:
        response = browser.get("/staff/")
    assert response.status_code == 200
    return counter.count, page(response)


@pytest.fixture
def resource(app) -> Resource:
    row = Resource(name="Food bank", category="food", languages=["en"])
    db.session.add(row)
    db.session.flush()
    return row


@pytest.mark.parametrize("who", ["cm", "supervisor"])
def test_the_statement_count_is_small_and_does_not_grow(
    make_client, count_queries, agency, resource, who
):
    user = getattr(agency, who)
    fill(agency.own, agency.cm, resource)
    one, shown = statements(make_client, count_queries, user)
    assert "Olive" in section(shown, "crises-title")
    for n in range(24):
        other = make_record(primary_case_manager=agency.cm, legal_name=f"Client Number{n:02}")
        fill(other, agency.cm, resource)
    many, shown = statements(make_client, count_queries, user)
    assert section(shown, "crises-title").count('id="crisis-') == 20  # a full list
    assert one <= BUDGET
    assert many == one


def test_every_list_shows_what_it_found(client, agency, resource):
    fill(agency.own, agency.cm, resource)
    shown = page(sign_in(client, agency.cm).get("/staff/"))
    expected = {
        "crises-title": "Olive",
        "check-in-alerts-title": "Olive",
        "messages-title": "Bus pass",
        "today-title": "Olive",
        "caseload-title": "See your 1 client",
        "risk-title": "Olive",
        "notes-title": "Olive",
        "referrals-title": "Food bank",
        "reviews-title": "review was due",
        "tasks-title": "1 of 2 steps done",
        "recent-title": "Olive",
        "activity-title": "Olive",
    }
    for title, text in expected.items():
        assert text in section(shown, title), title
    assert "Late" in section(shown, "messages-title")
    assert "2 past appointments wait for their outcome" in shown  # today's has begun too
    assert "Requests from clients" in shown


@pytest.mark.parametrize("role", [Role.CASE_MANAGER, Role.SUPERVISOR, Role.CARE_TEAM])
def test_the_statements_kept_for_a_role_hold_nobody_and_no_moment(app, role):
    """They are built once per role and run for everyone: every value is a parameter."""
    for statement in vars(dashboard._statements(role)).values():
        params = statement.compile().params
        assert params["user_id"] is None
        assert not [v for v in params.values() if isinstance(v, date | datetime)]
