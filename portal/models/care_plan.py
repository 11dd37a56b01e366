"""Care plans: numbered versions of goals, objectives and interventions, and goal progress.

A version is a draft until it is signed; a signed version is frozen for good and a
change starts the next draft, copied from it. Goals, objectives and interventions
carry a ``key`` that stays the same from one version to the next, so that versions
can be compared and progress recorded against a goal follows it into later versions.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .user import User

PLAN_STATUSES = ("draft", "awaiting_approval", "active", "superseded")
GOAL_STATUSES = ("not_started", "in_progress", "achieved", "discontinued")
# Life domains a goal belongs to: the psychosocial assessment's areas, plus mental health.
LIFE_DOMAINS = (
    "mental_health",
    "housing",
    "employment",
    "education",
    "income",
    "physical_health",
    "substance_use",
    "legal",
    "social_support",
    "transportation",
    "daily_living",
)


def new_key() -> str:
    return uuid.uuid4().hex


class CarePlan(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "care_plan"
    __table_args__ = (
        UniqueConstraint("client_id", "number", name="uq_care_plan_client_number"),
        CheckConstraint(
            "status IN ('draft', 'awaiting_approval', 'active', 'superseded')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Every change to a draft's content bumps it, so signing and editing cannot cross.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    based_on_id: Mapped[int | None] = mapped_column(ForeignKey("care_plan.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    review_task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    goals: Mapped[list[Goal]] = relationship(
        back_populates="plan", order_by="Goal.position, Goal.id", cascade="all, delete-orphan"
    )
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    signed_by: Mapped[User | None] = relationship(foreign_keys=[signed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def in_force(self) -> bool:
        """Signed and, where the agency asks for it, approved: the plan the client works to."""
        return self.status == "active"

    def review_overdue(self, today: date) -> bool:
        return (
            self.status in ("active", "awaiting_approval")
            and self.review_due_on is not None
            and self.review_due_on < today
        )


class _PlanPart:
    """What goals, objectives and interventions share: a stable key and an order."""

    key: Mapped[str] = mapped_column(String(32), default=new_key, index=True)
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        # Each inline edit carries the version it read: a stale save is refused, not applied.
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Goal(_PlanPart, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "care_plan_goal"
    __table_args__ = (
        CheckConstraint(
            "status IN ('not_started', 'in_progress', 'achieved', 'discontinued')",
            name="status_known",
        ),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("care_plan.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    # In the client's own words.
    description: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(30))
    target_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    progress: Mapped[int] = mapped_column(default=0)
    # The assessment whose need this goal answers, when it came from one.
    source_assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))

    plan: Mapped[CarePlan] = relationship(back_populates="goals")
    objectives: Mapped[list[Objective]] = relationship(
        back_populates="goal",
        order_by="Objective.position, Objective.id",
        cascade="all, delete-orphan",
    )
    interventions: Mapped[list[Intervention]] = relationship(
        back_populates="goal",
        order_by="Intervention.position, Intervention.id",
        cascade="all, delete-orphan",
    )


class Objective(_PlanPart, db.Model):  # type: ignore[name-defined,misc]
    """A measurable step towards a goal."""

    __tablename__ = "care_plan_objective"
    __table_args__ = (
        CheckConstraint(
            "status IN ('not_started', 'in_progress', 'achieved', 'discontinued')",
            name="status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("care_plan_goal.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    target_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="not_started")

    goal: Mapped[Goal] = relationship(back_populates="objectives")


class Intervention(_PlanPart, db.Model):  # type: ignore[name-defined,misc]
    """What will be done for a goal, by whom, how often."""

    __tablename__ = "care_plan_intervention"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("care_plan_goal.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str | None] = mapped_column(String(200))
    frequency: Mapped[str | None] = mapped_column(String(200))

    goal: Mapped[Goal] = relationship(back_populates="interventions")


class GoalProgress(db.Model):  # type: ignore[name-defined,misc]
    """A dated progress rating of a goal, kept apart from the frozen plan it belongs to."""

    __tablename__ = "goal_progress"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 0 AND 100", name="rating_range"),
        # A goal's newest rating is one index probe, however long its history.
        Index("ix_goal_progress_latest", "client_id", "goal_key", "recorded_on", "id"),
        Index("ix_goal_progress_client_recorded", "client_id", "recorded_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    goal_key: Mapped[str] = mapped_column(String(32), index=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("care_plan_goal.id"))
    recorded_on: Mapped[date] = mapped_column(Date)
    rating: Mapped[int] = mapped_column()
    comment: Mapped[str | None] = mapped_column(Text)
    by_client: Mapped[bool] = mapped_column(default=False, server_default=false())
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()


PROPOSAL_STATUSES = ("open", "accepted", "answered")


class GoalProposal(db.Model):  # type: ignore[name-defined,misc]
    """A goal, or a step towards one, proposed by the client in their own words. The case
    manager takes it into the next plan version or answers it."""

    __tablename__ = "goal_proposal"
    __table_args__ = (
        CheckConstraint("kind IN ('goal', 'step')", name="kind_known"),
        CheckConstraint("status IN ('open', 'accepted', 'answered')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8), default="goal")
    # For a step: the goal it belongs to (its key follows it from version to version).
    goal_key: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    response: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])

    __mapper_args__ = {"version_id_col": version}
