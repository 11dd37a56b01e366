"""The portal's key pages and the calendar feeds hold to a budget of SQL statements that
does not grow with what the client has: a client with one goal, appointment, message,
request, proposal and reading costs the same statements as one with twenty-five of each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from portal.extensions import db
from portal.i18n import agency_today
from portal.models import (
    Client,
    GoalProgress,
    GoalProposal,
    Material,
    MaterialAssignment,
    MaterialTranslation,
    Role,
    User,
    utcnow,
)
from portal.services import calendars, care_plans, check_ins, messages

from ..factories import (
    add_to_care_team,
    grant_family_access,
    make_appointment,
    make_appointment_request,
    make_client,
    make_user,
)
from ..staff.support import page, section, sign_in

BUDGET = 12
PAGES = ("/client/", "/client/goals", "/client/appointments")


@dataclass
class Person:
    client: Client
    user: User
    family: User


def person_with(n: int, cm: User, team: User) -> Person:
    """A client with a portal account, a family member who sees their appointments and goals,
    and ``n`` of everything the portal pages show."""
    user = make_user(Role.CLIENT, display_name=f"Client with {n}")
    family = make_user(Role.FAMILY, display_name=f"Family of {n}")
    client = make_client(primary_case_manager=cm, portal_user=user)
    add_to_care_team(client, team, "psychiatrist")
    grant_family_access(client, family, scopes=("appointments", "goals", "materials"))
    today = agency_today()

    plan = care_plans.start_draft(client, actor=cm, ip=None)
    for i in range(n):
        goal = care_plans.add_goal(
            plan, {"description": f"Goal {i}", "domain": "housing"}, actor=cm, ip=None
        )
        care_plans.add_child(goal, "objective", {"description": f"Step {i}"}, actor=cm, ip=None)
    care_plans.sign(plan, review_due_on=None, actor=cm, ip=None, today=today)
    for i, goal in enumerate(plan.goals):
        for days_ago, by_client in ((2, False), (1, True)):
            db.session.add(
                GoalProgress(
                    client_id=client.id,
                    goal_key=goal.key,
                    goal_id=goal.id,
                    recorded_on=today - timedelta(days=days_ago),
                    rating=10 * (i % 10),
                    by_client=by_client,
                    author_id=user.id if by_client else cm.id,
                )
            )
        db.session.add(
            GoalProposal(client_id=client.id, kind="goal", text=f"Idea {i}", author_id=user.id)
        )

    start = utcnow().replace(second=0, microsecond=0)
    for i in range(n):
        staff = cm if i % 2 else team
        # Every other one in the past, the others ahead, none overlapping.
        offset = timedelta(days=(i // 2 + 2) * (1 if i % 2 else -1), hours=i % 5)
        make_appointment(client, staff, starts_at=start + offset)
        make_appointment_request(
            client, status="proposed" if i % 2 else "pending", proposed_by_id=cm.id
        )
        messages.start_thread(client, subject=f"Question {i}", body="Hello", actor=cm, ip=None)
        material = Material(slug=f"reading-{client.id}-{i}", general=False, created_by_id=cm.id)
        db.session.add(material)
        db.session.flush()
        db.session.add_all(
            [
                MaterialTranslation(
                    material_id=material.id, locale="en", title=f"Reading {i}", body="Text"
                ),
                MaterialAssignment(material_id=material.id, client_id=client.id),
            ]
        )
    for code in ("phq9", "gad7")[: min(n, 2)]:
        check_ins.assign(client, code, None, today, actor=cm, ip=None)
    db.session.flush()
    return Person(client=client, user=user, family=family)


@pytest.fixture
def people(app) -> tuple[Person, Person]:
    cm = make_user(Role.CASE_MANAGER, display_name="Casey Manager")
    team = make_user(Role.CARE_TEAM, display_name="Dr Pat Psychiatrist")
    few = person_with(1, cm, team)
    many = person_with(25, cm, team)
    db.session.commit()
    return few, many


def statements(count_queries, browser: FlaskClient, path: str) -> list[str]:
    browser.get(path)  # the first visit may load what later visits reuse
    with count_queries() as counted:
        response = browser.get(path)
    assert response.status_code == 200, path
    page(response)
    return counted.statements


@pytest.mark.parametrize("path", PAGES)
def test_each_key_page_costs_the_same_few_statements_for_1_or_25_of_everything(
    make_client, people, count_queries, path
):
    few, many = people
    small = statements(count_queries, sign_in(make_client(), few.user), path)
    large = statements(count_queries, sign_in(make_client(), many.user), path)

    assert len(small) <= BUDGET, "\n".join(small)
    assert len(large) == len(small), "\n".join(large)


def test_the_pages_show_everything_of_the_larger_client(make_client, people):
    _few, many = people
    browser = sign_in(make_client(), many.user)

    home = page(browser.get("/client/"))
    goals = page(browser.get("/client/goals"))
    appointments = page(browser.get("/client/appointments"))

    assert home.count("<progress") == 25
    assert "25 conversations with new messages" in home
    assert "25 appointment requests in progress" in home
    assert "2 short check-ins are waiting" in home
    assert "25 new readings" in home
    assert goals.count('class="goal-card"') == 25
    assert goals.count("You rated it on") == 25
    # Twelve ahead as cards, and only the ten most recent of the thirteen past ones.
    assert appointments.count('class="appointment-card"') == 12
    recent = section(appointments, "past-title")
    assert recent.count("<p>") == 10


@pytest.mark.parametrize("owner", ["client", "family"])
def test_a_feed_costs_the_same_few_statements_for_1_or_25_appointments(
    client, people, count_queries, owner
):
    tokens = []
    for person in people:
        user = person.user if owner == "client" else person.family
        tokens.append(calendars.issue_feed(user, ip=None))
    db.session.commit()

    counts = []
    for token, expected in zip(tokens, (1, 25), strict=True):
        client.get(f"/feeds/{token}.ics")
        with count_queries() as counted:
            response = client.get(f"/feeds/{token}.ics")
        assert response.status_code == 200
        assert response.get_data(as_text=True).count("BEGIN:VEVENT") == expected
        counts.append(counted)

    small, large = counts
    assert small.count <= BUDGET, "\n".join(small.statements)
    assert large.count == small.count, "\n".join(large.statements)
