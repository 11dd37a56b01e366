"""Goals and steps a client proposed from the portal: taken into the plan's draft, or
answered with a message the client reads in the portal."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..models import GoalProposal
from ..services import care_plans, goal_proposals
from ..services.errors import DomainError, IllegalTransition, StaleEdit
from . import bp
from .care_plans import _page_context
from .clients import _load


@bp.route("/clients/<int:client_id>/plan/proposals/<int:proposal_id>", methods=["POST"])
def plan_proposal(client_id: int, proposal_id: int) -> Any:
    """Accept a client's proposal into the draft, or answer it."""
    client = _load(client_id)
    if not policy.may_edit_plan(current_user):
        abort(403)
    proposal: GoalProposal = policy._child_or_404(GoalProposal, proposal_id, client)
    version = request.form.get("version", 0, type=int)
    action = request.form.get("action")
    try:
        if action == "accept":
            goal_proposals.accept(
                proposal, client, expected_version=version, actor=current_user, ip=client_ip()
            )
            message = _("Added to the draft in the client's words. Edit it there if needed.")
        elif action == "answer":
            goal_proposals.answer(
                proposal,
                response=request.form.get("response", ""),
                expected_version=version,
                actor=current_user,
                ip=client_ip(),
            )
            message = _("Answer sent. The client reads it on their goals page.")
        else:
            abort(400)
    except (StaleEdit, IllegalTransition):
        db.session.rollback()
        flash(_("Someone answered this proposal meanwhile."), "error")
        return redirect(url_for("staff.plan_detail", client_id=client.id), code=303)
    except DomainError as problem:
        db.session.rollback()
        message = (
            _(
                "The goal this step belongs to is no longer in the draft. Add the step by "
                "hand, or answer the client."
            )
            if action == "accept"
            else _("Write the answer the client will read.")
        )
        plan = care_plans.draft(client) or care_plans.latest_signed(client)
        context = _page_context(client, plan)
        context.update(proposal_error=(proposal.id, message))
        del problem
        return render_template("staff/care_plans/detail.html", **context), 422
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("staff.plan_detail", client_id=client.id), code=303)
