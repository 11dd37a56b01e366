"""Progress notes: drafts that autosave, signed notes that never change, and their addenda.

A signed note is frozen by the service and, underneath it, by database triggers that
refuse an UPDATE or DELETE of a signed row (migration 0006). A co-signature and an
addendum are rows of their own, so signing is the last write a note's row ever takes.

The notes still waiting for a co-signature are a small table of their own, kept by the
database (migration 0022): signing a note that needs one adds its row, co-signing removes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .client import Client
from .user import User

CONTACT_TYPES = (
    "office",
    "phone",
    "video",
    "home_visit",
    "collateral",
    "team_meeting",
    "crisis",
)
# Each format and its sections, in the order the writer fills them in.
NOTE_FORMATS: dict[str, tuple[str, ...]] = {
    "dap": ("data", "assessment", "plan"),
    "soap": ("subjective", "objective", "assessment", "plan"),
    "birp": ("behavior", "intervention", "response", "plan"),
    "narrative": ("narrative",),
}
# Signed this long after the contact, a note is a late entry.
LATE_ENTRY_HOURS = 72


class ProgressNote(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "progress_note"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'signed')", name="status_known"),
        CheckConstraint(
            "contact_type IN ('office', 'phone', 'video', 'home_visit', 'collateral', "
            "'team_meeting', 'crisis')",
            name="contact_type_known",
        ),
        CheckConstraint("format IN ('dap', 'soap', 'birp', 'narrative')", name="format_known"),
        # A client's notes by date; reports count contacts and home visits from the index alone.
        Index(
            "ix_progress_note_client_contact",
            "client_id",
            "contact_at",
            "status",
            "contact_type",
            "mileage",
        ),
        # A client's drafts, or signed notes that wanted a co-signature.
        Index("ix_progress_note_client_status_cosign", "client_id", "status", "needs_cosign"),
        # An author's drafts and signed notes: the dashboard's "notes to finish".
        Index(
            "ix_progress_note_author_status_cosign",
            "author_id",
            "status",
            "needs_cosign",
            "client_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    status: Mapped[str] = mapped_column(String(10), default="draft", server_default="draft")
    contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    duration_minutes: Mapped[int | None] = mapped_column()
    contact_type: Mapped[str] = mapped_column(String(20), default="office")
    format: Mapped[str] = mapped_column(String(12), default="dap")
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    location: Mapped[str | None] = mapped_column(String(300))
    mileage: Mapped[float | None] = mapped_column(Numeric(7, 1, asdecimal=False))
    # Keys of the goals of the plan in force that this contact worked on.
    goal_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Lower-case, accent-free words of the note, so search matches alike on every database.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    late_entry: Mapped[bool] = mapped_column(default=False)
    needs_cosign: Mapped[bool] = mapped_column(default=False)
    # Set when a meeting wrote this note: the part of the meeting about this client.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("team_meeting.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    client: Mapped[Client] = relationship()
    addenda: Mapped[list[NoteAddendum]] = relationship(
        back_populates="note", order_by="NoteAddendum.id"
    )
    cosignature: Mapped[NoteCosignature | None] = relationship(back_populates="note")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_signed(self) -> bool:
        return self.status == "signed"

    @property
    def section_names(self) -> tuple[str, ...]:
        return NOTE_FORMATS.get(self.format, ("narrative",))

    @property
    def awaiting_cosign(self) -> bool:
        return self.is_signed and self.needs_cosign and self.cosignature is None


class NoteAddendum(db.Model):  # type: ignore[name-defined,misc]
    """A correction or addition to a signed note, with its own author and time."""

    __tablename__ = "note_addendum"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("progress_note.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))

    note: Mapped[ProgressNote] = relationship(back_populates="addenda")
    author: Mapped[User] = relationship()


class NoteCosignature(db.Model):  # type: ignore[name-defined,misc]
    """A supervisor's co-signature of a signed note."""

    __tablename__ = "note_cosignature"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("progress_note.id"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    note: Mapped[ProgressNote] = relationship(back_populates="cosignature")
    user: Mapped[User] = relationship()


class NoteCosignWait(db.Model):  # type: ignore[name-defined,misc]
    """A signed note waiting for its co-signature: the supervisor's queue.

    Written only by the database (migration 0022): a trigger adds the row when a note that
    needs a co-signature is signed, or inserted signed, and another removes it when the
    co-signature is written. So every writer keeps it, the generator's bulk loads included,
    and the queue reads the few notes that wait instead of the team's co-signed history.
    The author and client are the signed note's, which never change.
    """

    __tablename__ = "note_cosign_wait"
    __table_args__ = (Index("ix_note_cosign_wait_author_client", "author_id", "client_id"),)

    note_id: Mapped[int] = mapped_column(ForeignKey("progress_note.id"), primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))


class TeamMeeting(db.Model):  # type: ignore[name-defined,misc]
    """An interdisciplinary team meeting: who came, what was decided, which clients."""

    __tablename__ = "team_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    title: Mapped[str] = mapped_column(String(200))
    attendee_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    decisions: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User] = relationship()
