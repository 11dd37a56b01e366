"""Secure messages between a client (or a family member) and the care team.

Anyone on the team may answer, so nothing waits for one person's return. A thread whose
newest message came from outside the team waits for an answer (``awaiting_team``); one
that has waited longer than ``MESSAGE_ANSWER_HOURS`` working hours is raised to the
supervisor. Emails only say that a message is waiting, never what it says.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import force_locale
from ..models import (
    STAFF_ROLES,
    Client,
    FamilyAccess,
    Message,
    MessageThread,
    Role,
    ThreadRead,
    User,
    utcnow,
)
from . import audit
from .errors import DomainError
from .mail import send_message

log = logging.getLogger(__name__)
WORKDAY_START = time(9)
WORKDAY_END = time(17)


def _clean_body(body: str) -> str:
    text = (body or "").strip()
    if not text:
        raise DomainError("a message needs words")
    return text[:5000]


def start_thread(
    client: Client,
    *,
    subject: str,
    body: str,
    actor: User,
    ip: str | None,
) -> MessageThread:
    """A new conversation about this client: started by the client, a family member (a
    family thread, which the client does not see) or someone on the team."""
    subject = (subject or "").strip()[:200]
    if not subject:
        raise DomainError("a conversation needs a subject")
    text = _clean_body(body)
    kind = "family" if actor.role == Role.FAMILY else "client"
    now = utcnow()
    thread = MessageThread(
        client_id=client.id,
        kind=kind,
        family_user_id=actor.id if kind == "family" else None,
        subject=subject,
        created_by_id=actor.id,
        created_at=now,
        last_message_at=now,
        awaiting_team=actor.role not in STAFF_ROLES,
    )
    db.session.add(thread)
    db.session.flush()
    _add(thread, text, actor=actor, ip=ip, now=now)
    return thread


def reply(thread: MessageThread, *, body: str, actor: User, ip: str | None) -> Message:
    """Add to a conversation; a message from the team answers it, one from outside waits."""
    return _add(thread, _clean_body(body), actor=actor, ip=ip, now=utcnow())


def _add(
    thread: MessageThread, text: str, *, actor: User, ip: str | None, now: datetime
) -> Message:
    from_team = actor.role in STAFF_ROLES
    message = Message(
        thread_id=thread.id, author_id=actor.id, from_team=from_team, body=text, created_at=now
    )
    db.session.add(message)
    thread.last_message_at = now
    thread.awaiting_team = not from_team
    db.session.flush()
    mark_read(thread, actor, at=now)
    audit.record(
        "create",
        actor=actor,
        ip=ip,
        object_type="message",
        object_id=message.id,
        client_id=thread.client_id,
        detail=f"thread {thread.id} {'team' if from_team else thread.kind}",
    )
    return message


def mark_read(thread: MessageThread, user: User, *, at: datetime | None = None) -> None:
    """Everything in the thread up to now is read by this person."""
    at = at or utcnow()
    row = db.session.scalar(
        select(ThreadRead).where(ThreadRead.thread_id == thread.id, ThreadRead.user_id == user.id)
    )
    if row is None:
        db.session.add(ThreadRead(thread_id=thread.id, user_id=user.id, read_at=at))
    elif row.read_at < at:
        row.read_at = at
    db.session.flush()


def _unread_condition(user_id: int) -> Any:
    """SQL: the thread has a message newer than this person's last read."""
    return ~exists().where(
        ThreadRead.thread_id == MessageThread.id,
        ThreadRead.user_id == user_id,
        ThreadRead.read_at >= MessageThread.last_message_at,
    )


def client_threads(client: Client, user: User) -> list[tuple[MessageThread, bool]]:
    """The client's conversations with the team (newest first) and whether each is unread."""
    rows = db.session.execute(
        select(MessageThread, _unread_condition(user.id))
        .where(MessageThread.client_id == client.id, MessageThread.kind == "client")
        .order_by(MessageThread.last_message_at.desc())
    ).all()
    return [(thread, bool(unread)) for thread, unread in rows]


def family_threads(user: User) -> list[tuple[MessageThread, bool]]:
    """A family member's own notes to care teams and the answers."""
    rows = db.session.execute(
        select(MessageThread, _unread_condition(user.id))
        .options(selectinload(MessageThread.client))
        .where(MessageThread.kind == "family", MessageThread.family_user_id == user.id)
        .order_by(MessageThread.last_message_at.desc())
    ).all()
    return [(thread, bool(unread)) for thread, unread in rows]


def family_can_write_about(user: User) -> Sequence[Client]:
    """Anyone who ever named this family member may hear from them through the team, even
    with nothing shared now: telling the team something opens nothing in return."""
    return db.session.scalars(
        select(Client)
        .where(
            exists().where(
                FamilyAccess.client_id == Client.id, FamilyAccess.family_user_id == user.id
            )
        )
        .order_by(Client.id)
    ).all()


def record_threads(client: Client, user: User) -> list[tuple[MessageThread, bool]]:
    """Every conversation about the client, the family's included, for the team."""
    rows = db.session.execute(
        select(MessageThread, _unread_condition(user.id))
        .options(selectinload(MessageThread.family_user))
        .where(MessageThread.client_id == client.id)
        .order_by(MessageThread.awaiting_team.desc(), MessageThread.last_message_at.desc())
    ).all()
    return [(thread, bool(unread)) for thread, unread in rows]


def inbox(
    user: User, client_ids: Any, *, waiting_only: bool = False, limit: int = 50
) -> list[tuple[MessageThread, bool]]:
    """Conversations of the clients the person works with: waiting for the team first."""
    query = (
        select(MessageThread, _unread_condition(user.id))
        .options(selectinload(MessageThread.client), selectinload(MessageThread.family_user))
        .where(MessageThread.client_id.in_(client_ids))
        .order_by(MessageThread.awaiting_team.desc(), MessageThread.last_message_at.desc())
        .limit(limit)
    )
    if waiting_only:
        query = query.where(MessageThread.awaiting_team.is_(True))
    return [(thread, bool(unread)) for thread, unread in db.session.execute(query).all()]


def unread_count_query(user: User, client_ids: Any, *, kind: str | None = None) -> Select[Any]:
    """The count of conversations with something this person has not read, as a statement
    (a page adds it to its other counts as a scalar subquery)."""
    query = (
        select(func.count())
        .select_from(MessageThread)
        .where(MessageThread.client_id.in_(client_ids), _unread_condition(user.id))
    )
    if kind is not None:
        query = query.where(MessageThread.kind == kind)
    if user.role == Role.FAMILY:
        query = query.where(MessageThread.family_user_id == user.id)
    return query


def unread_count(user: User, client_ids: Any, *, kind: str | None = None) -> int:
    """Conversations with something this person has not read."""
    return int(db.session.scalar(unread_count_query(user, client_ids, kind=kind)) or 0)


def working_hours_before(moment: datetime, hours: float, zone: ZoneInfo) -> datetime:
    """The instant ``hours`` working hours (Monday to Friday, 9 to 17 in the agency's zone)
    before ``moment``: a message sent on Friday afternoon is not late on Saturday."""
    left = timedelta(hours=hours)
    local = moment.astimezone(zone)
    while True:
        day_start = datetime.combine(local.date(), WORKDAY_START, zone)
        day_end = datetime.combine(local.date(), WORKDAY_END, zone)
        if local.weekday() < 5 and local > day_start:
            available = min(local, day_end) - day_start
            if available >= left:
                return min(local, day_end) - left
            left -= available
        previous = local.date() - timedelta(days=1)
        local = datetime.combine(previous, WORKDAY_END, zone)


def late_since(now: datetime, zone: ZoneInfo) -> datetime:
    """A conversation waiting for the team since before this moment is late: it has waited
    longer than ``MESSAGE_ANSWER_HOURS`` working hours."""
    return working_hours_before(now, float(current_app.config["MESSAGE_ANSWER_HOURS"]), zone)


def overdue(
    client_ids: Any, *, now: datetime, zone: ZoneInfo, limit: int = 20
) -> list[MessageThread]:
    """Conversations waiting for the team longer than ``MESSAGE_ANSWER_HOURS`` working hours,
    oldest first."""
    hours = float(current_app.config["MESSAGE_ANSWER_HOURS"])
    cutoff = working_hours_before(now, hours, zone)
    return list(
        db.session.scalars(
            select(MessageThread)
            .options(selectinload(MessageThread.client))
            .where(
                MessageThread.client_id.in_(client_ids),
                MessageThread.awaiting_team.is_(True),
                MessageThread.last_message_at < cutoff,
            )
            .order_by(MessageThread.last_message_at)
            .limit(limit)
        )
    )


def load_messages(thread: MessageThread) -> list[Message]:
    return list(
        db.session.scalars(
            select(Message)
            .options(selectinload(Message.author))
            .where(Message.thread_id == thread.id)
            .order_by(Message.created_at, Message.id)
        )
    )


# --- emails ----------------------------------------------------------------------------------


def _language(user: User, fallback: str | None = None) -> str:
    languages = current_app.config["LANGUAGES"]
    for code in (user.locale, fallback):
        if code in languages:
            return str(code)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _send(user: User, subject: str, body: str, link: str) -> bool:
    if not user.active or not user.notify_messages:
        return False
    try:
        send_message(user.email, subject=subject, body=body, link=link)
    except (smtplib.SMTPException, OSError):
        log.exception("could not send a new-message email")
        return False
    return True


def notify_new_message(thread: MessageThread, message: Message, *, link_for: Any) -> int:
    """Tell the other side that a message is waiting: the client (or the family member) when
    the team writes, the case manager when the client or family writes. No content."""
    client = thread.client
    sent = 0
    if message.from_team:
        recipient = thread.family_user if thread.kind == "family" else client.portal_user
        if recipient is not None:
            with force_locale(_language(recipient, client.preferred_language)):
                subject = _("You have a new message in Waypoint")
                body = _(
                    "Hello,\n\nYour care team sent you a message.\n\n"
                    "Sign in to read it: %(link)s\n\n"
                    "For your privacy, this email does not contain the message.",
                    link=link_for(recipient),
                )
            sent += _send(recipient, subject, body, link_for(recipient))
        return sent
    manager = client.primary_case_manager
    if manager is not None:
        with force_locale(_language(manager)):
            subject = _("A new message is waiting in Waypoint")
            body = _(
                "A message is waiting for the care team.\n\n"
                "Open Waypoint to read and answer it: %(link)s\n\n"
                "For privacy, this email carries no details.",
                link=link_for(manager),
            )
        sent += _send(manager, subject, body, link_for(manager))
    return sent
