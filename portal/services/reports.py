"""Caseload and outcome reports: every figure counted by the database, never row by row here.

Each report is one typed function that builds its rows from grouped queries over the
clients of a ``ReportFilter``; reports that share a shape of figures share a statement
(everything per case manager is one, the figures per month three), so the whole page is
six statements, whatever the size of the agency. Figures cover the clients whose
*current* primary case manager is one of the filter's case managers (there is no
history of primary case managers). Dates are the agency's calendar days; timestamps
are compared with the UTC instants of the agency's midnights, and months are the
agency's months (``month_key``). docs/reports.md says exactly what each figure counts.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import BindParameter

from .. import db_setup
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
from ..models.base import UTCDateTime
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


def _month_case(column: Any, bounds: Sequence[Any], labels: Sequence[Any]) -> ColumnElement[Any]:
    """SQL: the label of the month ``column`` falls in, from the months' boundaries (the
    first day of the first month, then the first day after each month)."""
    whens: list[tuple[ColumnElement[bool], Any]] = [(column < bounds[0], None)]
    whens += [(column < bound, label) for bound, label in zip(bounds[1:], labels, strict=True)]
    return case(*whens, else_=None)


def _boundaries(months: Sequence[date]) -> list[date]:
    return [months[0], *(next_month(first) for first in months)]


def month_key(column: Any, months: Sequence[date], *, zone: ZoneInfo | None) -> ColumnElement[Any]:
    """SQL: the ``YYYY-MM`` of a date column (``zone=None``) or of a UTC timestamp column
    in the agency's zone, for the given months; NULL outside them.

    ``date_trunc`` (PostgreSQL) and ``strftime`` (SQLite) would differ, and SQLite has no
    time zones at all, so the months are a CASE over their boundaries computed here:
    the same SQL, and the same answer, on every database, daylight saving included.
    """
    if not months:
        return literal(None, String)
    days = _boundaries(months)
    bounds = days if zone is None else [local_midnight(day, zone) for day in days]
    return _month_case(column, bounds, [literal(month_label(first)) for first in months])


def month_label(first: date) -> str:
    return first.strftime("%Y-%m")


# A statement of several columns.
Rows: TypeAlias = "Select[*tuple[Any, ...]]"


# --- the filter as parameters ------------------------------------------------------------------
#
# Building a statement costs more Python time than the database takes to run it for a
# caseload, so each statement is built once per shape (which reports, how many months)
# with the filter's values as named parameters, and kept. Only SQL is kept, never a figure.

CASE_MANAGERS: BindParameter[list[int]] = bindparam("case_managers", expanding=True)
START = bindparam("start", type_=Date)
END = bindparam("end", type_=Date)
START_AT = bindparam("start_at", type_=UTCDateTime)
END_AT = bindparam("end_at", type_=UTCDateTime)
TODAY = bindparam("today", type_=Date)


def _month_key(column: Any, months: int, *, dates: bool) -> ColumnElement[Any]:
    """``month_key`` with the boundaries and labels as parameters (see ``_parameters``)."""
    prefix = "month_day" if dates else "month_at"
    bounds = [
        bindparam(f"{prefix}_{i}", type_=Date if dates else UTCDateTime) for i in range(months + 1)
    ]
    labels = [bindparam(f"month_label_{i}", type_=String) for i in range(months)]
    return _month_case(column, bounds, labels)


def _parameters(f: ReportFilter) -> dict[str, Any]:
    """The filter's values by the names of the statements' parameters."""
    values: dict[str, Any] = {
        "case_managers": list(f.case_manager_ids),
        "start": f.start,
        "end": f.end,
        "start_at": f.start_at,
        "end_at": f.end_at,
        "today": f.today,
    }
    for i, day in enumerate(_boundaries(f.months)):
        values[f"month_day_{i}"] = day
        values[f"month_at_{i}"] = local_midnight(day, f.zone)
    for i, first in enumerate(f.months):
        values[f"month_label_{i}"] = month_label(first)
    return values


# --- scope -------------------------------------------------------------------------------------


def _scope() -> ColumnElement[bool]:
    """Clients on the chosen caseloads."""
    return Client.primary_case_manager_id.in_(CASE_MANAGERS)


def _scoped_client_ids() -> Select[Any]:
    return select(Client.id).where(_scope())


def _in_range(column: Any) -> ColumnElement[bool]:
    return and_(column >= START_AT, column < END_AT)


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class CaseManager:
    id: int
    name: str


# --- figures per case manager: one statement ---------------------------------------------------
#
# One grouped query over the clients of the chosen caseloads (found by the index on their
# primary case manager), one row per case manager with their name: each figure counts a
# condition of the client, or adds up a count about the client (their tasks, their plans)
# looked up by the client's id. Not a join of grouped subqueries: PostgreSQL multiplies
# their estimated sizes into a cost that switches its JIT compiler on (seconds).

PerCaseManager = list[tuple[CaseManager, dict[str, int]]]


def _per_case_manager(figures: Sequence[ColumnElement[Any]]) -> Rows:
    """Every case manager of the filter by name, with these figures (labelled columns)."""
    return (
        select(User.id, User.display_name, *figures)
        .select_from(User)
        # The caseloads again on the client's side, so that the index on it finds them.
        .outerjoin(Client, and_(Client.primary_case_manager_id == User.id, _scope()))
        .where(User.id.in_(CASE_MANAGERS))
        .group_by(User.id, User.display_name)
        .order_by(User.sort_name, User.id)
    )


def _run_per_case_manager(query: Rows, values: dict[str, Any]) -> PerCaseManager:
    result = db.session.execute(query, values)
    names = list(result.keys())[2:]
    return [
        (CaseManager(row[0], row[1]), dict(zip(names, map(int, row[2:]), strict=True)))
        for row in result
    ]


def _total(count: Select[Any], name: str) -> ColumnElement[int]:
    """The sum over the clients of a count about each client."""
    return func.coalesce(func.sum(count.scalar_subquery()), 0).label(name)


def status_at(day: Any, *, created_before: Any) -> ColumnElement[Any]:
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


def _caseload_counts() -> list[ColumnElement[Any]]:
    """Clients active and on hold at the end of the range."""
    status = status_at(END, created_before=END_AT)
    return [
        _count_if(status == "active").label("active"),
        _count_if(status == "on_hold").label("on_hold"),
    ]


def _goals_in_force() -> list[ColumnElement[Any]]:
    """Goals of the plans in force now, and those marked achieved."""
    goals = (
        select(func.count(Goal.id))
        .join(CarePlan, CarePlan.id == Goal.plan_id)
        .where(CarePlan.client_id == Client.id, CarePlan.status == "active")
    )
    return [_total(goals, "goals"), _total(goals.where(Goal.status == "achieved"), "achieved")]


def _goals_reaching_full() -> list[ColumnElement[Any]]:
    """Goals whose progress first reached 100 in the range (a goal key is one client's)."""
    earlier = aliased(GoalProgress)
    reached = select(func.count(GoalProgress.goal_key.distinct())).where(
        GoalProgress.client_id == Client.id,
        GoalProgress.rating >= 100,
        GoalProgress.recorded_on.between(START, END),
        ~exists().where(
            earlier.goal_key == GoalProgress.goal_key,
            earlier.rating >= 100,
            earlier.recorded_on < START,
        ),
    )
    return [_total(reached, "reached")]


def _overdue_reviews() -> list[ColumnElement[Any]]:
    """Plans in force whose review date has passed, as of today."""
    # The dashboard's condition, with today as a parameter in place of the date.
    overdue = review_overdue_condition(typing.cast(date, TODAY))
    reviews = select(func.count(CarePlan.id)).where(CarePlan.client_id == Client.id, *overdue)
    return [_total(reviews, "reviews")]


def _overdue_tasks() -> list[ColumnElement[Any]]:
    """Open tasks about a client past their due date, as of today."""
    tasks = select(func.count(Task.id)).where(
        Task.client_id == Client.id, Task.status == "open", Task.due_on < TODAY
    )
    return [_total(tasks, "tasks")]


# --- figures per month: three statements -------------------------------------------------------
#
# Each source is a grouped query of (series, month, key, count, amount). Signed notes and
# appointments are a statement each; the small sources (episodes twice, crisis events) one
# UNION ALL: PostgreSQL hands a UNION ALL of large enough parts to parallel workers, whose
# start costs more than counting a caseload's rows. The grouping runs over a subquery:
# PostgreSQL does not match a GROUP BY expression with parameters to the same expression
# in the select list.

Monthly = dict[tuple[str, str, str], tuple[int, float]]


def _by_month(
    series: str,
    column: Any,
    months: int,
    *where: Any,
    dates: bool = False,
    key: Any = None,
    amount: Any = None,
) -> Rows:
    """Rows in the range by month (and ``key``): how many, and the sum of ``amount``."""
    rows = (
        select(
            _month_key(column, months, dates=dates).label("month"),
            (cast(null(), String) if key is None else key).label("key"),
            cast(null() if amount is None else amount, Float).label("amount"),
        )
        .where(*where)
        .subquery()
    )
    return select(
        literal_column(f"'{series}'", String).label("series"),
        rows.c.month,
        rows.c.key,
        func.count().label("n"),
        func.sum(rows.c.amount).label("amount"),
    ).group_by(rows.c.month, rows.c.key)


def _run_monthly(query: Executable, values: dict[str, Any]) -> Monthly:
    """(series, month, key) -> (count, amount)."""
    return {
        (series, month, key or ""): (int(n), float(amount or 0))
        for series, month, key, n, amount in db.session.execute(query, values)
        if month is not None
    }


def _admitted(months: int) -> Rows:
    return _by_month(
        "admitted",
        Episode.admitted_on,
        months,
        Episode.client_id.in_(_scoped_client_ids()),
        Episode.admitted_on.between(START, END),
        dates=True,
    )


def _discharged(months: int) -> Rows:
    return _by_month(
        "discharged",
        Episode.discharged_on,
        months,
        Episode.client_id.in_(_scoped_client_ids()),
        Episode.discharged_on.between(START, END),
        dates=True,
    )


def _signed_notes(months: int) -> Rows:
    """Signed notes by month and contact type, with their mileage."""
    return _by_month(
        "notes",
        ProgressNote.contact_at,
        months,
        ProgressNote.status == "signed",
        _in_range(ProgressNote.contact_at),
        ProgressNote.client_id.in_(_scoped_client_ids()),
        key=ProgressNote.contact_type,
        amount=ProgressNote.mileage,
    )


def _appointment_outcomes(months: int) -> Rows:
    return _by_month(
        "appointments",
        Appointment.starts_at,
        months,
        _in_range(Appointment.starts_at),
        Appointment.status.in_(("attended", "no_show")),
        Appointment.client_id.in_(_scoped_client_ids()),
        key=Appointment.status,
    )


def _crisis_events(months: int) -> Rows:
    return _by_month(
        "crises",
        CrisisEvent.occurred_at,
        months,
        _in_range(CrisisEvent.occurred_at),
        CrisisEvent.client_id.in_(_scoped_client_ids()),
        key=CrisisEvent.risk_level,
    )


@dataclass(frozen=True)
class Figures:
    """What the shared statements found, for the reports built from them."""

    values: dict[str, Any]
    per_case_manager: PerCaseManager
    monthly: Monthly

    def count(self, series: str, month: date, key: str = "") -> int:
        return self.monthly.get((series, month_label(month), key), (0, 0.0))[0]

    def month_total(self, series: str, month: date) -> int:
        label = month_label(month)
        return sum(n for (s, m, _), (n, _) in self.monthly.items() if s == series and m == label)

    def amount(self, series: str, month: date, key: str = "") -> float:
        return self.monthly.get((series, month_label(month), key), (0, 0.0))[1]


# --- 1. caseload -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseloadRow:
    case_manager: CaseManager
    active: int
    on_hold: int

    @property
    def total(self) -> int:
        return self.active + self.on_hold


def caseload(f: ReportFilter, found: Figures) -> list[CaseloadRow]:
    """Clients active or on hold at the end of the range, per case manager."""
    return [CaseloadRow(cm, n["active"], n["on_hold"]) for cm, n in found.per_case_manager]


# --- 2. admissions and discharges --------------------------------------------------------------


@dataclass(frozen=True)
class AdmissionMonth:
    month: date
    admissions: int
    discharges: int


def admissions(f: ReportFilter, found: Figures) -> list[AdmissionMonth]:
    """Episodes of care opened and closed in each month of the range."""
    return [
        AdmissionMonth(m, found.count("admitted", m), found.count("discharged", m))
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


def contacts(f: ReportFilter, found: Figures) -> list[ContactMonth]:
    """Signed progress notes by the month of the contact and its type."""
    return [
        ContactMonth(m, {t: found.count("notes", m, t) for t in CONTACT_TYPES}) for m in f.months
    ]


# --- 4. home visits ----------------------------------------------------------------------------


@dataclass(frozen=True)
class HomeVisitMonth:
    month: date
    visits: int
    miles: float


def home_visits(f: ReportFilter, found: Figures) -> list[HomeVisitMonth]:
    """Signed home-visit notes and the mileage they record, per month."""
    return [
        HomeVisitMonth(
            m, found.count("notes", m, "home_visit"), found.amount("notes", m, "home_visit")
        )
        for m in f.months
    ]


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


def attendance(f: ReportFilter, found: Figures) -> list[AttendanceMonth]:
    """Appointments that began in the range and were marked attended or no-show."""
    return [
        AttendanceMonth(
            m, found.count("appointments", m, "attended"), found.count("appointments", m, "no_show")
        )
        for m in f.months
    ]


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


@functools.cache
def _outcome_statement() -> Rows:
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
            _in_range(Assessment.administered_at),
            Assessment.client_id.in_(_scoped_client_ids()),
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
    return select(
        pairs.c.instrument,
        func.count(),
        func.avg(cast(change, Float)),
        _count_if(pairs.c.first_total - pairs.c.last_total >= RELIABLE_DROP),
        _count_if(pairs.c.last_total < BELOW_THRESHOLD),
    ).group_by(pairs.c.instrument)


def outcomes(f: ReportFilter, found: Figures) -> list[OutcomeRow]:
    """PHQ-9 and GAD-7: clients scored twice or more in the range, first against last
    (a statement of its own: windows over the scores)."""
    rows = {
        code: (int(n), None if mean is None else round(float(mean), 1), int(better), int(low))
        for code, n, mean, better, low in db.session.execute(_outcome_statement(), found.values)
    }
    return [OutcomeRow(code, *rows.get(code, (0, None, 0, 0))) for code in OUTCOME_INSTRUMENTS]


# --- 7. goals ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoalRow:
    case_manager: CaseManager
    in_plans_in_force: int
    achieved: int
    reached_full: int


def goals(f: ReportFilter, found: Figures) -> list[GoalRow]:
    """Per case manager: goals of the plans in force now, those marked achieved, and goals
    whose progress first reached 100 % in the range."""
    return [
        GoalRow(cm, n["goals"], n["achieved"], n["reached"]) for cm, n in found.per_case_manager
    ]


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


@functools.cache
def _referral_statement() -> Rows:
    return (
        select(Resource.category, Referral.status, func.count())
        .join(Resource, Resource.id == Referral.resource_id)
        .where(_in_range(Referral.created_at), Referral.client_id.in_(_scoped_client_ids()))
        .group_by(Resource.category, Referral.status)
    )


def referrals(f: ReportFilter, found: Figures) -> list[ReferralRow]:
    """Referrals made in the range, by the resource's category and their status now (a
    statement of its own: by category, not by month)."""
    counts: dict[tuple[str, str], int] = {
        (category, status): int(n)
        for category, status, n in db.session.execute(_referral_statement(), found.values)
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


def crises(f: ReportFilter, found: Figures) -> list[CrisisMonth]:
    """Crisis events by the month they happened, and how many were assessed high risk."""
    return [
        CrisisMonth(m, found.month_total("crises", m), found.count("crises", m, "high"))
        for m in f.months
    ]


# --- 10. overdue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueRow:
    case_manager: CaseManager
    plan_reviews: int
    tasks: int


def overdue(f: ReportFilter, found: Figures) -> list[OverdueRow]:
    """As of today (neither plans nor tasks keep enough history for a past date): plans in
    force whose review date has passed, and open tasks about a client past their due date."""
    return [OverdueRow(cm, n["reviews"], n["tasks"]) for cm, n in found.per_case_manager]


# --- running them ------------------------------------------------------------------------------

# Each report: how to build its rows, and the figures per case manager and the monthly
# sources it reads. The page runs them all with six statements, a CSV only what it needs.
BUILDERS: dict[str, Callable[[ReportFilter, Figures], list[Any]]] = {
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
PER_CASE_MANAGER: dict[str, tuple[Callable[[], list[ColumnElement[Any]]], ...]] = {
    "caseload": (_caseload_counts,),
    "goals": (_goals_in_force, _goals_reaching_full),
    "overdue": (_overdue_reviews, _overdue_tasks),
}
MONTHLY: dict[str, tuple[Callable[[int], Rows], ...]] = {
    "admissions": (_admitted, _discharged),
    "contacts": (_signed_notes,),
    "home_visits": (_signed_notes,),
    "attendance": (_appointment_outcomes,),
    "crises": (_crisis_events,),
}
# The monthly sources that share a statement.
MONTHLY_STATEMENTS: tuple[tuple[Callable[[int], Rows], ...], ...] = (
    (_admitted, _discharged, _crisis_events),
    (_signed_notes,),
    (_appointment_outcomes,),
)


# Finite: the reports asked for together (one, or all) and at most 37 months.
@functools.cache
def _shared_statements(
    wanted: tuple[str, ...], months: int
) -> tuple[Rows | None, tuple[Executable, ...]]:
    """The statement per case manager and the monthly ones that these reports read."""
    parts = list(dict.fromkeys(p for r in wanted for p in PER_CASE_MANAGER.get(r, ())))
    figures = [figure for part in parts for figure in part()]
    needed = {source for r in wanted for source in MONTHLY.get(r, ())}
    monthly: list[Executable] = []
    for group in MONTHLY_STATEMENTS:
        sources = [source(months) for source in group if source in needed]
        if sources:
            monthly.append(sources[0] if len(sources) == 1 else union_all(*sources))
    return (_per_case_manager(figures) if figures else None), tuple(monthly)


def _run_all(f: ReportFilter, wanted: tuple[str, ...]) -> dict[str, list[Any]]:
    """The rows of these reports, from one statement per shape of figures they share."""
    values = _parameters(f)
    per_case_manager, monthly = _shared_statements(wanted, len(f.months))
    by_case_manager = (
        _run_per_case_manager(per_case_manager, values) if per_case_manager is not None else []
    )
    # The statements after it read date ranges: PostgreSQL must see the dates to plan them.
    db_setup.plan_each_time()
    found = Figures(
        values,
        by_case_manager,
        {key: n for query in monthly for key, n in _run_monthly(query, values).items()},
    )
    return {report: BUILDERS[report](f, found) for report in wanted}


def run(report: str, f: ReportFilter) -> list[Any]:
    """The rows of one report."""
    return _run_all(f, (report,))[report]


def view_all(f: ReportFilter, *, actor: User, ip: str | None) -> dict[str, list[Any]]:
    """Every report for the filter; the view is audited (no client named: aggregates)."""
    results = _run_all(f, REPORTS)
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
