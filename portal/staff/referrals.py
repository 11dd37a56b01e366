"""Referrals on a client's record: propose, move along the loop, record the outcome, print."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from .. import i18n, policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import choices
from ..models import REFERRAL_TRANSITIONS, Client, Referral, Resource
from ..printing import printed
from ..services import care_plans, referrals
from ..services.errors import DomainError, IllegalTransition, StaleEdit
from . import bp
from .clients import _audit_view, _load, _record_context
from .forms import ReferralForm, ReferralMoveForm


def _require_clinical() -> None:
    if not policy.may_write_notes(current_user):
        abort(403)


def _referral_form(client: Client) -> ReferralForm:
    form = ReferralForm()
    active = db.session.scalars(
        select(Resource).where(Resource.active.is_(True)).order_by(Resource.sort_name, Resource.id)
    ).all()
    form.resource_id.choices = choices([(r.id, r.name) for r in active])
    form.client_id.choices = choices([(client.id, client.display_name)])
    plan = care_plans.in_force(client)
    goals = care_plans.load_goals(plan) if plan else []
    form.goal_key.choices = choices(
        [("", _("No particular goal")), *((g.key, g.description[:80]) for g in goals)]
    )
    return form


@bp.route("/clients/<int:client_id>/referrals", methods=["GET", "POST"])
def referral_index(client_id: int) -> Any:
    """The client's referrals, open first, and a form to propose a new one."""
    client = _load(client_id)
    form = _referral_form(client)
    if request.method == "POST":
        _require_clinical()
        form.client_id.data = client.id
        if form.validate_on_submit():
            resource = db.session.get(Resource, form.resource_id.data or 0)
            if resource is None or not resource.active:
                form.resource_id.errors = [_("Choose a resource from the directory.")]
            else:
                referral = referrals.create(
                    client,
                    resource,
                    form.data,
                    actor=current_user,
                    ip=client_ip(),
                    today=i18n.agency_today(),
                )
                db.session.commit()
                flash(_("Referral proposed."), "success")
                return redirect(
                    url_for("staff.referral_detail", client_id=client.id, referral_id=referral.id),
                    code=303,
                )
    else:
        _audit_view(client, "referrals")
        db.session.commit()
    rows = db.session.scalars(
        select(Referral)
        .options(selectinload(Referral.resource))
        .where(Referral.client_id == client.id)
        .order_by(Referral.status.in_(("completed", "declined", "cancelled")), Referral.id.desc())
    ).all()
    return render_template(
        "staff/referrals/index.html",
        rows=rows,
        form=form,
        may_refer=policy.may_write_notes(current_user),
        **_record_context(client, "referrals"),
    ), 422 if form.errors else 200


def _referral_or_404(client: Client, referral_id: int) -> Referral:
    referral: Referral = policy._child_or_404(Referral, referral_id, client)
    return referral


@bp.route("/clients/<int:client_id>/referrals/<int:referral_id>", methods=["GET", "POST"])
def referral_detail(client_id: int, referral_id: int) -> Any:
    """One referral with its history; the next steps are buttons with a note."""
    client = _load(client_id)
    referral = _referral_or_404(client, referral_id)
    form = ReferralMoveForm()
    error = None
    if request.method == "POST":
        _require_clinical()
        if form.validate_on_submit():
            try:
                referrals.move(
                    referral,
                    form.to_status.data or "",
                    note=form.note.data,
                    outcome=form.outcome.data,
                    follow_up_on=form.follow_up_on.data,
                    expected_version=int(form.version.data or 0),
                    actor=current_user,
                    ip=client_ip(),
                )
            except StaleEdit:
                db.session.rollback()
                error = _("Someone updated this referral meanwhile; here it is now.")
            except IllegalTransition:
                db.session.rollback()
                error = _("That step is not possible from here.")
            except DomainError as problem:
                db.session.rollback()
                if "outcome" in str(problem):
                    form.outcome.errors = [_("Record the outcome to complete the referral.")]
                else:
                    form.note.errors = [_("Give a reason to decline or cancel.")]
            else:
                db.session.commit()
                flash(_("Referral updated."), "success")
                return redirect(request.path, code=303)
    else:
        _audit_view(client, f"referral {referral.id}")
        db.session.commit()
    referral = _referral_or_404(client, referral_id)
    form.version.data = str(referral.version)
    return render_template(
        "staff/referrals/detail.html",
        referral=referral,
        form=form,
        error=error,
        steps=REFERRAL_TRANSITIONS[referral.status],
        may_move=policy.may_write_notes(current_user),
        **_record_context(client, "referrals"),
    ), 409 if error else (422 if form.errors else 200)


@bp.route("/clients/<int:client_id>/referrals/<int:referral_id>/summary.pdf")
def referral_print(client_id: int, referral_id: int) -> Response:
    """A summary to hand over: where, when, what to bring, in the client's language."""
    client = _load(client_id)
    referral = _referral_or_404(client, referral_id)
    return printed(
        "referrals/print.html",
        client=client,
        actor=current_user,
        ip=client_ip(),
        object_type="referral",
        object_id=referral.id,
        detail="summary",
        filename="referral.pdf",
        referral=referral,
        resource=referral.resource,
    )
