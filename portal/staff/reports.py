"""Reports: caseload and outcome figures for a period and caseloads, on a page and as CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import Form
from wtforms.fields import DateField
from wtforms.validators import Optional

from .. import i18n, policy
from ..auth.web import client_ip
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..models import Role, User, folded
from ..services import reports
from . import bp, report_tables

PERIOD_LABELS = {
    "last_30_days": _l("Last 30 days"),
    "this_quarter": _l("This quarter"),
    "last_quarter": _l("Last quarter"),
    "this_year": _l("This year"),
}


class PeriodForm(Form):
    """Another period than the quick choices (a GET form: nothing changes, no CSRF)."""

    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


@dataclass
class Choice:
    """What the filters say, read from the query string."""

    form: PeriodForm
    people: list[User]
    period: str  # one of PERIOD_LABELS, or "custom"
    cm: int | None
    filter: reports.ReportFilter | None

    def args(self) -> dict[str, Any]:
        """The query string that asks for the same figures again (the CSV links)."""
        args: dict[str, Any] = {"cm": self.cm} if self.cm else {}
        if self.period == "custom" and self.filter is not None:
            return {**args, "start": self.filter.start, "end": self.filter.end}
        return {**args, "period": self.period}


def _case_manager_choice(people: list[User]) -> int | None:
    """The chosen caseload; one the user may not report on is missing to them (404)."""
    raw = request.args.get("cm", "")
    if not raw:
        return None
    if not raw.isdigit() or int(raw) not in {p.id for p in people}:
        abort(404)
    return int(raw)


def _custom_range(form: PeriodForm) -> tuple[date, date] | None:
    """The dates typed in, or None with the errors on the form's fields."""
    start, end = form.start.data, form.end.data
    if start is None or end is None:
        missing = form.start if start is None else form.end
        missing.errors = [*missing.errors, _("Enter both dates, or choose a period.")]
        return None
    if end < start:
        form.end.errors = [*form.end.errors, _("The end date must not be before the start date.")]
        return None
    if (end - start).days >= reports.MAX_DAYS:
        form.end.errors = [*form.end.errors, _("Choose a period of three years or less.")]
        return None
    return start, end


def read_choice() -> Choice:
    """The filters of the page and of its CSV links, checked against the policy."""
    if not policy.may_view_reports(current_user):
        abort(403)
    people = list(db.session.scalars(policy.report_case_managers(current_user)))
    people.sort(key=lambda p: (folded(p.display_name), p.id))
    cm = _case_manager_choice(people)
    form = PeriodForm(MultiDict(request.args))
    today = i18n.agency_today()
    custom = bool(request.args.get("start") or request.args.get("end"))
    period = request.args.get("period", "")
    if custom:
        period = "custom"
        days = _custom_range(form) if form.validate() else None
    else:
        period = period if period in PERIOD_LABELS else reports.DEFAULT_PERIOD
        days = reports.period_range(period, today)
        form.start.data, form.end.data = days
    if days is None:
        return Choice(form, people, period, cm, None)
    ids = (cm,) if cm else tuple(p.id for p in people)
    found = reports.ReportFilter(days[0], days[1], ids, today, i18n.agency_zone())
    return Choice(form, people, period, cm, found)


@bp.route("/reports")
def report_index() -> str | tuple[str, int]:
    """All ten reports for the chosen period and caseloads; viewing them is audited."""
    choice = read_choice()
    page: dict[str, Any] = {
        "choice": choice,
        "period_labels": PERIOD_LABELS,
        "everyone_label": _("Everyone") if current_user.role == Role.ADMIN else _("My team"),
    }
    if choice.filter is None:
        return render_template("staff/reports/index.html", views=None, **page), 422
    results = reports.view_all(choice.filter, actor=current_user, ip=client_ip())
    db.session.commit()
    views = report_tables.build_all(results, choice.filter)
    return render_template("staff/reports/index.html", views=views, **page)


@bp.route("/reports/<report>.csv")
def report_csv(report: str) -> Response:
    """One report's table as CSV, for the same filters as the page; audited as an export."""
    if report not in reports.REPORTS:
        abort(404)
    choice = read_choice()
    if choice.filter is None:
        abort(400)
    rows = reports.export(report, choice.filter, actor=current_user, ip=client_ip())
    db.session.commit()
    view = report_tables.build(report, rows, choice.filter)
    response = current_app.response_class(report_tables.to_csv(view), mimetype="text/csv")
    name = f"{report}-{choice.filter.start.isoformat()}-{choice.filter.end.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
