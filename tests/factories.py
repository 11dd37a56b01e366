"""Typed factories: each adds and flushes, and returns the object."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from portal.extensions import db
from portal.models import (
    Appointment,
    AppointmentRequest,
    CareTeamMember,
    Client,
    FamilyAccess,
    Role,
    User,
    utcnow,
)
from portal.services.users import hash_password

PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)
_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose; hash once for the suite


def make_user(role: Role | str = Role.CASE_MANAGER, **overrides: Any) -> User:
    n = next(_seq)
    fields: dict[str, Any] = {
        "email": f"user{n}@example.org",
        "display_name": f"Test User {n}",
        "role": Role(role).value,
        "password_hash": _HASH,
    }
    fields.update(overrides)
    user = User(**fields)
    db.session.add(user)
    db.session.flush()
    return user


def make_client(**overrides: Any) -> Client:
    n = next(_seq)
    fields: dict[str, Any] = {
        "legal_name": f"Client Number{n}",
        "status": "active",
        "preferred_language": "en",
    }
    fields.update(overrides)
    client = Client(**fields)
    db.session.add(client)
    db.session.flush()
    return client


def add_to_care_team(client: Client, user: User, role_label: str = "Therapist") -> CareTeamMember:
    member = CareTeamMember(client=client, user=user, role_label=role_label)
    db.session.add(member)
    db.session.flush()
    return member


def grant_family_access(
    client: Client,
    family: User,
    *,
    scopes: tuple[str, ...] = ("materials",),
    expires_at: datetime | None = None,
    revoked_at: datetime | None = None,
) -> FamilyAccess:
    consent = FamilyAccess(
        client=client,
        family_user=family,
        relationship_label="Parent",
        expires_at=expires_at,
        revoked_at=revoked_at,
        **{f"scope_{scope}": True for scope in scopes},
    )
    db.session.add(consent)
    db.session.flush()
    return consent


def make_appointment(
    client: Client,
    staff: User,
    *,
    starts_at: datetime | None = None,
    minutes: int = 60,
    **overrides: Any,
) -> Appointment:
    """A scheduled office appointment, tomorrow at this time unless told otherwise."""
    start = starts_at or (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    fields: dict[str, Any] = {
        "client_id": client.id,
        "staff_id": staff.id,
        "starts_at": start,
        "ends_at": start + timedelta(minutes=minutes),
        "kind": "office",
        "status": "scheduled",
        "created_by_id": staff.id,
    }
    fields.update(overrides)
    appointment = Appointment(**fields)
    db.session.add(appointment)
    db.session.flush()
    return appointment


def make_appointment_request(client: Client, **overrides: Any) -> AppointmentRequest:
    """A pending request for a new office appointment, sent by the client's portal account."""
    first = (utcnow() + timedelta(days=3)).replace(second=0, microsecond=0)
    fields: dict[str, Any] = {
        "client_id": client.id,
        "requested_by_id": client.portal_user_id,
        "purpose": "new",
        "kind": "office",
        "reason": "I would like to talk about my housing application.",
        "preferred_1": first,
        "preferred_2": first + timedelta(hours=4),
        "status": "pending",
    }
    fields.update(overrides)
    request = AppointmentRequest(**fields)
    db.session.add(request)
    db.session.flush()
    return request
