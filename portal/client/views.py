"""Client and family homes."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user
from sqlalchemy.orm import selectinload

from .. import policy
from ..extensions import db
from ..models import CareTeamMember, Client, FamilyAccess
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
    return render_template("client/home.html", client=client)


@family_bp.route("/", endpoint="home")
def family_home() -> str:
    """The family member's home: what each client has chosen to share."""
    consents = db.session.scalars(
        policy.consents_in_force(current_user).options(selectinload(FamilyAccess.client))
    ).all()
    return render_template("family/home.html", consents=consents)
