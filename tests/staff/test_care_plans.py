"""Care plans over HTTP: drafting inline, signing freezes, new versions copy, diff, progress,
approval, acknowledgement, the PDF, and conflicts between two editors."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models import CarePlan, Goal
from portal.services import care_plans

from .support import page, post, sign_in


def plan_url(client) -> str:
    return f"/staff/clients/{client.id}/plan"


def start(browser, client) -> CarePlan:
    response = post(browser, f"{plan_url(client)}/start")
    assert response.status_code == 303
    plan = care_plans.draft(client)
    assert plan is not None
    return plan


def add_goal(browser, client, plan, text: str, **extra) -> Goal:
    data = {
        "new-goal-0-description": text,
        "new-goal-0-domain": extra.get("domain", "housing"),
        "new-goal-0-status": extra.get("status", "not_started"),
        "new-goal-0-progress": str(extra.get("progress", 0)),
        "new-goal-0-target_date": extra.get("target_date", ""),
    }
    response = post(browser, f"{plan_url(client)}/{plan.id}/goals", data, htmx=True)
    assert response.status_code == 200, page(response)
    assert text in page(response)
    goal = db.session.scalar(select(Goal).where(Goal.plan_id == plan.id).order_by(Goal.id.desc()))
    assert goal is not None
    return goal


def sign(browser, client, plan, review: date | None = None) -> None:
    review = review or date.today() + timedelta(days=90)
    response = post(
        browser,
        f"{plan_url(client)}/{plan.id}/sign",
        {"review_due_on": review.isoformat(), "confirm": "y"},
    )
    assert response.status_code == 303, page(response)


def test_draft_sign_and_new_version_copies_goals(client, agency):
    browser = sign_in(client, agency.cm)
    client = agency.own
    assert "No care plan yet" in page(browser.get(plan_url(client)))
    plan = start(browser, client)
    goal = add_goal(browser, client, plan, "I want my own place by spring")
    response = post(
        browser,
        f"{plan_url(client)}/goal/{goal.id}/objective",
        {
            f"new-objective-{goal.id}-description": "Apply to two housing programs",
            f"new-objective-{goal.id}-status": "not_started",
        },
        htmx=True,
    )
    assert response.status_code == 200, page(response)
    assert "Apply to two housing programs" in page(response)
    response = post(
        browser,
        f"{plan_url(client)}/goal/{goal.id}/intervention",
        {
            f"new-intervention-{goal.id}-description": "Housing navigation",
            f"new-intervention-{goal.id}-responsible": "Case manager",
            f"new-intervention-{goal.id}-frequency": "Weekly",
        },
        htmx=True,
    )
    assert response.status_code == 200, page(response)
    sign(browser, client, plan)
    db.session.refresh(plan)
    assert plan.status == "active"
    text = page(browser.get(plan_url(client)))
    assert "I want my own place by spring" in text and "In force" in text
    # frozen: a direct post to add a goal is refused
    response = post(
        browser,
        f"{plan_url(client)}/{plan.id}/goals",
        {
            "new-goal-0-description": "Sneaky",
            "new-goal-0-domain": "housing",
            "new-goal-0-status": "not_started",
            "new-goal-0-progress": "0",
        },
    )
    assert response.status_code == 409
    new = start(browser, client)
    assert new.number == 2 and new.based_on_id == plan.id
    goals = care_plans.load_goals(new)
    assert [g.description for g in goals] == ["I want my own place by spring"]
    assert goals[0].key == goal.key
    assert [o.description for o in goals[0].objectives] == ["Apply to two housing programs"]
    pdf = browser.get(f"{plan_url(client)}/{plan.id}/pdf")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"
