"""The client's check-ins: short questionnaires the team asked for, answered on a phone either
on one page or one question per screen (no JavaScript, no state kept on the server), ending at
a calm result; a critical answer shows crisis help at once and alerts the case manager."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..i18n import agency_today, current_language
from ..instruments import Instrument, Item
from ..models import Assessment, CheckIn, Client
from ..services import assessments, audit, check_ins
from ..services.errors import DomainError, StaleEdit
from . import client_bp
from .safety_plan import own_client

Answers = dict[str, int | None]


def _audit_view(client: Client, object_id: int, what: str) -> None:
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="check_in",
        object_id=object_id,
        client_id=client.id,
        detail=what,
    )


def _own_check_in(client: Client, check_in_id: int) -> CheckIn:
    """One of my check-ins; someone else's answers 404, as a missing one does."""
    found = db.session.scalar(
        select(CheckIn).where(CheckIn.id == check_in_id, CheckIn.client_id == client.id)
    )
    if found is None:
        abort(404)
    return found


def _parse(instrument: Instrument) -> Answers:
    """The answers posted (radio buttons or carried in hidden inputs); anything that is not
    one of the item's options counts as no answer."""
    answers: Answers = {}
    for item in instrument.items:
        allowed = {str(o.value): o.value for o in item.options}
        answers[item.id] = allowed.get(request.form.get(f"item-{item.id}", ""))
    return answers


def _expected() -> int:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else -1


def _not_waiting() -> Response:
    flash(_("This check-in is not waiting for you right now."), "info")
    return redirect(url_for("client.check_ins"), code=303)


@client_bp.route("/check-ins", endpoint="check_ins")
def check_ins_page() -> Any:
    """What is waiting for me, what comes next, and what my past answers suggested."""
    client = own_client()
    today = agency_today()
    _audit_view(client, client.id, "client portal check-ins")
    db.session.commit()
    done = check_ins.history(client)
    return render_template(
        "client/check_ins.html",
        waiting=check_ins.due_for(client, today),
        coming=check_ins.coming_up(client, today),
        done=[(a, _plain(a)) for a in done],
        instruments=assessments.instruments(),
        names=check_ins.CLIENT_NAMES,
        locale=current_language(),
    )


def _plain(assessment: Assessment) -> str:
    instrument = assessments.instruments()[assessment.instrument_code]
    return check_ins.plain_result(assessment, instrument, current_language())


def _form_page(check_in: CheckIn, answers: Answers, errors: dict[str, str], version: int) -> Any:
    instrument = check_ins.instrument_for(check_in)
    return render_template(
        "client/check_in.html",
        check_in=check_in,
        instrument=instrument,
        items=instrument.applicable_items(answers),
        answers=answers,
        errors=errors,
        version=version,
        names=check_ins.CLIENT_NAMES,
        locale=current_language(),
    ), 422 if errors else 200


def _step_page(
    check_in: CheckIn, answers: Answers, number: int, version: int, error: str | None = None
) -> Any:
    instrument = check_ins.instrument_for(check_in)
    items = instrument.applicable_items(answers)
    item: Item = items[number - 1]
    return render_template(
        "client/check_in_step.html",
        check_in=check_in,
        instrument=instrument,
        items=[item],
        first_number=number,
        number=number,
        total=len(items),
        carried=_carried(items, item, answers),
        answers=answers,
        errors={item.id: error} if error else {},
        version=version,
        names=check_ins.CLIENT_NAMES,
        locale=current_language(),
    ), 422 if error else 200


def _carried(items: list[Item], shown: Item, answers: Answers) -> dict[str, int | None]:
    """Every answer given so far, except the question on screen, for the hidden inputs."""
    return {
        i.id: answers.get(i.id) for i in items if i.id != shown.id and answers.get(i.id) is not None
    }


def _first_missing(check_in: CheckIn, answers: Answers, before: int | None = None) -> int | None:
    """The step number of the first unanswered question (only those before ``before``)."""
    items = check_ins.instrument_for(check_in).applicable_items(answers)
    for number, item in enumerate(items[: (before - 1) if before else None], start=1):
        if answers.get(item.id) is None:
            return number
    return None


@client_bp.route("/check-ins/<int:check_in_id>", methods=["GET", "POST"])
def check_in_form(check_in_id: int) -> Any:
    """All the questions on one page; both ways of answering send their answers here."""
    client = own_client()
    check_in = _own_check_in(client, check_in_id)
    if request.method == "GET":
        if not check_in.is_due(agency_today()):
            return _not_waiting()
        return _form_page(check_in, {}, {}, check_in.version)
    answers = _parse(check_ins.instrument_for(check_in))
    missing = _first_missing(check_in, answers)
    if missing is None:
        return _complete(check_in, answers)
    if not check_in.is_due(agency_today()):
        return _not_waiting()
    if request.form.get("mode") == "step":
        # Sent from the last step: the first question without a valid answer, on its own.
        return _step_page(check_in, answers, missing, _expected(), _("Choose an answer."))
    errors = {
        item.id: _("Choose an answer.")
        for item in check_ins.instrument_for(check_in).applicable_items(answers)
        if answers.get(item.id) is None
    }
    return _form_page(check_in, answers, errors, _expected())


def _complete(check_in: CheckIn, answers: Answers) -> Response:
    try:
        assessment, _result = check_ins.complete(
            check_in,
            answers,
            expected=_expected(),
            actor=current_user,
            ip=client_ip(),
            today=agency_today(),
        )
    except StaleEdit:
        db.session.rollback()
        if check_in.last_assessment_id is None:
            return _not_waiting()
        # The same answers sent twice (a double tap, a reload): show what the first one stored.
        flash(_("We already have these answers. Thank you."), "info")
        return redirect(
            url_for("client.check_in_result", assessment_id=check_in.last_assessment_id), code=303
        )
    except DomainError:
        db.session.rollback()
        return _not_waiting()
    db.session.commit()
    return redirect(url_for("client.check_in_result", assessment_id=assessment.id), code=303)


@client_bp.route("/check-ins/<int:check_in_id>/step/<int:number>", methods=["GET", "POST"])
def check_in_step(check_in_id: int, number: int) -> Any:
    """One question per screen: the answers so far travel with the form, never in a session."""
    client = own_client()
    check_in = _own_check_in(client, check_in_id)
    if not check_in.is_due(agency_today()):
        return _not_waiting()
    answers = _parse(check_ins.instrument_for(check_in)) if request.method == "POST" else {}
    total = len(check_ins.instrument_for(check_in).applicable_items(answers))
    if not 1 <= number <= total:
        abort(404)
    if request.method == "GET":
        if number != 1:
            return redirect(url_for("client.check_in_step", check_in_id=check_in.id, number=1))
        return _step_page(check_in, answers, 1, check_in.version)
    missing = _first_missing(check_in, answers, before=number)
    if missing is not None:
        return _step_page(check_in, answers, missing, _expected(), _("Choose an answer."))
    return _step_page(check_in, answers, number, _expected())


@client_bp.route("/check-ins/results/<int:assessment_id>")
def check_in_result(assessment_id: int) -> Any:
    """What my answers suggest, in plain words; help first when an answer calls for it."""
    client = own_client()
    assessment = check_ins.own_result(client, assessment_id)
    if assessment is None:
        abort(404)
    _audit_view(client, assessment.id, "client portal check-in result")
    db.session.commit()
    instrument = assessments.instruments()[assessment.instrument_code]
    return render_template(
        "client/check_in_result.html",
        assessment=assessment,
        instrument=instrument,
        plain=check_ins.plain_result(assessment, instrument, current_language()),
        names=check_ins.CLIENT_NAMES,
        crisis_line_name=current_app.config["CRISIS_LINE_NAME"],
        crisis_line_phone=current_app.config["CRISIS_LINE_PHONE"],
        locale=current_language(),
    )
