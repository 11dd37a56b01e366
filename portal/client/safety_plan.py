"""The client's own safety plan: always one tap away, readable on a phone, printable."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..models import SAFETY_SECTIONS, Client, SafetyPlanVersion
from ..printing import safety_plan_pdf_response
from ..services import audit, safety_plans
from ..services.errors import DomainError, StaleEdit
from . import client_bp, family_bp


def own_client() -> Client:
    """The signed-in client's own record (there is exactly one, or the page is missing)."""
    client = policy.own_record(current_user)
    if client is None:
        abort(404)
    return client


def _audit_view(client: Client, what: str) -> None:
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="safety_plan",
        object_id=client.id,
        client_id=client.id,
        detail=what,
    )


def _page(client: Client, plan: SafetyPlanVersion | None, status: int = 200, **extra: Any) -> Any:
    return render_template(
        "client/safety_plan.html",
        client=client,
        plan=plan,
        sections=SAFETY_SECTIONS,
        crisis_line_name=current_app.config["CRISIS_LINE_NAME"],
        crisis_line_phone=current_app.config["CRISIS_LINE_PHONE"],
        **extra,
    ), status


@client_bp.route("/safety-plan")
def safety_plan() -> Any:
    """My safety plan: large type, numbers to tap, works without JavaScript."""
    client = own_client()
    _audit_view(client, "client portal")
    db.session.commit()
    return _page(client, safety_plans.current(client))


def _expected() -> int:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else -1


@client_bp.route("/safety-plan/items", methods=["POST"])
def safety_plan_add() -> Any:
    """The client adds to a section their case manager opened to them."""
    client = own_client()
    section = request.form.get("section", "")
    text = request.form.get("text", "")
    try:
        safety_plans.add_item(
            client,
            section,
            text,
            request.form.get("phone"),
            expected=_expected(),
            actor=current_user,
            ip=client_ip(),
            by_client=True,
        )
    except StaleEdit:
        db.session.rollback()
        # Their words stay in the box, ready to add to the plan as it is now.
        return _page(
            client,
            safety_plans.current(client),
            409,
            error_section=section,
            typed=text,
            error=_("Your plan changed while you were writing. Here it is now; add it again."),
        )
    except DomainError:
        db.session.rollback()
        return _page(
            client,
            safety_plans.current(client),
            422,
            error_section=section,
            typed=text,
            error=_("Write something to add."),
        )
    db.session.commit()
    flash(_("Added to your safety plan."), "success")
    return redirect(url_for("client.safety_plan") + f"#section-{section}", code=303)


@client_bp.route("/safety-plan/pins", methods=["POST"])
def safety_plan_pins() -> Any:
    """Pin up to three steps or people to the help screen."""
    client = own_client()
    try:
        safety_plans.set_pinned(
            client,
            request.form.getlist("pinned"),
            expected=_expected(),
            actor=current_user,
            ip=client_ip(),
        )
    except StaleEdit:
        db.session.rollback()
        flash(_("Your plan changed meanwhile. Choose again."), "error")
        return redirect(url_for("client.safety_plan") + "#pins", code=303)
    except DomainError:
        db.session.rollback()
        return _page(
            client,
            safety_plans.current(client),
            422,
            pin_error=_("Choose up to three."),
            ticked=request.form.getlist("pinned"),
        )
    db.session.commit()
    flash(_("Your help screen shows what you pinned."), "success")
    return redirect(url_for("main.get_help"), code=303)


@client_bp.route("/safety-plan.pdf")
def safety_plan_pdf() -> Response:
    client = own_client()
    plan = safety_plans.current(client)
    if plan is None:
        abort(404)
    return safety_plan_pdf_response(client, plan, actor=current_user, ip=client_ip())


@client_bp.route("/safety-plan/wallet-card.pdf")
def safety_plan_wallet() -> Response:
    """A card with the numbers and first steps, to keep in a wallet."""
    client = own_client()
    plan = safety_plans.current(client)
    if plan is None:
        abort(404)
    return safety_plan_pdf_response(client, plan, actor=current_user, ip=client_ip(), wallet=True)


@family_bp.route("/clients/<int:client_id>/safety-plan")
def family_safety_plan(client_id: int) -> Any:
    """A family member sees the plan only while the client's consent covers it."""
    client = db.session.scalar(
        policy.clients_shared_with(current_user, "safety_plan").where(Client.id == client_id)
    )
    if client is None:
        abort(404)
    _audit_view(client, "family")
    db.session.commit()
    return render_template(
        "family/safety_plan.html",
        client=client,
        plan=safety_plans.current(client),
        sections=SAFETY_SECTIONS,
        crisis_line_name=current_app.config["CRISIS_LINE_NAME"],
        crisis_line_phone=current_app.config["CRISIS_LINE_PHONE"],
    )
