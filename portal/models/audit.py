"""The append-only audit log and the head of its hash chain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ColumnElement, Index, Integer, String, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import UTCDateTime

GENESIS_HASH = "0" * 64
NEWS_CONDITION = (
    "action NOT IN ('view', 'access_denied', 'print', 'export') AND NOT "
    "(coalesce(object_type, '') = 'progress_note' AND "
    "(action = 'update' OR coalesce(detail, '') = 'draft'))"
)
# A person's changes to client records (the dashboard's "my recent activity"). Every page view
# writes a view, so down the index of all their events the list walked back through every
# view since their last change: the more they read, the slower their dashboard. Queries write
# it with ``changes()``.
CHANGE_CONDITION = "client_id IS NOT NULL AND action NOT IN ('view', 'access_denied')"


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """One thing that happened. Database triggers refuse UPDATE and DELETE.

    The ids of users and clients are plain integers, not foreign keys: an audit
    row must never block, cascade from or be changed by the rows it describes.
    Never store clinical text here.
    """

    __tablename__ = "audit_event"
    # The audit viewer and a record's accounting of disclosures page newest first by id
    # within one person, one client or one action: these keep that an index walk on both
    # databases and serve every lookup by the column alone, so the columns carry no index of
    # their own (each one more would be written on every request).
    __table_args__ = (
        Index("ix_audit_event_actor_id_id", "actor_id", "id"),
        Index("ix_audit_event_client_id_id", "client_id", "id"),
        Index("ix_audit_event_action_id", "action", "id"),
        Index("ix_audit_event_object_type_id", "object_type", "id"),
        # A record's timeline, newest first, without the views and draft saves that pile up
        # on a busy record. Written exactly as ``staff.activity.news()`` writes its condition:
        # both databases use a partial index only for the same expression.
        Index(
            "ix_audit_event_news",
            "client_id",
            "id",
            sqlite_where=text(NEWS_CONDITION),
            postgresql_where=text(NEWS_CONDITION),
        ),
        Index(
            "ix_audit_event_actor_changes",
            "actor_id",
            "id",
            sqlite_where=text(CHANGE_CONDITION),
            postgresql_where=text(CHANGE_CONDITION),
        ),
        # The records a person opened ("recently viewed"), newest first, without their other
        # views (the dashboard, the caseload) in between. Not a partial index: SQLite's
        # statistics average it over the few people who open records, and its planner then
        # took the index of all events (``ANALYZE`` on a generated agency of 5,000 clients).
        Index("ix_audit_event_actor_action_type_id", "actor_id", "action", "object_type", "id"),
    )

    # The chain position, assigned under the head lock: no sequence, no gaps.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column()
    actor_role: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    client_id: Mapped[int | None] = mapped_column()
    ip: Mapped[str | None] = mapped_column(String(45))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(255))
    prev_hash: Mapped[str] = mapped_column(String(64))
    # Not unique: each hash covers its row's id, the primary key (migration 0016).
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(db.Model):  # type: ignore[name-defined,misc]
    """The newest link of the chain: one row, locked by every writer.

    Keeping the head apart from the rows is what reveals a deleted newest row,
    and locking it is what keeps two concurrent writers from forking the chain.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_event_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


def constant(value: str) -> ColumnElement[str]:
    """A string written into the SQL, not a parameter: a database matches a condition with the
    partial index that holds it only when the values are in the statement (it cannot for a
    generic plan's $1)."""
    return literal_column("'{}'".format(value.replace("'", "''")))


def changes() -> tuple[ColumnElement[bool], ...]:
    """SQL: ``CHANGE_CONDITION``, as ``ix_audit_event_actor_changes`` holds it."""
    return (
        AuditEvent.client_id.is_not(None),
        AuditEvent.action.not_in([constant("view"), constant("access_denied")]),
    )
