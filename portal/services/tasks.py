"""Tasks: follow-ups and paperwork (disability, Medicaid, housing, releases) with checklists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select, case, select
from sqlalchemy.orm import aliased, selectinload

from ..extensions import db
from ..models import TASK_KINDS, Client, Task, TaskItem, User, utcnow
from . import audit
from .errors import DomainError

TASK_STATUSES = ("open", "done", "cancelled")


def create_task(
    *,
    title: str,
    client: Client | None,
    due_on: date | None,
    assignee: User | None,
    actor: User,
    ip: str | None,
    kind: str = "follow_up",
    notes: str | None = None,
    checklist: Iterable[str] = (),
) -> Task:
    """A task on a client (or general), with the steps of its checklist."""
    title = (title or "").strip()
    if not title:
        raise DomainError("a task needs a title")
    if kind not in TASK_KINDS:
        raise DomainError("unknown task kind")
    task = Task(
        title=title,
        kind=kind,
        notes=(notes or "").strip() or None,
        client_id=client.id if client else None,
        due_on=due_on,
        assignee_id=assignee.id if assignee else None,
        created_by_id=actor.id,
    )
    task.items = [
        TaskItem(text=text.strip()[:300], position=n)
        for n, text in enumerate(t for t in checklist if t and t.strip())
    ]
    db.session.add(task)
    db.session.flush()
    _audit("create", task, actor=actor, ip=ip, detail=kind)
    return task


def complete_task(task: Task, *, actor: User, ip: str | None) -> None:
    set_status(task, "done", actor=actor, ip=ip)


def set_status(task: Task, status: str, *, actor: User, ip: str | None) -> None:
    """Done, cancelled, or open again."""
    if status not in TASK_STATUSES:
        raise DomainError("unknown task status")
    if task.status == status:
        return
    task.status = status
    task.completed_at = utcnow() if status == "done" else None
    db.session.flush()
    _audit("update", task, actor=actor, ip=ip, detail=status)


def toggle_item(item: TaskItem, done: bool, *, actor: User, ip: str | None) -> None:
    """Tick or untick one step of the checklist."""
    if item.done == done:
        return
    item.done = done
    db.session.flush()
    _audit(
        "update",
        item.task,
        actor=actor,
        ip=ip,
        detail=f"step {item.id} {'done' if done else 'open'}",
    )


def add_item(task: Task, text: str, *, actor: User, ip: str | None) -> TaskItem:
    text = (text or "").strip()
    if not text:
        raise DomainError("a step needs text")
    item = TaskItem(task=task, text=text[:300], position=len(task.items))
    db.session.add(item)
    db.session.flush()
    _audit("update", task, actor=actor, ip=ip, detail=f"step {item.id} added")
    return item


def _audit(action: str, task: Task, *, actor: User, ip: str | None, detail: Any) -> None:
    audit.record(
        action,
        actor=actor,
        ip=ip,
        object_type="task",
        object_id=task.id,
        client_id=task.client_id,
        detail=detail,
    )


def urgent_first(query: Select[Any], today: date) -> Select[Any]:
    """Open tasks before closed ones; overdue first, then by due date; undated last."""
    return query.order_by(
        case((Task.status == "open", 0), else_=1),
        case((Task.due_on < today, 0), else_=1),
        Task.due_on.is_(None),
        Task.due_on,
        Task.id,
    )


def team_overdue(supervisor: User, today: date, client_ids: Any) -> Select[Task]:
    """Overdue open tasks of the people a supervisor supervises (and the supervisor's own),
    about clients the supervisor may see or about no client."""
    assignee = aliased(User)
    return (
        select(Task)
        .join(assignee, assignee.id == Task.assignee_id)
        .options(selectinload(Task.client), selectinload(Task.assignee), selectinload(Task.items))
        .where(
            Task.status == "open",
            Task.due_on < today,
            (assignee.supervisor_id == supervisor.id) | (assignee.id == supervisor.id),
            Task.client_id.is_(None) | Task.client_id.in_(client_ids),
        )
    )
