"""The person receiving services, who is on their care team, and who may see what."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, folded, utcnow
from .user import User

CLIENT_STATUSES = ("referred", "intake", "active", "on_hold", "discharged")
RISK_LEVELS = ("low", "moderate", "high")
FAMILY_SCOPES = ("materials", "appointments", "goals", "safety_plan")
# The lifecycle: which status may follow which. Discharged -> referred/intake is a re-admission.
STATUS_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "referred": ("intake", "discharged"),
    "intake": ("active", "discharged"),
    "active": ("on_hold", "discharged"),
    "on_hold": ("active", "discharged"),
    "discharged": ("referred", "intake"),
}


class Client(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "client"
    __table_args__ = (
        CheckConstraint(
            "status IN ('referred', 'intake', 'active', 'on_hold', 'discharged')",
            name="status_known",
        ),
        CheckConstraint("risk_level IN ('low', 'moderate', 'high')", name="risk_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Every edit bumps it; a form carries the version it was read at (conflict detection).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    record_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    preferred_name: Mapped[str | None] = mapped_column(String(120))
    pronouns: Mapped[str | None] = mapped_column(String(40))
    preferred_language: Mapped[str] = mapped_column(String(10), default="en")
    status: Mapped[str] = mapped_column(String(20), default="referred")
    date_of_birth: Mapped[date | None] = mapped_column(Date, index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    referral_source: Mapped[str | None] = mapped_column(String(200))
    presenting_needs: Mapped[str | None] = mapped_column(Text)
    risk_level: Mapped[str] = mapped_column(String(10), default="low", server_default="low")
    risk_reason: Mapped[str | None] = mapped_column(String(500))
    risk_set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    risk_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    primary_case_manager_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # The client's own portal account, when they have one.
    portal_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    # The names and record number folded (``folded``), for the caseload search: kept here on
    # every insert and update, so it is never behind the names.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The name shown, folded: what lists of clients sort by, so that "Ángela" comes before
    # "Bea" on SQLite (whose ``lower()`` folds ASCII only) as on PostgreSQL. Kept with it.
    sort_name: Mapped[str] = mapped_column(Text, default="", server_default="")

    primary_case_manager: Mapped[User | None] = relationship(foreign_keys=[primary_case_manager_id])
    portal_user: Mapped[User | None] = relationship(foreign_keys=[portal_user_id])
    care_team: Mapped[list[CareTeamMember]] = relationship(
        back_populates="client", cascade="all, delete-orphan"
    )
    risk_set_by: Mapped[User | None] = relationship(foreign_keys=[risk_set_by_id])
    emergency_contacts: Mapped[list[EmergencyContact]] = relationship(
        back_populates="client", order_by="EmergencyContact.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def display_name(self) -> str:
        """The name the person asked to be called by."""
        return self.preferred_name or self.legal_name

    def age(self, today: date) -> int | None:
        """Full years on the given day."""
        if self.date_of_birth is None:
            return None
        born = self.date_of_birth
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    def may_become(self, status: str) -> bool:
        return status in STATUS_TRANSITIONS[self.status]

    @staticmethod
    def search_text_of(
        legal_name: str | None, preferred_name: str | None, record_number: str | None
    ) -> str:
        """What the caseload search compares: one line for each of these."""
        return "\n".join(folded(part) for part in (legal_name, preferred_name, record_number))

    @staticmethod
    def sort_name_of(legal_name: str | None, preferred_name: str | None) -> str:
        """What lists of clients sort by: the name shown (``display_name``), folded."""
        return folded(preferred_name or legal_name)

    def __repr__(self) -> str:
        return f"<Client {self.id}>"


@event.listens_for(Client, "before_insert")
@event.listens_for(Client, "before_update")
def _keep_search_text(_mapper: object, _connection: object, client: Client) -> None:
    client.search_text = Client.search_text_of(
        client.legal_name, client.preferred_name, client.record_number
    )
    client.sort_name = Client.sort_name_of(client.legal_name, client.preferred_name)


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


class EmergencyContact(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "emergency_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    name: Mapped[str] = mapped_column(String(200))
    relationship_label: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(40))
    notes: Mapped[str | None] = mapped_column(String(300))

    client: Mapped[Client] = relationship(back_populates="emergency_contacts")

    __mapper_args__ = {"version_id_col": version}


class Episode(db.Model):  # type: ignore[name-defined,misc]
    """One admission: from intake to discharge; a re-admission opens a new one."""

    __tablename__ = "episode"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    admitted_on: Mapped[date] = mapped_column(Date)
    discharged_on: Mapped[date | None] = mapped_column(Date)
    discharge_reason: Mapped[str | None] = mapped_column(String(300))
    aftercare_followups: Mapped[str | None] = mapped_column(Text)
    aftercare_resources: Mapped[str | None] = mapped_column(Text)
    aftercare_crisis_contact: Mapped[str | None] = mapped_column(String(300))

    @property
    def is_open(self) -> bool:
        return self.discharged_on is None


class StatusChange(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "status_change"
    __table_args__ = (Index("ix_status_change_client_effective", "client_id", "effective_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(500))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    changed_by: Mapped[User | None] = relationship()


class RiskChange(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "risk_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(500))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    set_by: Mapped[User | None] = relationship()


class EmergencyAccess(db.Model):  # type: ignore[name-defined,misc]
    """ "Break the glass": time-limited access to a record outside one's care teams."""

    __tablename__ = "emergency_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    client: Mapped[Client] = relationship()
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


TASK_KINDS = ("disability", "insurance", "housing", "release", "follow_up", "other")


class Task(db.Model):  # type: ignore[name-defined,misc]
    """A follow-up or piece of paperwork (an SSI application, a Medicaid renewal, a release
    of information), on a client or general, with a checklist."""

    __tablename__ = "task"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'done', 'cancelled')", name="status_known"),
        CheckConstraint(
            "kind IN ('disability', 'insurance', 'housing', 'release', 'follow_up', 'other')",
            name="kind_known",
        ),
        Index("ix_task_client_status_due", "client_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    client_id: Mapped[int | None] = mapped_column(ForeignKey("client.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="follow_up", server_default="follow_up")
    notes: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    items: Mapped[list[TaskItem]] = relationship(
        back_populates="task",
        order_by="TaskItem.position, TaskItem.id",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": version}

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.due_on is not None and self.due_on < today


class TaskItem(db.Model):  # type: ignore[name-defined,misc]
    """One step of a task's checklist ("birth certificate copied", "form SSA-3368 sent")."""

    __tablename__ = "task_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    done: Mapped[bool] = mapped_column(default=False, server_default=false())
    position: Mapped[int] = mapped_column(default=0)

    task: Mapped[Task] = relationship(back_populates="items")
