"""Check-ins on a client's record: assign PHQ-9 or GAD-7 to fill in from the portal, or stop one.

The panel lives on the assessments page; these are its two form posts.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, ValidationError
from wtforms.validators import InputRequired

from .. import i18n, policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import PortalForm, choices
from ..i18n import lazy_gettext as _l
from ..models import CHECK_IN_INSTRUMENTS, CheckIn, Client
from ..services import assessments, check_ins
from ..services.errors import DomainError, StaleEdit
from . import assessments as assessment_pages
from . import bp
from .clients import _load
from .forms import ButtonForm

ONCE = "once"


def _not_before_today(_form: PortalForm, field: DateField) -> None:
    if field.data is not None and field.data < i18n.agency_today():
        raise ValidationError(_l("The first one cannot be due before today."))


class CheckInForm(PortalForm):
    """Which instrument, how often, and when the first one is due."""

    instrument = SelectField(
        _l("Check-in"), validators=[InputRequired(message=_l("Choose a check-in."))]
    )
    schedule = SelectField(
        _l("How often"),
        choices=choices(
            [
                (ONCE, _l("Once")),
                *((str(n), _l("Every %(days)s days", days=n)) for n in check_ins.SCHEDULE_DAYS),
            ]
        ),
        default=ONCE,
    )
    first_due = DateField(
        _l("First one due on"),
        default=i18n.agency_today,
        validators=[InputRequired(message=_l("Enter a date.")), _not_before_today],
    )


def assign_form(**kwargs: Any) -> CheckInForm:
    """The assignment form, with the instruments' titles in the reader's language."""
    form = CheckInForm(**kwargs)
    known = assessments.instruments()
    locale = i18n.current_language()
    form.instrument.choices = choices(
        (code, known[code].title(locale)) for code in CHECK_IN_INSTRUMENTS if code in known
    )
    return form


def _may_assess_or_403() -> None:
    if not policy.may_assess(current_user):
        abort(403)


def _check_in_or_404(client: Client, check_in_id: int) -> CheckIn:
    found = db.session.scalar(
        select(CheckIn).where(CheckIn.id == check_in_id, CheckIn.client_id == client.id)
    )
    if found is None:
        abort(404)
    return found


def _panel_url(client: Client) -> str:
    return url_for("staff.assessment_index", client_id=client.id) + "#check-ins-title"


@bp.route("/clients/<int:client_id>/check-ins", methods=["POST"])
def check_in_assign(client_id: int) -> Response | tuple[str, int]:
    """Ask the client to fill in an instrument from the portal, once or on a schedule."""
    client = _load(client_id)
    _may_assess_or_403()
    form = assign_form()
    if form.validate_on_submit():
        every = None if form.schedule.data == ONCE else int(form.schedule.data or 0)
        try:
            check_ins.assign(
                client,
                form.instrument.data or "",
                every,
                form.first_due.data or i18n.agency_today(),
                actor=current_user,
                ip=client_ip(),
            )
        except check_ins.AlreadyAssigned:
            db.session.rollback()
            form.instrument.errors = [
                _("This check-in is already assigned. Stop it first to change how often.")
            ]
        else:
            db.session.commit()
            flash(_("Check-in assigned. The client sees it in the portal."), "success")
            return redirect(_panel_url(client), code=303)
    return assessment_pages.index_page(client, form, 422)


@bp.route("/clients/<int:client_id>/check-ins/<int:check_in_id>/stop", methods=["POST"])
def check_in_stop(client_id: int, check_in_id: int) -> Response:
    """No more check-ins of this kind; the answers already given stay on the record."""
    client = _load(client_id)
    _may_assess_or_403()
    check_in = _check_in_or_404(client, check_in_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        check_ins.stop(check_in, actor=current_user, ip=client_ip())
    except (StaleEdit, DomainError):
        db.session.rollback()
        flash(_("The check-in changed meanwhile. Look at it again."), "error")
        return redirect(_panel_url(client), code=303)
    db.session.commit()
    flash(_("Check-in stopped."), "success")
    return redirect(_panel_url(client), code=303)
