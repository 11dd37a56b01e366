"""What the client's own portal pages read, each panel in as few statements as it takes:
the client with their team in one, the home's counts in one, a plan's goals with their
steps and newest progress in one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any, cast

from sqlalchemy import Date, Integer, Select, bindparam, case, select
from sqlalchemy.orm import aliased, contains_eager, joinedload

from .. import policy
from ..extensions import db
from ..models import CarePlan, CareTeamMember, Client, Goal, GoalProgress, Role, User
from . import appointments, care_plans, check_ins, materials, messages


@cache
def _with_team() -> Select[Any]:
    """``own_client_with_team``'s statement, built once for the process: run with the
    client's account as ``user_id``."""
    member = aliased(User)
    return (
        policy.visible_clients_for_role(Role.CLIENT)
        .outerjoin(Client.care_team)
        .outerjoin(member, CareTeamMember.user)
        .options(
            joinedload(Client.primary_case_manager),
            contains_eager(Client.care_team).contains_eager(CareTeamMember.user.of_type(member)),
        )
        .order_by(Client.id, CareTeamMember.id)
    )


def own_client_with_team(user: User) -> Client | None:
    """The signed-in client's record with their case manager and care team (each member
    with their account, in the order they joined the team), in one statement."""
    if user.role != Role.CLIENT:
        raise ValueError("only a client has a record of their own")
    client: Client | None = db.session.scalars(_with_team(), {"user_id": user.id}).unique().first()
    return client


@dataclass(frozen=True)
class HomeCounts:
    """What waits for the client on their home page."""

    open_requests: int
    unread_threads: int
    check_ins_due: int
    new_materials: int
    plan_to_read: bool  # the plan in force is not acknowledged yet


@dataclass(frozen=True)
class _AnyClient:
    """Whichever client's home is shown, while its counts are built: the parts read only the
    id, the bound parameter ``client_id``."""

    id: Any = field(default_factory=lambda: bindparam("client_id", type_=Integer()))


@cache
def _home_counts() -> Select[Any]:
    """``home_counts``' statement, built once for the process (every client home runs it):
    run with ``client_id``, ``user_id`` (the client's account) and ``today``."""
    client = cast(Client, _AnyClient())
    reader = policy.anyone_with(Role.CLIENT)
    return select(
        appointments.open_request_count_query(client).scalar_subquery(),
        messages.unread_count_query(reader, [client.id], kind="client").scalar_subquery(),
        check_ins.due_count_query(client, bindparam("today", type_=Date())).scalar_subquery(),
        materials.unread_count_query(client, reader_id=reader.id).scalar_subquery(),
        care_plans.in_force_query()
        .with_only_columns(case((CarePlan.acknowledged_at.is_(None), 1), else_=0))
        .scalar_subquery(),
    )


def home_counts(client: Client, user: User, today: date) -> HomeCounts:
    """The client's open requests, unread conversations, check-ins due and new readings, and
    whether their plan in force waits to be read, in one statement."""
    row = db.session.execute(
        _home_counts(), {"client_id": client.id, "user_id": user.id, "today": today}
    ).one()
    requests, unread, check_ins_due, readings, plan_to_read = row
    return HomeCounts(
        open_requests=int(requests or 0),
        unread_threads=int(unread or 0),
        check_ins_due=int(check_ins_due or 0),
        new_materials=int(readings or 0),
        plan_to_read=bool(plan_to_read),
    )


@dataclass(frozen=True)
class Rating:
    """A goal's newest progress entry, as the portal shows it."""

    rating: int
    recorded_on: date
    by_client: bool


def _newest(column: Any) -> Any:
    """The column of the goal's newest progress entry (an index lookup per goal), for the
    client ``client_id``."""
    return (
        select(column)
        .where(
            GoalProgress.client_id == bindparam("client_id", type_=Integer()),
            GoalProgress.goal_key == Goal.key,
        )
        .order_by(GoalProgress.recorded_on.desc(), GoalProgress.id.desc())
        .limit(1)
        .correlate(Goal)
        .scalar_subquery()
    )


@cache
def _goals(detail: bool, in_force: bool = False) -> Select[Any]:
    """``goals_with_progress``' statement, built once for the process (the client's home and
    goals pages run it): run with ``client_id`` and ``plan_id``, or (``in_force``) with
    ``client_id`` only, for the goals of the client's plan in force."""
    newest = [_newest(GoalProgress.rating), _newest(GoalProgress.recorded_on)]
    if detail:
        newest.append(_newest(GoalProgress.by_client))
    query = (
        select(Goal, *newest)
        .where(
            Goal.plan_id
            == (
                care_plans.in_force_query().with_only_columns(CarePlan.id).scalar_subquery()
                if in_force
                else bindparam("plan_id", type_=Integer())
            )
        )
        .order_by(Goal.position, Goal.id)
    )
    if detail:
        query = query.options(joinedload(Goal.objectives))
    return query


def goals_with_progress(
    client: Client, plan: CarePlan, *, detail: bool = False
) -> list[tuple[Goal, int, Rating | None]]:
    """Each goal of the plan with its progress now (the newest rating, else the plan's
    figure), in one statement; ``detail`` adds the goal's steps and its newest entry (the
    home page shows neither)."""
    rows = db.session.execute(_goals(detail), {"client_id": client.id, "plan_id": plan.id})
    return _with_progress(rows, detail)


def goals_in_force(client: Client) -> list[tuple[Goal, int]]:
    """The goals of the client's plan in force (none without one), each with its progress
    now, in one statement: the home page needs nothing else of the plan."""
    rows = db.session.execute(_goals(False, in_force=True), {"client_id": client.id})
    return [(goal, progress) for goal, progress, _ in _with_progress(rows, detail=False)]


def _with_progress(rows: Any, detail: bool) -> list[tuple[Goal, int, Rating | None]]:
    goals: list[tuple[Goal, int, Rating | None]] = []
    for goal, rating, recorded_on, *by_client in rows.unique().all():
        if recorded_on is None:
            goals.append((goal, goal.progress, None))
        else:
            entry = Rating(rating, recorded_on, bool(by_client[0])) if detail else None
            goals.append((goal, rating, entry))
    return goals
