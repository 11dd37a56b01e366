"""The care plan on a client's record: draft inline, sign, approve, compare, print, progress."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import charts, i18n, policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..htmx import fragment_or_page, is_partial, page_at
from ..models import Assessment, CarePlan, Client, Goal
from ..printing import printed
from ..services import assessments, care_plans, goal_proposals
from ..services.care_plans import PlanFrozen, PlanPart
from ..services.errors import DomainError, StaleEdit
from . import bp
from .clients import _audit_view, _load, _open_record, _record_context
from .forms import (
    ButtonForm,
    GoalForm,
    InterventionForm,
    ObjectiveForm,
    ProgressForm,
    SignPlanForm,
)

FORMS: dict[str, type[GoalForm] | type[ObjectiveForm] | type[InterventionForm]] = {
    "goal": GoalForm,
    "objective": ObjectiveForm,
    "intervention": InterventionForm,
}
NEEDS_INSTRUMENT = "psychosocial"


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _part_form(kind: str, part: PlanPart | None = None, **kwargs: Any) -> Any:
    # Prefixed ids: several forms of the same kind can be open on one page.
    prefix = f"{kind}-{part.id}" if part is not None else f"new-{kind}-{kwargs.pop('parent', 0)}"
    return FORMS[kind](prefix=prefix, **kwargs)


def _plan_context(client: Client, plan: CarePlan | None) -> dict[str, Any]:
    """What the plan page and its pieces need: goals with their steps, progress, needs."""
    goals = care_plans.load_goals(plan) if plan is not None else []
    # A goal's line shows its last rating only; the history has its own page.
    progress = care_plans.latest_progress(client, [g.key for g in goals])
    needs_assessment: Assessment | None = None
    needs: list[str] = []
    instrument = assessments.instruments().get(NEEDS_INSTRUMENT)
    if plan is not None and plan.is_draft:
        needs_assessment, needs = care_plans.open_needs(plan, instrument, goals)
    editable = plan is not None and plan.is_draft and policy.may_edit_plan(current_user)
    return {
        "plan": plan,
        "goals": goals,
        "progress": progress,
        "needs": needs,
        "needs_assessment": needs_assessment,
        "needs_instrument": instrument,
        "editable": editable,
        "new_goal_form": _part_form("goal", formdata=None) if editable else None,
        # A goal's "add objective" and "add intervention" are closed: their forms are
        # fetched when opened (``child_new``), or drawn open after an addition or a refusal.
        "child_forms": {},
        "button": ButtonForm(),
        "locale": i18n.current_language(),
    }


def _page_context(
    client: Client,
    plan: CarePlan | None,
    *,
    record: dict[str, Any] | None = None,
    in_force: CarePlan | None | bool = False,
) -> dict[str, Any]:
    """Everything the whole plan page draws, its status panel's actions included, so that a
    page drawn again after a refusal (409, 422) offers the same ways forward. ``record`` and
    ``in_force``: what the view has loaded already (``False``: not loaded)."""
    context = record if record is not None else _record_context(client, "plan")
    context.update(_plan_context(client, plan))
    context.update(
        in_force=care_plans.in_force(client) if in_force is False else in_force,
        may_edit_plan=policy.may_edit_plan(current_user),
        may_approve=policy.may_approve_plan(current_user),
        proposals=goal_proposals.open_for(client),
        proposal_error=None,
    )
    return context


def _frozen_response(client: Client, plan: CarePlan) -> tuple[str, int]:
    """Any change that reaches a signed version: refused, with the way forward."""
    message = _(
        "Version %(number)s of this plan is signed and cannot change. "
        "Start a new version to make changes.",
        number=plan.number,
    )
    if is_partial():
        return render_template(
            "staff/care_plans/_frozen.html", client=client, plan=plan, message=message
        ), 409
    flash(message, "error")
    return render_template("staff/care_plans/detail.html", **_page_context(client, plan)), 409


def _plan_changed(
    client: Client, announce: str | None = None, *, focus_list: bool = False
) -> Response | str:
    """After a change to the goals list: htmx gets the list (and the screen reader hears what
    happened), a plain post the page."""
    plan = care_plans.draft(client)
    if is_partial() and plan is not None:
        return render_template(
            "staff/care_plans/_goals.html",
            client=client,
            announce=announce,
            focus_list=focus_list,
            **_plan_context(client, plan),
        )
    return redirect(url_for("staff.plan_detail", client_id=client.id), code=303)


@bp.route("/clients/<int:client_id>/plan")
def plan_detail(client_id: int) -> str:
    """The working plan: the draft when there is one, else the newest signed version."""
    client, record = _open_record(client_id, "plan")
    _audit_view(client, "care plan")
    db.session.commit()
    versions = care_plans.working_versions(client)
    plan = versions.draft or versions.latest_signed
    context = _page_context(client, plan, record=record, in_force=versions.in_force)
    return render_template("staff/care_plans/detail.html", **context)


@bp.route("/clients/<int:client_id>/plan/versions/<int:plan_id>")
def plan_version(client_id: int, plan_id: int) -> str:
    """One version exactly as it was signed (or as the draft stands)."""
    client = _load(client_id)
    plan = policy.get_plan_or_404(client, plan_id)
    _audit_view(client, f"care plan version {plan.number}")
    db.session.commit()
    context = _page_context(client, plan)
    context["single_version"] = True
    return render_template("staff/care_plans/detail.html", **context)


@bp.route("/clients/<int:client_id>/plan/versions")
def plan_versions(client_id: int) -> str:
    """Every version, who signed and approved it, and links to compare neighbours."""
    client = _load(client_id)
    _audit_view(client, "care plan history")
    db.session.commit()
    return render_template(
        "staff/care_plans/versions.html",
        versions=care_plans.versions(client),
        **_record_context(client, "plan"),
    )


@bp.route("/clients/<int:client_id>/plan/compare")
def plan_compare(client_id: int) -> str:
    """What changed between two versions."""
    client = _load(client_id)
    before = policy.get_plan_or_404(client, request.args.get("before", 0, type=int))
    after = policy.get_plan_or_404(client, request.args.get("after", 0, type=int))
    _audit_view(client, f"care plan compare {before.number}-{after.number}")
    db.session.commit()
    return render_template(
        "staff/care_plans/compare.html",
        before=before,
        after=after,
        changes=care_plans.diff(before, after),
        fields=care_plans.FIELDS,
        **_record_context(client, "plan"),
    )


@bp.route("/clients/<int:client_id>/plan/start", methods=["POST"])
def plan_start(client_id: int) -> Response:
    """Open a draft: empty the first time, else a copy of the newest signed version."""
    client = _load(client_id)
    _require(policy.may_edit_plan(current_user))
    if not ButtonForm().validate_on_submit():
        abort(400)
    had_draft = care_plans.draft(client) is not None
    plan = care_plans.start_draft(client, actor=current_user, ip=client_ip())
    db.session.commit()
    if not had_draft:
        flash(_("Draft version %(number)s started.", number=plan.number), "success")
    return redirect(url_for("staff.plan_detail", client_id=client.id), code=303)


@bp.route("/clients/<int:client_id>/plan/<int:plan_id>/goals", methods=["POST"])
def goal_create(client_id: int, plan_id: int) -> Response | str | tuple[str, int]:
    """Add a goal at the end of the draft."""
    client = _load(client_id)
    _require(policy.may_edit_plan(current_user))
    plan = policy.get_plan_or_404(client, plan_id)
    if not plan.is_draft:
        return _frozen_response(client, plan)
    form = _part_form("goal")
    if form.validate_on_submit():
        try:
            care_plans.add_goal(plan, form.data, actor=current_user, ip=client_ip())
        except StaleEdit:
            db.session.rollback()
            return _frozen_response(client, policy.get_plan_or_404(client, plan_id))
        db.session.commit()
        if not is_partial():
            flash(_("Goal added."), "success")
        return _plan_changed(client, _("Goal added."))
    context = _page_context(client, plan)
    context["new_goal_form"] = form
    template = "staff/care_plans/_goals.html" if is_partial() else "staff/care_plans/detail.html"
    return render_template(template, **context), 422


@bp.route("/clients/<int:client_id>/plan/<int:plan_id>/needs/<item_id>", methods=["POST"])
def need_to_goal(client_id: int, plan_id: int, item_id: str) -> Response | str | tuple[str, int]:
    """One click: a need from the latest needs assessment becomes a goal of the draft."""
    client = _load(client_id)
    _require(policy.may_edit_plan(current_user))
    plan = policy.get_plan_or_404(client, plan_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    if not plan.is_draft:
        return _frozen_response(client, plan)
    instrument = assessments.instruments().get(NEEDS_INSTRUMENT)
    assessment, needs = care_plans.open_needs(plan, instrument)
    if assessment is None or instrument is None or item_id not in needs:
        abort(404)
    care_plans.need_to_goal(
        plan,
        assessment,
        item_id,
        instrument,
        locale=client.preferred_language,
        actor=current_user,
        ip=client_ip(),
    )
    db.session.commit()
    if not is_partial():
        flash(_("Goal added from the needs assessment."), "success")
    return _plan_changed(client, _("Goal added from the needs assessment."))


def _part_response(client: Client, kind: str, part: PlanPart) -> str:
    return render_template(
        f"staff/care_plans/_{kind}.html",
        client=client,
        part=part,
        editable=True,
        button=ButtonForm(),
        progress={},
        announce=_("Saved."),
    )


def _goal_card(client: Client, goal: Goal, **context: Any) -> str:
    """A goal with its objectives and interventions, after one of them changed; ``new_forms``
    (by kind) are drawn open."""
    forms = context.pop("new_forms", {})
    return render_template(
        "staff/care_plans/_goal_card.html",
        client=client,
        part=goal,
        editable=True,
        button=ButtonForm(),
        progress={},
        new_forms=forms,
        **context,
    )


def _goal_to_change(client_id: int, goal_id: int) -> tuple[Client, Goal]:
    """The client and a goal of their plan, for someone who may edit plans (the plan may be
    signed: the caller answers that)."""
    client = _load(client_id)
    _require(policy.may_edit_plan(current_user))
    goal = policy.get_plan_part_or_404(client, "goal", goal_id)
    assert isinstance(goal, Goal)
    return client, goal


def _child_form(goal: Goal, kind: str) -> Any:
    """An empty form that adds an objective or an intervention to ``goal``."""
    return _part_form(kind, formdata=None, parent=goal.id)


@bp.route(
    "/clients/<int:client_id>/plan/<any(goal,objective,intervention):kind>/<int:part_id>/edit",
    methods=["GET", "POST"],
)
def part_edit(client_id: int, kind: str, part_id: int) -> Response | str | tuple[str, int]:
    """Edit a goal, objective or intervention in place; a stale version shows both (409)."""
    client = _load(client_id)
    _require(policy.may_edit_plan(current_user))
    part = policy.get_plan_part_or_404(client, kind, part_id)
    plan = care_plans.plan_of(part)
    if not plan.is_draft:
        return _frozen_response(client, plan)
    form = _part_form(kind, part, obj=part if request.method == "GET" else None)
    conflict = None
    if request.method == "GET":
        form.version.data = str(part.version)
    elif form.validate_on_submit():
        try:
            care_plans.update_part(
                part,
                form.data,
                expected_version=int(form.version.data or 0),
                actor=current_user,
                ip=client_ip(),
            )
            db.session.commit()
            if is_partial():
                return _part_response(client, kind, part)
            flash(_("Saved."), "success")
            return redirect(
                url_for("staff.plan_detail", client_id=client.id) + f"#{kind}-{part.id}", code=303
            )
        except PlanFrozen:
            db.session.rollback()
            return _frozen_response(client, plan)
        except StaleEdit:
            db.session.rollback()
            part = policy.get_plan_part_or_404(client, kind, part_id)
            plan = care_plans.plan_of(part)
            if not plan.is_draft:
                return _frozen_response(client, plan)
            form.version.data = str(part.version)
            conflict = part
    if is_partial():
        template, context = "staff/care_plans/_part_form.html", {"client": client}
    else:
        # A page of its own (without JavaScript) shows the part and the record's header.
        _audit_view(client, f"care plan {kind} {part.id}")
        db.session.commit()
        template, context = "staff/care_plans/part_form.html", _record_context(client, "plan")
    status = 409 if conflict else (422 if form.errors else 200)
    body = render_template(
        template,
        kind=kind,
        part=part,
        form=form,
        conflict=conflict,
        fields=care_plans.FIELDS[kind],
        **context,
    )
    return fragment_or_page(body, status)


@bp.route("/clients/<int:client_id>/plan/<any(goal,objective,intervention):kind>/<int:part_id>")
def part_show(client_id: int, kind: str, part_id: int) -> Any:
    """One goal, objective or intervention (htmx "cancel" on an inline edit); asked for
    without htmx, the plan page at that part."""
    client = _load(client_id)
    part = policy.get_plan_part_or_404(client, kind, part_id)
    if not is_partial():
        return page_at(url_for("staff.plan_detail", client_id=client.id) + f"#{kind}-{part.id}")
    plan = care_plans.plan_of(part)
    editable = plan.is_draft and policy.may_edit_plan(current_user)
    return fragment_or_page(
        render_template(
            f"staff/care_plans/_{kind}.html",
            client=client,
            part=part,
            editable=editable,
            button=ButtonForm(),
            progress=care_plans.progress_by_goal(client, [part.key]) if kind == "goal" else {},
        )
    )


def _structure_change(
    client_id: int, kind: str, part_id: int, change: Any, announce: str, *, removed: bool = False
) -> Any:
    """Remove or move a part; the enclosing list comes back (htmx) or the page (plain post)."""
    client = _load(client_id)
    _require(policy.may_edit_plan(current_user))
    part = policy.get_plan_part_or_404(client, kind, part_id)
    plan = care_plans.plan_of(part)
    if not ButtonForm().validate_on_submit():
        abort(400)
    goal = part.goal if not isinstance(part, Goal) else None
    try:
        change(part)
    except (PlanFrozen, StaleEdit):
        db.session.rollback()
        return _frozen_response(client, policy.get_plan_or_404(client, plan.id))
    db.session.commit()
    # After a removal the pressed button is gone: focus goes to the list's heading.
    if goal is not None and is_partial():
        return _goal_card(client, goal, announce=announce, focus_kind=kind if removed else None)
    return _plan_changed(client, announce, focus_list=removed)


@bp.route(
    "/clients/<int:client_id>/plan/<any(goal,objective,intervention):kind>/<int:part_id>/delete",
    methods=["POST"],
)
def part_delete(client_id: int, kind: str, part_id: int) -> Any:
    """Remove a goal (with its steps), an objective or an intervention from the draft."""
    return _structure_change(
        client_id,
        kind,
        part_id,
        lambda part: care_plans.remove_part(part, actor=current_user, ip=client_ip()),
        _("Removed."),
        removed=True,
    )


@bp.route(
    "/clients/<int:client_id>/plan/<any(goal,objective,intervention):kind>/<int:part_id>/move",
    methods=["POST"],
)
def part_move(client_id: int, kind: str, part_id: int) -> Any:
    """Move a part up or down among its siblings."""
    direction = request.form.get("direction", "")
    return _structure_change(
        client_id,
        kind,
        part_id,
        lambda part: care_plans.move_part(part, direction, actor=current_user, ip=client_ip()),
        _("Moved."),
    )


@bp.route("/clients/<int:client_id>/plan/goal/<int:goal_id>/<any(objective,intervention):kind>/new")
def child_new(client_id: int, goal_id: int, kind: str) -> Any:
    """The form that adds an objective or an intervention to a goal of the draft: alone when
    htmx opens "Add objective" in the goal's card, else on a page of its own."""
    client, goal = _goal_to_change(client_id, goal_id)
    if not goal.plan.is_draft:
        return _frozen_response(client, goal.plan)
    page = {"client": client, "goal": goal, "kind": kind, "form": _child_form(goal, kind)}
    if is_partial():
        return fragment_or_page(
            render_template("staff/care_plans/_child_form.html", autofocus=True, **page)
        )
    _audit_view(client, f"care plan goal {goal.id}")
    db.session.commit()
    page.update(_record_context(client, "plan"), standalone=True)
    return fragment_or_page(
        render_template("staff/care_plans/child_new.html", autofocus=True, **page)
    )


@bp.route(
    "/clients/<int:client_id>/plan/goal/<int:goal_id>/<any(objective,intervention):kind>",
    methods=["POST"],
)
def child_create(client_id: int, goal_id: int, kind: str) -> Any:
    """Add an objective or an intervention to a goal of the draft."""
    client, goal = _goal_to_change(client_id, goal_id)
    if not goal.plan.is_draft:
        return _frozen_response(client, goal.plan)
    form = _part_form(kind, parent=goal.id)
    if form.validate_on_submit():
        try:
            care_plans.add_child(goal, kind, form.data, actor=current_user, ip=client_ip())
        except (PlanFrozen, StaleEdit):
            db.session.rollback()
            return _frozen_response(client, policy.get_plan_or_404(client, goal.plan_id))
        db.session.commit()
        if not is_partial():
            flash(_("Added."), "success")
            return redirect(
                url_for("staff.plan_detail", client_id=client.id) + f"#goal-card-{goal.id}",
                code=303,
            )
        # Open again, empty, for the next one.
        new_forms = {kind: _child_form(goal, kind)}
        announce = _("Objective added.") if kind == "objective" else _("Intervention added.")
    else:
        new_forms = {kind: form}
        announce = None
    status = 422 if form.errors else 200
    if is_partial():
        return _goal_card(client, goal, new_forms=new_forms, announce=announce), status
    context = _page_context(client, goal.plan)
    context["child_forms"] = {goal.id: new_forms}
    return render_template("staff/care_plans/detail.html", **context), status


@bp.route("/clients/<int:client_id>/plan/<int:plan_id>/sign", methods=["GET", "POST"])
def plan_sign(client_id: int, plan_id: int) -> Response | str | tuple[str, int]:
    """Sign the draft: it is frozen from here on, with its review date."""
    client = _load(client_id)
    _require(policy.may_edit_plan(current_user))
    plan = policy.get_plan_or_404(client, plan_id)
    if not plan.is_draft:
        return _frozen_response(client, plan)
    today = i18n.agency_today()
    form = SignPlanForm()
    if request.method == "GET":
        form.review_due_on.data = care_plans.default_review_date(today)
    elif form.validate_on_submit():
        try:
            care_plans.sign(
                plan,
                review_due_on=form.review_due_on.data,
                actor=current_user,
                ip=client_ip(),
                today=today,
            )
            db.session.commit()
            if plan.status == "awaiting_approval":
                flash(
                    _("Plan signed. It comes into force when a supervisor approves it."), "success"
                )
            else:
                flash(
                    _("Plan signed. Version %(number)s is in force.", number=plan.number), "success"
                )
            return redirect(url_for("staff.plan_detail", client_id=client.id), code=303)
        except StaleEdit:
            db.session.rollback()
            return _frozen_response(client, policy.get_plan_or_404(client, plan_id))
        except DomainError:
            db.session.rollback()
            form.form_errors.append(_("Add at least one goal before signing the plan."))
    context = _record_context(client, "plan")
    context.update(_plan_context(client, plan))
    context["sign_form"] = form
    context["approval_required"] = current_app.config["CARE_PLAN_APPROVAL_REQUIRED"]
    status = 422 if (form.errors or form.form_errors) else 200
    return render_template("staff/care_plans/sign.html", **context), status


@bp.route("/clients/<int:client_id>/plan/<int:plan_id>/approve", methods=["POST"])
def plan_approve(client_id: int, plan_id: int) -> Response:
    """A supervisor approves a signed version; it comes into force."""
    client = _load(client_id)
    _require(policy.may_approve_plan(current_user))
    plan = policy.get_plan_or_404(client, plan_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        care_plans.approve(plan, actor=current_user, ip=client_ip())
        db.session.commit()
        flash(_("Plan approved. Version %(number)s is in force.", number=plan.number), "success")
    except DomainError as error:
        db.session.rollback()
        messages = {
            "a plan is approved by someone other than its signer": _(
                "You signed this plan; another supervisor approves it."
            ),
            "a newer version has been signed since": _(
                "A newer version has been signed since; approve that one instead."
            ),
        }
        flash(messages.get(str(error), _("This version is not awaiting approval.")), "error")
    return redirect(url_for("staff.plan_detail", client_id=client.id), code=303)


@bp.route("/clients/<int:client_id>/plan/<int:plan_id>/pdf")
def plan_pdf(client_id: int, plan_id: int) -> Response:
    """The signed plan as a PDF in the client's language, with lines for both signatures."""
    client = _load(client_id)
    plan = policy.get_plan_or_404(client, plan_id)
    if not plan.is_signed:
        abort(404)
    return printed(
        "staff/care_plans/print.html",
        client=client,
        actor=current_user,
        ip=client_ip(),
        object_type="care_plan",
        object_id=plan.id,
        detail=f"version {plan.number} pdf",
        filename=f"care-plan-{client.record_number or client.id}-v{plan.number}.pdf",
        plan=plan,
        goals=care_plans.load_goals(plan),
    )


@bp.route("/clients/<int:client_id>/plan/goal/<int:goal_id>/progress", methods=["GET", "POST"])
def goal_progress(client_id: int, goal_id: int) -> Response | str | tuple[str, int]:
    """A goal's progress over time (chart and table) and a form to record today's."""
    client = _load(client_id)
    goal = policy.get_plan_part_or_404(client, "goal", goal_id)
    assert isinstance(goal, Goal)
    may_record = policy.may_record_progress(current_user) and goal.plan.status in (
        "active",
        "awaiting_approval",
    )
    today = i18n.agency_today()
    form = ProgressForm()
    if request.method == "POST":
        _require(may_record)
        if form.validate_on_submit():
            care_plans.add_progress(
                goal,
                rating=int(form.rating.data or 0),
                comment=form.comment.data,
                recorded_on=form.recorded_on.data or today,
                actor=current_user,
                ip=client_ip(),
                today=today,
            )
            db.session.commit()
            flash(_("Progress recorded."), "success")
            return redirect(
                url_for("staff.goal_progress", client_id=client.id, goal_id=goal.id), code=303
            )
    else:
        _audit_view(client, f"goal {goal.id} progress")
        db.session.commit()
        form.recorded_on.data = today
    entries = care_plans.progress_by_goal(client, [goal.key])[goal.key]
    chart = charts.progress(entries)
    context = _record_context(client, "plan")
    return render_template(
        "staff/care_plans/progress.html",
        goal=goal,
        entries=entries,
        chart=chart,
        form=form,
        may_record=may_record,
        locale=i18n.current_language(),
        **context,
    ), 422 if form.errors else 200
