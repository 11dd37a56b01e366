"""Care plans: drafts, inline edits, signing, approval, acknowledgement, versions and progress.

Every change to a plan's content goes through ``_require_draft``: a signed version is
frozen whichever route asks. Each change also touches the plan row, whose version
column makes a save that crosses a signature fail instead of slipping in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..i18n import force_locale
from ..instruments import Instrument
from ..models import (
    GOAL_STATUSES,
    LIFE_DOMAINS,
    Assessment,
    CarePlan,
    Client,
    Goal,
    GoalProgress,
    Intervention,
    Objective,
    Task,
    User,
    utcnow,
)
from . import audit, tasks
from .errors import DomainError, StaleEdit

PlanPart = Goal | Objective | Intervention

# What an inline edit may change, per kind; the diff between versions compares the same.
FIELDS: dict[str, tuple[str, ...]] = {
    "goal": ("description", "domain", "target_date", "status", "progress"),
    "objective": ("description", "target_date", "status"),
    "intervention": ("description", "responsible", "frequency"),
}


class PlanFrozen(DomainError):
    """A signed version does not change; a change starts the next draft."""

    def __init__(self, plan: CarePlan) -> None:
        super().__init__("a signed care plan is frozen")
        self.plan = plan


def kind_of(part: PlanPart) -> str:
    return {Goal: "goal", Objective: "objective", Intervention: "intervention"}[type(part)]


def plan_of(part: PlanPart) -> CarePlan:
    return part.plan if isinstance(part, Goal) else part.goal.plan


# --- reading -------------------------------------------------------------------------------


def versions(client: Client) -> list[CarePlan]:
    """Every version of the client's plan, newest first."""
    return list(
        db.session.scalars(
            select(CarePlan)
            .options(selectinload(CarePlan.signed_by), selectinload(CarePlan.approved_by))
            .where(CarePlan.client_id == client.id)
            .order_by(CarePlan.number.desc())
        )
    )


# The plan in force is read on most pages of a record and of the client's portal: the
# statement is built once for the process and run with ``client_id``.
_IN_FORCE = (
    select(CarePlan)
    .where(
        CarePlan.client_id == bindparam("client_id", type_=Integer()), CarePlan.status == "active"
    )
    .order_by(CarePlan.number.desc())
    .limit(1)
)


def in_force_query() -> Select[Any]:
    """The client ``client_id``'s plan in force, as a statement to build on."""
    return _IN_FORCE


def in_force(client: Client) -> CarePlan | None:
    """The signed (and, where required, approved) version the client works to."""
    plan: CarePlan | None = db.session.scalar(_IN_FORCE, {"client_id": client.id})
    return plan


def draft(client: Client) -> CarePlan | None:
    return db.session.scalar(
        select(CarePlan).where(CarePlan.client_id == client.id, CarePlan.status == "draft")
    )


# The newest signed version not replaced, built once like ``_IN_FORCE``: run with ``client_id``.
_LATEST_SIGNED = (
    select(CarePlan)
    .where(
        CarePlan.client_id == bindparam("client_id", type_=Integer()),
        CarePlan.status.in_(("active", "awaiting_approval")),
    )
    .order_by(CarePlan.number.desc())
    .limit(1)
)


def latest_signed(client: Client) -> CarePlan | None:
    """The newest signed version that has not been replaced (in force or awaiting approval)."""
    plan: CarePlan | None = db.session.scalar(_LATEST_SIGNED, {"client_id": client.id})
    return plan


# The statements of the plan page and the record's overview, each built once for the process
# (building one cost more than running it) and run with its values.


@cache
def _goals() -> Select[Any]:
    return (
        select(Goal)
        .options(joinedload(Goal.objectives), selectinload(Goal.interventions))
        .where(Goal.plan_id == bindparam("plan_id", type_=Integer()))
        .order_by(Goal.position, Goal.id)
    )


def load_goals(plan: CarePlan) -> list[Goal]:
    """The plan's goals with their objectives and interventions, in two queries."""
    return list(db.session.scalars(_goals(), {"plan_id": plan.id}).unique())


@dataclass(frozen=True)
class WorkingVersions:
    """The versions the plan page works with: the draft, the newest signed version not
    replaced (in force or awaiting approval), and the version in force."""

    draft: CarePlan | None
    latest_signed: CarePlan | None
    in_force: CarePlan | None


@cache
def _working_versions() -> Select[Any]:
    return (
        select(CarePlan)
        .options(joinedload(CarePlan.signed_by), joinedload(CarePlan.approved_by))
        .where(
            CarePlan.client_id == bindparam("client_id", type_=Integer()),
            CarePlan.status.in_(("draft", "active", "awaiting_approval")),
        )
        .order_by(CarePlan.number.desc())
    )


def working_versions(client: Client) -> WorkingVersions:
    """``draft``, ``latest_signed`` and ``in_force`` in one query, with who signed and
    approved each."""
    plans = db.session.scalars(_working_versions(), {"client_id": client.id}).all()
    return WorkingVersions(
        draft=next((p for p in plans if p.status == "draft"), None),
        latest_signed=next((p for p in plans if p.status != "draft"), None),
        in_force=next((p for p in plans if p.status == "active"), None),
    )


def _latest_rating(client_id: Any) -> Any:
    """SQL: the last rating recorded for the goal of the row (NULL when none)."""
    return (
        select(GoalProgress.rating)
        .where(GoalProgress.client_id == client_id, GoalProgress.goal_key == Goal.key)
        .order_by(GoalProgress.recorded_on.desc(), GoalProgress.id.desc())
        .limit(1)
        .correlate(Goal)
        .scalar_subquery()
    )


@cache
def _signed_summary() -> Select[Any]:
    newest = _LATEST_SIGNED.with_only_columns(CarePlan.id).scalar_subquery()
    return (
        select(CarePlan, Goal, _latest_rating(bindparam("client_id", type_=Integer())))
        .outerjoin(Goal, Goal.plan_id == CarePlan.id)
        .where(CarePlan.id == newest)
        .order_by(Goal.position, Goal.id)
    )


def signed_summary(client: Client) -> tuple[CarePlan | None, list[tuple[Goal, int]]]:
    """``latest_signed`` with ``current_goals``, in one query (the record's overview)."""
    rows = db.session.execute(_signed_summary(), {"client_id": client.id}).all()
    if not rows:
        return None, []
    goals = [
        (goal, goal.progress if rating is None else rating)
        for _plan, goal, rating in rows
        if goal is not None
    ]
    return rows[0][0], goals


@cache
def _goal_choices() -> Select[str, str]:
    in_force_id = _IN_FORCE.with_only_columns(CarePlan.id).scalar_subquery()
    return (
        select(Goal.key, Goal.description)
        .where(Goal.plan_id == in_force_id)
        .order_by(Goal.position, Goal.id)
    )


def goal_choices(client: Client) -> list[tuple[str, str]]:
    """The goals of the version in force as (key, description), in one query (for linking a
    note to them)."""
    rows = db.session.execute(_goal_choices(), {"client_id": client.id}).all()
    return [(key, description) for key, description in rows]


def current_goals(client: Client, plan: CarePlan) -> list[tuple[Goal, int]]:
    """Each goal with its progress now: the last rating recorded, else the plan's figure."""
    goals = list(
        db.session.scalars(
            select(Goal).where(Goal.plan_id == plan.id).order_by(Goal.position, Goal.id)
        )
    )
    latest = progress_by_goal(client, [g.key for g in goals])
    return [(g, latest[g.key][-1].rating if latest[g.key] else g.progress) for g in goals]


def progress_by_goal(client: Client, keys: list[str]) -> dict[str, list[GoalProgress]]:
    """Progress entries per goal key, oldest first, in one query."""
    found: dict[str, list[GoalProgress]] = {key: [] for key in keys}
    if not keys:
        return found
    rows = db.session.scalars(
        select(GoalProgress)
        .options(selectinload(GoalProgress.author))
        .where(GoalProgress.client_id == client.id, GoalProgress.goal_key.in_(keys))
        .order_by(GoalProgress.recorded_on, GoalProgress.id)
    )
    for row in rows:
        found[row.goal_key].append(row)
    return found


@cache
def _latest_progress() -> Select[Any]:
    ranked = (
        select(
            GoalProgress.id,
            func.row_number()
            .over(
                partition_by=GoalProgress.goal_key,
                order_by=(GoalProgress.recorded_on.desc(), GoalProgress.id.desc()),
            )
            .label("rank"),
        )
        .where(
            GoalProgress.client_id == bindparam("client_id", type_=Integer()),
            GoalProgress.goal_key.in_(bindparam("keys", expanding=True)),
        )
        .subquery()
    )
    return (
        select(GoalProgress).join(ranked, ranked.c.id == GoalProgress.id).where(ranked.c.rank == 1)
    )


def latest_progress(client: Client, keys: list[str]) -> dict[str, list[GoalProgress]]:
    """``progress_by_goal`` keeping only the last entry of each goal, in one query (what a
    goal's line shows, however long its history)."""
    found: dict[str, list[GoalProgress]] = {key: [] for key in keys}
    if not keys:
        return found
    rows = db.session.scalars(_latest_progress(), {"client_id": client.id, "keys": keys})
    for row in rows:
        found[row.goal_key].append(row)
    return found


def review_overdue_condition(today: date | Any) -> Any:
    """SQL: a signed plan still standing whose review date has passed (``today`` may be a
    bound parameter)."""
    return (
        CarePlan.status.in_(("active", "awaiting_approval")),
        CarePlan.review_due_on < today,
    )


def overdue_reviews(client_ids: Any, today: date, limit: int = 20) -> list[tuple[CarePlan, Client]]:
    """Plans due for review before today among the given clients (a subquery of ids)."""
    rows = db.session.execute(
        select(CarePlan, Client)
        .join(Client, Client.id == CarePlan.client_id)
        .where(CarePlan.client_id.in_(client_ids), *review_overdue_condition(today))
        .order_by(CarePlan.review_due_on, CarePlan.id)
        .limit(limit)
    ).all()
    return [(plan, client) for plan, client in rows]


def review_overdue(client_id: Any, today: date | Any) -> Any:
    """SQL: whether the client ``client_id`` (a column of the outer statement) has a plan
    review overdue, as a column of a list page's statement."""
    return (
        select(CarePlan.id)
        .where(CarePlan.client_id == client_id, *review_overdue_condition(today))
        .exists()
    )


def open_needs(
    plan: CarePlan, instrument: Instrument | None, goals: list[Goal] | None = None
) -> tuple[Assessment | None, list[str]]:
    """The latest needs assessment and its needs not yet made into a goal of this plan
    (``goals``: the plan's goals when the caller has them loaded already)."""
    if instrument is None or instrument.need_threshold is None:
        return None, []
    assessment = db.session.scalar(
        select(Assessment)
        .where(
            Assessment.client_id == plan.client_id,
            Assessment.instrument_code == instrument.code,
        )
        .order_by(Assessment.administered_at.desc(), Assessment.id.desc())
        .limit(1)
    )
    if assessment is None:
        return None, []
    threshold = instrument.need_threshold
    taken = {g.domain for g in (plan.goals if goals is None else goals)}
    needs = [
        item.id
        for item in instrument.items
        if (assessment.answers.get(item.id) or 0) >= threshold
        and (item.domain or item.id) not in taken
    ]
    return assessment, needs


# --- drafting ------------------------------------------------------------------------------


def _require_draft(plan: CarePlan) -> None:
    if not plan.is_draft:
        raise PlanFrozen(plan)


def _touch(plan: CarePlan) -> None:
    """Bump the plan's version with this change, so a signature in between wins cleanly."""
    plan.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleEdit(plan) from error


def _audit(action: str, plan: CarePlan, *, actor: User, ip: str | None, detail: str) -> None:
    audit.record(
        action,
        actor=actor,
        ip=ip,
        object_type="care_plan",
        object_id=plan.id,
        client_id=plan.client_id,
        detail=detail,
    )


def start_draft(client: Client, *, actor: User, ip: str | None) -> CarePlan:
    """The next draft: the open one if there is one, else a copy of the newest signed version."""
    existing = draft(client)
    if existing is not None:
        return existing
    source = latest_signed(client)
    number = (
        db.session.scalar(select(func.max(CarePlan.number)).where(CarePlan.client_id == client.id))
        or 0
    ) + 1
    plan = CarePlan(
        client_id=client.id,
        number=number,
        status="draft",
        based_on_id=source.id if source else None,
        created_by_id=actor.id,
    )
    db.session.add(plan)
    db.session.flush()
    if source is not None:
        _copy_goals(source, plan, client)
    _audit("create", plan, actor=actor, ip=ip, detail=f"version {number}")
    return plan


def _copy_goals(source: CarePlan, plan: CarePlan, client: Client) -> None:
    """Goals, objectives and interventions carried over with their keys; each goal starts
    from the progress last recorded against it."""
    goals = load_goals(source)
    latest = {
        k: v[-1].rating for k, v in progress_by_goal(client, [g.key for g in goals]).items() if v
    }
    for goal in goals:
        progress = latest.get(goal.key, goal.progress)
        status = goal.status
        if status == "not_started" and progress > 0:
            status = "in_progress"
        copy = Goal(
            plan_id=plan.id,
            client_id=client.id,
            key=goal.key,
            position=goal.position,
            description=goal.description,
            domain=goal.domain,
            target_date=goal.target_date,
            status=status,
            progress=progress,
            source_assessment_id=goal.source_assessment_id,
        )
        copy.objectives = [
            Objective(
                key=o.key,
                position=o.position,
                description=o.description,
                target_date=o.target_date,
                status=o.status,
            )
            for o in goal.objectives
        ]
        copy.interventions = [
            Intervention(
                key=i.key,
                position=i.position,
                description=i.description,
                responsible=i.responsible,
                frequency=i.frequency,
            )
            for i in goal.interventions
        ]
        db.session.add(copy)
    db.session.flush()


def _clean(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in FIELDS[kind]:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip() or None
        values[name] = value
    if "description" in values and not values["description"]:
        raise DomainError(f"a {kind} needs a description")
    if values.get("domain") is not None and values["domain"] not in LIFE_DOMAINS:
        raise DomainError("unknown life domain")
    if values.get("status") is not None and values["status"] not in GOAL_STATUSES:
        raise DomainError("unknown status")
    if "progress" in values:
        progress = values["progress"]
        if progress is None:
            values["progress"] = 0
        elif not 0 <= int(progress) <= 100:
            raise DomainError("progress is between 0 and 100")
    return values


def _next_position(siblings: list[Any]) -> int:
    return max((s.position for s in siblings), default=-1) + 1


def add_goal(
    plan: CarePlan,
    data: Mapping[str, Any],
    *,
    actor: User,
    ip: str | None,
    source_assessment_id: int | None = None,
) -> Goal:
    """A new goal at the end of a draft."""
    _require_draft(plan)
    values = _clean("goal", data)
    values.setdefault("domain", "mental_health")
    values["status"] = values.get("status") or "not_started"
    goal = Goal(
        plan_id=plan.id,
        client_id=plan.client_id,
        position=_next_position(plan.goals),
        source_assessment_id=source_assessment_id,
        **values,
    )
    db.session.add(goal)
    plan.goals.append(goal)
    _touch(plan)
    _audit("update", plan, actor=actor, ip=ip, detail=f"goal {goal.id} added")
    return goal


def add_child(
    goal: Goal, kind: str, data: Mapping[str, Any], *, actor: User, ip: str | None
) -> Objective | Intervention:
    """An objective or an intervention at the end of a goal in a draft."""
    plan = goal.plan
    _require_draft(plan)
    values = _clean(kind, data)
    part: Objective | Intervention
    if kind == "objective":
        values["status"] = values.get("status") or "not_started"
        part = Objective(goal=goal, position=_next_position(goal.objectives), **values)
    elif kind == "intervention":
        part = Intervention(goal=goal, position=_next_position(goal.interventions), **values)
    else:
        raise DomainError(f"unknown part {kind!r}")
    db.session.add(part)
    _touch(plan)
    _audit("update", plan, actor=actor, ip=ip, detail=f"{kind} {part.id} added")
    return part


def update_part(
    part: PlanPart,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> list[str]:
    """An inline edit read at ``expected_version``; StaleEdit when someone saved since."""
    plan = plan_of(part)
    _require_draft(plan)
    if part.version != expected_version:
        raise StaleEdit(part)
    kind = kind_of(part)
    changed = []
    for name, value in _clean(kind, data).items():
        if name == "description" and value is None:
            continue
        if getattr(part, name) != value:
            setattr(part, name, value)
            changed.append(name)
    if changed:
        _touch(plan)
        _audit(
            "update",
            plan,
            actor=actor,
            ip=ip,
            detail=f"{kind} {part.id}: {','.join(changed)}",
        )
    return changed


def remove_part(part: PlanPart, *, actor: User, ip: str | None) -> None:
    """Take a goal (with its steps), an objective or an intervention out of a draft."""
    plan = plan_of(part)
    _require_draft(plan)
    kind = kind_of(part)
    if isinstance(part, Goal):
        plan.goals.remove(part)
    elif isinstance(part, Objective):
        part.goal.objectives.remove(part)
    else:
        part.goal.interventions.remove(part)
    _touch(plan)
    _audit("update", plan, actor=actor, ip=ip, detail=f"{kind} {part.id} removed")


def move_part(part: PlanPart, direction: str, *, actor: User, ip: str | None) -> None:
    """Swap a part with its neighbour above or below."""
    plan = plan_of(part)
    _require_draft(plan)
    if isinstance(part, Goal):
        siblings: list[Any] = list(plan.goals)
    elif isinstance(part, Objective):
        siblings = list(part.goal.objectives)
    else:
        siblings = list(part.goal.interventions)
    siblings.sort(key=lambda s: (s.position, s.id))
    index = siblings.index(part)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(siblings):
        return
    # Renumber the whole list, so equal positions from older rows cannot stall a move.
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    # The loaded list keeps its old order until reloaded; put it in the new one now.
    if isinstance(part, Goal):
        plan.goals.sort(key=lambda s: s.position)
    elif isinstance(part, Objective):
        part.goal.objectives.sort(key=lambda s: s.position)
    else:
        part.goal.interventions.sort(key=lambda s: s.position)
    _touch(plan)
    _audit("update", plan, actor=actor, ip=ip, detail=f"{kind_of(part)} {part.id} moved")


def need_to_goal(
    plan: CarePlan,
    assessment: Assessment,
    item_id: str,
    instrument: Instrument,
    *,
    locale: str,
    actor: User,
    ip: str | None,
) -> Goal:
    """A need found by the assessment becomes a goal in one click; staff then put it in the
    client's words. The assessment's note for the need, if any, is the starting text."""
    item = instrument.item(item_id)
    threshold = instrument.need_threshold
    if threshold is None or (assessment.answers.get(item_id) or 0) < threshold:
        raise DomainError("this area was not rated as a need")
    domain = item.domain or item.id
    existing = next((g for g in plan.goals if g.domain == domain), None)
    if existing is not None:
        return existing
    note = (assessment.notes or {}).get(item_id)
    with force_locale(locale):
        text = note or _("Work on %(area)s", area=item.text(locale).lower())
    return add_goal(
        plan,
        {"description": text, "domain": domain},
        actor=actor,
        ip=ip,
        source_assessment_id=assessment.id,
    )


# --- signing, approval, acknowledgement -----------------------------------------------------


def default_review_date(today: date) -> date:
    return today + timedelta(days=int(current_app.config["CARE_PLAN_REVIEW_DAYS"]))


def sign(
    plan: CarePlan,
    *,
    review_due_on: date | None,
    actor: User,
    ip: str | None,
    today: date,
) -> None:
    """Freeze the draft under the signer's name; it comes into force now, or once a
    supervisor approves it where the agency asks for that."""
    _require_draft(plan)
    if not plan.goals:
        raise DomainError("a plan needs at least one goal before it is signed")
    review_due_on = review_due_on or default_review_date(today)
    if review_due_on <= today:
        raise DomainError("the review date must be in the future")
    plan.signed_by_id = actor.id
    plan.signed_at = utcnow()
    plan.review_due_on = review_due_on
    approval = bool(current_app.config["CARE_PLAN_APPROVAL_REQUIRED"])
    plan.status = "awaiting_approval" if approval else "active"
    _touch(plan)
    _audit("sign", plan, actor=actor, ip=ip, detail=f"version {plan.number}")
    if not approval:
        _come_into_force(plan, actor=actor, ip=ip)


def approve(plan: CarePlan, *, actor: User, ip: str | None) -> None:
    """A supervisor's approval of a signed version, which then comes into force."""
    if plan.status != "awaiting_approval":
        raise DomainError("only a signed plan awaiting approval can be approved")
    if plan.signed_by_id == actor.id:
        raise DomainError("a plan is approved by someone other than its signer")
    newer = db.session.scalar(
        select(CarePlan.id).where(
            CarePlan.client_id == plan.client_id,
            CarePlan.number > plan.number,
            CarePlan.signed_at.is_not(None),
        )
    )
    if newer is not None:
        raise DomainError("a newer version has been signed since")
    plan.status = "active"
    plan.approved_by_id = actor.id
    plan.approved_at = utcnow()
    _touch(plan)
    _audit("approve", plan, actor=actor, ip=ip, detail=f"version {plan.number}")
    _come_into_force(plan, actor=actor, ip=ip)


def _come_into_force(plan: CarePlan, *, actor: User, ip: str | None) -> None:
    """Earlier versions step aside; the review becomes a task for the case manager."""
    earlier = db.session.scalars(
        select(CarePlan).where(
            CarePlan.client_id == plan.client_id,
            CarePlan.number < plan.number,
            CarePlan.status.in_(("active", "awaiting_approval")),
        )
    )
    for old in earlier:
        old.status = "superseded"
        old.superseded_at = utcnow()
        if old.review_task_id is not None:
            task = db.session.get(Task, old.review_task_id)
            if task is not None:
                tasks.complete_task(task, actor=actor, ip=ip)
    client = db.session.get(Client, plan.client_id)
    assert client is not None
    assignee = client.primary_case_manager or actor
    with force_locale(assignee.locale or "en"):
        title = _("Review the care plan (version %(number)s)", number=plan.number)
    task = tasks.create_task(
        title=title,
        client=client,
        due_on=plan.review_due_on,
        assignee=assignee,
        actor=actor,
        ip=ip,
    )
    plan.review_task_id = task.id
    db.session.flush()


def acknowledge(plan: CarePlan, *, actor: User, ip: str | None) -> None:
    """The client confirms, from the portal, that they have seen their signed plan."""
    client = db.session.get(Client, plan.client_id)
    if client is None or client.portal_user_id != actor.id:
        raise DomainError("only the client acknowledges their plan")
    if plan.status != "active":
        raise DomainError("only a signed plan in force can be acknowledged")
    if plan.acknowledged_at is not None:
        return
    plan.acknowledged_by_id = actor.id
    plan.acknowledged_at = utcnow()
    _touch(plan)
    _audit("acknowledge", plan, actor=actor, ip=ip, detail=f"version {plan.number}")


# --- progress --------------------------------------------------------------------------------


def add_progress(
    goal: Goal,
    *,
    rating: int,
    comment: str | None,
    recorded_on: date,
    actor: User,
    ip: str | None,
    today: date,
    by_client: bool = False,
) -> GoalProgress:
    """A dated progress rating against a goal of a signed plan; the plan itself stays frozen."""
    if goal.plan.status not in ("active", "awaiting_approval"):
        raise DomainError("progress is recorded against the plan in force")
    if not 0 <= rating <= 100:
        raise DomainError("progress is between 0 and 100")
    if recorded_on > today:
        raise DomainError("progress cannot be recorded for a future date")
    entry = GoalProgress(
        client_id=goal.client_id,
        goal_key=goal.key,
        goal_id=goal.id,
        recorded_on=recorded_on,
        rating=rating,
        comment=(comment or "").strip() or None,
        by_client=by_client,
        author_id=actor.id,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "create",
        actor=actor,
        ip=ip,
        object_type="goal_progress",
        object_id=entry.id,
        client_id=goal.client_id,
        detail=f"goal {goal.id}: {rating}",
    )
    return entry


# --- comparing versions ------------------------------------------------------------------


@dataclass
class Change:
    """One goal, objective or intervention between two versions."""

    kind: str
    state: str  # added, removed, changed, same
    before: Any
    after: Any
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)
    children: list[Change] = field(default_factory=list)

    @property
    def subject(self) -> Any:
        return self.after if self.after is not None else self.before


def _compare(kind: str, before: list[Any], after: list[Any]) -> list[Change]:
    old = {p.key: p for p in before}
    new = {p.key: p for p in after}
    changes: list[Change] = []
    for part in after:
        prior = old.get(part.key)
        if prior is None:
            changes.append(Change(kind, "added", None, part))
            continue
        fields = [
            (name, getattr(prior, name), getattr(part, name))
            for name in FIELDS[kind]
            if getattr(prior, name) != getattr(part, name)
        ]
        changes.append(Change(kind, "changed" if fields else "same", prior, part, fields))
    changes.extend(Change(kind, "removed", p, None) for p in before if p.key not in new)
    return changes


def diff(before: CarePlan, after: CarePlan) -> list[Change]:
    """What changed from one version to another, goal by goal, with their steps."""
    changes = _compare("goal", load_goals(before), load_goals(after))
    for change in changes:
        old_goal, new_goal = change.before, change.after
        objectives = _compare(
            "objective",
            old_goal.objectives if old_goal else [],
            new_goal.objectives if new_goal else [],
        )
        interventions = _compare(
            "intervention",
            old_goal.interventions if old_goal else [],
            new_goal.interventions if new_goal else [],
        )
        change.children = objectives + interventions
        if change.state == "same" and any(c.state != "same" for c in change.children):
            change.state = "changed"
    return changes
