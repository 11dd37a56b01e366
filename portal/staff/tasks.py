"""Tasks and paperwork: my tasks (overdue first), a task with its checklist, the team's overdue."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from .. import i18n, policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import choices
from ..htmx import is_partial
from ..models import CLINICAL_ROLES, TASK_KINDS, Client, Task, TaskItem, User
from ..navigation import safe_next
from ..services import tasks
from ..services.errors import DomainError
from . import bp
from .forms import ButtonForm, TaskForm, TaskStepForm


def assignee_choices(form: TaskForm) -> None:
    """Anyone on the clinical side may be given a task; the writer is the default."""
    staff = db.session.scalars(
        select(User).where(User.role.in_(CLINICAL_ROLES), User.active).order_by(User.sort_name)
    )
    form.assignee_id.choices = choices((u.id, u.display_name) for u in staff)
    if form.assignee_id.data is None:
        form.assignee_id.data = current_user.id


def create_from_form(form: TaskForm, client: Client | None) -> Task:
    """The service call shared by the client's task page and the general task form."""
    return tasks.create_task(
        title=form.title.data or "",
        kind=form.kind.data or "follow_up",
        client=client,
        due_on=form.due_on.data,
        assignee=db.session.get(User, form.assignee_id.data),
        notes=form.notes.data,
        checklist=(form.checklist.data or "").splitlines(),
        actor=current_user,
        ip=client_ip(),
    )


@bp.route("/tasks", methods=["GET", "POST"])
def task_index() -> Response | str | tuple[str, int]:
    """My tasks, overdue first; a general task (about no client); a supervisor's team view."""
    view = (
        "team" if request.args.get("view") == "team" and policy.may_cosign(current_user) else "mine"
    )
    form = TaskForm()
    assignee_choices(form)
    may_add = policy.may_write_notes(current_user)
    if request.method == "POST" and not may_add:
        abort(403)  # administrators run the system; tasks are clinical and paperwork work
    if request.method == "POST" and form.validate_on_submit():
        create_from_form(form, None)
        db.session.commit()
        flash(_("Task added."), "success")
        return redirect(url_for("staff.task_index"), code=303)
    today = i18n.agency_today()
    kind = request.args.get("kind", "")
    status = request.args.get("status", "open")
    if view == "team":
        query = tasks.team_overdue(
            current_user, today, policy.visible_clients(current_user).with_only_columns(Client.id)
        )
    else:
        query = (
            select(Task)
            .options(selectinload(Task.client), selectinload(Task.items))
            .where(Task.assignee_id == current_user.id)
        )
        if status in tasks.TASK_STATUSES:
            query = query.where(Task.status == status)
    if kind in TASK_KINDS:
        query = query.where(Task.kind == kind)
    rows = db.session.scalars(tasks.urgent_first(query, today).limit(200)).all()
    return render_template(
        "staff/tasks/index.html",
        rows=rows,
        form=form,
        view=view,
        kind=kind,
        status=status,
        today=today,
        may_see_team=policy.may_cosign(current_user),
        may_add=may_add,
    ), 422 if form.errors else 200


def _task_page(task: Task, step_form: TaskStepForm | None = None, status: int = 200) -> Any:
    return render_template(
        "staff/tasks/detail.html",
        task=task,
        today=i18n.agency_today(),
        step_form=step_form or TaskStepForm(formdata=None),
    ), status


@bp.route("/tasks/<int:task_id>")
def task_detail(task_id: int) -> Any:
    """One task with its checklist and notes."""
    task = policy.get_task_or_404(task_id, for_user=current_user)
    return _task_page(task)


@bp.route("/tasks/<int:task_id>/steps", methods=["POST"])
def task_step_add(task_id: int) -> Any:
    """Add a step to the checklist."""
    task = policy.get_task_or_404(task_id, for_user=current_user)
    form = TaskStepForm()
    if form.validate_on_submit():
        tasks.add_item(task, form.text.data or "", actor=current_user, ip=client_ip())
        db.session.commit()
        return redirect(url_for("staff.task_detail", task_id=task.id) + "#checklist", code=303)
    return _task_page(task, form, 422)


@bp.route("/tasks/<int:task_id>/steps/<int:item_id>", methods=["POST"])
def task_step_toggle(task_id: int, item_id: int) -> Any:
    """Tick or untick a step; htmx gets the step back."""
    task = policy.get_task_or_404(task_id, for_user=current_user)
    item = db.session.scalar(
        select(TaskItem).where(TaskItem.id == item_id, TaskItem.task_id == task.id)
    )
    if item is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    tasks.toggle_item(item, request.form.get("done") == "1", actor=current_user, ip=client_ip())
    db.session.commit()
    if is_partial():
        return render_template("staff/tasks/_step.html", task=task, item=item, announce=True)
    return redirect(url_for("staff.task_detail", task_id=task.id) + "#checklist", code=303)


@bp.route("/tasks/<int:task_id>/status", methods=["POST"])
def task_status(task_id: int) -> Response:
    """Done, cancelled, or open again."""
    task = policy.get_task_or_404(task_id, for_user=current_user)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        tasks.set_status(task, request.form.get("status", ""), actor=current_user, ip=client_ip())
    except DomainError:
        abort(400)
    db.session.commit()
    messages = {
        "done": _("Task done."),
        "cancelled": _("Task cancelled."),
        "open": _("Task reopened."),
    }
    flash(messages[task.status], "success")
    target = safe_next(request.form.get("next", ""))
    return redirect(target or url_for("staff.task_detail", task_id=task.id), code=303)
