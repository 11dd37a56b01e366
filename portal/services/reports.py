"""Caseload and outcome reports: every figure counted by the database, never row by row here.

Each report is one typed function of a ``ReportFilter`` that runs a fixed number of
grouped queries, whatever the size of the agency. Figures cover the clients whose
*current* primary case manager is one of the filter's case managers (there is no
history of primary case managers). Dates are the agency's calendar days; timestamps
are compared with the UTC instants of the agency's midnights, and months are the
agency's months (``month_key``). docs/reports.md says exactly what each figure counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Executable

from ..extensions import db
from ..models import (
    CONTACT_TYPES,
    RESOURCE_CATEGORIES,
    Appointment,
    Assessment,
    CarePlan,
    Client,
    CrisisEvent,
    Episode,
    Goal,
    GoalProgress,
    ProgressNote,
    Referral,
    Resource,
    StatusChange,
    Task,
    User,
)
from . import audit
from .care_plans import review_overdue_condition

REPORTS = (
    "caseload",
    "admissions",
    "contacts",
    "home_visits",
    "attendance",
    "outcomes",
    "goals",
    "referrals",
    "crises",
    "overdue",
)
PERIODS = ("last_30_days", "this_quarter", "last_quarter", "this_year")
DEFAULT_PERIOD = "last_quarter"
# A range is at most this long: months are a CASE over their boundaries, kept short.
MAX_DAYS = 3 * 366
OUTCOME_INSTRUMENTS = ("phq9", "gad7")
# The brief's one threshold for both instruments (GAD-7's own data says 4): docs/reports.md.
RELIABLE_DROP = 5
BELOW_THRESHOLD = 10
REFERRAL_STATUS_ORDER = ("proposed", "sent", "accepted", "completed", "declined", "cancelled")
REFERRAL_CLOSED = ("completed", "declined", "cancelled")


@dataclass(frozen=True)
class ReportFilter:
    """What a report covers: the agency's days ``start``..``end`` (both included), the
    caseloads of these case managers, and ``today`` for the figures that are a snapshot."""

    start: date
    end: date
    case_manager_ids: tuple[int, ...]
    today: date
    zone: ZoneInfo

    @property
    def start_at(self) -> datetime:
        """The UTC instant the first day begins in the agency's zone."""
        return local_midnight(self.start, self.zone)

    @property
    def end_at(self) -> datetime:
        """The UTC instant after the last day (exclusive upper bound)."""
        return local_midnight(self.end + timedelta(days=1), self.zone)

    @property
    def months(self) -> list[date]:
        return month_starts(self.start, self.end)

    def describe(self) -> str:
        """The filter as the audit log keeps it."""
        people = ",".join(str(i) for i in self.case_manager_ids)
        return f"{self.start.isoformat()}..{self.end.isoformat()} cm={people}"


# --- periods and months ------------------------------------------------------------------------


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant at which this day begins in the agency's time zone."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_range(period: str, today: date) -> tuple[date, date]:
    """The days of a quick choice; the default is the last full quarter."""
    if period == "last_30_days":
        return today - timedelta(days=29), today
    if period == "this_quarter":
        return _quarter_start(today), today
    if period == "this_year":
        return date(today.year, 1, 1), today
    this_quarter = _quarter_start(today)
    last_day = this_quarter - timedelta(days=1)
    return _quarter_start(last_day), last_day


def next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def month_starts(start: date, end: date) -> list[date]:
    """The first day of every month that the range touches, in order."""
    months, current = [], date(start.year, start.month, 1)
    while current <= end:
        months.append(current)
        current = next_month(current)
    return months


def month_key(column: Any, months: Sequence[date], *, zone: ZoneInfo | None) -> ColumnElement[Any]:
    """SQL: the ``YYYY-MM`` of a date column (``zone=None``) or of a UTC timestamp column
    in the agency's zone, for the given months; NULL outside them.

    ``date_trunc`` (PostgreSQL) and ``strftime`` (SQLite) would differ, and SQLite has no
    time zones at all, so the months are a CASE over their boundaries computed here:
    the same SQL, and the same answer, on every database, daylight saving included.
    """
    if not months:
        return literal(None, String)

    def bound(day: date) -> Any:
        return day if zone is None else local_midnight(day, zone)

    whens: list[tuple[ColumnElement[bool], Any]] = [(column < bound(months[0]), None)]
    for first in months:
        whens.append((column < bound(next_month(first)), literal(first.strftime("%Y-%m"))))
    return case(*whens, else_=None)


def month_label(first: date) -> str:
    return first.strftime("%Y-%m")


# --- scope -------------------------------------------------------------------------------------


def _scope(f: ReportFilter) -> ColumnElement[bool]:
    """Clients on the chosen caseloads."""
    return Client.primary_case_manager_id.in_(f.case_manager_ids)


def _scoped_client_ids(f: ReportFilter) -> Select[Any]:
    return select(Client.id).where(_scope(f))


def _in_range(column: Any, f: ReportFilter) -> ColumnElement[bool]:
    return and_(column >= f.start_at, column < f.end_at)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class CaseManager:
    id: int
    name: str


def case_managers(f: ReportFilter) -> list[CaseManager]:
    """The people whose caseloads the figures cover, by name."""
    rows = db.session.execute(
        select(User.id, User.display_name)
        .where(User.id.in_(f.case_manager_ids))
        .order_by(User.display_name, User.id)
    )
    return [CaseManager(id, name) for id, name in rows]


def _by_case_manager(query: Executable) -> dict[int, tuple[Any, ...]]:
    """Run a query whose first column is the case manager's id."""
    return {row[0]: tuple(row[1:]) for row in db.session.execute(query)}


# --- 1. caseload -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadRow:
    case_manager: CaseManager
    active: int
    on_hold: int

    @property
    def total(self) -> int:
        return self.active + self.on_hold


def status_at(day: date, *, created_before: datetime) -> ColumnElement[Any]:
    """SQL: a client's status at the end of ``day`` from the status history; a client with
    no history at all (records older than it) counts with the current status, if the record
    existed by then."""
    last = (
        select(StatusChange.to_status)
        .where(StatusChange.client_id == Client.id, StatusChange.effective_on <= day)
        .order_by(StatusChange.effective_on.desc(), StatusChange.id.desc())
        .limit(1)
        .correlate(Client)
        .scalar_subquery()
    )
    has_history = exists().where(StatusChange.client_id == Client.id)
    return case(
        (has_history, last),
        (Client.created_at < created_before, Client.status),
        else_=None,
    )


def caseload(f: ReportFilter) -> list[CaseloadRow]:
    """Clients active or on hold at the end of the range, per case manager."""
    statuses = (
        select(
            Client.primary_case_manager_id.label("cm"),
            status_at(f.end, created_before=f.end_at).label("status"),
        )
        .where(_scope(f))
        .subquery()
    )
    counts = _by_case_manager(
        select(
            statuses.c.cm,
            _count_if(statuses.c.status == "active"),
            _count_if(statuses.c.status == "on_hold"),
        ).group_by(statuses.c.cm)
    )
    return [
        CaseloadRow(cm, *(int(v) for v in counts.get(cm.id, (0, 0)))) for cm in case_managers(f)
    ]


# --- 2. admissions and discharges --------------------------------------------------------------


@dataclass(frozen=True)
class AdmissionMonth:
    month: date
    admissions: int
    discharges: int


def _count_by_month(
    column: Any, f: ReportFilter, *where: Any, zone: ZoneInfo | None
) -> dict[str, int]:
    """How many rows fall in each month of the range (months as ``YYYY-MM``)."""
    months = select(month_key(column, f.months, zone=zone).label("month")).where(*where).subquery()
    rows = db.session.execute(
        select(months.c.month, func.count()).group_by(months.c.month).order_by(months.c.month)
    )
    return {month: int(n) for month, n in rows if month is not None}


def admissions(f: ReportFilter) -> list[AdmissionMonth]:
    """Episodes of care opened and closed in each month of the range."""
    in_scope = Episode.client_id.in_(_scoped_client_ids(f))
    opened = _count_by_month(
        Episode.admitted_on,
        f,
        in_scope,
        Episode.admitted_on.between(f.start, f.end),
        zone=None,
    )
    closed = _count_by_month(
        Episode.discharged_on,
        f,
        in_scope,
        Episode.discharged_on.between(f.start, f.end),
        zone=None,
    )
    return [
        AdmissionMonth(m, opened.get(month_label(m), 0), closed.get(month_label(m), 0))
        for m in f.months
    ]


# --- 3. contacts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContactMonth:
    month: date
    by_type: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_type.values())


def _signed_notes(f: ReportFilter) -> tuple[ColumnElement[bool], ...]:
    return (
        ProgressNote.status == "signed",
        _in_range(ProgressNote.contact_at, f),
        ProgressNote.client_id.in_(_scoped_client_ids(f)),
    )


def contacts(f: ReportFilter) -> list[ContactMonth]:
    """Signed progress notes by the month of the contact and its type."""
    notes = (
        select(
            month_key(ProgressNote.contact_at, f.months, zone=f.zone).label("month"),
            ProgressNote.contact_type.label("type"),
        )
        .where(*_signed_notes(f))
        .subquery()
    )
    counts: dict[tuple[str, str], int] = {
        (month, kind): int(n)
        for month, kind, n in db.session.execute(
            select(notes.c.month, notes.c.type, func.count()).group_by(notes.c.month, notes.c.type)
        )
    }
    return [
        ContactMonth(m, {t: counts.get((month_label(m), t), 0) for t in CONTACT_TYPES})
        for m in f.months
    ]


# --- 4. home visits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeVisitMonth:
    month: date
    visits: int
    miles: float


def home_visits(f: ReportFilter) -> list[HomeVisitMonth]:
    """Signed home-visit notes and the mileage they record, per month."""
    visits = (
        select(
            month_key(ProgressNote.contact_at, f.months, zone=f.zone).label("month"),
            ProgressNote.mileage.label("mileage"),
        )
        .where(*_signed_notes(f), ProgressNote.contact_type == "home_visit")
        .subquery()
    )
    rows = {
        month: (int(n), float(miles or 0))
        for month, n, miles in db.session.execute(
            select(visits.c.month, func.count(), func.sum(cast(visits.c.mileage, Float))).group_by(
                visits.c.month
            )
        )
    }
    return [HomeVisitMonth(m, *rows.get(month_label(m), (0, 0.0))) for m in f.months]


# --- 5. attendance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceMonth:
    month: date
    attended: int
    no_show: int

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among appointments with an outcome, as a percentage."""
        seen = self.attended + self.no_show
        return round(100 * self.no_show / seen, 1) if seen else None


def attendance(f: ReportFilter) -> list[AttendanceMonth]:
    """Appointments that began in the range and were marked attended or no-show."""
    appointments = (
        select(
            month_key(Appointment.starts_at, f.months, zone=f.zone).label("month"),
            Appointment.status.label("status"),
        )
        .where(
            _in_range(Appointment.starts_at, f),
            Appointment.status.in_(("attended", "no_show")),
            Appointment.client_id.in_(_scoped_client_ids(f)),
        )
        .subquery()
    )
    rows = {
        month: (int(a), int(n))
        for month, a, n in db.session.execute(
            select(
                appointments.c.month,
                _count_if(appointments.c.status == "attended"),
                _count_if(appointments.c.status == "no_show"),
            ).group_by(appointments.c.month)
        )
    }
    return [AttendanceMonth(m, *rows.get(month_label(m), (0, 0))) for m in f.months]


# --- 6. outcomes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeRow:
    instrument: str
    clients: int
    mean_change: float | None
    improved: int
    below_threshold: int

    @property
    def improved_share(self) -> float | None:
        return round(100 * self.improved / self.clients, 1) if self.clients else None

    @property
    def below_share(self) -> float | None:
        return round(100 * self.below_threshold / self.clients, 1) if self.clients else None


def outcomes(f: ReportFilter) -> list[OutcomeRow]:
    """PHQ-9 and GAD-7: clients scored twice or more in the range, first against last."""
    partition = (Assessment.client_id, Assessment.instrument_code)
    oldest_first = (Assessment.administered_at, Assessment.id)
    newest_first = (Assessment.administered_at.desc(), Assessment.id.desc())
    ranked = (
        select(
            Assessment.client_id.label("client_id"),
            Assessment.instrument_code.label("instrument"),
            Assessment.total.label("total"),
            func.row_number()
            .over(partition_by=partition, order_by=oldest_first)
            .label("from_first"),
            func.row_number()
            .over(partition_by=partition, order_by=newest_first)
            .label("from_last"),
            func.count().over(partition_by=partition).label("scores"),
        )
        .where(
            Assessment.instrument_code.in_(OUTCOME_INSTRUMENTS),
            Assessment.total.is_not(None),
            _in_range(Assessment.administered_at, f),
            Assessment.client_id.in_(_scoped_client_ids(f)),
        )
        .subquery()
    )
    pairs = (
        select(
            ranked.c.instrument,
            func.max(case((ranked.c.from_first == 1, ranked.c.total))).label("first_total"),
            func.max(case((ranked.c.from_last == 1, ranked.c.total))).label("last_total"),
        )
        .where(ranked.c.scores >= 2)
        .group_by(ranked.c.instrument, ranked.c.client_id)
        .subquery()
    )
    change = pairs.c.last_total - pairs.c.first_total
    rows = {
        code: (int(n), None if mean is None else round(float(mean), 1), int(better), int(low))
        for code, n, mean, better, low in db.session.execute(
            select(
                pairs.c.instrument,
                func.count(),
                func.avg(cast(change, Float)),
                _count_if(pairs.c.first_total - pairs.c.last_total >= RELIABLE_DROP),
                _count_if(pairs.c.last_total < BELOW_THRESHOLD),
            ).group_by(pairs.c.instrument)
        )
    }
    return [OutcomeRow(code, *rows.get(code, (0, None, 0, 0))) for code in OUTCOME_INSTRUMENTS]


# --- 7. goals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalRow:
    case_manager: CaseManager
    in_plans_in_force: int
    achieved: int
    reached_full: int


def goals(f: ReportFilter) -> list[GoalRow]:
    """Per case manager: goals of the plans in force now, those marked achieved, and goals
    whose progress first reached 100 % in the range."""
    in_force = _by_case_manager(
        select(
            Client.primary_case_manager_id,
            func.count(Goal.id),
            _count_if(Goal.status == "achieved"),
        )
        .join(CarePlan, CarePlan.id == Goal.plan_id)
        .join(Client, Client.id == CarePlan.client_id)
        .where(CarePlan.status == "active", _scope(f))
        .group_by(Client.primary_case_manager_id)
    )
    earlier = aliased(GoalProgress)
    reached = _by_case_manager(
        select(Client.primary_case_manager_id, func.count(GoalProgress.goal_key.distinct()))
        .join(Client, Client.id == GoalProgress.client_id)
        .where(
            GoalProgress.rating >= 100,
            GoalProgress.recorded_on.between(f.start, f.end),
            _scope(f),
            ~exists().where(
                earlier.goal_key == GoalProgress.goal_key,
                earlier.rating >= 100,
                earlier.recorded_on < f.start,
            ),
        )
        .group_by(Client.primary_case_manager_id)
    )
    rows = []
    for cm in case_managers(f):
        goals_in_force, achieved = in_force.get(cm.id, (0, 0))
        rows.append(
            GoalRow(cm, int(goals_in_force), int(achieved), int(reached.get(cm.id, (0,))[0]))
        )
    return rows


# --- 8. referrals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralRow:
    category: str
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def completion_rate(self) -> float | None:
        """Completed among the referrals that closed, as a percentage."""
        closed = sum(self.by_status.get(s, 0) for s in REFERRAL_CLOSED)
        return round(100 * self.by_status.get("completed", 0) / closed, 1) if closed else None


def referrals(f: ReportFilter) -> list[ReferralRow]:
    """Referrals made in the range, by the resource's category and their status now."""
    counts: dict[tuple[str, str], int] = {
        (category, status): int(n)
        for category, status, n in db.session.execute(
            select(Resource.category, Referral.status, func.count())
            .join(Resource, Resource.id == Referral.resource_id)
            .where(
                _in_range(Referral.created_at, f),
                Referral.client_id.in_(_scoped_client_ids(f)),
            )
            .group_by(Resource.category, Referral.status)
        )
    }
    return [
        ReferralRow(c, {s: counts.get((c, s), 0) for s in REFERRAL_STATUS_ORDER})
        for c in RESOURCE_CATEGORIES
    ]


# --- 9. crisis events --------------------------------------------------------------------------


@dataclass(frozen=True)
class CrisisMonth:
    month: date
    events: int
    high_risk: int


def crises(f: ReportFilter) -> list[CrisisMonth]:
    """Crisis events by the month they happened, and how many were assessed high risk."""
    events = (
        select(
            month_key(CrisisEvent.occurred_at, f.months, zone=f.zone).label("month"),
            CrisisEvent.risk_level.label("risk"),
        )
        .where(
            _in_range(CrisisEvent.occurred_at, f),
            CrisisEvent.client_id.in_(_scoped_client_ids(f)),
        )
        .subquery()
    )
    rows = {
        month: (int(n), int(high))
        for month, n, high in db.session.execute(
            select(events.c.month, func.count(), _count_if(events.c.risk == "high")).group_by(
                events.c.month
            )
        )
    }
    return [CrisisMonth(m, *rows.get(month_label(m), (0, 0))) for m in f.months]


# --- 10. overdue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueRow:
    case_manager: CaseManager
    plan_reviews: int
    tasks: int


def overdue(f: ReportFilter) -> list[OverdueRow]:
    """As of today (neither plans nor tasks keep enough history for a past date): plans in
    force whose review date has passed, and open tasks about a client past their due date."""
    reviews = _by_case_manager(
        select(Client.primary_case_manager_id, func.count(CarePlan.id))
        .join(Client, Client.id == CarePlan.client_id)
        .where(_scope(f), *review_overdue_condition(f.today))
        .group_by(Client.primary_case_manager_id)
    )
    tasks = _by_case_manager(
        select(Client.primary_case_manager_id, func.count(Task.id))
        .join(Client, Client.id == Task.client_id)
        .where(_scope(f), Task.status == "open", Task.due_on < f.today)
        .group_by(Client.primary_case_manager_id)
    )
    return [
        OverdueRow(cm, int(reviews.get(cm.id, (0,))[0]), int(tasks.get(cm.id, (0,))[0]))
        for cm in case_managers(f)
    ]


# --- running them ------------------------------------------------------------------------------

RUNNERS: dict[str, Any] = {
    "caseload": caseload,
    "admissions": admissions,
    "contacts": contacts,
    "home_visits": home_visits,
    "attendance": attendance,
    "outcomes": outcomes,
    "goals": goals,
    "referrals": referrals,
    "crises": crises,
    "overdue": overdue,
}


def run(report: str, f: ReportFilter) -> list[Any]:
    """The rows of one report."""
    rows: list[Any] = RUNNERS[report](f)
    return rows


def view_all(f: ReportFilter, *, actor: User, ip: str | None) -> dict[str, list[Any]]:
    """Every report for the filter; the view is audited (no client named: aggregates)."""
    results = {report: run(report, f) for report in REPORTS}
    audit.record(
        "view", actor=actor, ip=ip, object_type="report", object_id="all", detail=f.describe()
    )
    return results


def export(report: str, f: ReportFilter, *, actor: User, ip: str | None) -> list[Any]:
    """One report's rows for a CSV download, audited as an export."""
    rows = run(report, f)
    audit.record(
        "export", actor=actor, ip=ip, object_type="report", object_id=report, detail=f.describe()
    )
    return rows
