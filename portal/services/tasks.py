"""Tasks: follow-ups and paperwork, minimal until the documentation work grows them."""

from __future__ import annotations

from datetime import date

from ..extensions import db
from ..models import Client, Task, User, utcnow
from . import audit
from .errors import DomainError


def create_task(
    *,
    title: str,
    client: Client | None,
    due_on: date | None,
    assignee: User | None,
    actor: User,
    ip: str | None,
) -> Task:
    title = (title or "").strip()
    if not title:
        raise DomainError("a task needs a title")
    task = Task(
        title=title,
        client_id=client.id if client else None,
        due_on=due_on,
        assignee_id=assignee.id if assignee else None,
        created_by_id=actor.id,
    )
    db.session.add(task)
    db.session.flush()
    audit.record(
        "create",
        actor=actor,
        ip=ip,
        object_type="task",
        object_id=task.id,
        client_id=task.client_id,
    )
    return task


def complete_task(task: Task, *, actor: User, ip: str | None) -> None:
    if task.status != "open":
        return
    task.status = "done"
    task.completed_at = utcnow()
    db.session.flush()
    audit.record(
        "update",
        actor=actor,
        ip=ip,
        object_type="task",
        object_id=task.id,
        client_id=task.client_id,
        detail="done",
    )
