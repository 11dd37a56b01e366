"""Team meetings: the meeting once, and in each discussed client's record the part about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Client, ProgressNote, TeamMeeting, User
from . import audit, notes, tasks
from .errors import DomainError


@dataclass
class Discussion:
    client: Client
    text: str


@dataclass
class FollowUp:
    title: str
    client: Client | None
    assignee: User | None
    due_on: date | None


def record_meeting(
    *,
    held_at: datetime,
    duration_minutes: int,
    title: str,
    attendees: list[User],
    decisions: str | None,
    discussions: list[Discussion],
    follow_ups: list[FollowUp],
    password: str,
    actor: User,
    ip: str | None,
) -> TeamMeeting:
    """Record the meeting; each client discussed gets a signed team-meeting note with the part
    about them, and each follow-up becomes a task. The password signs those notes."""
    if not (title or "").strip():
        raise DomainError("a meeting needs a title")
    if not discussions:
        raise DomainError("a meeting record names at least one client discussed")
    notes.check_password(actor, password, ip=ip)
    meeting = TeamMeeting(
        held_at=held_at,
        title=title.strip(),
        attendee_ids=sorted({u.id for u in attendees} | {actor.id}),
        decisions=(decisions or "").strip() or None,
        created_by_id=actor.id,
    )
    db.session.add(meeting)
    db.session.flush()
    for discussion in discussions:
        note = notes.create_draft(
            discussion.client,
            {
                "contact_type": "team_meeting",
                "format": "narrative",
                "contact_at": held_at,
                "duration_minutes": duration_minutes,
                "sections": {"narrative": discussion.text},
            },
            actor=actor,
            ip=ip,
        )
        note.meeting_id = meeting.id
        notes.seal(note, actor=actor, ip=ip)
        audit.record(
            "create",
            actor=actor,
            ip=ip,
            object_type="team_meeting",
            object_id=meeting.id,
            client_id=discussion.client.id,
            detail=f"note {note.id}",
        )
    for follow_up in follow_ups:
        tasks.create_task(
            title=follow_up.title,
            client=follow_up.client,
            due_on=follow_up.due_on,
            assignee=follow_up.assignee or actor,
            actor=actor,
            ip=ip,
        )
    return meeting


def notes_of(meeting: TeamMeeting) -> list[ProgressNote]:
    """The notes the meeting wrote into the records, one per client discussed."""
    return list(
        db.session.scalars(
            select(ProgressNote)
            .options(selectinload(ProgressNote.client))
            .where(ProgressNote.meeting_id == meeting.id)
            .order_by(ProgressNote.id)
        )
    )
