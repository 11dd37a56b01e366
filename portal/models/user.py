"""People who sign in: staff, clients and family members."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, false, func, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from .base import UTCDateTime, folded, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    CASE_MANAGER = "case_manager"
    CARE_TEAM = "care_team"
    CLIENT = "client"
    FAMILY = "family"


STAFF_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER, Role.CARE_TEAM})
CLINICAL_ROLES = frozenset({Role.SUPERVISOR, Role.CASE_MANAGER, Role.CARE_TEAM})


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; they are stored trimmed and lower-cased."""
    return email.strip().lower()


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint(
            "role IN ('admin', 'supervisor', 'case_manager', 'care_team', 'client', 'family')",
            name="role_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    # The name folded (``folded``), set with it: what lists of staff sort by and a search by
    # name compares, so that "Álvaro" is among the A's and found by "alvaro" on SQLite
    # (whose ``lower()`` folds ASCII only) as on PostgreSQL.
    sort_name: Mapped[str] = mapped_column(Text, default="", server_default="")
    role: Mapped[str] = mapped_column(String(20), index=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # A case manager's supervisor: supervisors see their team's clients.
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # Notes this person signs wait for their supervisor's co-signature (interns, new staff).
    requires_cosign: Mapped[bool] = mapped_column(default=False, server_default=false())
    # What the person wants by email (a message waiting, appointment reminders).
    notify_messages: Mapped[bool] = mapped_column(default=True, server_default=true())
    notify_reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.current_timestamp()
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Staff two-step sign-in (TOTP). The last accepted time step refuses a code's replay.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    mfa_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column()

    supervisor: Mapped[User | None] = relationship(remote_side=[id])

    @validates("email")
    def _normalize_email(self, _key: str, value: str) -> str:
        return normalize_email(value)

    @validates("display_name")
    def _keep_sort_name(self, _key: str, value: str) -> str:
        self.sort_name = folded(value)
        return value

    @validates("role")
    def _known_role(self, _key: str, value: str) -> str:
        return Role(value).value

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def has_mfa(self) -> bool:
        return self.totp_secret is not None and self.mfa_enabled_at is not None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
