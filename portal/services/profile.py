"""What a person changes about themselves: a client's contact details (their case manager
hears of it) and everyone's language and email choices."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

from ..i18n import force_locale
from ..models import Client, User
from . import audit, tasks, users


def update_contact(
    client: Client,
    *,
    phone: str | None,
    email: str | None,
    actor: User,
    ip: str | None,
    today: date,
) -> bool:
    """The client's own phone and email on their record; the case manager gets a task to
    check them. Whether anything changed."""
    phone = (phone or "").strip() or None
    email = (email or "").strip().lower() or None
    changed = [
        name
        for name, before, after in (("phone", client.phone, phone), ("email", client.email, email))
        if (before or None) != after
    ]
    if not changed:
        return False
    client.phone = phone
    client.email = email
    audit.record(
        "update",
        actor=actor,
        ip=ip,
        object_type="client",
        object_id=client.id,
        client_id=client.id,
        detail="contact by client: " + ",".join(changed),
    )
    manager = client.primary_case_manager
    if manager is not None:
        with force_locale(manager.locale or "en"):
            title = _("The client changed their contact details in the portal")
        tasks.create_task(
            title=title,
            kind="other",
            client=client,
            due_on=today,
            assignee=manager,
            actor=actor,
            ip=ip,
        )
    return True


def update_preferences(
    user: User,
    *,
    locale: str | None,
    notify_messages: bool,
    notify_reminders: bool,
    ip: str | None,
) -> None:
    """Language (used at once, and for every email) and which emails the person wants."""
    if locale:
        users.set_locale(user, locale, ip=ip)
    if (user.notify_messages, user.notify_reminders) != (notify_messages, notify_reminders):
        user.notify_messages = notify_messages
        user.notify_reminders = notify_reminders
        audit.record(
            "update",
            actor=user,
            ip=ip,
            object_type="user",
            object_id=user.id,
            detail=f"notifications messages={notify_messages} reminders={notify_reminders}",
        )
