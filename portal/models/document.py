"""Files attached to a client's record, kept outside the web root and served through the policy."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .user import User

DOCUMENT_KINDS = ("consent", "release", "id", "benefits", "medical", "housing", "letter", "other")
# What an upload may be, decided by its first bytes, never by its name.
DOCUMENT_TYPES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


class Document(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "document"
    __table_args__ = (
        CheckConstraint(
            "content_type IN ('application/pdf', 'image/png', 'image/jpeg')",
            name="content_type_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(300))
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    # Relative to the document folder: <client id>/<random>.<ext>; never the uploaded name.
    storage_name: Mapped[str] = mapped_column(String(120), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    uploaded_by: Mapped[User] = relationship()
