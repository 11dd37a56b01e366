"""Crisis events: record one in under a minute, raise the flag, follow up, resolve."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from .. import i18n
from ..extensions import db
from ..i18n import force_locale
from ..instruments import RISK_ORDER
from ..models import (
    CRISIS_ACTIONS,
    CRISIS_OUTCOMES,
    RISK_LEVELS,
    Assessment,
    Client,
    CrisisEvent,
    SafetyPlanVersion,
    Task,
    User,
    utcnow,
)
from . import audit, clients, tasks
from .errors import DomainError


def record(
    client: Client,
    data: Mapping[str, Any],
    *,
    actor: User,
    ip: str | None,
    today: date,
) -> CrisisEvent:
    """Record a crisis: the risk flag goes to at least "moderate" pending review, and the
    primary case manager gets a follow-up task (and the open crisis on their dashboard)."""
    what = (data.get("what_happened") or "").strip()
    if not what:
        raise DomainError("say what happened")
    level = data.get("risk_level")
    if level not in RISK_LEVELS:
        raise DomainError("unknown risk level")
    outcome = data.get("outcome")
    if outcome not in CRISIS_OUTCOMES:
        raise DomainError("unknown outcome")
    occurred_at: datetime = data.get("occurred_at") or utcnow()
    if occurred_at > utcnow() + timedelta(minutes=5):
        raise DomainError("a crisis cannot be in the future")
    event = CrisisEvent(
        client_id=client.id,
        occurred_at=occurred_at,
        what_happened=what,
        risk_level=level,
        risk_notes=(data.get("risk_notes") or "").strip() or None,
        actions=[a for a in data.get("actions") or [] if a in CRISIS_ACTIONS],
        actions_other=(data.get("actions_other") or "").strip() or None,
        outcome=outcome,
        outcome_notes=(data.get("outcome_notes") or "").strip() or None,
        follow_up_due=data.get("follow_up_due") or today + timedelta(days=1),
        created_by_id=actor.id,
    )
    db.session.add(event)
    db.session.flush()
    audit.record(
        "create",
        actor=actor,
        ip=ip,
        object_type="crisis_event",
        object_id=event.id,
        client_id=client.id,
        detail=outcome,
    )
    wanted = level if level == "high" else "moderate"
    if RISK_ORDER.index(wanted) > RISK_ORDER.index(client.risk_level):
        clients.set_risk(client, wanted, _("Crisis recorded: review needed."), actor=actor, ip=ip)
    assignee = client.primary_case_manager or actor
    with force_locale(assignee.locale or i18n.current_language()):
        # The agency's day: a late-evening crisis is already tomorrow in UTC.
        day = event.occurred_at.astimezone(i18n.agency_zone()).date().isoformat()
        title = _("Follow up after the crisis of %(day)s", day=day)
    task = tasks.create_task(
        title=title,
        kind="follow_up",
        client=client,
        due_on=event.follow_up_due,
        assignee=assignee,
        actor=actor,
        ip=ip,
    )
    event.follow_up_task_id = task.id
    db.session.flush()
    return event


def resolve(event: CrisisEvent, resolution: str, *, actor: User, ip: str | None) -> None:
    """Close a crisis: who, when and how; its follow-up task is done with it."""
    if not event.is_open:
        raise DomainError("this crisis is already resolved")
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError("say how the crisis was resolved")
    event.status = "resolved"
    event.resolved_by_id = actor.id
    event.resolved_at = utcnow()
    event.resolution = resolution
    if event.follow_up_task_id is not None:
        task = db.session.get(Task, event.follow_up_task_id)
        if task is not None and task.status == "open":
            tasks.complete_task(task, actor=actor, ip=ip)
    db.session.flush()
    audit.record(
        "update",
        actor=actor,
        ip=ip,
        object_type="crisis_event",
        object_id=event.id,
        client_id=event.client_id,
        detail="resolved",
    )


@dataclass
class CrisisFilters:
    date_from: date | None = None
    date_to: date | None = None
    outcome: str = ""
    case_manager_id: int | None = None
    status: str = ""


def log(query: Select[Any], f: CrisisFilters, *, zone: Any) -> Select[Any]:
    """The crisis log's filters on a query of crisis events."""
    if f.date_from:
        query = query.where(
            CrisisEvent.occurred_at >= datetime.combine(f.date_from, datetime.min.time(), zone)
        )
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), datetime.min.time(), zone)
        query = query.where(CrisisEvent.occurred_at < end)
    if f.outcome in CRISIS_OUTCOMES:
        query = query.where(CrisisEvent.outcome == f.outcome)
    if f.status in ("open", "resolved"):
        query = query.where(CrisisEvent.status == f.status)
    if f.case_manager_id:
        query = query.where(
            CrisisEvent.client_id.in_(
                select(Client.id).where(Client.primary_case_manager_id == f.case_manager_id)
            )
        )
    return query.options(
        selectinload(CrisisEvent.client).selectinload(Client.primary_case_manager),
        selectinload(CrisisEvent.created_by),
    ).order_by(CrisisEvent.occurred_at.desc(), CrisisEvent.id.desc())


@dataclass
class RiskRow:
    client: Client
    last_crisis: datetime | None
    last_cssrs: Assessment | None
    plan_saved_at: datetime | None


def risk_review(client_query: Select[Client]) -> list[RiskRow]:
    """Moderate and high risk clients with their last crisis, last C-SSRS and the age of
    their safety plan: four queries whatever the number of clients."""
    rows = list(
        db.session.scalars(
            client_query.where(Client.risk_level.in_(("moderate", "high"))).options(
                selectinload(Client.primary_case_manager)
            )
        )
    )
    ids = [c.id for c in rows]
    if not ids:
        return []
    crises = dict(
        db.session.execute(
            select(CrisisEvent.client_id, func.max(CrisisEvent.occurred_at))
            .where(CrisisEvent.client_id.in_(ids))
            .group_by(CrisisEvent.client_id)
        ).all()
    )
    latest_cssrs = (
        select(func.max(Assessment.id))
        .where(Assessment.client_id.in_(ids), Assessment.instrument_code == "cssrs")
        .group_by(Assessment.client_id)
    )
    cssrs = {
        a.client_id: a
        for a in db.session.scalars(select(Assessment).where(Assessment.id.in_(latest_cssrs)))
    }
    plans = dict(
        db.session.execute(
            select(SafetyPlanVersion.client_id, func.max(SafetyPlanVersion.saved_at))
            .where(SafetyPlanVersion.client_id.in_(ids))
            .group_by(SafetyPlanVersion.client_id)
        ).all()
    )
    order = {"high": 0, "moderate": 1}
    rows.sort(key=lambda c: (order[c.risk_level], c.display_name.lower()))
    return [RiskRow(c, crises.get(c.id), cssrs.get(c.id), plans.get(c.id)) for c in rows]
