"""Demo documentation: months of notes in every format and contact type (some drafts, some
waiting for a co-signature), paperwork tasks of every kind, two small PDF documents and a
team meeting. Dates count back from the agency's today. Loaded once, like the rest."""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from pypdf import PdfWriter
from sqlalchemy import select

from ..extensions import db
from ..i18n import agency_today, agency_zone
from ..models import (
    CONTACT_TYPES,
    NOTE_FORMATS,
    TASK_KINDS,
    Client,
    Document,
    ProgressNote,
    Task,
    TaskItem,
    TeamMeeting,
    User,
)
from . import documents, notes

SECTIONS = {
    "data": "Met with {name}. They described the week, sleep about six hours, kept the "
    "appointment with the housing office.",
    "assessment": "Mood steadier than last visit; no safety concerns voiced. Progress on the "
    "housing goal is slow but real.",
    "plan": "Call the housing program on Friday; next visit in two weeks.",
    "subjective": "“I'm getting there,” {name} said; worried about the rent.",
    "objective": "On time, dressed for the weather, calm, good eye contact.",
    "behavior": "{name} arrived early and talked openly about the job search.",
    "intervention": "Practised a short phone script for calling employers; reviewed the budget.",
    "response": "Made one call during the visit and planned two more.",
    "narrative": "Checked in with {name} about the week. Talked through the medication "
    "schedule and the bus pass. No concerns about safety. Next contact next week.",
}
TASKS = (
    (
        "disability",
        "SSI application",
        (
            "Birth certificate copied",
            "Medical records requested",
            "Form SSA-3368 completed",
            "Application mailed",
        ),
    ),
    ("insurance", "Renew Medicaid", ("Proof of income gathered", "Renewal form sent")),
    ("housing", "Supportive-housing application", ("Application filled in", "References")),
    ("release", "Release of information for the primary care clinic", ("Signed by the client",)),
    ("follow_up", "Call about the food bank hours", ()),
    ("other", "Replace the lost ID card", ("Appointment at the DMV",)),
)


def _moment(days_ago: int, hour: int = 10) -> datetime:
    day = agency_today() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, 0), agency_zone()).astimezone(UTC)


def _note(client: Client, author: User, n: int, *, days_ago: int, signed: bool) -> ProgressNote:
    contact_type = CONTACT_TYPES[n % len(CONTACT_TYPES)]
    if contact_type == "team_meeting":
        contact_type = "office"
    fmt = tuple(NOTE_FORMATS)[n % len(NOTE_FORMATS)]
    name = client.display_name.split()[0]
    contact_at = _moment(days_ago, 9 + n % 7)
    note = ProgressNote(
        client_id=client.id,
        author_id=author.id,
        status="draft",
        contact_at=contact_at,
        duration_minutes=(30, 45, 60, 20)[n % 4],
        contact_type=contact_type,
        format=fmt,
        sections={s: SECTIONS[s].format(name=name) for s in NOTE_FORMATS[fmt]},
        location="The client's apartment" if contact_type == "home_visit" else None,
        mileage=(8.5 + n % 5) if contact_type == "home_visit" else None,
        goal_keys=[],
        created_at=_moment(days_ago, 17),
        updated_at=_moment(days_ago, 17),
    )
    note.search_text = notes.index_text(note)
    if signed:
        note.status = "signed"
        # One in five is signed late, as happens after a week of crises.
        late = n % 5 == 4
        note.signed_at = contact_at + timedelta(days=4 if late else 0, hours=6)
        note.late_entry = late
        note.needs_cosign = author.requires_cosign
        note.content_hash = notes.content_hash(note)
    return note


def _pdf(title: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    writer.add_metadata({"/Title": title, "/Author": "Waypoint demo (fictional)"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _document(client: Client, author: User, title: str, kind: str) -> Document:
    data = _pdf(title)
    storage_name = f"{client.id}/{secrets.token_hex(16)}.pdf"
    target = documents.folder() / storage_name
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    target.write_bytes(data)
    return Document(
        client_id=client.id,
        kind=kind,
        description=f"{title} (demo, fictional)",
        original_name=f"{title.lower().replace(' ', '-')}.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        storage_name=storage_name,
        uploaded_by_id=author.id,
        uploaded_at=_moment(20),
    )


def load_demo_notes() -> int:
    """Notes, tasks, documents and a meeting for the demo (skipped if any note exists)."""
    if db.session.scalar(select(ProgressNote.id).limit(1)) is not None:
        return 0
    created = 0
    clients = db.session.scalars(
        select(Client).where(Client.primary_case_manager_id.is_not(None)).order_by(Client.id)
    ).all()
    today = agency_today()
    for index, client in enumerate(clients):
        author = client.primary_case_manager
        assert author is not None  # noqa: S101 - filtered above
        count = 8 if index < 3 else (3 if index % 2 else 0)
        for n in range(count):
            days_ago = 120 - n * (110 // max(count, 1))
            db.session.add(_note(client, author, n + index, days_ago=days_ago, signed=True))
            created += 1
        if index < 3 or index % 4 == 0:
            # A draft from yesterday, still to finish.
            db.session.add(_note(client, author, index, days_ago=1, signed=False))
            created += 1
        if index < 6:
            kind, title, steps = TASKS[index % len(TASKS)]
            due = today + timedelta(days=(-6, 10, -2, 21, 3, -12)[index])
            task = Task(
                client_id=client.id,
                title=title,
                kind=kind,
                due_on=due,
                assignee_id=author.id,
                created_by_id=author.id,
            )
            task.items = [
                TaskItem(text=step, position=p, done=p < len(steps) // 2)
                for p, step in enumerate(steps)
            ]
            db.session.add(task)
            created += 1
    assert {k for k, _t, _s in TASKS} == set(TASK_KINDS)  # noqa: S101 - every kind shown
    alex = db.session.scalar(select(Client).where(Client.legal_name == "Alexander Example"))
    if alex is not None and alex.primary_case_manager is not None:
        cm = alex.primary_case_manager
        for title, kind in (("Release of information", "release"), ("Benefits letter", "benefits")):
            db.session.add(_document(alex, cm, title, kind))
            created += 1
        meeting = TeamMeeting(
            held_at=_moment(7, 14),
            title="Weekly team meeting",
            attendee_ids=sorted(
                {cm.id, *(m.user_id for m in alex.care_team), cm.supervisor_id or cm.id}
            ),
            decisions="Move the housing review forward; the psychiatrist sees Alex next week.",
            created_by_id=cm.id,
        )
        db.session.add(meeting)
        db.session.flush()
        part = _note(alex, cm, 3, days_ago=7, signed=False)
        part.contact_type, part.format, part.meeting_id = "team_meeting", "narrative", meeting.id
        part.sections = {"narrative": "Team agreed to ask the housing program for an update."}
        part.search_text = notes.index_text(part)
        part.status, part.signed_at = "signed", meeting.held_at + timedelta(hours=2)
        part.content_hash = notes.content_hash(part)
        db.session.add(part)
        created += 2
    current_app.logger.debug("demo documentation: %s records", created)
    return created
