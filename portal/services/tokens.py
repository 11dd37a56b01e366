"""Single-use emailed tokens: only a hash is stored, each works once and expires."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import AuthToken, User, utcnow

PURPOSES = frozenset({"reset", "sign_in", "invite"})


def token_hash(raw: str) -> str:
    """Tokens are 256 random bits, so a plain SHA-256 is enough to keep them unusable at rest."""
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(user: User, purpose: str, *, minutes: int) -> str:
    """Create a token for the user; earlier unused tokens of the same purpose stop working."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    now = utcnow()
    db.session.execute(
        update(AuthToken)
        .where(
            AuthToken.user_id == user.id, AuthToken.purpose == purpose, AuthToken.used_at.is_(None)
        )
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(
        AuthToken(
            token_hash=token_hash(raw),
            user_id=user.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    db.session.flush()
    return raw


def peek(raw: str, purpose: str) -> AuthToken | None:
    """The token if it is still usable, without using it up."""
    token = db.session.scalar(
        select(AuthToken).where(
            AuthToken.token_hash == token_hash(raw), AuthToken.purpose == purpose
        )
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow():
        return None
    if not token.user.active:
        return None
    return token


def redeem(raw: str, purpose: str) -> User | None:
    """Use the token up and return its user; None when it is unknown, used or expired.

    The UPDATE ... WHERE used_at IS NULL makes two simultaneous redemptions
    impossible: only one of them changes a row.
    """
    token = peek(raw, purpose)
    if token is None:
        return None
    changed = db.session.execute(
        update(AuthToken)
        .where(AuthToken.id == token.id, AuthToken.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return token.user


def prune(before: datetime) -> int:
    """Remove the tokens that expired before ``before``, used or not; returns how many."""
    gone = db.session.execute(delete(AuthToken).where(AuthToken.expires_at < before))
    return int(gone.rowcount or 0)  # type: ignore[attr-defined]
