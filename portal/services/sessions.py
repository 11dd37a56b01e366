"""Server-side session records: the cookie carries a random token, the database decides.

A session ends when the user signs out, changes or resets the password, is
deactivated, chooses "sign out everywhere", stays idle too long, or reaches
the absolute limit. An ended session is refused at its next request.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import STAFF_ROLES, User, UserSession, utcnow
from . import audit

END_REASONS = frozenset(
    {"signed_out", "idle", "absolute", "password_changed", "deactivated", "everywhere", "mfa_reset"}
)
# An activity stamp younger than this is not rewritten: fewer writes, same protection.
TOUCH_GRANULARITY = timedelta(seconds=5)
# Every request loads its session: the statement is built once for the process.
_FIND = (
    select(UserSession)
    .options(joinedload(UserSession.user))
    .where(UserSession.token_hash == bindparam("token_hash"))
)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit(user: User) -> timedelta:
    """Staff are signed out sooner than clients and families."""
    key = "IDLE_TIMEOUT_STAFF" if user.role in STAFF_ROLES else "IDLE_TIMEOUT_PORTAL"
    return timedelta(seconds=int(current_app.config[key]))


def absolute_limit() -> timedelta:
    return timedelta(seconds=int(current_app.config["SESSION_ABSOLUTE_TIMEOUT"]))


def start(user: User, *, ip: str | None, user_agent: str | None) -> tuple[str, UserSession]:
    """Open a session for a user who has just proved who they are; returns the cookie token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    record = UserSession(
        token_hash=_hash(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        reauthenticated_at=now,
        ip=ip,
        user_agent=(user_agent or "")[:255] or None,
    )
    db.session.add(record)
    db.session.flush()
    return token, record


def find(token: str | None) -> UserSession | None:
    """The record behind a cookie token, open or not, with its user in the same query."""
    if not token:
        return None
    return db.session.scalar(_FIND, {"token_hash": _hash(token)})


def expiry_reason(record: UserSession, user: User, now: datetime | None = None) -> str | None:
    """``idle`` or ``absolute`` when the session has run out, else None."""
    now = now or utcnow()
    if now - record.created_at >= absolute_limit():
        return "absolute"
    if now - record.last_seen_at >= idle_limit(user):
        return "idle"
    return None


def seconds_left(record: UserSession, user: User, now: datetime | None = None) -> int:
    """How long until the session ends if nothing happens."""
    now = now or utcnow()
    idle_end = record.last_seen_at + idle_limit(user)
    absolute_end = record.created_at + absolute_limit()
    return max(0, int((min(idle_end, absolute_end) - now).total_seconds()))


def touch(record: UserSession, *, force: bool = False) -> bool:
    """Count a request as activity; returns whether the stamp changed."""
    now = utcnow()
    if not force and now - record.last_seen_at < TOUCH_GRANULARITY:
        return False
    record.last_seen_at = now
    return True


def end(record: UserSession, reason: str, *, ip: str | None) -> None:
    """End one session and say why in the audit log."""
    if reason not in END_REASONS:
        raise ValueError(f"unknown end reason {reason!r}")
    if record.ended_at is not None:
        return
    record.ended_at = utcnow()
    record.end_reason = reason
    action = "logout" if reason == "signed_out" else "session_end"
    audit.record(
        action, actor=record.user, ip=ip, object_type="session", object_id=record.id, detail=reason
    )


def end_all(user: User, reason: str, *, ip: str | None, actor: User | None = None) -> int:
    """End every open session of the user; returns how many were ended."""
    if reason not in END_REASONS:
        raise ValueError(f"unknown end reason {reason!r}")
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason)
    )
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    audit.record(
        "session_end",
        actor=actor or user,
        ip=ip,
        object_type="user",
        object_id=user.id,
        detail=f"{reason}: {count} session(s)",
    )
    return count


def mark_reauthenticated(record: UserSession) -> None:
    record.reauthenticated_at = utcnow()


def recently_reauthenticated(record: UserSession | None) -> bool:
    """Whether the password was (re-)entered within the last few minutes in this session."""
    if record is None or record.reauthenticated_at is None:
        return False
    window = timedelta(seconds=int(current_app.config["REAUTH_SECONDS"]))
    return utcnow() - record.reauthenticated_at < window


# Sessions (and the single-use tokens, ``tokens.prune``) are kept this long after they stop
# working, for a security review ("who signed in from where last week"), then removed: they
# hold IP addresses.
KEEP_DAYS = 30


def prune(before: datetime) -> int:
    """Remove sessions that ended, or were last used, before ``before`` (an open session
    unused for days has long passed its idle limit); returns how many."""
    stale = or_(UserSession.ended_at < before, UserSession.last_seen_at < before)
    gone = db.session.execute(delete(UserSession).where(stale))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
