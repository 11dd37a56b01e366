"""The safety plan on a client's record: built with the client, every save a version."""

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
from ..htmx import is_partial
from ..models import SAFETY_SECTIONS, Client, SafetyPlanVersion
from ..printing import safety_plan_pdf_response
from ..services import safety_plans
from ..services.errors import DomainError, StaleEdit
from . import bp
from .clients import _audit_view, _load, _record_context
from .forms import ButtonForm, SafetyItemForm


def _require_editor() -> None:
    if not policy.may_write_notes(current_user):
        abort(403)


def _expected() -> int:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _context(client: Client, plan: SafetyPlanVersion | None, **extra: Any) -> dict[str, Any]:
    editable = policy.may_write_notes(current_user)
    forms = extra.pop("forms", {})
    return {
        "plan": plan,
        "sections": SAFETY_SECTIONS,
        "number": plan.number if plan else 0,
        "editable": editable,
        "new_forms": {
            s: forms.get(s) or SafetyItemForm(formdata=None, prefix=f"new-{s}")
            for s in SAFETY_SECTIONS
        }
        if editable
        else {},
        "button": ButtonForm(),
        "crisis_line_name": current_app.config["CRISIS_LINE_NAME"],
        "crisis_line_phone": current_app.config["CRISIS_LINE_PHONE"],
        **extra,
    }


def _respond(client: Client, status: int = 200, **extra: Any) -> Any:
    """After a change: htmx gets the plan again, a plain post goes back to the page."""
    plan = safety_plans.current(client)
    if is_partial():
        return render_template(
            "staff/safety_plans/_plan.html", client=client, **_context(client, plan, **extra)
        ), status
    if status >= 400:
        context = _record_context(client, "crisis")
        context.update(_context(client, plan, **extra))
        return render_template("staff/safety_plans/edit.html", **context), status
    return redirect(url_for("staff.safety_plan", client_id=client.id), code=303)


@bp.route("/clients/<int:client_id>/safety-plan")
def safety_plan(client_id: int) -> str:
    """The current safety plan, editable section by section."""
    client = _load(client_id)
    _audit_view(client, "safety plan")
    db.session.commit()
    context = _record_context(client, "crisis")
    context.update(_context(client, safety_plans.current(client)))
    return render_template("staff/safety_plans/edit.html", **context)


def _change(client: Client, change: Any, forms: dict[str, SafetyItemForm] | None = None) -> Any:
    try:
        change()
    except StaleEdit:
        db.session.rollback()
        # A new item's words stay in its form, ready to add to the plan as it is now.
        return _respond(
            client,
            409,
            conflict=_(
                "Someone saved the plan while you were working on it. It is shown as it "
                "is now; make your change again."
            ),
            forms=forms or {},
        )
    except DomainError:
        db.session.rollback()
        return _respond(client, 422, conflict=_("That change could not be made."))
    db.session.commit()
    if not is_partial():
        flash(_("Safety plan saved."), "success")
    return _respond(client, announce=_("Safety plan saved."))


@bp.route("/clients/<int:client_id>/safety-plan/items", methods=["POST"])
def safety_item_add(client_id: int) -> Any:
    """Add an item to a section (a new version)."""
    client = _load(client_id)
    _require_editor()
    section = request.form.get("section", "")
    if section not in SAFETY_SECTIONS:
        abort(400)
    form = SafetyItemForm(prefix=f"new-{section}")
    if not form.validate_on_submit():
        return _respond(client, 422, forms={section: form})
    return _change(
        client,
        lambda: safety_plans.add_item(
            client,
            section,
            form.text.data or "",
            form.phone.data,
            expected=_expected(),
            actor=current_user,
            ip=client_ip(),
        ),
        forms={section: form},
    )


@bp.route("/clients/<int:client_id>/safety-plan/items/<key>/edit", methods=["POST"])
def safety_item_edit(client_id: int, key: str) -> Any:
    """Change an item's words or phone number (a new version)."""
    client = _load(client_id)
    _require_editor()
    form = SafetyItemForm()
    if not form.validate_on_submit():
        return _respond(client, 422, conflict=_("Write the item."))
    return _change(
        client,
        lambda: safety_plans.edit_item(
            client,
            key,
            form.text.data or "",
            form.phone.data,
            expected=_expected(),
            actor=current_user,
            ip=client_ip(),
        ),
    )


@bp.route("/clients/<int:client_id>/safety-plan/items/<key>/remove", methods=["POST"])
def safety_item_remove(client_id: int, key: str) -> Any:
    client = _load(client_id)
    _require_editor()
    if not ButtonForm().validate_on_submit():
        abort(400)
    return _change(
        client,
        lambda: safety_plans.remove_item(
            client, key, expected=_expected(), actor=current_user, ip=client_ip()
        ),
    )


@bp.route("/clients/<int:client_id>/safety-plan/items/<key>/move", methods=["POST"])
def safety_item_move(client_id: int, key: str) -> Any:
    client = _load(client_id)
    _require_editor()
    if not ButtonForm().validate_on_submit():
        abort(400)
    direction = request.form.get("direction", "")
    return _change(
        client,
        lambda: safety_plans.move_item(
            client, key, direction, expected=_expected(), actor=current_user, ip=client_ip()
        ),
    )


@bp.route("/clients/<int:client_id>/safety-plan/client-sections", methods=["POST"])
def safety_client_sections(client_id: int) -> Any:
    """Choose the sections the client may add to from the portal."""
    client = _load(client_id)
    _require_editor()
    if not ButtonForm().validate_on_submit():
        abort(400)
    chosen = request.form.getlist("client_sections")
    return _change(
        client,
        lambda: safety_plans.set_client_sections(
            client, chosen, expected=_expected(), actor=current_user, ip=client_ip()
        ),
    )


@bp.route("/clients/<int:client_id>/safety-plan/versions")
def safety_versions(client_id: int) -> str:
    """Every version: who saved it, when, staff or the client, and what changed."""
    client = _load(client_id)
    _audit_view(client, "safety plan history")
    db.session.commit()
    return render_template(
        "staff/safety_plans/versions.html",
        versions=safety_plans.versions(client),
        **_record_context(client, "crisis"),
    )


@bp.route("/clients/<int:client_id>/safety-plan.pdf")
def safety_plan_pdf(client_id: int) -> Response:
    """The current plan as a PDF in the client's language."""
    client = _load(client_id)
    plan = safety_plans.current(client)
    if plan is None:
        abort(404)
    return safety_plan_pdf_response(client, plan, actor=current_user, ip=client_ip())
