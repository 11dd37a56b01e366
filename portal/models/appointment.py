"""Appointments, the client's requests for them, reminders sent, and calendar feeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .client import Client
from .user import User

APPOINTMENT_KINDS = ("office", "home_visit", "telehealth", "phone", "group")
# "requested" lives in AppointmentRequest: a request has preferred times, not a time.
APPOINTMENT_STATUSES = ("scheduled", "attended", "no_show", "cancelled")
CANCELLED_BY = ("client", "staff")
REQUEST_PURPOSES = ("new", "reschedule")
# pending: waiting for the care team; proposed: the team offered another time and waits for
# the client; accepted: an appointment was made (or moved); declined: the team said no;
# withdrawn: the client changed their mind.
REQUEST_STATUSES = ("pending", "proposed", "accepted", "declined", "withdrawn")
OPEN_REQUEST_STATUSES = ("pending", "proposed")


class Appointment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "appointment"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('office', 'home_visit', 'telehealth', 'phone', 'group')", name="kind_known"
        ),
        CheckConstraint(
            "status IN ('scheduled', 'attended', 'no_show', 'cancelled')", name="status_known"
        ),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        # The calendar asks "this person's appointments in this window".
        Index("ix_appointment_staff_start", "staff_id", "starts_at"),
        # With the status, reports count a client's appointments in a period from the index.
        Index("ix_appointment_client_start_status", "client_id", "starts_at", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20), default="office")
    location: Mapped[str | None] = mapped_column(String(300))
    video_link: Mapped[str | None] = mapped_column(String(500))
    # Written for the client ("bring your benefits letter"); never clinical.
    client_note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="scheduled", index=True)
    # Why a double booking was accepted, when it was.
    overlap_reason: Mapped[str | None] = mapped_column(String(300))
    cancelled_by: Mapped[str | None] = mapped_column(String(10))
    outcome_reason: Mapped[str | None] = mapped_column(String(500))
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    outcome_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    follow_up_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship()
    staff: Mapped[User] = relationship(foreign_keys=[staff_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        """Scheduled and waiting for its outcome."""
        return self.status == "scheduled"

    def has_passed(self, now: datetime | None = None) -> bool:
        return self.starts_at <= (now or utcnow())

    def __repr__(self) -> str:
        return f"<Appointment {self.id} {self.status}>"


class AppointmentRequest(db.Model):  # type: ignore[name-defined,misc]
    """A client's request for a new appointment or to move one, and the team's answer."""

    __tablename__ = "appointment_request"
    __table_args__ = (
        CheckConstraint("purpose IN ('new', 'reschedule')", name="purpose_known"),
        CheckConstraint(
            "status IN ('pending', 'proposed', 'accepted', 'declined', 'withdrawn')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    purpose: Mapped[str] = mapped_column(String(12), default="new")
    # For a reschedule, the appointment to move; once accepted, the appointment made or moved.
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointment.id"))
    kind: Mapped[str] = mapped_column(String(20), default="office")
    reason: Mapped[str] = mapped_column(Text)
    preferred_1: Mapped[datetime] = mapped_column(UTCDateTime)
    preferred_2: Mapped[datetime | None] = mapped_column(UTCDateTime)
    preferred_3: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    proposed_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposed_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # The team's message with a proposal or a decline; the client's when they answer back.
    response_message: Mapped[str | None] = mapped_column(Text)
    client_message: Mapped[str | None] = mapped_column(Text)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship()
    appointment: Mapped[Appointment | None] = relationship()
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def preferred_times(self) -> list[datetime]:
        return [t for t in (self.preferred_1, self.preferred_2, self.preferred_3) if t]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES


class AppointmentReminder(db.Model):  # type: ignore[name-defined,misc]
    """A reminder sent: one per appointment, recipient and start time (a moved appointment is
    reminded again, at its new time)."""

    __tablename__ = "appointment_reminder"
    __table_args__ = (UniqueConstraint("appointment_id", "recipient", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointment.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    locale: Mapped[str] = mapped_column(String(10))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CalendarFeed(db.Model):  # type: ignore[name-defined,misc]
    """A private calendar subscription: the token in the URL is the credential, so only its
    hash is kept. A user has at most one feed in force; a new one revokes the old."""

    __tablename__ = "calendar_feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
