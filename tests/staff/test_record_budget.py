"""The client record's key pages keep to a budget of SQL statements, everything included (the
signed-in user, the client, the audit write of a view), and spend the same on a record with
one of everything as on a record with thirty: the overview, the care plan, the notes list,
the timeline, the note editor and its autosave."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portal import i18n
from portal.extensions import db
from portal.models import (
    Client,
    EmergencyAccess,
    EmergencyContact,
    GoalProposal,
    ProgressNote,
    Role,
    User,
    utcnow,
)
from portal.services import assessments, audit, care_plans, notes

from ..factories import add_to_care_team, make_appointment, make_client, make_user
from .support import HTMX, page, post, sign_in

BUDGET = 12
READERS = ("cm", "supervisor", "team", "glass")


def _plan(person: Client, actor: User, goals: int, *, draft: bool) -> None:
    """A signed plan of ``goals`` goals, each with a step and a help and some progress; with
    ``draft``, a second version open on top of it and a needs assessment to turn into goals."""
    plan = care_plans.start_draft(person, actor=actor, ip=None)
    for n in range(goals):
        goal = care_plans.add_goal(
            plan, {"description": f"Goal number {n}", "domain": "housing"}, actor=actor, ip=None
        )
        care_plans.add_child(goal, "objective", {"description": f"Step {n}"}, actor=actor, ip=None)
        care_plans.add_child(
            goal, "intervention", {"description": f"Help {n}"}, actor=actor, ip=None
        )
    today = i18n.agency_today()
    care_plans.sign(plan, review_due_on=None, actor=actor, ip=None, today=today)
    for goal in care_plans.load_goals(plan):
        for n in range(goals):
            care_plans.add_progress(
                goal,
                rating=n,
                comment=None,
                recorded_on=today - timedelta(days=goals - n),
                actor=actor,
                ip=None,
                today=today,
            )
    if draft:
        care_plans.start_draft(person, actor=actor, ip=None)
        instrument = assessments.instruments()["psychosocial"]
        answers = {item.id: 3 for item in instrument.items}
        assessments.record(person, instrument, answers, {}, actor=actor, ip=None, today=today)


def _record(cm: User, size: int, *, draft: bool = False) -> Client:
    """A client of ``cm`` with ``size`` of everything the record's pages list."""
    portal_user = make_user(Role.CLIENT)
    person = make_client(primary_case_manager=cm, portal_user=portal_user, risk_level="high")
    person.risk_reason = "Said so at intake"
    person.risk_set_by_id = cm.id
    _plan(person, cm, size, draft=draft)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for n in range(size):
        colleague = make_user(Role.CARE_TEAM)
        add_to_care_team(person, colleague, "nurse")
        db.session.add(EmergencyContact(client_id=person.id, name=f"Contact {n}", phone="555"))
        db.session.add(
            GoalProposal(
                client_id=person.id, kind="goal", text=f"Idea {n}", author_id=portal_user.id
            )
        )
        # Each note by another author, so that the list's filter of authors grows too.
        note = notes.create_draft(
            person,
            {
                "format": "narrative",
                "contact_at": now - timedelta(hours=n + 1),
                "duration_minutes": 30,
                "sections": {"narrative": f"Talked about the flat, visit {n}."},
            },
            actor=colleague,
            ip=None,
        )
        notes.seal(note, actor=colleague, ip=None)
        for status, days in (("attended", -n - 1), ("no_show", -n - 2), ("scheduled", n + 1)):
            make_appointment(
                person,
                colleague,
                starts_at=now + timedelta(days=days, hours=n % 5),
                status=status,
            )
        audit.record(
            "update",
            actor=colleague,
            ip=None,
            object_type="client",
            object_id=person.id,
            client_id=person.id,
            detail=f"change {n}",
        )
    db.session.flush()
    return person


def _readers(cm: User, supervisor: User, records: list[Client]) -> dict[str, User]:
    """The primary case manager, their supervisor, a care-team member, and someone who broke
    the glass to open the records."""
    team = make_user(Role.CARE_TEAM, display_name="Dr Pat Psychiatrist")
    glass = make_user(Role.CARE_TEAM, display_name="Gil Glass")
    now = utcnow()
    for person in records:
        add_to_care_team(person, team, "psychiatrist")
        db.session.add(
            EmergencyAccess(
                user_id=glass.id,
                client_id=person.id,
                reason="Called the crisis line at night",
                granted_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
    db.session.flush()
    return {"cm": cm, "supervisor": supervisor, "team": team, "glass": glass}


def _token(body: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', body)
    assert match
    return match.group(1)


def _pages(browser: Any, person: Client, count_queries: Any) -> dict[str, tuple[int, str]]:
    """Each key page of the record: how many statements it made, and what it showed."""
    base = f"/staff/clients/{person.id}"
    gets = {
        "overview": (base, False),
        "plan": (f"{base}/plan", False),
        "notes": (f"{base}/notes", False),
        "notes page 2": (f"{base}/notes?page=2", False),
        "notes search": (f"{base}/notes?q=flat", True),
        "timeline": (f"{base}/timeline", False),
        "timeline more": (f"{base}/timeline?before=1000000", True),
        "note editor": (f"{base}/notes/new", False),
    }
    seen: dict[str, tuple[int, str]] = {}
    for name, (path, htmx) in gets.items():
        with count_queries() as counted:
            response = browser.get(path, headers=HTMX if htmx else None)
        assert response.status_code == 200, (name, response.status_code)
        seen[name] = (counted.count, page(response))
    editor = {
        "contact_type": "office",
        "format": "dap",
        "contact_at": "2024-03-04T10:00",
        "duration_minutes": "30",
        "data": "First words",
    }
    with count_queries() as counted:
        first = post(browser, f"{base}/notes/save", editor, htmx=True)
    assert first.status_code == 200
    seen["autosave, first"] = (counted.count, page(first))
    saved = db.session.scalars(
        select(ProgressNote).where(
            ProgressNote.client_id == person.id, ProgressNote.status == "draft"
        )
    ).one()
    editor.update(note_id=str(saved.id), version=str(saved.version), data="More words")
    with count_queries() as counted:
        again = post(browser, f"{base}/notes/save", editor, htmx=True)
    assert again.status_code == 200
    seen["autosave, again"] = (counted.count, page(again))
    return seen


@pytest.mark.parametrize("reader", READERS)
def test_the_record_pages_keep_to_the_budget_however_much_they_show(client, count_queries, reader):
    supervisor = make_user(Role.SUPERVISOR)
    cm = make_user(Role.CASE_MANAGER, supervisor=supervisor)
    small, large = _record(cm, 1), _record(cm, 30)
    user = _readers(cm, supervisor, [small, large])[reader]
    db.session.commit()
    sign_in(client, user)
    client.get(f"/staff/clients/{small.id}/plan")  # the first visit may load what others reuse
    few = _pages(client, small, count_queries)
    lots = _pages(client, large, count_queries)

    for name in few:
        assert few[name][0] <= BUDGET, (name, few[name][0])
        if name == "notes page 2":
            # The small record has one page: its page 2 counts the notes and shows page 1.
            assert few[name][0] == lots[name][0] + 2, (name, few[name][0], lots[name][0])
            continue
        assert lots[name][0] == few[name][0], (name, few[name][0], lots[name][0])
    overview = lots["overview"][1]
    assert overview.count('class="contact"') == 30
    assert len(re.findall(r'<li id="member-\d+"', overview)) == 31
    assert "Goal number 29" in overview
    assert ("Emergency access until" in overview) == (reader == "glass")
    assert "Said so at intake" in overview
    plan = lots["plan"][1]
    assert plan.count('class="goal-card"') == 30 and "Progress 29%" in plan
    assert len(re.findall(r'<li id="note-\d+"', lots["notes"][1])) == 20
    assert len(re.findall(r'<li id="note-\d+"', lots["notes page 2"][1])) == 10
    assert "<html" not in lots["notes search"][1]
    assert lots["timeline"][1].count("<li><time") == 20


def test_a_draft_plan_with_needs_to_take_up_keeps_to_the_budget(client, count_queries):
    cm = make_user(Role.CASE_MANAGER)
    small, large = _record(cm, 1, draft=True), _record(cm, 30, draft=True)
    db.session.commit()
    sign_in(client, cm)
    # Worked out first: each request leaves the test's objects to be read again.
    small_plan, large_plan = f"/staff/clients/{small.id}/plan", f"/staff/clients/{large.id}/plan"
    client.get(small_plan)
    with count_queries() as few:
        one = page(client.get(small_plan))
    with count_queries() as lots:
        many = page(client.get(large_plan))
    assert "Needs found by the assessment" in one and "Needs found by the assessment" in many
    assert many.count('class="goal-card"') == 30
    assert few.count <= BUDGET, "\n".join(few.statements)
    assert lots.count == few.count, "\n".join(lots.statements)


@pytest.mark.parametrize("reader", ["cm", "supervisor"])
def test_the_overview_costs_the_same_however_many_staff_the_agency_has(
    client, count_queries, reader
):
    """The care-team picker searches; the overview never lists the staff, so thirty more
    colleagues cost it nothing, and neither does a search (always one statement)."""
    supervisor = make_user(Role.SUPERVISOR)
    cm = make_user(Role.CASE_MANAGER, supervisor=supervisor)
    person = _record(cm, 1)
    db.session.commit()
    sign_in(client, {"cm": cm, "supervisor": supervisor}[reader])
    overview = f"/staff/clients/{person.id}"
    client.get(overview)  # the first visit may load what later visits reuse

    def counted(path: str) -> tuple[int, str]:
        with count_queries() as statements:
            response = client.get(path)
        assert response.status_code == 200
        return statements.count, page(response)

    few, before = counted(overview)
    assert "Newcomer" not in before
    few_found, _ = counted(f"{overview}?staff_q=Newcomer")
    for n in range(30):
        make_user(Role.CARE_TEAM, display_name=f"Newcomer {n:02d}")
    db.session.commit()
    lots, after = counted(overview)
    lots_found, found = counted(f"{overview}?staff_q=Newcomer")

    assert few <= BUDGET and lots == few, (few, lots)
    assert "Newcomer" not in after and 'name="user_id"' not in after
    assert lots_found == few_found == few + 1, (few, few_found, lots_found)
    assert found.count('name="user_id"') == 10
