"""Client and family homes."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import policy
from ..extensions import db
from ..i18n import agency_today
from ..models import OPEN_REQUEST_STATUSES, AppointmentRequest, CareTeamMember, Client, FamilyAccess
from ..services import appointments, care_plans, check_ins, materials, messages
from . import client_bp, family_bp


@client_bp.route("/", endpoint="home")
def client_home() -> str:
    """The client's home: who is on their team and where help is."""
    client = db.session.scalar(
        policy.visible_clients(current_user).options(
            selectinload(Client.primary_case_manager),
            selectinload(Client.care_team).selectinload(CareTeamMember.user),
        )
    )
    next_appointment = appointments.next_for(client) if client else None
    plan = care_plans.in_force(client) if client else None
    goals = care_plans.current_goals(client, plan) if client and plan else []
    open_requests = (
        db.session.scalar(
            select(func.count())
            .select_from(AppointmentRequest)
            .where(
                AppointmentRequest.client_id == client.id,
                AppointmentRequest.status.in_(OPEN_REQUEST_STATUSES),
            )
        )
        if client
        else 0
    )
    unread = messages.unread_count(current_user, [client.id], kind="client") if client else 0
    waiting = check_ins.due_for(client, agency_today()) if client else []
    new_materials = materials.unread_count(client) if client else 0
    return render_template(
        "client/home.html",
        unread=unread,
        check_ins_waiting=waiting,
        new_materials=new_materials,
        client=client,
        next_appointment=next_appointment,
        open_requests=open_requests,
        plan=plan,
        goals=goals,
    )


@family_bp.route("/", endpoint="home")
def family_home() -> str:
    """The family member's home: what each client has chosen to share."""
    consents = db.session.scalars(
        policy.consents_in_force(current_user).options(selectinload(FamilyAccess.client))
    ).all()
    return render_template("family/home.html", consents=consents)
