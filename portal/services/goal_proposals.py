"""Goals and steps the client proposes from the portal, in their own words, and the case
manager's answer: taken into the plan's draft, or answered with a message."""

from __future__ import annotations

from sqlalchemy import Integer, bindparam, select

from ..extensions import db
from ..models import Client, Goal, GoalProposal, User, utcnow
from . import audit, care_plans
from .errors import DomainError, IllegalTransition, StaleEdit


def propose(
    client: Client,
    *,
    kind: str,
    text: str,
    goal_key: str | None,
    actor: User,
    ip: str | None,
) -> GoalProposal:
    """A new goal, or a step towards one of the goals of the plan in force."""
    if client.portal_user_id != actor.id:
        raise DomainError("only the client proposes from the portal")
    text = (text or "").strip()
    if not text:
        raise DomainError("a proposal needs words")
    if kind not in ("goal", "step"):
        raise DomainError("unknown kind of proposal")
    if kind == "step":
        plan = care_plans.in_force(client)
        keys = {g.key for g in care_plans.load_goals(plan)} if plan else set()
        if goal_key not in keys:
            raise DomainError("a step belongs to one of the goals of the plan")
    proposal = GoalProposal(
        client_id=client.id,
        kind=kind,
        goal_key=goal_key if kind == "step" else None,
        text=text[:2000],
        author_id=actor.id,
    )
    db.session.add(proposal)
    db.session.flush()
    _audit("create", proposal, actor=actor, ip=ip, detail=kind)
    return proposal


# Built once for the process (the plan and goals pages run them), run with ``client_id``.
_OPEN = (
    select(GoalProposal)
    .where(
        GoalProposal.client_id == bindparam("client_id", type_=Integer()),
        GoalProposal.status == "open",
    )
    .order_by(GoalProposal.created_at)
)
_RECENT = (
    select(GoalProposal)
    .where(GoalProposal.client_id == bindparam("client_id", type_=Integer()))
    .order_by(GoalProposal.created_at.desc())
    .limit(bindparam("limit", type_=Integer()))
)


def open_for(client: Client) -> list[GoalProposal]:
    return list(db.session.scalars(_OPEN, {"client_id": client.id}))


def recent_for(client: Client, limit: int = 20) -> list[GoalProposal]:
    return list(db.session.scalars(_RECENT, {"client_id": client.id, "limit": limit}))


def _check(proposal: GoalProposal, expected_version: int) -> None:
    if proposal.version != expected_version:
        raise StaleEdit(proposal)
    if proposal.status != "open":
        raise IllegalTransition(proposal.status, "answered")


def accept(
    proposal: GoalProposal,
    client: Client,
    *,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> Goal:
    """Take the proposal into the plan's draft (started when there is none), in the client's
    own words: a goal at the end, or a step (objective) under its goal."""
    _check(proposal, expected_version)
    plan = care_plans.start_draft(client, actor=actor, ip=ip)
    if proposal.kind == "goal":
        goal = care_plans.add_goal(plan, {"description": proposal.text}, actor=actor, ip=ip)
    else:
        goal_or_none = next(
            (g for g in care_plans.load_goals(plan) if g.key == proposal.goal_key), None
        )
        if goal_or_none is None:
            raise DomainError("the goal is no longer in the plan")
        goal = goal_or_none
        care_plans.add_child(goal, "objective", {"description": proposal.text}, actor=actor, ip=ip)
    _close(proposal, "accepted", None, actor=actor)
    db.session.flush()
    _audit("update", proposal, actor=actor, ip=ip, detail="open->accepted")
    return goal


def answer(
    proposal: GoalProposal,
    *,
    response: str,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> None:
    """Answer without taking it into the plan (yet): the client reads the message."""
    _check(proposal, expected_version)
    text = (response or "").strip()
    if not text:
        raise DomainError("an answer needs words")
    _close(proposal, "answered", text[:2000], actor=actor)
    db.session.flush()
    _audit("update", proposal, actor=actor, ip=ip, detail="open->answered")


def _close(proposal: GoalProposal, status: str, response: str | None, *, actor: User) -> None:
    proposal.status = status
    proposal.response = response
    proposal.responded_by_id = actor.id
    proposal.responded_at = utcnow()


def _audit(
    action: str, proposal: GoalProposal, *, actor: User, ip: str | None, detail: str
) -> None:
    audit.record(
        action,
        actor=actor,
        ip=ip,
        object_type="goal_proposal",
        object_id=proposal.id,
        client_id=proposal.client_id,
        detail=detail,
    )
