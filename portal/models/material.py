"""Education materials: articles for clients and families, one text per language."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow

MATERIAL_AUDIENCES = ("client", "family", "both")
MATERIAL_TOPICS = ("condition", "treatment", "services", "family", "crisis", "wellbeing")


class Material(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "material"
    __table_args__ = (
        CheckConstraint("audience IN ('client', 'family', 'both')", name="audience_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    topic: Mapped[str] = mapped_column(String(20), default="condition")
    audience: Mapped[str] = mapped_column(String(10), default="both")
    # A general material is offered to everyone of its audience; others only when assigned.
    general: Mapped[bool] = mapped_column(default=True, server_default=true())
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    translations: Mapped[list[MaterialTranslation]] = relationship(
        back_populates="material", order_by="MaterialTranslation.locale"
    )

    __mapper_args__ = {"version_id_col": version}


class MaterialTranslation(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "material_translation"
    __table_args__ = (UniqueConstraint("material_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"), index=True)
    locale: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(String(500))
    # Markdown as written; rendered and sanitised on the way out.
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    material: Mapped[Material] = relationship(back_populates="translations")


class MaterialAssignment(db.Model):  # type: ignore[name-defined,misc]
    """A material given to one client (and so to family who may see the client's materials)."""

    __tablename__ = "material_assignment"
    __table_args__ = (UniqueConstraint("material_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"))
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(300))

    material: Mapped[Material] = relationship()


class MaterialRead(db.Model):  # type: ignore[name-defined,misc]
    """The first time a person opened a material."""

    __tablename__ = "material_read"
    __table_args__ = (UniqueConstraint("material_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("material.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    helpful: Mapped[bool | None] = mapped_column(default=None)
    reviewed: Mapped[bool] = mapped_column(default=False, server_default=false())
