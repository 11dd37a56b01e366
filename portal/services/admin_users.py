"""User administration: staff accounts, roles, teams, and help for people who are locked out.

Every function here is an administrator's act on someone's account: it changes
the account, writes the audit event and flushes; the view commits. Passwords
are never typed by an administrator: a new account gets an invitation link and
a forced reset gets a reset link, both single-use tokens.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import ColumnElement, Select, or_, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import STAFF_ROLES, AuthToken, Role, SignInThrottle, User, folded, utcnow
from . import audit, sessions, tokens, users
from . import mfa as mfa_service
from .errors import DomainError

ASSIGNABLE_ROLES: tuple[str, ...] = (
    Role.ADMIN.value,
    Role.SUPERVISOR.value,
    Role.CASE_MANAGER.value,
    Role.CARE_TEAM.value,
)


class AdminRefused(DomainError):
    """An administrator's change that a rule refuses; ``code`` says which rule."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class UserFilters:
    """What the account list is narrowed to: words in the name or email, role, active."""

    q: str = ""
    role: str = ""
    active: str = ""  # "", "1" (active only) or "0" (deactivated only)


def _conditions(filters: UserFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.q:
        words = filters.q.lower()
        conditions.append(
            or_(
                User.sort_name.contains(folded(filters.q), autoescape=True),
                User.email.contains(words, autoescape=True),
            )
        )
    if filters.role:
        conditions.append(User.role == filters.role)
    if filters.active in ("0", "1"):
        wanted = filters.active == "1"
        conditions.append(User.active == wanted)
    return conditions


# The account list's order (by name) and what each row shows alongside (the supervisor).
ORDER = (User.sort_name, User.id)
WITH_SUPERVISOR = (joinedload(User.supervisor),)


def search(filters: UserFilters) -> Select[User]:
    """Accounts matching the filters (``ORDER`` sorts them)."""
    return select(User).where(*_conditions(filters))


def locked_ids(people: Sequence[User]) -> set[int]:
    """Which of these accounts are locked out right now, in one query for the whole page."""
    # The lock-out counter is keyed by a keyed hash of the email (users.py), so that it
    # exists for addresses with no account; the same key finds it here.
    keys = {users._email_key(person.email): person.id for person in people}
    if not keys:
        return set()
    locked = db.session.scalars(
        select(SignInThrottle.email_hash).where(
            SignInThrottle.email_hash.in_(keys), SignInThrottle.locked_until > utcnow()
        )
    )
    return {keys[key] for key in locked}


def is_locked(user: User) -> bool:
    """Whether this account is locked out right now."""
    return users.is_locked(user.email)


def team_of(supervisor: User) -> list[User]:
    """The case managers whose supervisor this person is, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.supervisor_id == supervisor.id)
            .order_by(User.sort_name, User.id)
        )
    )


def supervisors() -> list[User]:
    """Active supervisors, by name: whom a case manager can report to."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.SUPERVISOR, User.active)
            .order_by(User.sort_name, User.id)
        )
    )


def _unusable_password_hash() -> str:
    """A hash of 256 random bits nobody knows: no password matches it."""
    return users.hash_password(secrets.token_urlsafe(32))


def _check_supervisor(role: str, supervisor: User | None) -> User | None:
    """Only case managers report to a supervisor, who must be an active supervisor."""
    if role != Role.CASE_MANAGER or supervisor is None:
        return None
    if supervisor.role != Role.SUPERVISOR or not supervisor.active:
        raise AdminRefused("supervisor_invalid")
    return supervisor


def create_staff_user(
    *,
    email: str,
    display_name: str,
    role: str,
    supervisor: User | None,
    locale: str | None,
    actor: User,
    ip: str | None,
) -> tuple[User, str]:
    """Open a staff account with no usable password; returns it and a single-use invitation
    token with which the person chooses their own password."""
    if role not in ASSIGNABLE_ROLES:
        raise AdminRefused("not_staff_role")
    chosen = _check_supervisor(role, supervisor)
    user = users.create_user(
        email,
        display_name=display_name,
        role=role,
        password=secrets.token_urlsafe(32),
        locale=locale or None,
        actor=actor,
        ip=ip,
    )
    user.supervisor_id = chosen.id if chosen is not None else None
    days = int(current_app.config["INVITE_TOKEN_DAYS"])
    raw = tokens.issue(user, "invite", minutes=days * 24 * 60)
    return user, raw


def rename(user: User, display_name: str, *, actor: User, ip: str | None) -> None:
    """Change the name shown for the account."""
    name = display_name.strip()
    if not name or name == user.display_name:
        return
    user.display_name = name
    audit.record(
        "update", actor=actor, ip=ip, object_type="user", object_id=user.id, detail="display_name"
    )


def change_role(user: User, role: str, *, actor: User, ip: str | None) -> None:
    """Move a staff account to another staff role; what it may open changes at its next
    request. Refuses an administrator's own demotion and a supervisor who still has a team."""
    if role == user.role:
        return
    if role not in ASSIGNABLE_ROLES or user.role not in STAFF_ROLES:
        raise AdminRefused("not_staff_role")
    if user.id == actor.id:
        raise AdminRefused("self_demote")
    if user.role == Role.SUPERVISOR and team_of(user):
        raise AdminRefused("team_not_empty")
    previous = user.role
    user.role = role
    audit.record(
        "role_change",
        actor=actor,
        ip=ip,
        object_type="user",
        object_id=user.id,
        detail=f"{previous} -> {role}",
    )
    if role != Role.CASE_MANAGER:
        set_supervisor(user, None, actor=actor, ip=ip)


def set_supervisor(user: User, supervisor: User | None, *, actor: User, ip: str | None) -> None:
    """Put a case manager on a supervisor's team (or on none); their clients follow."""
    if supervisor is not None and supervisor.id == user.supervisor_id:
        return  # kept as it is, even if that supervisor has been deactivated since
    chosen = _check_supervisor(user.role, supervisor)
    if supervisor is not None and chosen is None:
        raise AdminRefused("supervisor_invalid")  # only case managers have a supervisor
    new_id = chosen.id if chosen is not None else None
    if new_id == user.supervisor_id:
        return
    previous = user.supervisor_id
    user.supervisor_id = new_id
    db.session.flush()
    audit.record(
        "supervisor_change",
        actor=actor,
        ip=ip,
        object_type="user",
        object_id=user.id,
        detail=f"{previous or '-'} -> {new_id or '-'}",
    )


def update_account(
    user: User,
    *,
    display_name: str,
    role: str,
    supervisor: User | None,
    actor: User,
    ip: str | None,
) -> None:
    """The edit form: name, role and (for a case manager) supervisor, each change audited."""
    rename(user, display_name, actor=actor, ip=ip)
    if user.role in STAFF_ROLES:
        change_role(user, role, actor=actor, ip=ip)
        set_supervisor(
            user, supervisor if user.role == Role.CASE_MANAGER else None, actor=actor, ip=ip
        )


def deactivate(user: User, *, actor: User, ip: str | None) -> None:
    """Close the account: no sign-in, every open session refused at its next request."""
    if user.id == actor.id:
        raise AdminRefused("self_deactivate")
    if not user.active:
        return
    users.deactivate(user, actor=actor, ip=ip)


def reactivate(user: User, *, actor: User, ip: str | None) -> None:
    """Open a closed account again, with the password it had."""
    if user.active:
        return
    user.active = True
    audit.record("reactivate", actor=actor, ip=ip, object_type="user", object_id=user.id)


def _expire_links(user: User) -> None:
    """Every emailed link of the user not yet used stops working."""
    db.session.execute(
        update(AuthToken)
        .where(AuthToken.user_id == user.id, AuthToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def force_password_reset(user: User, *, actor: User, ip: str | None) -> str:
    """The password stops working now and every session ends; returns a reset token to email.

    Earlier emailed links (invitation, reset, sign-in) stop working too, so that only the
    link sent now can set the next password.
    """
    if user.id == actor.id:
        raise AdminRefused("self_reset")
    user.password_hash = _unusable_password_hash()
    user.password_changed_at = utcnow()
    _expire_links(user)
    audit.record("password_reset_forced", actor=actor, ip=ip, object_type="user", object_id=user.id)
    sessions.end_all(user, "password_changed", ip=ip, actor=actor)
    return tokens.issue(user, "reset", minutes=int(current_app.config["RESET_TOKEN_MINUTES"]))


def reset_mfa(user: User, *, actor: User, ip: str | None) -> None:
    """Turn two-step sign-in off (a lost phone); the person sets it up again, and every session
    ends, as ``flask reset-mfa`` does."""
    if user.id == actor.id:
        raise AdminRefused("self_reset")
    mfa_service.disable(user, actor=actor, ip=ip, action="mfa_reset")
    sessions.end_all(user, "mfa_reset", ip=ip, actor=actor)


def unlock(user: User, *, actor: User, ip: str | None) -> bool:
    """Lift a lock-out before it runs out; returns whether one was in force."""
    return users.unlock(user.email, actor=actor, ip=ip)
