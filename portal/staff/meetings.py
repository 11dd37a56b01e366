"""Team meetings: record one, and find it again."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask import abort, flash, redirect, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import String, cast, or_, select
from werkzeug.wrappers import Response

from .. import i18n, policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import choices
from ..models import CLINICAL_ROLES, Client, TeamMeeting, User
from ..services import meetings, notes
from ..services.errors import DomainError
from . import bp
from .forms import MeetingForm


def _require_writer() -> None:
    if not policy.may_write_notes(current_user):
        abort(403)


def _meeting_form() -> tuple[MeetingForm, dict[int, Client], dict[int, User]]:
    form = MeetingForm()
    clients = {
        c.id: c
        for c in db.session.scalars(policy.regular_clients(current_user).order_by(Client.sort_name))
    }
    staff = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.role.in_(CLINICAL_ROLES), User.active).order_by(User.sort_name)
        )
    }
    client_choices = [
        (0, _("Choose a client")),
        *((c.id, c.display_name) for c in clients.values()),
    ]
    people = [(u.id, u.display_name) for u in staff.values()]
    form.attendee_ids.choices = choices(people)
    for row in form.discussions:
        row.client_id.choices = choices(client_choices)
    for row in form.follow_ups:
        row.client_id.choices = choices([(0, _("No client")), *client_choices[1:]])
        row.assignee_id.choices = choices(people)
    return form, clients, staff


def _check_rows(form: MeetingForm, clients: dict[int, Client]) -> list[meetings.Discussion]:
    """The discussed clients, with a field error where a row is half filled in."""
    found: list[meetings.Discussion] = []
    named: set[int] = set()
    for row in form.discussions:
        client = clients.get(row.client_id.data or 0)
        if client and client.id in named:
            row.client_id.errors = [_("This client is already named above.")]
        elif client and not row.text.data:
            row.text.errors = [_("Write what was discussed about this client.")]
        elif row.text.data and not client:
            row.client_id.errors = [_("Choose the client this is about.")]
        elif client:
            named.add(client.id)
            found.append(meetings.Discussion(client, row.text.data or ""))
    if not found and not any(r.errors for r in form.discussions):
        form.discussions[0].client_id.errors = [_("Name at least one client discussed.")]
    return found


@bp.route("/meetings/new", methods=["GET", "POST"])
def meeting_new() -> Any:
    """Record a team meeting: attendees, decisions, each client's part, follow-ups."""
    _require_writer()
    form, clients, staff = _meeting_form()
    if form.is_submitted() and form.validate():
        discussions = _check_rows(form, clients)
        follow_ups = [
            meetings.FollowUp(
                row.title.data or "",
                clients.get(row.client_id.data or 0),
                staff.get(row.assignee_id.data or 0),
                row.due_on.data,
            )
            for row in form.follow_ups
            if row.title.data
        ]
        for row in form.follow_ups:
            # A follow-up with a client or a due date but no title would be dropped unseen.
            if not row.title.data and (row.client_id.data or row.due_on.data):
                row.title.errors = [_("Describe the task.")]
        rows_ok = not any(r.errors for r in [*form.discussions, *form.follow_ups])
        if discussions and rows_ok:
            held_at = form.held_at.data.replace(tzinfo=i18n.agency_zone()).astimezone(UTC)
            try:
                meeting = meetings.record_meeting(
                    held_at=held_at,
                    duration_minutes=form.duration_minutes.data or 1,
                    title=form.title.data or "",
                    attendees=[staff[i] for i in form.attendee_ids.data or [] if i in staff],
                    decisions=form.decisions.data,
                    discussions=discussions,
                    follow_ups=follow_ups,
                    password=form.password.data or "",
                    actor=current_user,
                    ip=client_ip(),
                )
            except notes.WrongPassword:
                db.session.commit()  # the failure counts towards the lock-out
                form.password.errors = [_("That password is not right.")]
            except notes.NotReady:
                db.session.rollback()
                form.held_at.errors = [_("The meeting cannot be in the future.")]
            except DomainError:
                db.session.rollback()
                form.title.errors = [_("Give the meeting a name.")]
            else:
                db.session.commit()
                flash(_("Meeting recorded. Each client's part is in their notes."), "success")
                return redirect(url_for("staff.meeting_detail", meeting_id=meeting.id), code=303)
    elif not form.is_submitted():
        form.attendee_ids.data = [current_user.id]
        form.held_at.data = None
    status = 422 if form.is_submitted() else 200
    return render_template("staff/meetings/new.html", form=form), status


def _meeting_or_404(meeting_id: int) -> TeamMeeting:
    """Those who attended or recorded a meeting may open it."""
    meeting = db.session.get(TeamMeeting, meeting_id)
    if meeting is None or (
        current_user.id not in (meeting.attendee_ids or [])
        and meeting.created_by_id != current_user.id
    ):
        abort(404)
    return meeting


@bp.route("/meetings/<int:meeting_id>")
def meeting_detail(meeting_id: int) -> str:
    """The meeting; of the clients discussed, only those the reader may see."""
    meeting = _meeting_or_404(meeting_id)
    visible = set(
        db.session.scalars(policy.visible_clients(current_user).with_only_columns(Client.id))
    )
    parts = [n for n in meetings.notes_of(meeting) if n.client_id in visible]
    attendees = db.session.scalars(
        select(User).where(User.id.in_(meeting.attendee_ids or [])).order_by(User.sort_name)
    ).all()
    return render_template(
        "staff/meetings/detail.html", meeting=meeting, parts=parts, attendees=attendees
    )


@bp.route("/meetings")
def meeting_index() -> Response | str:
    """Meetings I attended or recorded, newest first."""
    _require_writer()
    # The attendee list is JSON: the database narrows by the id's digits (alike on SQLite and
    # PostgreSQL), the exact check is here; batches until the page is full, so a meeting of
    # mine is not lost behind other teams' newer ones.
    query = (
        select(TeamMeeting)
        .where(
            or_(
                TeamMeeting.created_by_id == current_user.id,
                cast(TeamMeeting.attendee_ids, String).like(f"%{int(current_user.id)}%"),
            )
        )
        .order_by(TeamMeeting.held_at.desc(), TeamMeeting.id.desc())
    )
    rows: list[TeamMeeting] = []
    offset = 0
    while len(rows) < 50:
        batch = db.session.scalars(query.limit(200).offset(offset)).all()
        rows += [
            m
            for m in batch
            if current_user.id in (m.attendee_ids or []) or m.created_by_id == current_user.id
        ]
        if len(batch) < 200:
            break
        offset += 200
    return render_template("staff/meetings/index.html", meetings=rows[:50])
