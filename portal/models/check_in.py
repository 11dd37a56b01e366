"""Check-ins: a self-report instrument (PHQ-9, GAD-7) the team asks a client to fill in from
the portal, once or every so many days."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .client import Client
from .user import User

CHECK_IN_INSTRUMENTS = ("phq9", "gad7")


class CheckIn(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "check_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    instrument_code: Mapped[str] = mapped_column(String(40))
    # None: once. Otherwise the next one falls due this many days after the last answer.
    every_days: Mapped[int | None] = mapped_column()
    due_on: Mapped[date] = mapped_column(Date, index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id"))
    last_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()
    assigned_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def is_due(self, today: date) -> bool:
        return self.active and self.due_on <= today
