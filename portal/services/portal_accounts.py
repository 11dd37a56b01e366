"""A client's portal account: invite by email, disable."""

from __future__ import annotations

import secrets

from flask import current_app

from ..extensions import db
from ..models import Client, Role, User
from . import audit, sessions, tokens, users
from .errors import DomainError


def invite(client: Client, email: str, *, actor: User, ip: str | None) -> tuple[User, str]:
    """Create or re-invite the portal account; returns it and a single-use set-password token."""
    user = client.portal_user
    if user is None:
        if users.find_by_email(email) is not None:
            raise DomainError("another account already uses this email")
        user = User(
            email=email,
            display_name=client.display_name,
            role=Role.CLIENT.value,
            locale=client.preferred_language,
            password_hash=users.hash_password(secrets.token_urlsafe(32)),
        )
        db.session.add(user)
        db.session.flush()
        client.portal_user = user
    elif user.email != email.strip().lower():
        if users.find_by_email(email) is not None:
            raise DomainError("another account already uses this email")
        user.email = email
    user.active = True
    days = int(current_app.config["INVITE_TOKEN_DAYS"])
    raw = tokens.issue(user, "invite", minutes=days * 24 * 60)
    audit.record(
        "portal_invite",
        actor=actor,
        ip=ip,
        object_type="user",
        object_id=user.id,
        client_id=client.id,
    )
    return user, raw


def disable(client: Client, *, actor: User, ip: str | None) -> None:
    """Turn the client's portal account off; open sessions end now."""
    user = client.portal_user
    if user is None or not user.active:
        return
    user.active = False
    sessions.end_all(user, "deactivated", ip=ip, actor=actor)
    audit.record(
        "portal_disable",
        actor=actor,
        ip=ip,
        object_type="user",
        object_id=user.id,
        client_id=client.id,
    )
