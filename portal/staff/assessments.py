"""Assessments on a client's record: choose an instrument, fill it, see the result and trend."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import charts, i18n, policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..instruments import Instrument
from ..models import Assessment, Client
from ..services import assessments, check_ins
from . import bp
from .check_ins import assign_form
from .clients import _audit_view, _load, _record_context
from .forms import ButtonForm


def _instrument_or_404(code: str) -> Instrument:
    instrument = assessments.instruments().get(code)
    if instrument is None:
        abort(404)
    return instrument


def _assessment_or_404(client: Client, assessment_id: int) -> Assessment:
    found = db.session.scalar(
        select(Assessment).where(Assessment.id == assessment_id, Assessment.client_id == client.id)
    )
    if found is None:
        abort(404)
    return found


def index_page(client: Client, check_in_form: Any = None, status: int = 200) -> tuple[str, int]:
    """The assessments page, also re-rendered (422) when a check-in form was refused."""
    rows = list(reversed(assessments.history(client)))
    return render_template(
        "staff/assessments/index.html",
        rows=rows,
        instruments=assessments.instruments(),
        locale=i18n.current_language(),
        may_assess=policy.may_assess(current_user),
        check_ins=check_ins.for_record(client),
        check_in_form=check_in_form or assign_form(formdata=None),
        button=ButtonForm(),
        **_record_context(client, "assessments"),
    ), status


@bp.route("/clients/<int:client_id>/assessments")
def assessment_index(client_id: int) -> tuple[str, int]:
    """Every administration on the record, newest first, the instruments to start, and the
    check-ins the client fills in from the portal."""
    client = _load(client_id)
    _audit_view(client, "assessments")
    db.session.commit()
    return index_page(client)


def _parse(instrument: Instrument) -> tuple[dict[str, int | None], dict[str, str]]:
    answers: dict[str, int | None] = {}
    notes: dict[str, str] = {}
    for item in instrument.items:
        raw = request.form.get(f"item-{item.id}", "")
        allowed = {str(o.value): o.value for o in item.options}
        answers[item.id] = allowed.get(raw)
        if item.note:
            notes[item.id] = request.form.get(f"note-{item.id}", "")[:1000]
    return answers, notes


@bp.route("/clients/<int:client_id>/assessments/new/<code>", methods=["GET", "POST"])
def assessment_new(client_id: int, code: str) -> Response | str | tuple[str, int]:
    """The whole instrument on one page; every applicable item is required."""
    client = _load(client_id)
    if not policy.may_assess(current_user):
        abort(403)
    instrument = _instrument_or_404(code)
    if request.method == "GET":
        _audit_view(client, f"assessment form {code}")
        db.session.commit()
    form = ButtonForm()
    answers: dict[str, int | None] = {}
    notes: dict[str, str] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        answers, notes = _parse(instrument)
        if not form.validate_on_submit():
            abort(400)
        missing = instrument.missing(answers)
        errors = {item_id: _("Choose an answer.") for item_id in missing}
        if not errors:
            assessment, _result = assessments.record(
                client,
                instrument,
                answers,
                notes,
                actor=current_user,
                ip=client_ip(),
                today=i18n.agency_today(),
            )
            db.session.commit()
            return redirect(
                url_for(
                    "staff.assessment_detail", client_id=client.id, assessment_id=assessment.id
                ),
                code=303,
            )
    skipped = instrument.skipped_items(answers) if answers else set()
    return render_template(
        "staff/assessments/form.html",
        instrument=instrument,
        form=form,
        answers=answers,
        notes=notes,
        errors=errors,
        skipped=skipped,
        locale=i18n.current_language(),
        **_record_context(client, "assessments"),
    ), 422 if errors else 200


@bp.route("/clients/<int:client_id>/assessments/<int:assessment_id>")
def assessment_detail(client_id: int, assessment_id: int) -> str:
    """The result: total, band, each answer, critical flags and the change since last time."""
    client = _load(client_id)
    assessment = _assessment_or_404(client, assessment_id)
    instrument = _instrument_or_404(assessment.instrument_code)
    _audit_view(client, f"assessment {assessment.id}")
    db.session.commit()
    before = assessments.previous(assessment)
    change: int | None = None
    if before is not None and before.total is not None and assessment.total is not None:
        change = assessment.total - before.total
    band = next((b for b in instrument.bands if b.code == assessment.band), None)
    return render_template(
        "staff/assessments/detail.html",
        assessment=assessment,
        instrument=instrument,
        band=band,
        before=before,
        change=change,
        locale=i18n.current_language(),
        **_record_context(client, "assessments"),
    )


@bp.route("/clients/<int:client_id>/assessments/trend/<code>")
def assessment_trend(client_id: int, code: str) -> str:
    """Scores over time as an accessible SVG with the same data as a table."""
    client = _load(client_id)
    instrument = _instrument_or_404(code)
    if not instrument.scored:
        abort(404)
    _audit_view(client, f"trend {code}")
    db.session.commit()
    scored = [a for a in assessments.history(client, code) if a.total is not None]
    rows = [(a.administered_at, a.total) for a in scored if a.total is not None]
    chart = charts.trend(instrument, rows, i18n.current_language())
    context: dict[str, Any] = _record_context(client, "assessments")
    return render_template(
        "staff/assessments/trend.html",
        instrument=instrument,
        chart=chart,
        # Aligned with chart.points: which scores the client reported themselves.
        self_reported=[a.self_report for a in scored],
        locale=i18n.current_language(),
        **context,
    )
