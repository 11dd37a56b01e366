"""The activity timeline's lines: read from the audit log a page at a time, each linked to
what it is about. (The route is in ``timeline.py``; the record's overview shows page one.)"""

from __future__ import annotations

from functools import cache

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
)

from ..addresses import url_for
from ..extensions import db
from ..models import AuditEvent, User
from ..models.audit import constant

PAGE_SIZE = 20

# Where a line of the timeline leads, by the kind of thing it is about.
SOURCES = {
    "progress_note": lambda e: url_for(
        "staff.note_detail", client_id=e.client_id, note_id=int(e.object_id)
    ),
    "care_plan": lambda e: url_for(
        "staff.plan_version", client_id=e.client_id, plan_id=int(e.object_id)
    ),
    "goal_progress": lambda e: url_for("staff.plan_detail", client_id=e.client_id),
    "goal_proposal": lambda e: url_for("staff.plan_detail", client_id=e.client_id),
    "assessment": lambda e: url_for(
        "staff.assessment_detail", client_id=e.client_id, assessment_id=int(e.object_id)
    ),
    "task": lambda e: url_for("staff.task_detail", task_id=int(e.object_id)),
    "document": lambda e: url_for("staff.document_index", client_id=e.client_id),
    "team_meeting": lambda e: url_for("staff.meeting_detail", meeting_id=int(e.object_id)),
    "crisis_event": lambda e: url_for(
        "staff.crisis_detail", client_id=e.client_id, event_id=int(e.object_id)
    ),
    "safety_plan": lambda e: url_for("staff.safety_plan", client_id=e.client_id),
    "referral": lambda e: url_for(
        "staff.referral_detail", client_id=e.client_id, referral_id=int(e.object_id)
    ),
    "appointment": lambda e: url_for("staff.appointment_detail", appointment_id=int(e.object_id)),
    "appointment_request": lambda e: url_for(
        "staff.appointment_request_detail", request_id=int(e.object_id)
    ),
    "message": lambda e: url_for(
        "staff.message_detail", thread_id=int((e.detail or "thread 0").split()[1])
    ),
    "family_access": lambda e: url_for("staff.client_access", client_id=e.client_id),
    "emergency_access": lambda e: url_for("staff.client_access", client_id=e.client_id),
}


def source_url(event: AuditEvent) -> str:
    """The page of the thing a timeline line is about (the record's overview by default)."""
    link = SOURCES.get(event.object_type or "")
    if link is not None and str(event.object_id or "").isdigit():
        return str(link(event))
    if event.action in ("status_change", "risk_change"):
        return url_for("staff.client_status", client_id=event.client_id)
    return url_for("staff.client_detail", client_id=event.client_id)


def _same_work(newer: AuditEvent, older: AuditEvent) -> bool:
    """A run of saves of one thing by one person (a draft typed over an hour) is one line;
    a step from one status to another ("sent->accepted") is news every time."""
    steps = "->" in (newer.detail or "") or "->" in (older.detail or "")
    return (
        newer.action == "update"
        and not steps
        and (
            newer.action,
            newer.object_type,
            newer.object_id,
            newer.actor_id,
        )
        == (older.action, older.object_type, older.object_id, older.actor_id)
    )


def news() -> tuple[ColumnElement[bool], ...]:
    """SQL: the events a timeline shows. Reading a record is not news, and a draft note is its
    author's alone until signed, so its saves are not news either. The partial index
    ``ix_audit_event_news`` on (client_id, id) has exactly this condition as its WHERE (SQLite
    and PostgreSQL use a partial index only for the same expression), so that the views and
    autosaves piling up on a record are never read only to be skipped."""
    return (
        AuditEvent.action.not_in(
            [constant(a) for a in ("view", "access_denied", "print", "export")]
        ),
        ~and_(
            func.coalesce(AuditEvent.object_type, constant("")) == constant("progress_note"),
            or_(
                AuditEvent.action == constant("update"),
                func.coalesce(AuditEvent.detail, constant("")) == constant("draft"),
            ),
        ),
    )


@cache
def _timeline(*, paged: bool) -> Select[AuditEvent, str]:
    """``timeline_page``'s statement, built once for the process (the overview and the
    timeline run it on every visit): run with ``client_id``, and ``before`` when ``paged``.
    Of the actor it reads the name only, all a line shows."""
    query = (
        select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.client_id == bindparam("client_id", type_=Integer()), *news())
        .order_by(AuditEvent.id.desc())
        .limit(PAGE_SIZE)
    )
    if paged:
        # The previous page's last event comes along, so that a run it belongs to is not
        # shown again at the top of this page.
        query = query.where(AuditEvent.id <= bindparam("before", type_=Integer())).limit(
            PAGE_SIZE + 1
        )
    return query


def timeline_page(
    client_id: int, before: int | None = None
) -> tuple[list[tuple[AuditEvent, str | None]], int | None]:
    """One page of the timeline, newest first, each event with its actor's name, and the
    cursor for the next (None at the end), in one statement whatever the page holds."""
    rows = db.session.execute(
        _timeline(paged=before is not None), {"client_id": client_id, "before": before}
    ).all()
    last: AuditEvent | None = None
    if before is not None and rows and rows[0][0].id == before:
        last, rows = rows[0][0], rows[1:]
    lines: list[tuple[AuditEvent, str | None]] = []
    for event, actor_name in rows:
        if last is not None and _same_work(last, event):
            continue
        lines.append((event, actor_name))
        last = event
    after = rows[-1][0].id if len(rows) == PAGE_SIZE else None
    return lines, after
