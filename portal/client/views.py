"""Client and family homes."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import policy
from ..extensions import db
from ..i18n import agency_today
from ..models import FamilyAccess
from ..services import appointments, client_portal
from . import client_bp, family_bp


@client_bp.route("/", endpoint="home")
def client_home() -> str:
    """The client's home: who is on their team and where help is."""
    client = client_portal.own_client_with_team(current_user)
    next_appointment = appointments.next_for(client) if client else None
    goals = client_portal.goals_in_force(client) if client else []
    counts = client_portal.home_counts(client, current_user, agency_today()) if client else None
    return render_template(
        "client/home.html",
        unread=counts.unread_threads if counts else 0,
        check_ins_waiting=counts.check_ins_due if counts else 0,
        new_materials=counts.new_materials if counts else 0,
        client=client,
        next_appointment=next_appointment,
        open_requests=counts.open_requests if counts else 0,
        plan_to_read=counts.plan_to_read if counts else False,
        goals=goals,
    )


@family_bp.route("/", endpoint="home")
def family_home() -> str:
    """The family member's home: what each client has chosen to share."""
    consents = db.session.scalars(
        policy.consents_in_force(current_user).options(selectinload(FamilyAccess.client))
    ).all()
    return render_template("family/home.html", consents=consents)
