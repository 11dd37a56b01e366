"""Who can see what: the client invites a family member, chooses what they see and until
when, changes it, and ends it at once. Every change is audited and on the record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import policy
from ..addresses import url_for
from ..auth.emails import send_invitation
from ..auth.web import client_ip
from ..extensions import db
from ..i18n import agency_zone
from ..models import Client, FamilyAccess
from ..services import audit, consents, tokens
from ..services.errors import DomainError
from . import client_bp
from .family_forms import InviteForm, ScopesForm
from .safety_plan import own_client


def _until(day: Any) -> datetime | None:
    """The end of the chosen day in the agency's zone: "until Friday" includes Friday."""
    if day is None:
        return None
    return datetime.combine(day, datetime.max.time(), agency_zone())


def _page(
    client: Client,
    invite: InviteForm,
    *,
    edit: tuple[int, ScopesForm] | None = None,
    status: int = 200,
) -> Any:
    rows = db.session.scalars(
        select(FamilyAccess)
        .options(selectinload(FamilyAccess.family_user))
        .where(FamilyAccess.client_id == client.id)
        .order_by(FamilyAccess.granted_at.desc())
    ).all()
    in_force = [c for c in rows if c.is_in_force()]
    ended = [c for c in rows if not c.is_in_force()]
    return render_template(
        "client/family.html",
        client=client,
        in_force=in_force,
        ended=ended,
        invite=invite,
        edit=edit,
    ), status


@client_bp.route("/family", methods=["GET"], endpoint="family")
def family_page() -> Any:
    """Who can see what of mine, until when; invite someone; change or end access."""
    client = own_client()
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="family_access",
        object_id=client.id,
        client_id=client.id,
        detail="client portal",
    )
    db.session.commit()
    return _page(client, InviteForm(formdata=None))


@client_bp.route("/family/invite", methods=["POST"])
def family_invite() -> Any:
    """Share with someone new: they get an email invitation to make an account."""
    client = own_client()
    form = InviteForm()
    if form.validate_on_submit():
        try:
            family, created = consents.find_or_create_family_user(
                form.email.data or "", form.name.data or ""
            )
            if not created and _already_sharing(client, family):
                form.email.errors = [
                    _("You already share with this person. Change what they see in the list above.")
                ]
                return _page(client, form, status=422)
            consents.grant(
                client,
                family,
                relationship_label=form.relationship_label.data or "",
                scopes=form.scopes.data or [],
                purpose=None,
                expires_at=_until(form.expires_on.data),
                actor=current_user,
                ip=client_ip(),
            )
        except DomainError:
            db.session.rollback()
            form.email.errors = [
                _("This email cannot be used for a family member. Please check it or use another.")
            ]
        else:
            if created:
                raw = tokens.issue(
                    family, "invite", minutes=int(current_app.config["INVITE_TOKEN_DAYS"]) * 24 * 60
                )
                send_invitation(family, url_for("auth.welcome", token=raw, _external=True))
            db.session.commit()
            flash(
                _("%(name)s can now see what you chose.", name=family.display_name)
                if not created
                else _("We sent %(name)s an invitation by email.", name=family.display_name),
                "success",
            )
            return redirect(url_for("client.family"), code=303)
    return _page(client, form, status=422)


def _already_sharing(client: Client, family: Any) -> bool:
    return any(
        c.is_in_force()
        for c in db.session.scalars(
            select(FamilyAccess).where(
                FamilyAccess.client_id == client.id, FamilyAccess.family_user_id == family.id
            )
        )
    )


def _own_consent(client: Client, consent_id: int) -> FamilyAccess:
    consent: FamilyAccess = policy.get_consent_or_404(client, consent_id)
    return consent


@client_bp.route("/family/<int:consent_id>", methods=["POST"])
def family_change(consent_id: int) -> Any:
    """Change what someone sees, and until when."""
    client = own_client()
    consent = _own_consent(client, consent_id)
    form = ScopesForm()
    if form.validate_on_submit():
        try:
            consents.change_scopes(
                consent,
                scopes=form.scopes.data or [],
                expires_at=_until(form.expires_on.data),
                actor=current_user,
                ip=client_ip(),
            )
        except DomainError:
            db.session.rollback()
            abort(404)  # an ended access cannot change: it is no longer on the page
        db.session.commit()
        flash(
            _("Saved. %(name)s sees only what you chose.", name=consent.family_user.display_name),
            "success",
        )
        return redirect(url_for("client.family"), code=303)
    return _page(client, InviteForm(formdata=None), edit=(consent.id, form), status=422)


@client_bp.route("/family/<int:consent_id>/end", methods=["POST"])
def family_end(consent_id: int) -> Any:
    """End someone's access now."""
    client = own_client()
    consent = _own_consent(client, consent_id)
    if request.form.get("confirm") == "yes":
        consents.revoke(consent, actor=current_user, ip=client_ip())
        db.session.commit()
        flash(
            _(
                "%(name)s can no longer see anything of yours.",
                name=consent.family_user.display_name,
            ),
            "success",
        )
    return redirect(url_for("client.family"), code=303)
