"""Family access: the client's consent, recorded by staff, revocable, never deleted."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from ..extensions import db
from ..models import FAMILY_SCOPES, Client, FamilyAccess, Role, User, utcnow
from . import audit, users
from .errors import DomainError


def find_or_create_family_user(email: str, name: str) -> tuple[User, bool]:
    """The family member's account; a new one has no usable password until they accept."""
    existing = users.find_by_email(email)
    if existing is not None:
        if existing.role != Role.FAMILY:
            raise DomainError("this email belongs to an account that is not a family account")
        return existing, False
    user = User(
        email=email,
        display_name=name.strip() or email,
        role=Role.FAMILY.value,
        password_hash=users.hash_password(secrets.token_urlsafe(32)),
    )
    db.session.add(user)
    db.session.flush()
    return user, True


def grant(
    client: Client,
    family: User,
    *,
    relationship_label: str,
    scopes: Iterable[str],
    purpose: str | None,
    expires_at: datetime | None,
    actor: User,
    ip: str | None,
) -> FamilyAccess:
    """Record a consent with its scopes; at least one scope, expiry in the future."""
    chosen = set(scopes)
    if not chosen or not chosen <= set(FAMILY_SCOPES):
        raise DomainError("choose at least one thing to share")
    if expires_at is not None and expires_at <= utcnow():
        raise DomainError("the end date must be in the future")
    consent = FamilyAccess(
        client_id=client.id,
        family_user_id=family.id,
        relationship_label=relationship_label.strip(),
        purpose=(purpose or "").strip() or None,
        granted_by_id=actor.id,
        granted_at=utcnow(),
        expires_at=expires_at,
        **{f"scope_{scope}": scope in chosen for scope in FAMILY_SCOPES},
    )
    db.session.add(consent)
    db.session.flush()
    audit.record(
        "consent_change",
        actor=actor,
        ip=ip,
        object_type="family_access",
        object_id=consent.id,
        client_id=client.id,
        detail="grant " + ",".join(sorted(chosen)),
    )
    return consent


def revoke(consent: FamilyAccess, *, actor: User, ip: str | None) -> None:
    """End a consent now; the row stays as history."""
    if consent.revoked_at is not None:
        return
    consent.revoked_at = utcnow()
    consent.revoked_by_id = actor.id
    audit.record(
        "consent_change",
        actor=actor,
        ip=ip,
        object_type="family_access",
        object_id=consent.id,
        client_id=consent.client_id,
        detail="revoke",
    )


def change_scopes(
    consent: FamilyAccess,
    *,
    scopes: Iterable[str],
    expires_at: datetime | None,
    actor: User,
    ip: str | None,
) -> None:
    """Change what a consent in force shares, and until when (at least one thing: sharing
    nothing is a revocation)."""
    if not consent.is_in_force():
        raise DomainError("this access has ended")
    chosen = set(scopes)
    if not chosen or not chosen <= set(FAMILY_SCOPES):
        raise DomainError("choose at least one thing to share")
    if expires_at is not None and expires_at <= utcnow():
        raise DomainError("the end date must be in the future")
    if consent.scopes == frozenset(chosen) and consent.expires_at == expires_at:
        return  # saved as it was: nothing changed, nothing to log
    for scope in FAMILY_SCOPES:
        setattr(consent, f"scope_{scope}", scope in chosen)
    consent.expires_at = expires_at
    db.session.flush()
    audit.record(
        "consent_change",
        actor=actor,
        ip=ip,
        object_type="family_access",
        object_id=consent.id,
        client_id=consent.client_id,
        detail="scopes " + ",".join(sorted(chosen)),
    )
