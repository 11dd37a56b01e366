"""Writing and verifying the audit log's hash chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from ..extensions import db
from ..models import GENESIS_HASH, AuditEvent, AuditHead, User, utcnow

# Actions the log knows; a typo in a view fails loudly instead of writing noise.
ACTIONS = frozenset(
    {
        "view",
        "create",
        "update",
        "delete",
        "sign",
        "approve",
        "acknowledge",
        "export",
        "print",
        "login",
        "login_failed",
        "logout",
        "access_denied",
        "consent_change",
        "user_create",
        "locale_change",
        "session_end",
        "account_locked",
        "account_unlocked",
        "password_change",
        "password_reset_request",
        "password_reset",
        "sign_in_link_request",
        "mfa_enable",
        "mfa_disable",
        "mfa_reset",
        "mfa_failed",
        "recovery_code_used",
        "email_change",
        "deactivate",
        "reactivate",
        "role_change",
        "supervisor_change",
        "password_reset_forced",
        "emergency_access",
        "emergency_review",
        "status_change",
        "risk_change",
        "care_team_change",
        "portal_invite",
        "portal_disable",
    }
)
OUTCOMES = frozenset({"success", "failure", "denied"})
HEAD_ID = 1
_COLUMNS = tuple(column.name for column in AuditEvent.__table__.columns)

# Every page view writes an event, so its three statements are built once for the process
# and executed with fresh parameters; SQLAlchemy's compiled cache does the rest.
# They are Core statements on the tables: an ORM UPDATE would also look through the
# session for AuditHead objects to bring up to date, and there never are any.
_HEAD = AuditHead.__table__
_ADVANCE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(event_count=_HEAD.c.event_count + 1)
    .returning(_HEAD.c.event_count, _HEAD.c.last_hash)
)
_INSERT_EVENT = insert(AuditEvent.__table__)
_SET_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == HEAD_ID)
    .values(last_event_id=bindparam("event_id"), last_hash=bindparam("event_hash"))
)
# PostgreSQL writes the event and moves the head in one statement (a WITH that inserts runs
# whether or not the UPDATE reads it), one round trip to the server fewer per page view.
# SQLite has no INSERT inside WITH and no round trip to save.
# Its parameters are the event's columns as ``event_<column>``: the head takes ``event_id``
# and ``event_hash`` from them.
_EVENT_PARAMETERS = tuple((f"event_{column}", column) for column in _COLUMNS)
_INSERT_EVENT_SET_HEAD = _SET_HEAD.add_cte(
    insert(AuditEvent.__table__)
    .values(
        {
            column: bindparam(key, type_=AuditEvent.__table__.c[column].type)
            for key, column in _EVENT_PARAMETERS
        }
    )
    .cte("event")
)


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(event: Any) -> str:
    """SHA-256 over every column of the row except the hash itself, prev_hash included."""
    payload = {
        "id": event.id,
        "occurred_at": _stamp(event.occurred_at),
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "client_id": event.client_id,
        "ip": event.ip,
        "outcome": event.outcome,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    action: str,
    *,
    actor: User | None,
    ip: str | None,
    outcome: str = "success",
    object_type: str | None = None,
    object_id: object = None,
    client_id: int | None = None,
    detail: str | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction.

    The head row is updated first: that takes the row lock on PostgreSQL and
    the write lock on SQLite before the previous hash is read, so two writers
    at once queue up behind each other instead of forking the chain. The id is
    the chain position, so ids have no gaps and a removed row shows.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    position, prev_hash = db.session.execute(_ADVANCE_HEAD).one()
    event = AuditEvent(
        id=position,
        occurred_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_role=actor.role if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        client_id=client_id,
        ip=ip,
        outcome=outcome,
        detail=detail[:255] if detail else None,
        prev_hash=prev_hash,
    )
    event.hash = compute_hash(event)
    # A plain INSERT, not the session's unit of work: the row is never changed afterwards,
    # and every page view writes one, so the ORM's bookkeeping would be paid on every request.
    # The event returned stays outside the session.
    if db.session.get_bind().dialect.name == "postgresql":
        values = {key: getattr(event, column) for key, column in _EVENT_PARAMETERS}
        db.session.execute(_INSERT_EVENT_SET_HEAD, values)
    else:
        db.session.execute(_INSERT_EVENT, {column: getattr(event, column) for column in _COLUMNS})
        db.session.execute(_SET_HEAD, {"event_id": event.id, "event_hash": event.hash})
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str | None = None


def _events(batch: int = 5000) -> Iterator[Any]:
    """Plain rows in chain order, a batch at a time, kept out of the identity map."""
    table = AuditEvent.__table__
    last = 0
    while True:
        rows = db.session.execute(
            select(table).where(table.c.id > last).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def verify_chain() -> ChainReport:
    """Walk the whole chain and name the first row that does not hold."""
    expected_prev = GENESIS_HASH
    expected_id = 1
    checked = 0
    for event in _events():
        if event.id != expected_id:
            return ChainReport(False, checked, expected_id, "row missing from the chain")
        if event.prev_hash != expected_prev:
            return ChainReport(False, checked, event.id, "previous-hash link broken")
        if compute_hash(event) != event.hash:
            return ChainReport(False, checked, event.id, "row content changed")
        expected_prev = event.hash
        expected_id += 1
        checked += 1
    head = db.session.get(AuditHead, HEAD_ID)
    if head is None:
        return ChainReport(False, checked, None, "chain head missing")
    if head.event_count != checked or head.last_hash != expected_prev:
        return ChainReport(False, checked, checked + 1, "newest rows removed (head is ahead)")
    return ChainReport(True, checked)
