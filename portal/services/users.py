"""Accounts: password hashing, creating users, checking a sign-in."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from ..extensions import db
from ..models import Role, User, normalize_email, utcnow
from . import audit

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("waypoint-timing-equaliser")


class DomainError(Exception):
    """A rule of the domain refused the change; the message is for the user."""


class EmailTaken(DomainError):
    pass


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    """Check a password against the user's hash, rehashing when the parameters changed."""
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return True


def find_by_email(email: str) -> User | None:
    """The user with this email, compared case-insensitively."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(
    email: str,
    *,
    display_name: str,
    role: str,
    password: str,
    locale: str | None = None,
    actor: User | None = None,
    ip: str | None = None,
) -> User:
    """Create an account; refuses an email that is already used, whatever its case."""
    if find_by_email(email) is not None:
        raise EmailTaken(f"an account with the email {normalize_email(email)} exists")
    user = User(
        email=email,
        display_name=display_name.strip(),
        role=Role(role).value,
        locale=locale,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user_create", actor=actor, ip=ip, object_type="user", object_id=user.id)
    return user


def authenticate(email: str, password: str, *, ip: str | None) -> User | None:
    """Return the user when the email and password match an active account.

    Unknown emails, wrong passwords and deactivated accounts all answer None
    after the same amount of work; each outcome is audited.
    """
    user = find_by_email(email)
    if user is None:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        audit.record("login_failed", actor=None, ip=ip, outcome="failure", detail="unknown email")
        return None
    if not verify_password(user, password) or not user.active:
        reason = "wrong password" if user.active else "inactive account"
        audit.record(
            "login_failed",
            actor=None,
            ip=ip,
            outcome="failure",
            object_type="user",
            object_id=user.id,
            detail=reason,
        )
        return None
    user.last_login_at = utcnow()
    audit.record("login", actor=user, ip=ip, object_type="user", object_id=user.id)
    return user


def set_locale(user: User, locale: str, *, ip: str | None) -> None:
    """Save the user's language choice."""
    if user.locale == locale:
        return
    user.locale = locale
    audit.record(
        "locale_change", actor=user, ip=ip, object_type="user", object_id=user.id, detail=locale
    )
