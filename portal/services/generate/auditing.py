"""The generated audit events, appended to the existing hash chain in time order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from operator import itemgetter

from sqlalchemy import update

from ...models import AuditHead
from .. import audit
from .common import T_AUDIT, Agency

BATCH = 50_000


class _Row:
    """The columns compute_hash reads, reused for every event (no object per row)."""

    __slots__ = (
        "action",
        "actor_id",
        "actor_role",
        "client_id",
        "detail",
        "id",
        "ip",
        "object_id",
        "object_type",
        "occurred_at",
        "outcome",
        "prev_hash",
    )
    action: str
    actor_id: int | None
    actor_role: str | None
    client_id: int | None
    detail: str | None
    id: int
    ip: str | None
    object_id: str | None
    object_type: str | None
    occurred_at: datetime
    outcome: str
    prev_hash: str


def _ip(user_id: int | None, role: str | None) -> str | None:
    """A made-up address per person: the office network for staff, home for clients."""
    if user_id is None:
        return None
    if role == "client":
        return f"203.0.113.{user_id % 250 + 1}"
    return f"198.51.100.{user_id % 250 + 1}"


def write_chain(agency: Agency, progress: Callable[[int], None] | None = None) -> int:
    """Sort the events by time, link them onto the chain after its head, write them and move
    the head. The head row is updated first, which locks it (as audit.record does), so an
    app writing meanwhile waits instead of forking the chain."""
    events = agency.events
    events.sort(key=itemgetter(0))
    connection, writer = agency.writer.connection, agency.writer
    count, prev_hash = connection.execute(
        update(AuditHead)
        .where(AuditHead.id == audit.HEAD_ID)
        .values(event_count=AuditHead.event_count + len(events))
        .returning(AuditHead.event_count, AuditHead.last_hash)
    ).one()
    position = count - len(events)
    row = _Row()
    row.outcome = "success"
    roles = agency.roles
    for n, (at, actor, action, kind, object_id, client_id, detail) in enumerate(events, 1):
        position += 1
        role = roles.get(actor) if actor is not None else None
        row.id = position
        row.occurred_at = at
        row.actor_id = actor
        row.actor_role = role
        row.action = action
        row.object_type = kind
        row.object_id = object_id
        row.client_id = client_id
        row.ip = _ip(actor, role)
        row.detail = detail
        row.prev_hash = prev_hash
        prev_hash = audit.compute_hash(row)
        writer.add(
            T_AUDIT,
            {
                "id": position,
                "occurred_at": at,
                "actor_id": actor,
                "actor_role": role,
                "action": action,
                "object_type": kind,
                "object_id": object_id,
                "client_id": client_id,
                "ip": row.ip,
                "outcome": "success",
                "detail": detail,
                "prev_hash": row.prev_hash,
                "hash": prev_hash,
            },
        )
        if n % BATCH == 0:
            writer.flush()
            if progress is not None:
                progress(n)
    writer.flush()
    if events:
        connection.execute(
            update(AuditHead)
            .where(AuditHead.id == audit.HEAD_ID)
            .values(last_event_id=position, last_hash=prev_hash)
        )
    written = len(events)
    events.clear()
    return written
