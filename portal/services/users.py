"""Accounts: password hashing, creating users, checking a sign-in."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Role, SignInThrottle, User, normalize_email, utcnow
from . import audit, sessions
from .errors import DomainError

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _hasher.hash("waypoint-timing-equaliser")


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


@dataclass(frozen=True)
class SignInCheck:
    """The answer to an email and password: ``ok``, ``invalid`` or ``locked``."""

    status: str
    user: User | None = None


def _email_key(email: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, normalize_email(email).encode(), hashlib.sha256).hexdigest()


def _throttle(email: str) -> SignInThrottle:
    key = _email_key(email)
    throttle = db.session.scalar(select(SignInThrottle).where(SignInThrottle.email_hash == key))
    if throttle is not None:
        return throttle
    try:
        with db.session.begin_nested():
            throttle = SignInThrottle(email_hash=key, failures=0)
            db.session.add(throttle)
    except IntegrityError:  # another request created it at the same moment
        throttle = db.session.scalar(select(SignInThrottle).where(SignInThrottle.email_hash == key))
    assert throttle is not None  # noqa: S101
    return throttle


def is_locked(email: str) -> bool:
    """Whether sign-in for this email address is paused right now."""
    key = _email_key(email)
    locked_until = db.session.scalar(
        select(SignInThrottle.locked_until).where(SignInThrottle.email_hash == key)
    )
    return locked_until is not None and locked_until > utcnow()


def _spend_one_verification(password: str) -> None:
    """The work of checking a password, with nothing to check it against (even timing)."""
    with contextlib.suppress(VerificationError):
        _hasher.verify(_DUMMY_HASH, password)


def check_credentials(email: str, password: str, *, ip: str | None) -> SignInCheck:
    """Check an email and password against the lock-out counter and the stored hash.

    The counter is per email address and kept in the database, whether or not
    an account has that address: dropping cookies or changing IP does not reset
    it, and the locked answer does not reveal whether the account exists. Every
    path does one argon2 verification, so the answers take the same time.
    """
    user = find_by_email(email)
    user_id = user.id if user is not None else None
    if is_locked(email):
        _spend_one_verification(password)
        audit.record(
            "login_failed",
            actor=None,
            ip=ip,
            outcome="failure",
            object_type="user" if user_id else None,
            object_id=user_id,
            detail="locked",
        )
        return SignInCheck("locked")
    if user is None:
        _spend_one_verification(password)
        reason = "unknown email"
    elif not verify_password(user, password):
        reason = "wrong password"
    elif not user.active:
        reason = "inactive account"
    else:
        throttle = _throttle(email)
        throttle.failures = 0
        throttle.locked_until = None
        return SignInCheck("ok", user)
    audit.record(
        "login_failed",
        actor=None,
        ip=ip,
        outcome="failure",
        object_type="user" if user_id else None,
        object_id=user_id,
        detail=reason,
    )
    return SignInCheck("locked" if count_failure(email, user_id, ip=ip) else "invalid")


def count_failure(email: str, user_id: int | None, *, ip: str | None) -> bool:
    """Add one failure; lock the address at the threshold. Returns whether it is now locked."""
    throttle = _throttle(email)
    now = utcnow()
    failures = db.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.id == throttle.id)
        .values(failures=SignInThrottle.failures + 1, last_failure_at=now)
        .returning(SignInThrottle.failures)
    ).scalar_one()
    if failures < current_app.config["LOCKOUT_THRESHOLD"]:
        return False
    minutes = current_app.config["LOCKOUT_MINUTES"]
    db.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.id == throttle.id)
        .values(failures=0, locked_until=now + timedelta(minutes=minutes))
    )
    db.session.expire(throttle)
    audit.record(
        "account_locked",
        actor=None,
        ip=ip,
        outcome="denied",
        object_type="user" if user_id else None,
        object_id=user_id,
        detail=f"{failures} failures; {minutes} minutes",
    )
    return True


def unlock(email: str, *, actor: User | None, ip: str | None) -> bool:
    """Lift a lock-out early (administrator's help); returns whether one was in force."""
    key = _email_key(email)
    throttle = db.session.scalar(select(SignInThrottle).where(SignInThrottle.email_hash == key))
    was_locked = (
        throttle is not None
        and throttle.locked_until is not None
        and (throttle.locked_until > utcnow())
    )
    if throttle is not None:
        throttle.failures = 0
        throttle.locked_until = None
    user = find_by_email(email)
    audit.record(
        "account_unlocked",
        actor=actor,
        ip=ip,
        object_type="user" if user else None,
        object_id=user.id if user else None,
        detail="was locked" if was_locked else "was not locked",
    )
    return was_locked


def record_sign_in(user: User, *, ip: str | None, method: str) -> None:
    """Audit a completed sign-in (password, password + MFA, or emailed link)."""
    user.last_login_at = utcnow()
    audit.record("login", actor=user, ip=ip, object_type="user", object_id=user.id, detail=method)


def change_password(user: User, new_password: str, *, ip: str | None, action: str) -> None:
    """Store a new password and end every session of the user (the caller starts a new one)."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    audit.record(action, actor=user, ip=ip, object_type="user", object_id=user.id)
    sessions.end_all(user, "password_changed", ip=ip)


def change_email(user: User, new_email: str, *, ip: str | None) -> None:
    """Change the sign-in email; refuses one that another account uses."""
    existing = find_by_email(new_email)
    if existing is not None and existing.id != user.id:
        raise EmailTaken(new_email)
    user.email = new_email
    audit.record("email_change", actor=user, ip=ip, object_type="user", object_id=user.id)


def deactivate(user: User, *, actor: User | None, ip: str | None) -> None:
    """Close an account: it cannot sign in, and its open sessions end now."""
    user.active = False
    audit.record("deactivate", actor=actor, ip=ip, object_type="user", object_id=user.id)
    sessions.end_all(user, "deactivated", ip=ip, actor=actor)


def set_locale(user: User, locale: str, *, ip: str | None) -> None:
    """Save the user's language choice."""
    if user.locale == locale:
        return
    user.locale = locale
    audit.record(
        "locale_change", actor=user, ip=ip, object_type="user", object_id=user.id, detail=locale
    )
