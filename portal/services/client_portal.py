"""What the client's own portal pages read, each panel in as few statements as it takes:
the client with their team in one, the home's counts in one, a plan's goals with their
steps and newest progress in one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from .. import policy
from ..extensions import db
from ..models import CarePlan, CareTeamMember, Client, Goal, GoalProgress, User
from . import appointments, check_ins, materials, messages


def own_client_with_team(user: User) -> Client | None:
    """The signed-in client's record with their case manager and care team (each member
    with their account, in the order they joined the team), in one statement."""
    member = aliased(User)
    query = (
        policy.visible_clients(user)
        .outerjoin(Client.care_team)
        .outerjoin(member, CareTeamMember.user)
        .options(
            joinedload(Client.primary_case_manager),
            contains_eager(Client.care_team).contains_eager(CareTeamMember.user.of_type(member)),
        )
        .order_by(Client.id, CareTeamMember.id)
    )
    client: Client | None = db.session.scalars(query).unique().first()
    return client


@dataclass(frozen=True)
class HomeCounts:
    """What waits for the client on their home page."""

    open_requests: int
    unread_threads: int
    check_ins_due: int
    new_materials: int


def home_counts(client: Client, user: User, today: date) -> HomeCounts:
    """The client's open requests, unread conversations, check-ins due and new readings,
    counted in one statement."""
    row = db.session.execute(
        select(
            appointments.open_request_count_query(client).scalar_subquery(),
            messages.unread_count_query(user, [client.id], kind="client").scalar_subquery(),
            check_ins.due_count_query(client, today).scalar_subquery(),
            materials.unread_count_query(client).scalar_subquery(),
        )
    ).one()
    return HomeCounts(*(int(value or 0) for value in row))


@dataclass(frozen=True)
class Rating:
    """A goal's newest progress entry, as the portal shows it."""

    rating: int
    recorded_on: date
    by_client: bool


def _newest(client: Client, column: Any) -> Any:
    """The column of the goal's newest progress entry (an index lookup per goal)."""
    return (
        select(column)
        .where(GoalProgress.client_id == client.id, GoalProgress.goal_key == Goal.key)
        .order_by(GoalProgress.recorded_on.desc(), GoalProgress.id.desc())
        .limit(1)
        .correlate(Goal)
        .scalar_subquery()
    )


def goals_with_progress(
    client: Client, plan: CarePlan, *, detail: bool = False
) -> list[tuple[Goal, int, Rating | None]]:
    """Each goal of the plan with its progress now (the newest rating, else the plan's
    figure), in one statement; ``detail`` adds the goal's steps and its newest entry (the
    home page shows neither)."""
    newest = [_newest(client, GoalProgress.rating), _newest(client, GoalProgress.recorded_on)]
    if detail:
        newest.append(_newest(client, GoalProgress.by_client))
    query = select(Goal, *newest).where(Goal.plan_id == plan.id).order_by(Goal.position, Goal.id)
    if detail:
        query = query.options(joinedload(Goal.objectives))
    goals: list[tuple[Goal, int, Rating | None]] = []
    for goal, rating, recorded_on, *by_client in db.session.execute(query).unique().all():
        if recorded_on is None:
            goals.append((goal, goal.progress, None))
        else:
            entry = Rating(rating, recorded_on, bool(by_client[0])) if detail else None
            goals.append((goal, rating, entry))
    return goals
