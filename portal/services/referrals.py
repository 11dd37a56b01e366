"""Referrals: a client to a resource, followed until the loop is closed.

Every change of status is a dated event with who and why. A referral whose follow-up
date passes without an update gets one follow-up task (``follow_up_overdue``, run from
cron with ``flask --app portal referral-follow-ups``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import force_locale
from ..models import (
    OPEN_REFERRAL_STATUSES,
    REFERRAL_TRANSITIONS,
    Client,
    Referral,
    ReferralEvent,
    Resource,
    SavedResource,
    User,
    utcnow,
)
from . import audit, tasks
from .errors import DomainError, IllegalTransition, StaleEdit

NEEDS_REASON = ("declined", "cancelled")


def create(
    client: Client,
    resource: Resource,
    data: Mapping[str, Any],
    *,
    actor: User,
    ip: str | None,
    today: date,
) -> Referral:
    """A proposed referral, with a follow-up date (two weeks by default)."""
    if not resource.active:
        raise DomainError("this resource is retired")
    reason = (data.get("reason") or "").strip()
    if not reason:
        raise DomainError("a referral needs a reason")
    referral = Referral(
        client_id=client.id,
        resource_id=resource.id,
        reason=reason,
        goal_key=data.get("goal_key") or None,
        status="proposed",
        follow_up_on=data.get("follow_up_on") or today + timedelta(days=14),
        created_by_id=actor.id,
    )
    db.session.add(referral)
    db.session.flush()
    db.session.add(
        ReferralEvent(
            referral_id=referral.id, from_status=None, to_status="proposed", by_id=actor.id
        )
    )
    db.session.flush()
    _audit("create", referral, actor=actor, ip=ip, detail=f"to {resource.id}")
    return referral


def move(
    referral: Referral,
    to_status: str,
    *,
    note: str | None,
    outcome: str | None,
    follow_up_on: date | None,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> None:
    """Take the referral one step along the loop; illegal steps are refused."""
    if referral.version != expected_version:
        raise StaleEdit(referral)
    if to_status not in REFERRAL_TRANSITIONS.get(referral.status, ()):
        raise IllegalTransition(referral.status, to_status)
    note = (note or "").strip() or None
    if to_status in NEEDS_REASON and not note:
        raise DomainError("a reason is required")
    if to_status == "completed":
        outcome = (outcome or "").strip()
        if not outcome:
            raise DomainError("an outcome is required")
        referral.outcome = outcome
    before = referral.status
    referral.status = to_status
    referral.updated_at = utcnow()
    if (
        to_status in OPEN_REFERRAL_STATUSES
        and follow_up_on
        and follow_up_on != referral.follow_up_on
    ):
        referral.follow_up_on = follow_up_on
        # A new date gets its own follow-up task when it passes in turn.
        referral.follow_up_task_id = None
    db.session.add(
        ReferralEvent(
            referral_id=referral.id,
            from_status=before,
            to_status=to_status,
            by_id=actor.id,
            note=note,
        )
    )
    db.session.flush()
    _audit("update", referral, actor=actor, ip=ip, detail=f"{before}->{to_status}")


def _audit(action: str, referral: Referral, *, actor: User, ip: str | None, detail: str) -> None:
    audit.record(
        action,
        actor=actor,
        ip=ip,
        object_type="referral",
        object_id=referral.id,
        client_id=referral.client_id,
        detail=detail,
    )


def follow_up_overdue(today: date, *, actor: User | None = None) -> int:
    """One task per open referral whose follow-up date has passed without an update."""
    due = db.session.scalars(
        select(Referral)
        .options(selectinload(Referral.client).selectinload(Client.primary_case_manager))
        .where(
            Referral.status.in_(OPEN_REFERRAL_STATUSES),
            Referral.follow_up_on < today,
            Referral.follow_up_task_id.is_(None),
        )
    ).all()
    made = 0
    for referral in due:
        assignee = referral.client.primary_case_manager or db.session.get(
            User, referral.created_by_id
        )
        if assignee is None:
            continue
        resource = db.session.get(Resource, referral.resource_id)
        with force_locale(assignee.locale or "en"):
            title = _(
                "Follow up the referral to %(resource)s",
                resource=resource.name if resource else "?",
            )
        task = tasks.create_task(
            title=title,
            kind="follow_up",
            client=referral.client,
            due_on=today,
            assignee=assignee,
            actor=actor or assignee,
            ip=None,
        )
        referral.follow_up_task_id = task.id
        made += 1
    db.session.flush()
    return made


def history(resource: Resource) -> dict[str, int]:
    """How many referrals to this resource ended where (so staff learn what works)."""
    counts = dict(
        db.session.execute(
            select(Referral.status, func.count())
            .where(Referral.resource_id == resource.id)
            .group_by(Referral.status)
        ).all()
    )
    return {status: int(counts.get(status, 0)) for status in REFERRAL_TRANSITIONS}


def save_for_client(client: Client, resource: Resource, *, actor: User, ip: str | None) -> None:
    """Keep a resource in the client's "my resources" (once)."""
    exists = db.session.scalar(
        select(SavedResource.id).where(
            SavedResource.client_id == client.id, SavedResource.resource_id == resource.id
        )
    )
    if exists is None:
        db.session.add(SavedResource(client_id=client.id, resource_id=resource.id))
        db.session.flush()
        audit.record(
            "update",
            actor=actor,
            ip=ip,
            object_type="saved_resource",
            object_id=resource.id,
            client_id=client.id,
            detail="saved",
        )


def unsave_for_client(client: Client, resource: Resource, *, actor: User, ip: str | None) -> None:
    saved = db.session.scalar(
        select(SavedResource).where(
            SavedResource.client_id == client.id, SavedResource.resource_id == resource.id
        )
    )
    if saved is not None:
        db.session.delete(saved)
        db.session.flush()
        audit.record(
            "update",
            actor=actor,
            ip=ip,
            object_type="saved_resource",
            object_id=resource.id,
            client_id=client.id,
            detail="removed",
        )
