"""The staff dashboard."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import func, select

from .. import policy
from ..extensions import db
from ..i18n import agency_today, agency_zone
from ..models import Role, User, utcnow
from ..services import appointments, audit, dashboard
from . import bp


@bp.route("/")
def home() -> str:
    """Who needs me, caseload by status, high-risk clients, my day, tasks, notes, messages."""
    if current_user.role == Role.ADMIN:
        counts = db.session.execute(
            select(User.role, func.count()).where(User.active).group_by(User.role)
        ).all()
        return render_template("staff/home.html", user_counts=dict(counts))
    today, zone = agency_today(), agency_zone()
    board = dashboard.load(
        current_user,
        now=utcnow(),
        today=today,
        day=appointments.day_bounds(today, 1, zone),
        zone=zone,
    )
    audit.record(
        "view",
        actor=current_user,
        ip=request.remote_addr,
        object_type="client_list",
        object_id="dashboard",
        detail=",".join(str(i) for i in board.shown_client_ids())[:255] or None,
    )
    db.session.commit()
    return render_template(
        "staff/home.html",
        user_counts=None,
        board=board,
        may_review=policy.may_review_emergency_access(current_user),
        may_see_log=current_user.role == Role.SUPERVISOR,
        today=today,
    )
