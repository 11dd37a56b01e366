"""The staff dashboard."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import policy
from ..extensions import db
from ..models import Client, Role, User
from ..services import audit
from . import bp

DASHBOARD_CLIENTS = 25


@bp.route("/")
def home() -> str:
    """Greet the staff member and show the clients they may see."""
    if current_user.role == Role.ADMIN:
        counts = db.session.execute(
            select(User.role, func.count()).where(User.active).group_by(User.role)
        ).all()
        return render_template("staff/home.html", user_counts=dict(counts), clients=[], total=0)
    visible = policy.visible_clients(current_user)
    total = db.session.scalar(select(func.count()).select_from(visible.subquery())) or 0
    clients = db.session.scalars(
        visible.options(selectinload(Client.primary_case_manager))
        .order_by(func.lower(func.coalesce(Client.preferred_name, Client.legal_name)), Client.id)
        .limit(DASHBOARD_CLIENTS)
    ).all()
    # A list of names is client data too: the log keeps who saw which list.
    audit.record(
        "view",
        actor=current_user,
        ip=request.remote_addr,
        object_type="client_list",
        object_id="dashboard",
        detail=",".join(str(c.id) for c in clients)[:255] or None,
    )
    db.session.commit()
    return render_template("staff/home.html", clients=clients, total=total, user_counts=None)
