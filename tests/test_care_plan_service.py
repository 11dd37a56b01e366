"""The care-plan services on their own: frozen versions, stale edits, signing and approval
rules, the client's acknowledgement, progress, the comparison and overdue reviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, CarePlan, Client, Goal, Role, User
from portal.services import care_plans
from portal.services.care_plans import PlanFrozen
from portal.services.errors import DomainError, StaleEdit

from .factories import make_client, make_user

TODAY = date(2025, 3, 10)


@dataclass
class People:
    cm: User
    supervisor: User
    client_user: User
    family: User
    stranger: User
    person: Client


@pytest.fixture
def people(app: Flask) -> People:
    supervisor = make_user(Role.SUPERVISOR)
    cm = make_user(Role.CASE_MANAGER, supervisor=supervisor)
    client_user = make_user(Role.CLIENT)
    stranger = make_user(Role.CLIENT)  # another client's portal account
    make_client(portal_user=stranger, primary_case_manager=cm)
    person = make_client(primary_case_manager=cm, portal_user=client_user)
    return People(cm, supervisor, client_user, make_user(Role.FAMILY), stranger, person)


def draft_with_goal(people: People, text: str = "Find a place of my own") -> CarePlan:
    plan = care_plans.start_draft(people.person, actor=people.cm, ip=None)
    goal = care_plans.add_goal(
        plan, {"description": text, "domain": "housing"}, actor=people.cm, ip=None
    )
    care_plans.add_child(
        goal, "objective", {"description": "Apply to two programs"}, actor=people.cm, ip=None
    )
    care_plans.add_child(
        goal, "intervention", {"description": "Housing navigation"}, actor=people.cm, ip=None
    )
    return plan


def signed(people: People, plan: CarePlan, by: User | None = None) -> CarePlan:
    care_plans.sign(plan, review_due_on=None, actor=by or people.cm, ip=None, today=TODAY)
    return plan


def events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


# ---- The client's acknowledgement ------------------------------------------------------------


def test_the_client_acknowledges_their_signed_plan(people):
    plan = signed(people, draft_with_goal(people))
    care_plans.acknowledge(plan, actor=people.client_user, ip="203.0.113.9")
    assert plan.acknowledged_by_id == people.client_user.id
    assert plan.acknowledged_at is not None
    [event] = events("acknowledge")
    assert (event.actor_id, event.client_id, event.object_type, event.object_id, event.ip) == (
        people.client_user.id,
        people.person.id,
        "care_plan",
        str(plan.id),
        "203.0.113.9",
    )
    first = plan.acknowledged_at
    care_plans.acknowledge(plan, actor=people.client_user, ip=None)  # again: nothing new
    assert plan.acknowledged_at == first and len(events("acknowledge")) == 1


@pytest.mark.parametrize("who", ["cm", "supervisor", "family", "stranger"])
def test_only_the_client_acknowledges(people, who):
    plan = signed(people, draft_with_goal(people))
    with pytest.raises(DomainError, match="only the client acknowledges"):
        care_plans.acknowledge(plan, actor=getattr(people, who), ip=None)
    assert plan.acknowledged_at is None and events("acknowledge") == []


def test_a_draft_or_a_replaced_version_cannot_be_acknowledged(people):
    plan = draft_with_goal(people)
    with pytest.raises(DomainError, match="only a signed plan"):
        care_plans.acknowledge(plan, actor=people.client_user, ip=None)
    signed(people, plan)
    signed(people, care_plans.start_draft(people.person, actor=people.cm, ip=None))
    assert plan.status == "superseded"
    with pytest.raises(DomainError, match="only a signed plan"):
        care_plans.acknowledge(plan, actor=people.client_user, ip=None)
    assert plan.acknowledged_at is None and events("acknowledge") == []


# ---- A signed version is frozen in the services too ------------------------------------------


def test_every_change_to_a_signed_version_raises_plan_frozen(people):
    plan = signed(people, draft_with_goal(people))
    [goal] = care_plans.load_goals(plan)
    objective, intervention = goal.objectives[0], goal.interventions[0]
    actor: dict[str, Any] = {"actor": people.cm, "ip": None}
    changes = [
        lambda: care_plans.add_goal(plan, {"description": "More"}, **actor),
        lambda: care_plans.add_child(goal, "objective", {"description": "More"}, **actor),
        lambda: care_plans.add_child(goal, "intervention", {"description": "More"}, **actor),
        lambda: care_plans.update_part(
            goal, {"description": "Changed"}, expected_version=goal.version, **actor
        ),
        lambda: care_plans.update_part(
            objective, {"description": "Changed"}, expected_version=objective.version, **actor
        ),
        lambda: care_plans.remove_part(intervention, **actor),
        lambda: care_plans.remove_part(goal, **actor),
        lambda: care_plans.move_part(objective, "down", **actor),
        lambda: care_plans.sign(plan, review_due_on=None, today=TODAY, **actor),
    ]
    for change in changes:
        with pytest.raises(PlanFrozen):
            change()
    db.session.expire_all()
    [goal] = care_plans.load_goals(plan)
    assert goal.description == "Find a place of my own"
    assert [o.description for o in goal.objectives] == ["Apply to two programs"]
    assert [i.description for i in goal.interventions] == ["Housing navigation"]


def test_an_edit_read_at_an_old_version_is_stale(people):
    plan = draft_with_goal(people)
    [goal] = care_plans.load_goals(plan)
    read_at = goal.version
    care_plans.update_part(
        goal, {"description": "First save"}, expected_version=read_at, actor=people.cm, ip=None
    )
    with pytest.raises(StaleEdit):
        care_plans.update_part(
            goal, {"description": "Second save"}, expected_version=read_at, actor=people.cm, ip=None
        )
    assert goal.description == "First save"


def test_a_goal_needs_a_description_and_a_known_domain_and_status(people):
    plan = care_plans.start_draft(people.person, actor=people.cm, ip=None)
    for data in (
        {"description": "   "},
        {"description": "Fine", "domain": "astrology"},
        {"description": "Fine", "status": "maybe"},
        {"description": "Fine", "progress": 101},
    ):
        with pytest.raises(DomainError):
            care_plans.add_goal(plan, data, actor=people.cm, ip=None)
    assert care_plans.load_goals(plan) == []


# ---- Signing and approval ---------------------------------------------------------------------


def test_signing_needs_a_goal_and_a_review_date_after_today(people):
    plan = care_plans.start_draft(people.person, actor=people.cm, ip=None)
    with pytest.raises(DomainError, match="at least one goal"):
        care_plans.sign(plan, review_due_on=None, actor=people.cm, ip=None, today=TODAY)
    care_plans.add_goal(plan, {"description": "Sleep well"}, actor=people.cm, ip=None)
    with pytest.raises(DomainError, match="in the future"):
        care_plans.sign(plan, review_due_on=TODAY, actor=people.cm, ip=None, today=TODAY)
    assert plan.status == "draft" and plan.signed_at is None
    care_plans.sign(plan, review_due_on=None, actor=people.cm, ip=None, today=TODAY)
    assert (plan.status, plan.signed_by_id) == ("active", people.cm.id)
    assert plan.review_due_on == TODAY + timedelta(days=90)


@pytest.mark.parametrize("app_config", [{"CARE_PLAN_APPROVAL_REQUIRED": True}], ids=["approval"])
def test_approval_rules(people):
    first = signed(people, draft_with_goal(people))
    assert first.status == "awaiting_approval"
    with pytest.raises(DomainError, match="someone other than its signer"):
        care_plans.approve(first, actor=people.cm, ip=None)
    care_plans.approve(first, actor=people.supervisor, ip=None)
    assert first.status == "active"
    with pytest.raises(DomainError, match="awaiting approval"):
        care_plans.approve(first, actor=people.supervisor, ip=None)  # once is enough

    second = signed(people, care_plans.start_draft(people.person, actor=people.cm, ip=None))
    third = signed(people, care_plans.start_draft(people.person, actor=people.cm, ip=None))
    assert [second.status, third.status] == ["awaiting_approval", "awaiting_approval"]
    with pytest.raises(DomainError, match="newer version has been signed"):
        care_plans.approve(second, actor=people.supervisor, ip=None)
    care_plans.approve(third, actor=people.supervisor, ip=None)
    assert [first.status, second.status, third.status] == ["superseded", "superseded", "active"]
    assert care_plans.in_force(people.person) is third


# ---- Progress ---------------------------------------------------------------------------------


def test_progress_goes_on_a_goal_of_the_plan_in_force(people):
    plan = draft_with_goal(people)
    [goal] = care_plans.load_goals(plan)
    record: dict[str, Any] = {"comment": None, "actor": people.cm, "ip": None, "today": TODAY}
    with pytest.raises(DomainError, match="plan in force"):
        care_plans.add_progress(goal, rating=10, recorded_on=TODAY, **record)
    signed(people, plan)
    with pytest.raises(DomainError, match="between 0 and 100"):
        care_plans.add_progress(goal, rating=101, recorded_on=TODAY, **record)
    with pytest.raises(DomainError, match="future"):
        care_plans.add_progress(goal, rating=10, recorded_on=TODAY + timedelta(days=1), **record)
    entry = care_plans.add_progress(goal, rating=60, recorded_on=TODAY, **record)
    assert (entry.goal_key, entry.rating) == (goal.key, 60)
    assert care_plans.current_goals(people.person, plan) == [(goal, 60)]
    [event] = [e for e in events("create") if e.object_type == "goal_progress"]
    assert event.object_id == str(entry.id)


# ---- The comparison ---------------------------------------------------------------------------


def test_the_diff_pairs_parts_by_key(people):
    first = signed(people, draft_with_goal(people))
    second = care_plans.start_draft(people.person, actor=people.cm, ip=None)
    [goal] = care_plans.load_goals(second)
    care_plans.update_part(
        goal,
        {"description": "A flat near the bus", "status": "in_progress"},
        expected_version=goal.version,
        actor=people.cm,
        ip=None,
    )
    care_plans.remove_part(goal.objectives[0], actor=people.cm, ip=None)
    care_plans.add_child(
        goal, "intervention", {"description": "Bus pass"}, actor=people.cm, ip=None
    )
    added = care_plans.add_goal(second, {"description": "Cook at home"}, actor=people.cm, ip=None)
    changes = care_plans.diff(first, second)
    assert [(c.kind, c.state, c.subject.description) for c in changes] == [
        ("goal", "changed", "A flat near the bus"),
        ("goal", "added", "Cook at home"),
    ]
    assert changes[0].fields == [
        ("description", "Find a place of my own", "A flat near the bus"),
        ("status", "not_started", "in_progress"),
    ]
    assert [(c.kind, c.state, c.subject.description) for c in changes[0].children] == [
        ("objective", "removed", "Apply to two programs"),
        ("intervention", "same", "Housing navigation"),
        ("intervention", "added", "Bus pass"),
    ]
    assert changes[1].after is added
    back = care_plans.diff(second, first)  # the other way round, added becomes removed
    assert [(c.state, c.subject.description) for c in back] == [
        ("changed", "Find a place of my own"),
        ("removed", "Cook at home"),
    ]


# ---- Overdue reviews ------------------------------------------------------------------------


def _overdue(client_id: int, today: date) -> bool:
    """The caseload's "review overdue" column for one client."""
    return bool(
        db.session.scalar(
            select(care_plans.review_overdue(Client.id, today)).where(Client.id == client_id)
        )
    )


def test_only_a_standing_plan_past_its_review_date_is_overdue(people):
    plan = draft_with_goal(people)
    care_plans.sign(
        plan, review_due_on=TODAY + timedelta(days=10), actor=people.cm, ip=None, today=TODAY
    )
    ids = select(Client.id).where(Client.id == people.person.id)
    later = TODAY + timedelta(days=11)
    assert care_plans.overdue_reviews(ids, TODAY + timedelta(days=10)) == []  # due today: not yet
    assert [p.id for p, _c in care_plans.overdue_reviews(ids, later)] == [plan.id]
    assert _overdue(people.person.id, later)
    assert plan.review_overdue(later) and not plan.review_overdue(TODAY)
    # a newer version with a later review date replaces it
    newer = care_plans.start_draft(people.person, actor=people.cm, ip=None)
    care_plans.sign(
        newer, review_due_on=later + timedelta(days=90), actor=people.cm, ip=None, today=later
    )
    assert care_plans.overdue_reviews(ids, later) == []
    assert not _overdue(people.person.id, later)


def test_goal_keys_stay_and_ids_change_from_version_to_version(people):
    first = signed(people, draft_with_goal(people))
    second = care_plans.start_draft(people.person, actor=people.cm, ip=None)
    old, new = care_plans.load_goals(first), care_plans.load_goals(second)
    assert [g.key for g in old] == [g.key for g in new]
    assert [o.key for o in old[0].objectives] == [o.key for o in new[0].objectives]
    assert [i.key for i in old[0].interventions] == [i.key for i in new[0].interventions]
    assert isinstance(new[0], Goal) and new[0].id != old[0].id and new[0].plan_id == second.id
    assert care_plans.start_draft(people.person, actor=people.cm, ip=None) is second  # one draft
