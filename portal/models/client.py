"""The person receiving services, who is on their care team, and who may see what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .user import User

CLIENT_STATUSES = ("referred", "intake", "active", "on_hold", "discharged")
FAMILY_SCOPES = ("materials", "appointments", "goals", "safety_plan")


class Client(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "client"
    __table_args__ = (
        CheckConstraint(
            "status IN ('referred', 'intake', 'active', 'on_hold', 'discharged')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    preferred_name: Mapped[str | None] = mapped_column(String(120))
    pronouns: Mapped[str | None] = mapped_column(String(40))
    preferred_language: Mapped[str] = mapped_column(String(10), default="en")
    status: Mapped[str] = mapped_column(String(20), default="referred")
    primary_case_manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The client's own portal account, when they have one.
    portal_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )

    primary_case_manager: Mapped[User | None] = relationship(foreign_keys=[primary_case_manager_id])
    portal_user: Mapped[User | None] = relationship(foreign_keys=[portal_user_id])
    care_team: Mapped[list[CareTeamMember]] = relationship(
        back_populates="client", cascade="all, delete-orphan"
    )

    @property
    def display_name(self) -> str:
        """The name the person asked to be called by."""
        return self.preferred_name or self.legal_name

    def __repr__(self) -> str:
        return f"<Client {self.id}>"


class CareTeamMember(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "care_team_member"
    __table_args__ = (UniqueConstraint("client_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    role_label: Mapped[str] = mapped_column(String(80))

    client: Mapped[Client] = relationship(back_populates="care_team")
    user: Mapped[User] = relationship()


class FamilyAccess(db.Model):  # type: ignore[name-defined,misc]
    """A client's consent that a family member may see some of their portal data."""

    __tablename__ = "family_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    family_user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    relationship_label: Mapped[str] = mapped_column(String(80))
    purpose: Mapped[str | None] = mapped_column(String(200))
    scope_materials: Mapped[bool] = mapped_column(default=False, server_default=false())
    scope_appointments: Mapped[bool] = mapped_column(default=False, server_default=false())
    scope_goals: Mapped[bool] = mapped_column(default=False, server_default=false())
    scope_safety_plan: Mapped[bool] = mapped_column(default=False, server_default=false())
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    client: Mapped[Client] = relationship()
    family_user: Mapped[User] = relationship(foreign_keys=[family_user_id])

    @property
    def scopes(self) -> frozenset[str]:
        """The scopes this consent names, whether or not it is still in force."""
        return frozenset(s for s in FAMILY_SCOPES if getattr(self, f"scope_{s}"))

    def is_in_force(self, at: datetime | None = None) -> bool:
        """Not revoked and not expired at the given moment (now by default)."""
        at = at or utcnow()
        if self.revoked_at is not None and self.revoked_at <= at:
            return False
        return self.expires_at is None or self.expires_at > at
