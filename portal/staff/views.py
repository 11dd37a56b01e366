"""The staff dashboard."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import policy
from ..extensions import db
from ..i18n import agency_today, agency_zone
from ..models import (
    OPEN_REFERRAL_STATUSES,
    AuditEvent,
    Client,
    Referral,
    Role,
    Task,
    User,
    utcnow,
)
from ..services import (
    appointments,
    audit,
    care_plans,
    check_ins,
    crisis,
    messages,
    needs_me,
    notes,
)
from . import bp
from .forms import ButtonForm

RECENT = 6
NO_SHOW_DAYS = 90


@bp.route("/")
def home() -> str:
    """Caseload by status, high-risk clients, recently viewed, my tasks and my recent activity."""
    if current_user.role == Role.ADMIN:
        counts = db.session.execute(
            select(User.role, func.count()).where(User.active).group_by(User.role)
        ).all()
        return render_template("staff/home.html", user_counts=dict(counts))
    mine = policy.regular_clients(current_user).subquery()
    by_status: dict[str, int] = dict(
        db.session.execute(select(mine.c.status, func.count()).group_by(mine.c.status)).all()
    )
    high_risk = db.session.scalars(
        policy.regular_clients(current_user)
        .where(Client.risk_level == "high")
        .order_by(func.lower(func.coalesce(Client.preferred_name, Client.legal_name)))
        .limit(10)
    ).all()
    viewed_ids = db.session.scalars(
        select(AuditEvent.client_id)
        .where(
            AuditEvent.actor_id == current_user.id,
            AuditEvent.action == "view",
            AuditEvent.object_type == "client",
        )
        .order_by(AuditEvent.id.desc())
        .limit(100)
    ).all()
    recent_ids = list(dict.fromkeys(i for i in viewed_ids if i is not None))[:RECENT]
    visible = {
        c.id: c
        for c in db.session.scalars(
            policy.visible_clients(current_user).where(Client.id.in_(recent_ids))
        )
    }
    recently_viewed = [visible[i] for i in recent_ids if i in visible]
    my_tasks = db.session.scalars(
        select(Task)
        .options(selectinload(Task.client), selectinload(Task.items))
        .where(Task.assignee_id == current_user.id, Task.status == "open")
        .order_by(Task.due_on.is_(None), Task.due_on, Task.id)  # overdue first
        .limit(10)
    ).all()
    activity = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.actor_id == current_user.id,
            AuditEvent.client_id.is_not(None),
            AuditEvent.action.not_in(["view", "access_denied"]),
        )
        .order_by(AuditEvent.id.desc())
        .limit(8)
    ).all()
    names = {
        c.id: c.display_name
        for c in db.session.scalars(
            policy.visible_clients(current_user).where(
                Client.id.in_({e.client_id for e in activity})
            )
        )
    }
    mine_ids = policy.regular_clients(current_user).with_only_columns(Client.id)
    today = agency_today()
    overdue = care_plans.overdue_reviews(mine_ids, today)
    to_approve = (
        care_plans.awaiting_approval(mine_ids) if policy.may_approve_plan(current_user) else []
    )
    drafts = notes.drafts_of(current_user)
    crises = crisis.open_crises(mine_ids)
    open_referrals = db.session.scalars(
        select(Referral)
        .options(selectinload(Referral.resource), selectinload(Referral.client))
        .where(
            Referral.client_id.in_(mine_ids),
            Referral.status.in_(OPEN_REFERRAL_STATUSES),
        )
        .order_by(Referral.follow_up_on.is_(None), Referral.follow_up_on, Referral.id)
        .limit(10)
    ).all()
    to_cosign = notes.cosign_count(current_user, mine_ids)
    start, end = appointments.day_bounds(today, 1, agency_zone())
    today_appointments = appointments.between(current_user, start, end)
    appointment_requests = appointments.open_requests(mine_ids, 10)
    awaiting_outcome = len(appointments.waiting_for_outcome(current_user, 100))
    no_show_rows = _no_show_rows()
    waiting_threads = messages.inbox(current_user, mine_ids, waiting_only=True, limit=10)
    late = messages.overdue(mine_ids, now=utcnow(), zone=agency_zone(), limit=50)
    late_thread_ids = {t.id for t in late}
    # Late conversations of the team are raised to its supervisor: the clients of the case
    # managers they supervise (not those they only meet on a care team).
    raised_threads = (
        messages.overdue(
            select(Client.id)
            .join(User, User.id == Client.primary_case_manager_id)
            .where(User.supervisor_id == current_user.id),
            now=utcnow(),
            zone=agency_zone(),
        )
        if current_user.role == Role.SUPERVISOR
        else []
    )
    critical_check_ins = check_ins.critical_recent(mine_ids)
    needs = needs_me.queue(mine_ids, user=current_user, now=utcnow(), today=today)
    audit.record(
        "view",
        actor=current_user,
        ip=request.remote_addr,
        object_type="client_list",
        object_id="dashboard",
        detail=",".join(
            str(c.id)
            for c in [*high_risk, *recently_viewed, *(c for _p, c in overdue + to_approve)]
        )[:255]
        or None,
    )
    db.session.commit()
    return render_template(
        "staff/home.html",
        user_counts=None,
        by_status=by_status,
        caseload_total=sum(by_status.values()),
        high_risk=high_risk,
        recently_viewed=recently_viewed,
        my_tasks=my_tasks,
        activity=[(e, names.get(e.client_id or 0)) for e in activity],
        button=ButtonForm(),
        may_review=policy.may_review_emergency_access(current_user),
        overdue_reviews=overdue,
        drafts=drafts,
        crises=crises,
        open_referrals=open_referrals,
        may_see_log=current_user.role == Role.SUPERVISOR,
        to_cosign=to_cosign,
        to_approve=to_approve,
        today=today,
        today_appointments=today_appointments,
        appointment_requests=appointment_requests,
        awaiting_outcome=awaiting_outcome,
        no_show_rows=no_show_rows,
        waiting_threads=waiting_threads,
        late_thread_ids=late_thread_ids,
        raised_threads=raised_threads,
        critical_check_ins=critical_check_ins,
        needs=needs,
    )


def _no_show_rows() -> list[tuple[str, appointments.Attendance]]:
    """Mine, and for a supervisor each case manager of the team: one grouped query."""
    people = [current_user._get_current_object()]
    if current_user.role == Role.SUPERVISOR:
        people += list(
            db.session.scalars(
                select(User)
                .where(User.supervisor_id == current_user.id, User.active.is_(True))
                .order_by(func.lower(User.display_name))
            )
        )
    since = utcnow() - timedelta(days=NO_SHOW_DAYS)
    figures = appointments.attendance_by_case_manager([p.id for p in people], since)
    # A case manager whose clients' appointments have no outcome yet has no rate to show.
    return [
        (p.display_name, figures[p.id]) for p in people if p.id in figures and figures[p.id].kept
    ]
