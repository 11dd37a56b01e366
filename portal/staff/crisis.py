"""Crisis events on a client's record, the agency's crisis log and the risk review."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from .. import i18n, policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..models import Client, CrisisEvent, Role, User
from ..services import crisis
from ..services.errors import DomainError
from . import bp
from .clients import _audit_view, _load, _record_context
from .forms import CrisisForm, ResolveCrisisForm


def _require_clinical() -> None:
    if not policy.may_write_notes(current_user):
        abort(403)


@bp.route("/clients/<int:client_id>/crisis/new", methods=["GET", "POST"])
def crisis_new(client_id: int) -> Any:
    """The quick crisis form, one click from every page of the record."""
    client = _load(client_id)
    _require_clinical()
    form = CrisisForm()
    if request.method == "GET":
        form.occurred_at.data = datetime.now(i18n.agency_zone()).replace(
            second=0, microsecond=0, tzinfo=None
        )
        form.risk_level.data = client.risk_level
    elif form.validate_on_submit():
        local = form.occurred_at.data
        assert local is not None
        data = dict(form.data)
        data["occurred_at"] = local.replace(tzinfo=i18n.agency_zone()).astimezone(UTC)
        try:
            event = crisis.record(
                client, data, actor=current_user, ip=client_ip(), today=i18n.agency_today()
            )
        except DomainError:
            db.session.rollback()
            form.occurred_at.errors = [_("A crisis cannot be in the future.")]
        else:
            db.session.commit()
            flash(
                _("Crisis recorded. The risk flag is raised for review and a follow-up is due."),
                "success",
            )
            return redirect(
                url_for("staff.crisis_detail", client_id=client.id, event_id=event.id), code=303
            )
    return render_template(
        "staff/crisis/new.html", form=form, **_record_context(client, "crisis")
    ), 422 if form.errors else 200


@bp.route("/clients/<int:client_id>/crisis")
def crisis_index(client_id: int) -> str:
    """The client's crises, newest first, with the way to their safety plan."""
    client = _load(client_id)
    _audit_view(client, "crises")
    db.session.commit()
    events = db.session.scalars(
        crisis.log(
            select(CrisisEvent).where(CrisisEvent.client_id == client.id),
            crisis.CrisisFilters(),
            zone=i18n.agency_zone(),
        )
    ).all()
    return render_template(
        "staff/crisis/index.html",
        events=events,
        may_record=policy.may_write_notes(current_user),
        **_record_context(client, "crisis"),
    )


def _event_or_404(client: Client, event_id: int) -> CrisisEvent:
    event: CrisisEvent = policy._child_or_404(CrisisEvent, event_id, client)
    return event


@bp.route("/clients/<int:client_id>/crisis/<int:event_id>", methods=["GET", "POST"])
def crisis_detail(client_id: int, event_id: int) -> Any:
    """One crisis; an open one can be resolved here (who, when, how)."""
    client = _load(client_id)
    event = _event_or_404(client, event_id)
    form = ResolveCrisisForm()
    if request.method == "POST":
        _require_clinical()
        if form.validate_on_submit():
            try:
                crisis.resolve(
                    event, form.resolution.data or "", actor=current_user, ip=client_ip()
                )
            except DomainError:
                db.session.rollback()
                flash(_("This crisis is already resolved."), "error")
                return redirect(request.path, code=303)
            db.session.commit()
            flash(_("Crisis resolved; its follow-up task is done."), "success")
            return redirect(request.path, code=303)
    else:
        _audit_view(client, f"crisis {event.id}")
        db.session.commit()
    return render_template(
        "staff/crisis/detail.html",
        event=event,
        form=form,
        may_resolve=policy.may_write_notes(current_user) and event.is_open,
        **_record_context(client, "crisis"),
    ), 422 if form.errors else 200


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


@bp.route("/crises")
def crisis_log() -> str:
    """Every crisis of the clients a supervisor oversees, filterable."""
    if current_user.role != Role.SUPERVISOR:
        abort(403)
    args = request.args
    f = crisis.CrisisFilters(
        date_from=_day(args.get("from")),
        date_to=_day(args.get("to")),
        outcome=args.get("outcome", ""),
        case_manager_id=args.get("cm", type=int),
        status=args.get("status", ""),
    )
    visible = policy.visible_clients(current_user).with_only_columns(Client.id)
    events = db.session.scalars(
        crisis.log(
            select(CrisisEvent).where(CrisisEvent.client_id.in_(visible)),
            f,
            zone=i18n.agency_zone(),
        ).limit(200)
    ).all()
    case_managers = db.session.scalars(
        select(User).where(User.role == Role.CASE_MANAGER, User.active).order_by(User.sort_name)
    ).all()
    return render_template("staff/crisis/log.html", events=events, f=f, case_managers=case_managers)


@bp.route("/risk-review")
def risk_review() -> str:
    """High and moderate risk clients with their last crisis, C-SSRS and safety plan age."""
    if current_user.role != Role.SUPERVISOR:
        abort(403)
    rows = crisis.risk_review(policy.regular_clients(current_user))
    return render_template(
        "staff/crisis/risk_review.html",
        rows=rows,
        today=i18n.agency_today(),
        zone=i18n.agency_zone(),
    )
