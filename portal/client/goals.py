"""The client's goals: the plan in force in their own words, their own progress ratings,
goals and steps they propose, and "I have read my plan"; the family's read-only view."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import choices
from ..i18n import agency_today
from ..models import CarePlan, Client, Goal
from ..services import audit, care_plans, client_portal, goal_proposals
from ..services.errors import DomainError
from . import client_bp, family_bp
from .goal_forms import ProgressForm, ProposalForm
from .safety_plan import own_client


def _audit_view(client: Client, what: str) -> None:
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="care_plan",
        object_id=client.id,
        client_id=client.id,
        detail=what,
    )


def _goals_with_progress(client: Client, plan: CarePlan | None) -> list[tuple[Goal, int, Any]]:
    """Each goal of the plan in force with its steps, its progress now and its newest entry."""
    if plan is None:
        return []
    return [
        (goal, progress, [latest])
        for goal, progress, latest in client_portal.goals_with_progress(client, plan, detail=True)
    ]


def _proposal_form(goals: list[tuple[Goal, int, Any]], **kwargs: Any) -> ProposalForm:
    form = ProposalForm(**kwargs)
    form.goal_key.choices = choices(
        [("", _("A new goal")), *((g.key, g.description[:80]) for g, _p, _e in goals)]
    )
    return form


def _page(
    client: Client,
    *,
    progress_form: ProgressForm | None = None,
    form_goal: int | None = None,
    proposal_form: ProposalForm | None = None,
    status: int = 200,
) -> Any:
    plan = care_plans.in_force(client)
    goals = _goals_with_progress(client, plan)
    return render_template(
        "client/goals.html",
        client=client,
        plan=plan,
        goals=goals,
        progress_form=progress_form or ProgressForm(),
        form_goal=form_goal,
        proposal_form=proposal_form or _proposal_form(goals),
        proposals=goal_proposals.recent_for(client),
    ), status


@client_bp.route("/goals", endpoint="goals")
def goals_page() -> Any:
    """My plan's goals, how close I am to each, and what I would like to add."""
    client = own_client()
    _audit_view(client, "client portal goals")
    db.session.commit()
    return _page(client)


def _own_goal(client: Client, goal_id: int) -> Goal:
    plan = care_plans.in_force(client)
    goal = db.session.scalar(
        select(Goal).where(
            Goal.id == goal_id,
            Goal.client_id == client.id,
            Goal.plan_id == (plan.id if plan else -1),
        )
    )
    if goal is None:
        abort(404)
    return goal


@client_bp.route("/goals/<int:goal_id>/progress", methods=["POST"])
def goal_progress(goal_id: int) -> Any:
    """ "How close am I?" from 0 to 10, with a comment if I like; my case manager sees it
    marked as mine."""
    client = own_client()
    goal = _own_goal(client, goal_id)
    form = ProgressForm()
    if form.validate_on_submit():
        try:
            care_plans.add_progress(
                goal,
                rating=int(form.rating.data or 0) * 10,
                comment=form.comment.data,
                recorded_on=agency_today(),
                actor=current_user,
                ip=client_ip(),
                today=agency_today(),
                by_client=True,
            )
        except DomainError:
            db.session.rollback()
            form.rating.errors = [_("This goal cannot take progress now. Please try again.")]
        else:
            db.session.commit()
            flash(_("Thank you. Your case manager will see how close you feel."), "success")
            return redirect(url_for("client.goals") + f"#goal-{goal.id}", code=303)
    return _page(client, progress_form=form, form_goal=goal.id, status=422)


@client_bp.route("/goals/propose", methods=["POST"])
def goal_propose() -> Any:
    """Suggest a new goal, or a step towards one, in my own words."""
    client = own_client()
    plan = care_plans.in_force(client)
    form = _proposal_form(_goals_with_progress(client, plan))
    if form.validate_on_submit():
        key = form.goal_key.data or None
        goal_proposals.propose(
            client,
            kind="step" if key else "goal",
            text=form.text.data or "",
            goal_key=key,
            actor=current_user,
            ip=client_ip(),
        )
        db.session.commit()
        flash(_("Sent to your case manager. They will answer here."), "success")
        return redirect(url_for("client.goals") + "#proposals-title", code=303)
    return _page(client, proposal_form=form, status=422)


@client_bp.route("/plan/acknowledge", methods=["POST"])
def plan_acknowledge() -> Any:
    """ "I have read my plan": the date is kept with the signed plan."""
    client = own_client()
    plan = care_plans.in_force(client)
    if plan is None or request.form.get("plan") != str(plan.id):
        flash(_("Your plan changed meanwhile. Please read the new one."), "error")
        return redirect(url_for("client.goals"), code=303)
    care_plans.acknowledge(plan, actor=current_user, ip=client_ip())
    db.session.commit()
    flash(_("Thank you. Your case manager can see that you have read your plan."), "success")
    return redirect(url_for("client.goals"), code=303)


@family_bp.route("/goals", endpoint="goals")
def family_goals() -> Any:
    """The goals of each client who shares them with me (read only)."""
    clients = db.session.scalars(
        policy.clients_shared_with(current_user, "goals").order_by(Client.id)
    ).all()
    shared = []
    for client in clients:
        plan = care_plans.in_force(client)
        shared.append((client, _goals_with_progress(client, plan)))
        _audit_view(client, "family portal goals")
    db.session.commit()
    return render_template("family/goals.html", shared=shared)
