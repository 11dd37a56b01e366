"""Crisis events and safety plans.

A safety plan is a series of versions; each save is a new, complete version (who, when,
staff or client), so a plan is never edited in place and any two versions can be compared.
Items carry a key that stays the same from version to version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .client import Client
from .user import User

CRISIS_ACTIONS = (
    "safety_planning",
    "mobile_crisis",
    "called_988",
    "emergency_department",
    "welfare_check",
    "other",
)
CRISIS_OUTCOMES = (
    "safe_at_home",
    "stayed_with_support",
    "emergency_department",
    "hospital_admission",
    "other",
)
# The sections of a safety plan, in the order the client works through them.
SAFETY_SECTIONS = (
    "warning_signs",
    "coping",
    "distraction",
    "help_people",
    "professionals",
    "safe_environment",
    "reasons",
)
# Sections whose items are people or services with a phone number.
PHONE_SECTIONS = ("distraction", "help_people", "professionals")


class CrisisEvent(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "crisis_event"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'resolved')", name="status_known"),
        CheckConstraint("risk_level IN ('low', 'moderate', 'high')", name="risk_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    what_happened: Mapped[str] = mapped_column(Text)
    risk_level: Mapped[str] = mapped_column(String(10))
    risk_notes: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    actions_other: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(30))
    outcome_notes: Mapped[str | None] = mapped_column(Text)
    follow_up_due: Mapped[date | None] = mapped_column(Date)
    follow_up_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)

    client: Mapped[Client] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class SafetyPlanVersion(db.Model):  # type: ignore[name-defined,misc]
    """One saved state of a client's safety plan: every section's items, in order."""

    __tablename__ = "safety_plan_version"
    __table_args__ = (
        UniqueConstraint("client_id", "number", name="uq_safety_plan_version_client_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    number: Mapped[int] = mapped_column()
    # {section: [{"key": ..., "text": ..., "phone": ..., "by_client": bool}, ...]}
    sections: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Sections the client may add to from the portal (staff choose).
    client_sections: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Keys of up to three items the client pinned for the help screen.
    pinned: Mapped[list[str]] = mapped_column(JSON, default=list)
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_client: Mapped[bool] = mapped_column(default=False)
    change: Mapped[str | None] = mapped_column(String(200))

    saved_by: Mapped[User] = relationship()

    def items(self, section: str) -> list[dict[str, Any]]:
        return list((self.sections or {}).get(section, []))
