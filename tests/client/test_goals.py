# ruff: noqa: F811  (the test functions take the imported `agency` fixture)
"""The client's goals: the plan in force in their own words with its steps, target dates and
progress; rating "how close am I" from 0 to 10; proposing a goal or a step, which the case
manager takes into the draft or answers; "I have read my plan"; the family's read-only view
with the `goals` scope; who may open which page; Spanish; a query budget that does not grow
with the goals."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from babel.dates import format_date as babel_format_date
from sqlalchemy import select

from portal.extensions import db
from portal.i18n import agency_today
from portal.models import (
    AuditEvent,
    CarePlan,
    Client,
    Goal,
    GoalProgress,
    GoalProposal,
    Role,
    User,
    utcnow,
)
from portal.services import care_plans, consents, goal_proposals

from ..factories import grant_family_access, make_user
from ..factories import make_client as make_record
from ..helpers import csrf_token
from ..staff.conftest import agency  # noqa: F401  (the small agency of the staff tests)
from ..staff.support import ROLES, field_error, page, post, section, sign_in, sign_in_as

GOALS = "/client/goals"
PROPOSE = "/client/goals/propose"
ACKNOWLEDGE = "/client/plan/acknowledge"
FAMILY_GOALS = "/family/goals"
HOUSING = "I want my own place, with a door that locks"
WORK = "Get back to work part time at the bakery"
STEP_1 = "Fill in the housing application with Casey"
STEP_2 = "Visit two apartments"
TARGET = date(2030, 3, 15)
STEP_TARGET = date(2030, 1, 31)


# ---- Building plans through the services, and reading pages -------------------------------


def build_plan(
    person: Client,
    actor: User,
    goals: list[dict[str, Any]],
    *,
    sign: bool = True,
) -> CarePlan:
    """The next version of the plan with these goals and steps, signed (in force) by default."""
    plan = care_plans.start_draft(person, actor=actor, ip=None)
    for spec in goals:
        values = {k: v for k, v in spec.items() if k in care_plans.FIELDS["goal"]}
        goal = care_plans.add_goal(plan, values, actor=actor, ip=None)
        for text in spec.get("steps", ()):
            care_plans.add_child(
                goal,
                "objective",
                {"description": text, "target_date": STEP_TARGET},
                actor=actor,
                ip=None,
            )
    if sign:
        care_plans.sign(plan, review_due_on=None, actor=actor, ip=None, today=agency_today())
    return plan


def housing_plan(agency: Any, *, sign: bool = True) -> CarePlan:
    return build_plan(
        agency.own,
        agency.cm,
        [
            {"description": HOUSING, "target_date": TARGET, "steps": [STEP_1, STEP_2]},
            {"description": WORK, "domain": "employment"},
        ],
        sign=sign,
    )


def goals_of(plan: CarePlan) -> list[Goal]:
    return care_plans.load_goals(plan)


def rate(agency: Any, goal: Goal, rating: int, *, by_client: bool, days_ago: int = 0) -> None:
    care_plans.add_progress(
        goal,
        rating=rating,
        comment=None,
        recorded_on=agency_today() - timedelta(days=days_ago),
        actor=agency.client_user if by_client else agency.cm,
        ip=None,
        today=agency_today(),
        by_client=by_client,
    )


def card(body: str, goal: Goal) -> str:
    """The markup of one goal on the page."""
    start = body.index(f'id="goal-{goal.id}"')
    return body[start : body.index("</article>", start)]


def bar(fragment: str) -> str:
    match = re.search(r'<progress [^>]*value="(\d+)"', fragment)
    assert match, "no progress bar"
    return match.group(1)


def textarea(body: str, name: str, ident: str | None = None) -> str:
    id_part = rf'[^>]*id="{re.escape(ident)}"' if ident else ""
    match = re.search(
        rf'<textarea{id_part}[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', body, re.S
    )
    assert match, f"no textarea {name!r}"
    return match.group(1).strip()


def selected(body: str, name: str) -> str | None:
    match = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', body, re.S)
    assert match, f"no select {name!r}"
    chosen = re.search(
        r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', match[1]
    )
    return (chosen.group(1) or chosen.group(2)) if chosen else None


def flashes(body: str) -> str:
    return " ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)</', body, re.S))


def progress_entries(person: Client) -> list[GoalProgress]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(GoalProgress)
            .where(GoalProgress.client_id == person.id)
            .order_by(GoalProgress.id)
        )
    )


def proposals_of(person: Client) -> list[GoalProposal]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(GoalProposal)
            .where(GoalProposal.client_id == person.id)
            .order_by(GoalProposal.id)
        )
    )


def audit_events(action: str, object_type: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == action, AuditEvent.object_type == object_type)
            .order_by(AuditEvent.id)
        )
    )


def stored_plan(plan_id: int) -> CarePlan:
    db.session.expire_all()
    plan = db.session.get(CarePlan, plan_id)
    assert plan is not None
    return plan


def other_client() -> tuple[User, Client]:
    """Another client of another case manager, with a portal account and a plan in force."""
    manager = make_user(Role.CASE_MANAGER, display_name="Mo Manager")
    account = make_user(Role.CLIENT, display_name="Otto Portal")
    person = make_record(legal_name="Otto Other", primary_case_manager=manager, portal_user=account)
    build_plan(person, manager, [{"description": "Otto's own goal", "steps": ["Otto's step"]}])
    return account, person


def proposal_url(agency: Any, proposal: GoalProposal, person: Client | None = None) -> str:
    return f"/staff/clients/{(person or agency.own).id}/plan/proposals/{proposal.id}"


def propose(agency: Any, text: str, goal_key: str | None = None) -> GoalProposal:
    return goal_proposals.propose(
        agency.own,
        kind="step" if goal_key else "goal",
        text=text,
        goal_key=goal_key,
        actor=agency.client_user,
        ip=None,
    )


# ---- What the client sees -----------------------------------------------------------------


def test_the_goals_page_shows_the_plan_in_force_in_the_clients_words(client, agency):
    plan = housing_plan(agency)
    housing, work = goals_of(plan)
    sign_in(client, agency.client_user)

    response = client.get(GOALS)

    assert response.status_code == 200
    body = page(response)
    assert "<html" in body and "My goals" in body
    shown = card(body, housing)
    assert HOUSING in shown
    assert "Aiming for March 15, 2030" in shown
    assert "Steps" in shown
    steps = re.findall(r"<li>(.*?)(?: <span|</li>)", shown)
    assert steps[:2] == [STEP_1, STEP_2]
    assert "by Jan 31, 2030" in shown
    assert bar(shown) == "0" and "Progress: 0%" in shown
    assert "Not started" in shown
    assert "You rated it on" not in shown and "Updated by your care team" not in shown
    assert WORK in card(body, work) and "Aiming for" not in card(body, work)
    assert body.index(HOUSING) < body.index(WORK)


def test_the_newest_entry_says_who_rated_the_goal_and_moves_the_bar(client, agency):
    plan = housing_plan(agency)
    housing, work = goals_of(plan)
    rate(agency, housing, 30, by_client=False, days_ago=5)
    rate(agency, housing, 60, by_client=True, days_ago=1)
    rate(agency, work, 20, by_client=True, days_ago=3)
    rate(agency, work, 40, by_client=False, days_ago=2)
    sign_in(client, agency.client_user)

    body = page(client.get(GOALS))

    yesterday = babel_format_date(agency_today() - timedelta(days=1), "medium", locale="en")
    two_days = babel_format_date(agency_today() - timedelta(days=2), "medium", locale="en")
    assert bar(card(body, housing)) == "60"
    assert f"You rated it on {yesterday}." in card(body, housing)
    assert "Updated by your care team" not in card(body, housing)
    assert bar(card(body, work)) == "40"
    assert f"Updated by your care team on {two_days}." in card(body, work)
    assert "You rated it on" not in card(body, work)


def test_only_the_plan_in_force_is_shown_never_a_draft_or_an_old_version(client, agency):
    first = build_plan(agency.own, agency.cm, [{"description": "An old goal from version 1"}])
    [old_goal] = goals_of(first)
    draft = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    care_plans.remove_part(goals_of(draft)[0], actor=agency.cm, ip=None)  # dropped in version 2
    second = housing_plan(agency)
    build_plan(agency.own, agency.cm, [{"description": "A goal still being drafted"}], sign=False)
    sign_in(client, agency.client_user)

    body = page(client.get(GOALS))

    assert stored_plan(first.id).status == "superseded"
    assert stored_plan(second.id).status == "active"
    assert HOUSING in body and WORK in body
    assert "An old goal from version 1" not in body and f'id="goal-{old_goal.id}"' not in body
    assert "A goal still being drafted" not in body
    assert f'name="plan" value="{second.id}"' in body


def test_the_home_page_shows_the_plan_in_force_and_says_when_it_waits_to_be_read(client, agency):
    sign_in(client, agency.client_user)
    home = section(page(client.get("/client/")), "goals-title")
    assert "No goals yet." in home
    assert "Your plan is ready to read." not in home

    first = build_plan(agency.own, agency.cm, [{"description": "A goal from version 1"}])
    [old_goal] = goals_of(first)
    second = housing_plan(agency)  # version 2 carries that goal on, as a goal of its own
    build_plan(agency.own, agency.cm, [{"description": "A goal still being drafted"}], sign=False)
    housing, work = (goal for goal in goals_of(second) if goal.description in (HOUSING, WORK))
    rate(agency, housing, 70, by_client=True)
    home = section(page(client.get("/client/")), "goals-title")
    assert stored_plan(first.id).status == "superseded"
    assert "Your plan is ready to read." in home
    assert f'"home-goal-{old_goal.id}"' not in home and "A goal still being drafted" not in home
    assert f'id="home-goal-{housing.id}" max="100" value="70">' in home
    assert f'id="home-goal-{work.id}" max="100" value="{work.progress}">' in home

    post(client, ACKNOWLEDGE, {"plan": str(second.id)})
    home = section(page(client.get("/client/")), "goals-title")
    assert "Your plan is ready to read." not in home and HOUSING in home and WORK in home


def test_a_client_without_a_plan_in_force_is_told_so_and_can_still_propose(client, agency):
    housing_plan(agency, sign=False)  # a draft only: not the client's yet
    sign_in(client, agency.client_user)

    body = page(client.get(GOALS))

    assert "You do not have a care plan yet." in body
    assert HOUSING not in body
    assert "I have read my plan" not in body
    assert f'action="{PROPOSE}"' in body


def test_the_client_never_sees_another_clients_goals(client, agency):
    other_client()
    housing_plan(agency)
    sign_in(client, agency.client_user)

    body = page(client.get(GOALS))

    assert HOUSING in body
    assert "Otto's own goal" not in body and "Otto's step" not in body


def test_opening_the_goals_page_is_audited(client, agency):
    housing_plan(agency)
    sign_in(client, agency.client_user)

    client.get(GOALS)

    [event] = [
        e
        for e in audit_events("view", "care_plan")
        if e.detail == "client portal goals" and e.actor_id == agency.client_user.id
    ]
    assert event.client_id == agency.own.id


# ---- "How close am I?" ----------------------------------------------------------------------


def test_a_rating_from_0_to_10_is_stored_as_the_clients_percent(client, agency):
    plan = housing_plan(agency)
    housing = goals_of(plan)[0]
    sign_in(client, agency.client_user)

    response = post(
        client,
        f"/client/goals/{housing.id}/progress",
        {"rating": "7", "comment": "  I saw two apartments this week  "},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"{GOALS}#goal-{housing.id}"
    [entry] = progress_entries(agency.own)
    assert entry.rating == 70
    assert entry.by_client is True
    assert entry.author_id == agency.client_user.id
    assert entry.comment == "I saw two apartments this week"
    assert (entry.goal_id, entry.goal_key) == (housing.id, housing.key)
    assert entry.recorded_on == agency_today()
    [event] = audit_events("create", "goal_progress")
    assert (event.actor_id, event.client_id, event.object_id) == (
        agency.client_user.id,
        agency.own.id,
        str(entry.id),
    )
    body = page(client.get(GOALS))
    assert "Thank you. Your case manager will see how close you feel." in flashes(body)
    today = babel_format_date(agency_today(), "medium", locale="en")
    assert bar(card(body, housing)) == "70"
    assert f"You rated it on {today}." in card(body, housing)


@pytest.mark.parametrize(("rating", "stored"), [("0", 0), ("10", 100)])
def test_both_ends_of_the_scale_are_accepted(client, agency, rating, stored):
    housing = goals_of(housing_plan(agency))[0]
    sign_in(client, agency.client_user)

    response = post(client, f"/client/goals/{housing.id}/progress", {"rating": rating})

    assert response.status_code == 303
    [entry] = progress_entries(agency.own)
    assert (entry.rating, entry.comment, entry.by_client) == (stored, None, True)


def test_a_missing_rating_is_shown_at_the_scale_and_keeps_the_comment(client, agency):
    plan = housing_plan(agency)
    housing, work = goals_of(plan)
    sign_in(client, agency.client_user)

    response = post(
        client, f"/client/goals/{work.id}/progress", {"comment": "The bakery called me back"}
    )

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, f"rating-{work.id}") == "Choose a number from 0 to 10."
    assert textarea(card(body, work), "comment") == "The bakery called me back"
    # Only the goal that was rated shows the error; the other goal's form stays clean.
    assert "Choose a number from 0 to 10." not in card(body, housing)
    assert textarea(card(body, housing), "comment") == ""
    fieldset = re.search(r"<fieldset[^>]*>", card(body, work))
    assert fieldset is not None
    assert f'aria-describedby="rating-{work.id}-error"' in fieldset.group(0)
    summary = body[
        body.index('id="error-summary"') : body.index("</div>", body.index('id="error-summary"'))
    ]
    assert f'<a href="#rating-{work.id}">Choose a number from 0 to 10.</a>' in summary
    assert f'id="rating-{work.id}"' in fieldset.group(0)
    assert progress_entries(agency.own) == []


@pytest.mark.parametrize("rating", ["11", "-1", "seven", "7.5"])
def test_a_rating_off_the_scale_is_refused(client, agency, rating):
    housing = goals_of(housing_plan(agency))[0]
    sign_in(client, agency.client_user)

    response = post(
        client, f"/client/goals/{housing.id}/progress", {"rating": rating, "comment": "Hi"}
    )

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, f"rating-{housing.id}")
    assert textarea(card(body, housing), "comment") == "Hi"
    assert progress_entries(agency.own) == []


def test_a_goal_of_another_client_an_old_version_or_a_draft_is_not_found(client, agency):
    _account, otto = other_client()
    otto_goal = goals_of(care_plans.in_force(otto))[0]
    old = goals_of(housing_plan(agency))[0]
    current = goals_of(housing_plan(agency))[0]  # version 2 supersedes version 1
    drafted = goals_of(housing_plan(agency, sign=False))[0]
    sign_in(client, agency.client_user)

    for goal in (otto_goal, old, drafted):
        response = post(client, f"/client/goals/{goal.id}/progress", {"rating": "5"})
        assert response.status_code == 404, goal.id
    missing = post(client, "/client/goals/999999/progress", {"rating": "5"})
    assert missing.status_code == 404
    assert progress_entries(agency.own) == [] and progress_entries(otto) == []
    assert post(client, f"/client/goals/{current.id}/progress", {"rating": "5"}).status_code == 303


def test_staff_see_the_clients_own_rating_marked_as_the_clients(client, make_client, agency):
    housing = goals_of(housing_plan(agency))[0]
    rate(agency, housing, 30, by_client=False, days_ago=2)
    sign_in(client, agency.client_user)
    assert (
        post(
            client,
            f"/client/goals/{housing.id}/progress",
            {"rating": "5", "comment": "Halfway there, I think"},
        ).status_code
        == 303
    )

    staff = sign_in(make_client(), agency.cm)
    body = page(staff.get(f"/staff/clients/{agency.own.id}/plan/goal/{housing.id}/progress"))

    table = re.search(r'<table class="table" id="progress-data">.*?</table>', body, re.S)
    assert table is not None
    rows = re.findall(
        r'<tr><td>[^<]*</td><td class="num">(\d+)%</td><td>(.*?)</td>\s*<td>(.*?)</td></tr>',
        table.group(0),
    )
    assert rows == [
        ("30", "—", "Casey Manager"),
        ("50", "Halfway there, I think", "The client"),
    ]


# ---- Proposals ------------------------------------------------------------------------------


def test_the_client_proposes_a_new_goal_in_their_own_words(client, agency):
    housing_plan(agency)
    sign_in(client, agency.client_user)

    response = post(client, PROPOSE, {"goal_key": "", "text": "  I would like to learn to drive  "})

    assert response.status_code == 303
    assert response.headers["Location"] == f"{GOALS}#proposals-title"
    [proposal] = proposals_of(agency.own)
    assert (proposal.kind, proposal.goal_key, proposal.text, proposal.status) == (
        "goal",
        None,
        "I would like to learn to drive",
        "open",
    )
    assert proposal.author_id == agency.client_user.id
    [event] = audit_events("create", "goal_proposal")
    assert (event.client_id, event.object_id, event.detail) == (
        agency.own.id,
        str(proposal.id),
        "goal",
    )
    body = page(client.get(GOALS))
    assert "Sent to your case manager. They will answer here." in flashes(body)
    listed = section(body, "proposals-title")
    assert "What you suggested" in listed
    assert "I would like to learn to drive" in listed
    assert "Your case manager has not answered yet." in listed


def test_the_client_proposes_a_step_towards_one_of_their_goals(client, agency):
    housing = goals_of(housing_plan(agency))[0]
    sign_in(client, agency.client_user)
    body = page(client.get(GOALS))
    select_ = re.search(r'<select[^>]*name="goal_key"[^>]*>(.*?)</select>', body, re.S)
    assert select_ is not None
    options = re.findall(r'<option[^>]*value="([^"]*)"', select_.group(1))
    assert options[0] == "" and housing.key in options

    response = post(client, PROPOSE, {"goal_key": housing.key, "text": "Call the landlord"})

    assert response.status_code == 303
    [proposal] = proposals_of(agency.own)
    assert (proposal.kind, proposal.goal_key, proposal.text) == (
        "step",
        housing.key,
        "Call the landlord",
    )


def test_an_empty_proposal_is_refused_at_the_field_and_keeps_the_choice(client, agency):
    housing = goals_of(housing_plan(agency))[0]
    sign_in(client, agency.client_user)

    response = post(client, PROPOSE, {"goal_key": housing.key, "text": "   "})

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "text") == "Write a few words."
    assert selected(body, "goal_key") == housing.key
    assert "There is a problem" in body
    assert proposals_of(agency.own) == []


def test_a_step_for_a_goal_not_in_the_plan_is_refused(client, agency):
    housing_plan(agency)
    _account, otto = other_client()
    otto_goal = goals_of(care_plans.in_force(otto))[0]
    sign_in(client, agency.client_user)

    response = post(client, PROPOSE, {"goal_key": otto_goal.key, "text": "Sneak a step in"})

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "goal_key")
    assert textarea(body, "text") == "Sneak a step in"
    assert proposals_of(agency.own) == [] and proposals_of(otto) == []


def test_the_client_reads_the_case_managers_answers(client, make_client, agency):
    housing = goals_of(housing_plan(agency))[0]
    sign_in(client, agency.client_user)
    post(client, PROPOSE, {"goal_key": "", "text": "Adopt a dog"})
    post(client, PROPOSE, {"goal_key": housing.key, "text": "Ask my sister about the lease"})
    dog, lease = proposals_of(agency.own)
    staff = sign_in(make_client(), agency.cm)
    answer = "Let us talk about it at our next meeting."
    assert (
        post(
            staff,
            proposal_url(agency, dog),
            {"action": "answer", "response": answer, "version": "1"},
        ).status_code
        == 303
    )
    assert (
        post(staff, proposal_url(agency, lease), {"action": "accept", "version": "1"}).status_code
        == 303
    )

    listed = section(page(client.get(GOALS)), "proposals-title")

    assert f"Your case manager answered: “{answer}”" in listed
    lease_item = listed[listed.index(f'id="proposal-{lease.id}"') :]
    assert "Added to your next plan." in lease_item.split("</li>")[0]


# ---- The case manager's answer ------------------------------------------------------------


def test_the_case_manager_sees_open_proposals_on_the_plan_page(client, agency):
    housing = goals_of(housing_plan(agency))[0]
    goal = propose(agency, "Learn to cook three meals")
    step = propose(agency, "Phone the housing office", housing.key)
    sign_in(client, agency.cm)

    body = page(client.get(f"/staff/clients/{agency.own.id}/plan"))

    shown = section(body, "proposals-title")
    assert "Proposed by the client" in shown
    assert "“Learn to cook three meals”" in shown and "“Phone the housing office”" in shown
    assert f'action="{proposal_url(agency, goal)}"' in shown
    assert f'action="{proposal_url(agency, step)}"' in shown
    assert "Add to the draft" in shown and "Send the answer" in shown


def test_the_care_team_sees_proposals_without_the_buttons(client, agency):
    housing_plan(agency)
    propose(agency, "Learn to cook three meals")
    sign_in(client, agency.team)

    shown = section(page(client.get(f"/staff/clients/{agency.own.id}/plan")), "proposals-title")

    assert "“Learn to cook three meals”" in shown
    assert "Add to the draft" not in shown and "<form" not in shown


def test_accepting_a_goal_starts_a_draft_from_the_plan_in_force(client, agency):
    plan = housing_plan(agency)
    proposal = propose(agency, "Learn to cook three meals")
    sign_in(client, agency.cm)

    response = post(
        client,
        proposal_url(agency, proposal),
        {"action": "accept", "version": str(proposal.version)},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/clients/{agency.own.id}/plan"
    db.session.expire_all()
    draft = care_plans.draft(agency.own)
    assert draft is not None and draft.number == plan.number + 1
    assert [g.description for g in goals_of(draft)] == [
        HOUSING,
        WORK,
        "Learn to cook three meals",
    ]
    assert stored_plan(plan.id).status == "active"  # the plan in force stays as it was
    assert [g.description for g in goals_of(plan)] == [HOUSING, WORK]
    [stored] = proposals_of(agency.own)
    assert stored.status == "accepted"
    assert (stored.responded_by_id, stored.response) == (agency.cm.id, None)
    assert stored.responded_at is not None
    assert [e.detail for e in audit_events("update", "goal_proposal")] == ["open->accepted"]
    body = page(client.get(f"/staff/clients/{agency.own.id}/plan"))
    assert "Added to the draft in the client's words." in flashes(body)
    assert 'aria-labelledby="proposals-title"' not in body  # nothing left to answer


def test_accepting_a_step_adds_it_under_its_goal_in_the_open_draft(client, agency):
    plan = housing_plan(agency)
    housing = goals_of(plan)[0]
    draft = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    proposal = propose(agency, "Ask my sister to be a reference", housing.key)
    sign_in(client, agency.cm)

    response = post(client, proposal_url(agency, proposal), {"action": "accept", "version": "1"})

    assert response.status_code == 303
    db.session.expire_all()
    assert care_plans.draft(agency.own).id == draft.id  # the open draft, not a new one
    drafted = next(g for g in goals_of(draft) if g.key == housing.key)
    assert [o.description for o in drafted.objectives] == [
        STEP_1,
        STEP_2,
        "Ask my sister to be a reference",
    ]
    assert [o.description for o in goals_of(plan)[0].objectives] == [STEP_1, STEP_2]
    assert proposals_of(agency.own)[0].status == "accepted"


def test_answering_keeps_the_plan_and_stores_the_message(client, agency):
    plan = housing_plan(agency)
    proposal = propose(agency, "Move to another city")
    sign_in(client, agency.cm)

    response = post(
        client,
        proposal_url(agency, proposal),
        {"action": "answer", "response": "  We can look at this together.  ", "version": "1"},
    )

    assert response.status_code == 303
    [stored] = proposals_of(agency.own)
    assert (stored.status, stored.response, stored.responded_by_id) == (
        "answered",
        "We can look at this together.",
        agency.cm.id,
    )
    assert care_plans.draft(agency.own) is None
    assert stored_plan(plan.id).status == "active"
    assert [e.detail for e in audit_events("update", "goal_proposal")] == ["open->answered"]
    assert "Answer sent." in flashes(page(client.get(f"/staff/clients/{agency.own.id}/plan")))


def test_an_empty_answer_is_refused_at_the_field(client, agency):
    housing_plan(agency)
    proposal = propose(agency, "Move to another city")
    sign_in(client, agency.cm)

    response = post(
        client,
        proposal_url(agency, proposal),
        {"action": "answer", "response": "  ", "version": "1"},
    )

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, f"response-{proposal.id}") == "Write the answer the client will read."
    [stored] = proposals_of(agency.own)
    assert (stored.status, stored.response, stored.version) == ("open", None, 1)
    assert audit_events("update", "goal_proposal") == []


def test_a_stale_answer_changes_nothing_and_says_why(client, make_client, agency):
    plan = housing_plan(agency)
    proposal = propose(agency, "Learn to cook three meals")
    version = str(proposal.version)
    casey = sign_in(client, agency.cm)
    sam = sign_in(make_client(), agency.supervisor)
    assert (
        post(
            sam,
            proposal_url(agency, proposal),
            {"action": "answer", "response": "Yes!", "version": version},
        ).status_code
        == 303
    )

    response = post(casey, proposal_url(agency, proposal), {"action": "accept", "version": version})

    assert response.status_code == 303
    [stored] = proposals_of(agency.own)
    assert (stored.status, stored.response, stored.responded_by_id) == (
        "answered",
        "Yes!",
        agency.supervisor.id,
    )
    assert care_plans.draft(agency.own) is None
    assert stored_plan(plan.id).status == "active"
    body = page(casey.get(f"/staff/clients/{agency.own.id}/plan"))
    assert "Someone answered this proposal meanwhile." in flashes(body)


def test_an_answered_proposal_cannot_be_answered_again(client, agency):
    housing_plan(agency)
    proposal = propose(agency, "Learn to cook three meals")
    sign_in(client, agency.cm)
    post(
        client,
        proposal_url(agency, proposal),
        {"action": "answer", "response": "Yes", "version": "1"},
    )
    current = str(proposals_of(agency.own)[0].version)

    response = post(
        client, proposal_url(agency, proposal), {"action": "accept", "version": current}
    )

    assert response.status_code == 303
    assert proposals_of(agency.own)[0].status == "answered"
    assert care_plans.draft(agency.own) is None


# who answers: the case manager and supervisors of the client; the care team reads only;
# staff who do not see the client get 404; the portal roles 403; anonymous to sign in.
PROPOSAL_ANSWER = dict(zip(ROLES, (303, 404, 403, 404, 303, 404, 404, 403, 403, 302), strict=True))


@pytest.mark.parametrize("role", ROLES)
def test_who_may_answer_a_proposal(client, agency, role):
    housing_plan(agency)
    proposal = propose(agency, "Learn to cook three meals")
    sign_in_as(client, agency, role)

    response = post(
        client,
        proposal_url(agency, proposal),
        {"action": "answer", "response": "Ok", "version": "1"},
    )

    assert response.status_code == PROPOSAL_ANSWER[role]
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
    answered = response.status_code == 303
    assert proposals_of(agency.own)[0].status == ("answered" if answered else "open")


def test_a_proposal_of_another_client_is_not_found_under_this_client(client, agency):
    account, otto = other_client()
    theirs = goal_proposals.propose(
        otto, kind="goal", text="Otto's idea", goal_key=None, actor=account, ip=None
    )
    housing_plan(agency)
    sign_in(client, agency.cm)

    response = post(
        client,
        proposal_url(agency, theirs),
        {"action": "answer", "response": "Ok", "version": "1"},
    )

    assert response.status_code == 404
    assert proposals_of(otto)[0].status == "open"


def test_a_step_whose_goal_left_the_draft_is_refused_with_the_right_reason(client, agency):
    housing = goals_of(housing_plan(agency))[0]
    draft = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    care_plans.remove_part(goals_of(draft)[0], actor=agency.cm, ip=None)
    proposal = propose(agency, "Call the landlord", housing.key)
    sign_in(client, agency.cm)

    response = post(client, proposal_url(agency, proposal), {"action": "accept", "version": "1"})

    assert response.status_code == 422
    assert proposals_of(agency.own)[0].status == "open"
    assert "Write the answer the client will read." not in page(response)
    assert "The goal this step belongs to is no longer in the draft." in page(response)


# ---- "I have read my plan" ----------------------------------------------------------------


def test_acknowledging_the_plan_records_the_date_once(client, agency):
    plan = housing_plan(agency)
    sign_in(client, agency.client_user)
    body = page(client.get(GOALS))
    shown = section(body, "ack-title")
    assert "Your plan is ready" in shown and "I have read my plan" in shown

    response = post(client, ACKNOWLEDGE, {"plan": str(plan.id)})

    assert response.status_code == 303 and response.headers["Location"] == GOALS
    stored = stored_plan(plan.id)
    assert stored.acknowledged_by_id == agency.client_user.id
    first = stored.acknowledged_at
    assert first is not None
    [event] = audit_events("acknowledge", "care_plan")
    assert (event.client_id, event.object_id, event.actor_id) == (
        agency.own.id,
        str(plan.id),
        agency.client_user.id,
    )
    body = page(client.get(GOALS))
    assert "Your case manager can see that you have read your plan." in flashes(body)
    assert "I have read my plan" not in body and 'aria-labelledby="ack-title"' not in body
    today = babel_format_date(agency_today(), "long", locale="en")
    assert f"You read this plan on {today}." in body
    assert post(client, ACKNOWLEDGE, {"plan": str(plan.id)}).status_code == 303
    assert stored_plan(plan.id).acknowledged_at == first
    assert len(audit_events("acknowledge", "care_plan")) == 1


def test_acknowledging_a_plan_that_is_no_longer_in_force_changes_nothing(client, agency):
    old = housing_plan(agency)
    sign_in(client, agency.client_user)
    client.get(GOALS)  # the client has version 1 open in the browser…
    new = housing_plan(agency)  # …when the case manager signs version 2

    response = post(client, ACKNOWLEDGE, {"plan": str(old.id)})

    assert response.status_code == 303 and response.headers["Location"] == GOALS
    assert stored_plan(old.id).acknowledged_at is None
    assert stored_plan(new.id).acknowledged_at is None
    assert audit_events("acknowledge", "care_plan") == []
    assert "Your plan changed meanwhile." in flashes(page(client.get(GOALS)))


@pytest.mark.parametrize("which", ["draft", "other client", "nothing"])
def test_acknowledging_anything_but_the_own_plan_in_force_changes_nothing(client, agency, which):
    plan = housing_plan(agency)
    _account, otto = other_client()
    target = {
        "draft": lambda: str(housing_plan(agency, sign=False).id),
        "other client": lambda: str(care_plans.in_force(otto).id),
        "nothing": lambda: "",
    }[which]()
    sign_in(client, agency.client_user)

    response = post(client, ACKNOWLEDGE, {"plan": target})

    assert response.status_code == 303
    db.session.expire_all()
    assert (
        db.session.scalars(select(CarePlan).where(CarePlan.acknowledged_at.is_not(None))).all()
        == []
    )
    assert stored_plan(plan.id).acknowledged_at is None


# ---- Who may open which page ----------------------------------------------------------------

CLIENT_ROUTES = ("goals", "progress", "propose", "acknowledge")
# route:                   cm   cm_o team nott  sup  osup adm  cli  fam  anon
CLIENT_TABLE: dict[str, tuple[int, ...]] = {
    "goals": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "progress": (403, 403, 403, 403, 403, 403, 403, 303, 403, 302),
    "propose": (403, 403, 403, 403, 403, 403, 403, 303, 403, 302),
    "acknowledge": (403, 403, 403, 403, 403, 403, 403, 303, 403, 302),
    "family goals": (403, 403, 403, 403, 403, 403, 403, 403, 200, 302),
}


def test_the_table_covers_every_goal_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {
        "client.goals",
        "client.goal_progress",
        "client.goal_propose",
        "client.plan_acknowledge",
        "family.goals",
    } <= endpoints


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, role):
    plan = housing_plan(agency)
    housing = goals_of(plan)[0]
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    seen = {
        "goals": client.get(GOALS),
        "progress": post(client, f"/client/goals/{housing.id}/progress", {"rating": "4"}),
        "propose": post(client, PROPOSE, {"goal_key": "", "text": "A goal"}),
        "acknowledge": post(client, ACKNOWLEDGE, {"plan": str(plan.id)}),
        "family goals": client.get(FAMILY_GOALS),
    }

    assert {name: r.status_code for name, r in seen.items()} == {
        name: statuses[column] for name, statuses in CLIENT_TABLE.items()
    }
    for response in seen.values():
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login")
    as_client = role == "client_user"
    assert len(progress_entries(agency.own)) == (1 if as_client else 0)
    assert len(proposals_of(agency.own)) == (1 if as_client else 0)
    assert (stored_plan(plan.id).acknowledged_at is not None) is as_client


def test_an_htmx_request_without_a_session_is_told_where_to_sign_in(client, agency):
    response = client.get(GOALS, headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]
    assert "<html" not in response.get_data(as_text=True)


def test_anonymous_posts_are_sent_to_sign_in_and_change_nothing(client, agency):
    plan = housing_plan(agency)
    housing = goals_of(plan)[0]
    token = csrf_token(client, "/login")

    for url, data in [
        (f"/client/goals/{housing.id}/progress", {"rating": "3"}),
        (PROPOSE, {"goal_key": "", "text": "A goal"}),
        (ACKNOWLEDGE, {"plan": str(plan.id)}),
    ]:
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code in (302, 303)
        assert "/login" in response.headers["Location"]
    assert progress_entries(agency.own) == [] and proposals_of(agency.own) == []
    assert stored_plan(plan.id).acknowledged_at is None


# ---- The family's view --------------------------------------------------------------------


def test_a_family_member_with_the_goals_scope_reads_the_goals_without_forms(client, agency):
    plan = housing_plan(agency)
    housing = goals_of(plan)[0]
    rate(agency, housing, 50, by_client=True, days_ago=1)
    grant_family_access(agency.own, agency.family, scopes=("goals",))
    sign_in(client, agency.family)

    response = client.get(FAMILY_GOALS)

    assert response.status_code == 200
    body = page(response)
    shown = section(body, f"client-{agency.own.id}-goals")
    assert "Olive's goals" in shown
    assert HOUSING in shown and WORK in shown and STEP_1 in shown
    assert bar(card(shown, housing)) == "50"
    # The card's "You rated it" speaks to the client; the family member rated nothing.
    assert "You rated it on" not in shown and "your care team" not in shown
    main = body[body.index("<main") : body.index("</main>")]
    assert "<form" not in main and 'name="rating"' not in main
    assert "I have read my plan" not in main and "Suggest a goal" not in main
    [event] = [e for e in audit_events("view", "care_plan") if e.detail == "family portal goals"]
    assert (event.actor_id, event.client_id) == (agency.family.id, agency.own.id)


def test_the_family_sees_only_clients_who_share_goals_in_force(client, agency):
    housing_plan(agency)
    account, otto = other_client()
    grant_family_access(otto, agency.family, scopes=("goals",), revoked_at=utcnow())
    sign_in(client, agency.family)  # Olive's consent in force shares materials and appointments

    body = page(client.get(FAMILY_GOALS))

    assert "Nobody shares their goals with you at the moment." in body
    assert HOUSING not in body and "Otto's own goal" not in body
    assert not [e for e in audit_events("view", "care_plan") if e.detail == "family portal goals"]


@pytest.mark.parametrize("how", ["revoked", "expired", "changed"])
def test_the_goals_close_to_the_family_when_the_consent_ends_or_changes(client, agency, how):
    housing_plan(agency)
    consent = grant_family_access(agency.own, agency.family, scopes=("goals", "materials"))
    sign_in(client, agency.family)
    assert HOUSING in page(client.get(FAMILY_GOALS))

    if how == "revoked":
        consents.revoke(consent, actor=agency.client_user, ip=None)
    elif how == "expired":
        consent.expires_at = utcnow() - timedelta(minutes=1)
    else:
        consents.change_scopes(
            consent, scopes=["materials"], expires_at=None, actor=agency.client_user, ip=None
        )
    body = page(client.get(FAMILY_GOALS))

    assert HOUSING not in body
    assert "Nobody shares their goals with you at the moment." in body


def test_a_family_member_sees_a_sharing_client_without_a_plan_yet(client, agency):
    grant_family_access(agency.own, agency.family, scopes=("goals",))
    sign_in(client, agency.family)

    shown = section(page(client.get(FAMILY_GOALS)), f"client-{agency.own.id}-goals")

    assert "No goals to show yet." in shown


# ---- Spanish ------------------------------------------------------------------------------


def test_a_spanish_speaking_client_reads_the_goals_page_in_spanish(client, agency):
    plan = housing_plan(agency)
    housing, work = goals_of(plan)
    rate(agency, housing, 20, by_client=True, days_ago=1)
    rate(agency, work, 10, by_client=False, days_ago=1)
    agency.client_user.locale = "es"
    sign_in(client, agency.client_user)

    body = page(client.get(GOALS))

    yesterday = babel_format_date(agency_today() - timedelta(days=1), "medium", locale="es")
    assert '<html lang="es"' in body
    assert "Mis metas" in body and "My goals" not in body
    assert "Tu plan está listo" in body and "Ya leí mi plan" in body
    assert "Pasos" in card(body, housing)
    assert "Meta para el 15 de marzo de 2030" in card(body, housing)
    assert "Progreso: 20%" in card(body, housing)
    assert f"Lo calificaste el {yesterday}." in card(body, housing)
    assert f"Actualizado por tu equipo de atención el {yesterday}." in card(body, work)
    assert "Guardar qué tan cerca estoy" in body
    assert "Sugerir una meta o un paso" in body and "Enviar a mi gestor de casos" in body
    assert HOUSING in body  # the client's own words stay as they were written

    response = post(client, f"/client/goals/{housing.id}/progress", {"comment": "Hola"})
    assert response.status_code == 422
    assert field_error(page(response), f"rating-{housing.id}") == "Elige un número del 0 al 10."


# ---- Speed --------------------------------------------------------------------------------


def test_the_goals_page_costs_the_same_queries_for_1_or_6_goals(client, agency, count_queries):
    def spec(n: int) -> dict[str, Any]:
        return {
            "description": f"Goal number {n}",
            "target_date": TARGET,
            "steps": [f"Step {n}.1", f"Step {n}.2"],
        }

    def plan_with(first: int, stop: int) -> None:
        """The next version: the goals carried over from the last one, and goals first..stop."""
        plan = build_plan(agency.own, agency.cm, [spec(n) for n in range(first, stop)])
        for goal in goals_of(plan)[first:]:
            rate(agency, goal, 30, by_client=False, days_ago=2)
            rate(agency, goal, 40, by_client=True, days_ago=1)
        propose(agency, f"A proposal with {stop} goals")

    plan_with(0, 1)
    sign_in(client, agency.client_user)
    client.get(GOALS)  # the first visit may load what later visits reuse
    with count_queries() as few:
        small = page(client.get(GOALS))
    plan_with(1, 6)
    with count_queries() as lots:
        large = page(client.get(GOALS))

    assert small.count('class="goal-card"') == 1 and large.count('class="goal-card"') == 6
    assert lots.count == few.count, "\n".join(lots.statements)
