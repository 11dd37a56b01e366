"""Secure messages: threads between a client (or a family member) and the care team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .client import Client
from .user import User

# Who opened the conversation: the client and their team, or a family member telling the
# team something (the client does not see those; the family member sees only their own).
THREAD_KINDS = ("client", "family")


class MessageThread(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "message_thread"
    __table_args__ = (
        CheckConstraint("kind IN ('client', 'family')", name="kind_known"),
        Index("ix_message_thread_client_last", "client_id", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"))
    kind: Mapped[str] = mapped_column(String(10), default="client", server_default="client")
    # For a family thread: the family member who wrote.
    family_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # The newest message came from outside the team (client or family) and waits for an answer.
    awaiting_team: Mapped[bool] = mapped_column(default=True, server_default=true(), index=True)

    client: Mapped[Client] = relationship()
    family_user: Mapped[User | None] = relationship(foreign_keys=[family_user_id])
    messages: Mapped[list[Message]] = relationship(
        back_populates="thread", order_by="Message.created_at, Message.id"
    )


class Message(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_thread.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    from_team: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[MessageThread] = relationship(back_populates="messages")
    author: Mapped[User] = relationship()


class ThreadRead(db.Model):  # type: ignore[name-defined,misc]
    """How far a person has read a thread: what is newer is unread."""

    __tablename__ = "thread_read"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("message_thread.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
