"""The reports as tables and charts: one definition of each table serves the page and its CSV.

A cell has the value a spreadsheet reads (``2026-01``, ``12.5``) and the text a person
reads in their language (``Jan 2026``, ``12,5``); the page puts the value in a ``<data>``
or ``<time>`` element around the text, and the CSV writes the value, so the two hold the
same figures by construction.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from .. import i18n, labels
from ..bars import BarChart, bar_chart
from ..i18n import format_date, format_percent
from ..i18n import gettext as _
from ..models import CONTACT_TYPES
from ..services import reports as svc


@dataclass(frozen=True)
class Cell:
    value: str  # what the CSV holds
    text: str  # what the page shows
    kind: str = "number"  # number, month or text

    @property
    def is_empty(self) -> bool:
        return self.value == ""


@dataclass
class ReportView:
    key: str
    title: str
    counts: str  # one sentence: what exactly is counted
    columns: list[str]
    rows: list[list[Cell]]
    footer: list[Cell] | None
    chart: BarChart
    chart_desc: str


class Numbers:
    """Figures as text in the user's language: a page writes hundreds of them, mostly the
    same few, and ``i18n.format_number`` formats each distinct one once for the process (in
    the language and time zone of the request, looked up once per report)."""

    def __init__(self) -> None:
        self._write = i18n.format_number.bound()

    def text(self, value: float, pattern: str | None = None) -> str:
        return self._write(value, pattern)

    def integer(self, value: int) -> Cell:
        return Cell(str(value), self.text(value))

    def decimal(self, value: float | None) -> Cell:
        """One decimal; no figure at all (nothing to divide by) is an empty cell."""
        if value is None:
            return Cell("", "—")
        return Cell(f"{value:.1f}", self.text(value, "#,##0.0"))

    def chart_number(self, value: float) -> str:
        return self.text(value, "#,##0.#")

    def chart(
        self,
        categories: Sequence[str],
        series: Sequence[tuple[str, Sequence[float]]],
        *,
        stacked: bool = False,
        top: float | None = None,
    ) -> BarChart:
        return bar_chart(
            categories, series, stacked=stacked, top=top, format_value=self.chart_number
        )


def _month(first: date) -> Cell:
    return Cell(first.strftime("%Y-%m"), format_date(first, "MMM y"), "month")


def _text(value: str) -> Cell:
    return Cell(value, value, "text")


def _total_label() -> Cell:
    return _text(_("Total"))


def _period(f: svc.ReportFilter) -> str:
    return _(
        "%(start)s to %(end)s",
        start=format_date(f.start, "medium"),
        end=format_date(f.end, "medium"),
    )


# --- one builder per report --------------------------------------------------------------------


def _caseload(rows: list[svc.CaseloadRow], f: svc.ReportFilter, n: Numbers) -> ReportView:
    names = [r.case_manager.name for r in rows]
    total = sum(r.total for r in rows)
    return ReportView(
        key="caseload",
        title=_("Active caseload"),
        counts=_(
            "Clients active or on hold on %(day)s, from their status history, per primary "
            "case manager.",
            day=format_date(f.end, "medium"),
        ),
        columns=[_("Case manager"), _("Active"), _("On hold"), _("Total")],
        rows=[
            [
                _text(r.case_manager.name),
                n.integer(r.active),
                n.integer(r.on_hold),
                n.integer(r.total),
            ]
            for r in rows
        ],
        footer=[
            _total_label(),
            n.integer(sum(r.active for r in rows)),
            n.integer(sum(r.on_hold for r in rows)),
            n.integer(total),
        ],
        chart=n.chart(
            names,
            [(_("Active"), [r.active for r in rows]), (_("On hold"), [r.on_hold for r in rows])],
            stacked=True,
        ),
        chart_desc=_("%(count)s clients in the active caseload in all.", count=n.text(total)),
    )


def _admissions(rows: list[svc.AdmissionMonth], f: svc.ReportFilter, n: Numbers) -> ReportView:
    months = [_month(r.month) for r in rows]
    opened, closed = sum(r.admissions for r in rows), sum(r.discharges for r in rows)
    return ReportView(
        key="admissions",
        title=_("Intakes and discharges"),
        counts=_(
            "Episodes of care opened (new clients and re-admissions) and closed by a "
            "discharge, by month."
        ),
        columns=[_("Month"), _("Intakes"), _("Discharges")],
        rows=[
            [m, n.integer(r.admissions), n.integer(r.discharges)]
            for m, r in zip(months, rows, strict=True)
        ],
        footer=[_total_label(), n.integer(opened), n.integer(closed)],
        chart=n.chart(
            [m.text for m in months],
            [
                (_("Intakes"), [r.admissions for r in rows]),
                (_("Discharges"), [r.discharges for r in rows]),
            ],
        ),
        chart_desc=_(
            "%(opened)s intakes and %(closed)s discharges from %(period)s.",
            opened=n.text(opened),
            closed=n.text(closed),
            period=_period(f),
        ),
    )


def _contacts(rows: list[svc.ContactMonth], f: svc.ReportFilter, n: Numbers) -> ReportView:
    months = [_month(r.month) for r in rows]
    type_names = [str(labels.CONTACT_TYPE_LABELS[t]) for t in CONTACT_TYPES]
    total = sum(r.total for r in rows)
    return ReportView(
        key="contacts",
        title=_("Contacts by type and month"),
        counts=_("Signed progress notes, by the month and type of the contact."),
        columns=[_("Month"), *type_names, _("Total")],
        rows=[
            [m, *(n.integer(r.by_type[t]) for t in CONTACT_TYPES), n.integer(r.total)]
            for m, r in zip(months, rows, strict=True)
        ],
        footer=[
            _total_label(),
            *(n.integer(sum(r.by_type[t] for r in rows)) for t in CONTACT_TYPES),
            n.integer(total),
        ],
        chart=n.chart(
            [m.text for m in months],
            [
                (name, [r.by_type[t] for r in rows])
                for name, t in zip(type_names, CONTACT_TYPES, strict=True)
            ],
            stacked=True,
        ),
        chart_desc=_("%(count)s contacts from %(period)s.", count=n.text(total), period=_period(f)),
    )


def _home_visits(rows: list[svc.HomeVisitMonth], f: svc.ReportFilter, n: Numbers) -> ReportView:
    months = [_month(r.month) for r in rows]
    visits, miles = sum(r.visits for r in rows), round(sum(r.miles for r in rows), 1)
    return ReportView(
        key="home_visits",
        title=_("Home visits and mileage"),
        counts=_("Signed progress notes of home visits, and the sum of the mileage they record."),
        columns=[_("Month"), _("Home visits"), _("Miles")],
        rows=[
            [m, n.integer(r.visits), n.decimal(round(r.miles, 1))]
            for m, r in zip(months, rows, strict=True)
        ],
        footer=[_total_label(), n.integer(visits), n.decimal(miles)],
        chart=n.chart([m.text for m in months], [(_("Home visits"), [r.visits for r in rows])]),
        chart_desc=_(
            "%(visits)s home visits and %(miles)s miles from %(period)s.",
            visits=n.text(visits),
            miles=n.text(miles, "#,##0.0"),
            period=_period(f),
        ),
    )


def _attendance(rows: list[svc.AttendanceMonth], f: svc.ReportFilter, n: Numbers) -> ReportView:
    months = [_month(r.month) for r in rows]
    whole = svc.AttendanceMonth(
        f.start, sum(r.attended for r in rows), sum(r.no_show for r in rows)
    )
    return ReportView(
        key="attendance",
        title=_("Appointment attendance"),
        counts=_(
            "Appointments that began in the period and were marked attended or no-show; the "
            "no-show rate is no-shows among the two."
        ),
        columns=[_("Month"), _("Attended"), _("No-show"), _("No-show rate (%)")],
        rows=[
            [m, n.integer(r.attended), n.integer(r.no_show), n.decimal(r.no_show_rate)]
            for m, r in zip(months, rows, strict=True)
        ],
        footer=[
            _total_label(),
            n.integer(whole.attended),
            n.integer(whole.no_show),
            n.decimal(whole.no_show_rate),
        ],
        chart=n.chart(
            [m.text for m in months],
            [
                (_("Attended"), [r.attended for r in rows]),
                (_("No-show"), [r.no_show for r in rows]),
            ],
            stacked=True,
        ),
        chart_desc=_(
            "%(attended)s attended and %(missed)s missed appointments from %(period)s.",
            attended=n.text(whole.attended),
            missed=n.text(whole.no_show),
            period=_period(f),
        ),
    )


INSTRUMENT_NAMES = {"phq9": "PHQ-9", "gad7": "GAD-7"}


def _outcomes(rows: list[svc.OutcomeRow], f: svc.ReportFilter, n: Numbers) -> ReportView:
    names = [INSTRUMENT_NAMES[r.instrument] for r in rows]
    return ReportView(
        key="outcomes",
        title=_("PHQ-9 and GAD-7 outcomes"),
        counts=_(
            "Clients with two or more scores in the period, first score against last: the mean "
            "change, the share whose score dropped by %(drop)s or more, and the share below "
            "%(cut)s at the last score.",
            drop=svc.RELIABLE_DROP,
            cut=svc.BELOW_THRESHOLD,
        ),
        columns=[
            _("Instrument"),
            _("Clients with two or more scores"),
            _("Mean change (last − first)"),
            _("Reliable improvement (%)"),
            _("Below %(cut)s at the last score (%%)", cut=svc.BELOW_THRESHOLD),
        ],
        rows=[
            [
                _text(name),
                n.integer(r.clients),
                n.decimal(r.mean_change),
                n.decimal(r.improved_share),
                n.decimal(r.below_share),
            ]
            for name, r in zip(names, rows, strict=True)
        ],
        footer=None,
        chart=n.chart(
            names,
            [
                (_("Reliable improvement (%)"), [r.improved_share or 0 for r in rows]),
                (
                    _("Below %(cut)s at the last score (%%)", cut=svc.BELOW_THRESHOLD),
                    [r.below_share or 0 for r in rows],
                ),
            ],
            top=100,
        ),
        chart_desc=_(
            "%(phq)s clients with PHQ-9 scores and %(gad)s with GAD-7 scores to compare.",
            phq=n.text(rows[0].clients),
            gad=n.text(rows[1].clients),
        ),
    )


def _full() -> str:
    return str(format_percent(1))


def _reached_label() -> str:
    return _("Reached %(full)s in the period", full=_full())


def _goals(rows: list[svc.GoalRow], f: svc.ReportFilter, n: Numbers) -> ReportView:
    names = [r.case_manager.name for r in rows]
    reached = sum(r.reached_full for r in rows)
    return ReportView(
        key="goals",
        title=_("Goals achieved"),
        counts=_(
            "Goals of the care plans in force today and those marked achieved, per case "
            "manager; and goals whose progress first reached %(full)s in the period.",
            full=_full(),
        ),
        columns=[
            _("Case manager"),
            _("Goals in plans in force"),
            _("Marked achieved"),
            _reached_label(),
        ],
        rows=[
            [
                _text(r.case_manager.name),
                n.integer(r.in_plans_in_force),
                n.integer(r.achieved),
                n.integer(r.reached_full),
            ]
            for r in rows
        ],
        footer=[
            _total_label(),
            n.integer(sum(r.in_plans_in_force for r in rows)),
            n.integer(sum(r.achieved for r in rows)),
            n.integer(reached),
        ],
        chart=n.chart(
            names,
            [
                (_("Marked achieved"), [r.achieved for r in rows]),
                (_reached_label(), [r.reached_full for r in rows]),
            ],
        ),
        chart_desc=_(
            "%(count)s goals reached %(full)s from %(period)s.",
            count=n.text(reached),
            full=_full(),
            period=_period(f),
        ),
    )


def _referrals(rows: list[svc.ReferralRow], f: svc.ReportFilter, n: Numbers) -> ReportView:
    names = [str(labels.RESOURCE_CATEGORY_LABELS[r.category]) for r in rows]
    statuses = svc.REFERRAL_STATUS_ORDER
    status_names = [str(labels.REFERRAL_STATUS_LABELS[s]) for s in statuses]
    whole = svc.ReferralRow("", {s: sum(r.by_status[s] for r in rows) for s in statuses})
    return ReportView(
        key="referrals",
        title=_("Referrals"),
        counts=_(
            "Referrals made in the period, by the resource's category and their status now; "
            "completion rate: completed among completed, declined and cancelled."
        ),
        columns=[_("Category"), *status_names, _("Total"), _("Completion rate (%)")],
        rows=[
            [
                _text(name),
                *(n.integer(r.by_status[s]) for s in statuses),
                n.integer(r.total),
                n.decimal(r.completion_rate),
            ]
            for name, r in zip(names, rows, strict=True)
        ],
        footer=[
            _total_label(),
            *(n.integer(whole.by_status[s]) for s in statuses),
            n.integer(whole.total),
            n.decimal(whole.completion_rate),
        ],
        chart=n.chart(
            names,
            [
                (label, [r.by_status[s] for r in rows])
                for label, s in zip(status_names, statuses, strict=True)
            ],
            stacked=True,
        ),
        chart_desc=_(
            "%(count)s referrals from %(period)s.",
            count=n.text(whole.total),
            period=_period(f),
        ),
    )


def _crises(rows: list[svc.CrisisMonth], f: svc.ReportFilter, n: Numbers) -> ReportView:
    months = [_month(r.month) for r in rows]
    events, high = sum(r.events for r in rows), sum(r.high_risk for r in rows)
    return ReportView(
        key="crises",
        title=_("Crisis events"),
        counts=_("Crisis events by the month they happened, and those assessed as high risk."),
        columns=[_("Month"), _("Crisis events"), _("High risk")],
        rows=[
            [m, n.integer(r.events), n.integer(r.high_risk)]
            for m, r in zip(months, rows, strict=True)
        ],
        footer=[_total_label(), n.integer(events), n.integer(high)],
        chart=n.chart(
            [m.text for m in months],
            [
                (_("Crisis events"), [r.events for r in rows]),
                (_("High risk"), [r.high_risk for r in rows]),
            ],
        ),
        chart_desc=_(
            "%(count)s crisis events from %(period)s.",
            count=n.text(events),
            period=_period(f),
        ),
    )


def _overdue(rows: list[svc.OverdueRow], f: svc.ReportFilter, n: Numbers) -> ReportView:
    names = [r.case_manager.name for r in rows]
    reviews, tasks = sum(r.plan_reviews for r in rows), sum(r.tasks for r in rows)
    return ReportView(
        key="overdue",
        title=_("Overdue plan reviews and tasks"),
        counts=_(
            "As of today, %(day)s, whatever the period: care plans in force whose review date "
            "has passed, and open tasks about a client past their due date.",
            day=format_date(f.today, "medium"),
        ),
        columns=[_("Case manager"), _("Overdue plan reviews"), _("Overdue open tasks")],
        rows=[
            [_text(r.case_manager.name), n.integer(r.plan_reviews), n.integer(r.tasks)]
            for r in rows
        ],
        footer=[_total_label(), n.integer(reviews), n.integer(tasks)],
        chart=n.chart(
            names,
            [
                (_("Overdue plan reviews"), [r.plan_reviews for r in rows]),
                (_("Overdue open tasks"), [r.tasks for r in rows]),
            ],
        ),
        chart_desc=_(
            "%(reviews)s overdue plan reviews and %(tasks)s overdue tasks.",
            reviews=n.text(reviews),
            tasks=n.text(tasks),
        ),
    )


BUILDERS: dict[str, Callable[[Any, svc.ReportFilter, Numbers], ReportView]] = {
    "caseload": _caseload,
    "admissions": _admissions,
    "contacts": _contacts,
    "home_visits": _home_visits,
    "attendance": _attendance,
    "outcomes": _outcomes,
    "goals": _goals,
    "referrals": _referrals,
    "crises": _crises,
    "overdue": _overdue,
}


def build(report: str, rows: list[Any], f: svc.ReportFilter) -> ReportView:
    """One report's table and chart."""
    return BUILDERS[report](rows, f, Numbers())


def build_all(results: dict[str, list[Any]], f: svc.ReportFilter) -> list[ReportView]:
    """Every report, in the page's order."""
    n = Numbers()
    return [BUILDERS[report](results[report], f, n) for report in svc.REPORTS]


def _safe(cell: Cell) -> str:
    """A name that starts like a formula stays text in a spreadsheet."""
    if cell.kind == "text" and cell.value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell.value
    return cell.value


def to_csv(view: ReportView) -> str:
    """The table as CSV: the header, the rows, and the totals row when there is one."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(view.columns)
    for row in [*view.rows, *([view.footer] if view.footer else [])]:
        writer.writerow([_safe(cell) for cell in row])
    return out.getvalue()
