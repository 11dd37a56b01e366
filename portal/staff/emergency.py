"""Emergency access ("break the glass") and the supervisors' review of it."""

from __future__ import annotations

from collections.abc import Sequence

from flask import abort, flash, redirect, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from .. import policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..models import Client, EmergencyAccess
from ..services import clients
from ..services.errors import DomainError
from . import bp
from .forms import ButtonForm, EmergencyAccessForm


def _find_exactly(form: EmergencyAccessForm) -> Client | None:
    """Only an exact record number, or the exact legal name (in any case, with or without its
    accents) with the date of birth, finds a record: this page is no search engine for records
    one may not see."""
    if form.record_number.data:
        return db.session.scalar(
            select(Client).where(
                func.upper(Client.record_number) == form.record_number.data.upper()
            )
        )
    if form.legal_name.data and form.date_of_birth.data:
        matches = clients.find_duplicates(form.legal_name.data, form.date_of_birth.data)
        return matches[0] if len(matches) == 1 else None
    return None


@bp.route("/emergency-access", methods=["GET", "POST"])
def emergency_access() -> Response | str | tuple[str, int]:
    """Open a record outside one's care teams, for a limited time, with a reason."""
    if not policy.may_use_emergency_access(current_user):
        abort(403)
    form = EmergencyAccessForm()
    if form.validate_on_submit():
        client = _find_exactly(form)
        if client is None:
            form.record_number.errors = [
                _(
                    "No single record matches. Enter the exact record number, or the legal name "
                    "and date of birth."
                )
            ]
        else:
            try:
                clients.grant_emergency_access(
                    current_user, client, form.reason.data or "", ip=client_ip()
                )
            except DomainError:
                form.reason.errors = [_("Say a little more (at least 10 characters).")]
            else:
                db.session.commit()
                flash(_("Emergency access granted. It is logged and will be reviewed."), "info")
                return redirect(url_for("staff.client_detail", client_id=client.id), code=303)
    reviews: Sequence[EmergencyAccess] = []
    if policy.may_review_emergency_access(current_user):
        reviews = db.session.scalars(
            select(EmergencyAccess)
            .options(
                selectinload(EmergencyAccess.user),
                selectinload(EmergencyAccess.client),
                selectinload(EmergencyAccess.reviewed_by),
            )
            .order_by(EmergencyAccess.reviewed_at.is_not(None), EmergencyAccess.granted_at.desc())
            .limit(50)
        ).all()
    return render_template(
        "staff/emergency.html", form=form, reviews=reviews, button=ButtonForm()
    ), 422 if form.errors else 200


@bp.route("/emergency-access/<int:access_id>/review", methods=["POST"])
def emergency_review(access_id: int) -> Response:
    """A supervisor marks an emergency access as reviewed."""
    if not policy.may_review_emergency_access(current_user):
        abort(403)
    access = db.session.get(EmergencyAccess, access_id)
    if access is None:
        abort(404)
    if ButtonForm().validate_on_submit():
        clients.review_emergency_access(access, actor=current_user, ip=client_ip())
        db.session.commit()
        flash(_("Marked as reviewed."), "success")
    return redirect(url_for("staff.emergency_access"), code=303)
