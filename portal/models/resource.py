"""The community resource directory and the referrals that connect clients to it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from .base import UTCDateTime, folded, utcnow
from .client import Client
from .user import User

RESOURCE_CATEGORIES = (
    "housing",
    "employment",
    "education",
    "food",
    "benefits",
    "legal",
    "substance_use",
    "support_group",
    "therapy",
    "psychiatry",
    "primary_care",
    "crisis",
    "transportation",
)
REFERRAL_STATUSES = ("proposed", "sent", "accepted", "completed", "declined", "cancelled")
# The closed loop: which status may follow which.
REFERRAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "proposed": ("sent", "cancelled"),
    "sent": ("accepted", "declined", "cancelled"),
    "accepted": ("completed", "cancelled"),
    "completed": (),
    "declined": (),
    "cancelled": (),
}
OPEN_REFERRAL_STATUSES = ("proposed", "sent", "accepted")


class Resource(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "resource"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    name: Mapped[str] = mapped_column(String(200))
    # The name folded (``folded``), set with it: what the directory sorts by, so that
    # "Ámbar House" is among the A's on SQLite (whose ``lower()`` folds ASCII only) as on
    # PostgreSQL.
    sort_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    category: Mapped[str] = mapped_column(String(30), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    website: Mapped[str | None] = mapped_column(String(300))
    hours: Mapped[str | None] = mapped_column(String(300))
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    eligibility: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[str | None] = mapped_column(String(200))
    walk_ins: Mapped[bool] = mapped_column(default=False, server_default=false())
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    last_verified_on: Mapped[date | None] = mapped_column(Date)
    # Lower-case, accent-free words of name, description and category, for search.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __mapper_args__ = {"version_id_col": version}

    @validates("name")
    def _keep_sort_name(self, _key: str, value: str) -> str:
        self.sort_name = folded(value)
        return value


class Referral(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "referral"
    __table_args__ = (
        CheckConstraint(
            "status IN ('proposed', 'sent', 'accepted', 'completed', 'declined', 'cancelled')",
            name="status_known",
        ),
        Index("ix_referral_client_created", "client_id", "created_at", "status", "resource_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    goal_key: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    follow_up_on: Mapped[date | None] = mapped_column(Date, index=True)
    follow_up_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    outcome: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship()
    resource: Mapped[Resource] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFERRAL_STATUSES


class ReferralEvent(db.Model):  # type: ignore[name-defined,misc]
    """One step of a referral: from, to, when, who, why."""

    __tablename__ = "referral_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referral.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str | None] = mapped_column(Text)

    referral: Mapped[Referral] = relationship(back_populates="events")
    by: Mapped[User] = relationship()


class SavedResource(db.Model):  # type: ignore[name-defined,misc]
    """A resource a client keeps in "my resources"."""

    __tablename__ = "saved_resource"
    __table_args__ = (UniqueConstraint("client_id", "resource_id", name="uq_saved_resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resource.id"))
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    resource: Mapped[Resource] = relationship()
