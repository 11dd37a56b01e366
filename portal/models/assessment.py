"""A filled-in instrument: the answers as given, and what the app computed from them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .user import User


class Assessment(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "assessment"
    # A client's scores by date: the outcomes report reads them from the index alone.
    __table_args__ = (
        Index(
            "ix_assessment_client_time",
            "client_id",
            "administered_at",
            "instrument_code",
            "total",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    instrument_code: Mapped[str] = mapped_column(String(40), index=True)
    instrument_version: Mapped[str] = mapped_column(String(20))
    administered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    administered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    self_report: Mapped[bool] = mapped_column(default=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    notes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total: Mapped[int | None] = mapped_column()
    band: Mapped[str | None] = mapped_column(String(40))
    risk_level: Mapped[str | None] = mapped_column(String(10))
    critical_items: Mapped[list[str]] = mapped_column(JSON, default=list)

    administered_by: Mapped[User | None] = relationship()

    @property
    def is_critical(self) -> bool:
        return bool(self.critical_items)
