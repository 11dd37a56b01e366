"""The staff dashboard: every figure and list of ``/staff/`` in a fixed handful of statements.

- one row of figures (caseload by status, notes to co-sign, appointments without outcome);
- the "who needs me" queue (``needs_me``);
- the simple lists as uniform lines: each panel picks its rows (filtered, ordered and limited
  its own way), with the few columns it shows and its client's name; the panels are stacked
  with UNION ALL and read in one statement;
- my tasks and my open referrals as entities, for the row partials other pages share.

So the page costs the same number of statements for one client as for a thousand. Building
statements this size costs more than running them, so each is built once per role with every
value a bound parameter (``user_id``, the moments compared with), and run for each person: the
statements are kept, never their results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import aliased, joinedload

from .. import db_setup, policy
from ..extensions import db
from ..instruments import Instrument
from ..models import (
    CLIENT_STATUSES,
    OPEN_REFERRAL_STATUSES,
    Appointment,
    AppointmentRequest,
    Assessment,
    AuditEvent,
    CarePlan,
    Client,
    CrisisEvent,
    MessageThread,
    ProgressNote,
    Referral,
    Role,
    Task,
    User,
)
from ..models import audit as audit_conditions
from ..models.base import UTCDateTime, unindexed
from . import appointments, assessments, care_plans, check_ins, messages, needs_me, notes

# A select of several columns.
Rows: TypeAlias = "Select[*tuple[Any, ...]]"

RECENT = 6
NO_SHOW_DAYS = 90
AWAITING_OUTCOME_MAX = 100


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a dashboard list, with what the list shows of it.

    ``id`` is the row's own id (the client's for client lists); the other fields by list:
    crises ``at`` occurred, ``code`` risk level, ``on`` follow-up due; check-ins ``at``
    administered, ``code`` instrument; drafts ``at`` contact, ``code`` contact type; plan
    reviews ``on`` review due; approvals ``number`` version; today ``at`` start, ``code`` kind,
    ``status``; requests ``status``; conversations ``at`` last message, ``code`` kind, ``text``
    subject; high risk ``code`` risk level; recently viewed ``code`` risk level, ``status``.
    """

    id: int
    client_id: int | None
    client_name: str | None
    at: datetime | None = None
    on: date | None = None
    code: str | None = None
    status: str | None = None
    text: str | None = None
    number: int | None = None


@dataclass(frozen=True, slots=True)
class CheckInLine:
    """A critical answer in a check-in, as the check-in partial reads it (as it reads
    ``check_ins.CriticalCheckIn``)."""

    id: int
    client_id: int | None
    client_name: str | None
    administered_at: datetime | None
    instrument_code: str | None
    instrument: Instrument | None


@dataclass(frozen=True, slots=True)
class Activity:
    """A change I made to a client record, as ``labels.activity_label`` reads it."""

    occurred_at: datetime
    action: str
    object_type: str | None
    detail: str | None


@dataclass
class Dashboard:
    """What the dashboard of a clinical staff member shows."""

    by_status: dict[str, int]
    to_cosign: int
    awaiting_outcome: int
    needs: list[needs_me.Need]
    my_tasks: list[Task]
    open_referrals: list[Referral]
    high_risk: list[Line] = field(default_factory=list)
    recently_viewed: list[Line] = field(default_factory=list)
    activity: list[tuple[Activity, str | None]] = field(default_factory=list)
    drafts: list[Line] = field(default_factory=list)
    crises: list[Line] = field(default_factory=list)
    overdue_reviews: list[Line] = field(default_factory=list)
    to_approve: list[Line] = field(default_factory=list)
    today_appointments: list[Line] = field(default_factory=list)
    appointment_requests: list[Line] = field(default_factory=list)
    waiting_threads: list[Line] = field(default_factory=list)
    late_thread_ids: set[int] = field(default_factory=set)
    raised_threads: list[Line] = field(default_factory=list)
    critical_check_ins: list[CheckInLine] = field(default_factory=list)
    no_show_rows: list[tuple[str, appointments.Attendance]] = field(default_factory=list)

    @property
    def caseload_total(self) -> int:
        return sum(self.by_status.values())

    def shown_client_ids(self) -> list[int]:
        """The clients of the lists that name clients, for the audit log."""
        lines = [*self.high_risk, *self.recently_viewed, *self.overdue_reviews, *self.to_approve]
        return [line.client_id for line in lines if line.client_id is not None]


def load(
    user: User,
    *,
    now: datetime,
    today: date,
    day: tuple[datetime, datetime],
    zone: ZoneInfo,
) -> Dashboard:
    """Everything the dashboard shows ``user`` (a clinical staff member) at ``now``: ``day``
    bounds their day for "my appointments today"."""
    statements = _statements(user.role)
    late = messages.late_since(now, zone)
    values = {
        "user_id": user.id,
        "now": now,
        "today": today,
        "day_start": day[0],
        "day_end": day[1],
        "late": late,
        "critical_since": now - check_ins.CRITICAL_WINDOW,
        "attendance_since": now - timedelta(days=NO_SHOW_DAYS),
    }
    db_setup.plan_once()
    counts = db.session.execute(statements.figures, values).one()
    by_status = {s: int(n) for s, n in zip(CLIENT_STATUSES, counts, strict=False) if n}
    to_cosign, awaiting = counts[len(CLIENT_STATUSES) :]
    queue = db.session.execute(
        statements.needs, {"user_id": user.id, **needs_me.parameters(now, today)}
    )
    board = Dashboard(
        by_status=by_status,
        to_cosign=int(to_cosign or 0),
        awaiting_outcome=int(awaiting or 0),
        needs=needs_me.from_rows(queue, now),
        my_tasks=list(db.session.scalars(statements.tasks, values).unique()),
        open_referrals=list(db.session.scalars(statements.referrals, values)),
    )
    _fill(board, db.session.execute(statements.lines, values))
    board.late_thread_ids = {
        t.id for t in board.waiting_threads if t.at is not None and t.at < late
    }
    return board


# --- the statements, built once per role ------------------------------------------------------


@dataclass(frozen=True)
class _Statements:
    figures: Select[Any]
    needs: Select[Any]
    lines: Select[Any]
    tasks: Select[Any]
    referrals: Select[Any]


_BUILT: dict[str, _Statements] = {}


def _statements(role: str) -> _Statements:
    built = _BUILT.get(role)
    if built is None:
        built = _BUILT[role] = _build(role)
    return built


def _day(name: str) -> Any:
    return bindparam(name, type_=Date())


def _build(role: str) -> _Statements:
    anyone = policy.anyone_with(role)
    mine = policy.regular_client_ids(anyone)
    return _Statements(
        figures=_figures(anyone),
        needs=needs_me.statement(
            policy.regular_clients(anyone).with_only_columns(Client.id, Client.status), anyone.id
        ),
        lines=_lines(anyone, mine),
        tasks=(
            select(Task)
            .options(joinedload(Task.client), joinedload(Task.items))
            .where(Task.assignee_id == anyone.id, Task.status == "open")
            .order_by(Task.due_on.is_(None), Task.due_on, Task.id)  # overdue first
            .limit(10)
        ),
        referrals=_open_referrals(mine),
    )


def _open_referrals(mine: Any) -> Select[Any]:
    """My clients' open referrals, the follow-up soonest due first, with their resource and
    client (joined to the ten kept, not to every open one)."""
    order = (Referral.follow_up_on.is_(None), Referral.follow_up_on, Referral.id)
    first = (
        select(Referral.id)
        .where(Referral.client_id.in_(mine), Referral.status.in_(OPEN_REFERRAL_STATUSES))
        .order_by(*order)
        .limit(10)
        .subquery()
    )
    return (
        select(Referral)
        .join(first, first.c.id == Referral.id)
        .options(joinedload(Referral.resource), joinedload(Referral.client))
        .order_by(*order)
    )


def _figures(user: User) -> Select[Any]:
    """One row: my clients by status, the notes waiting for my co-signature, and my started
    appointments with no outcome yet."""
    mine = policy.regular_clients(user)
    columns: list[Any] = [
        *(func.count(case((Client.status == s, 1))) for s in CLIENT_STATUSES),
        notes.cosign_count_query(user, policy.regular_client_ids(user)).scalar_subquery(),
        appointments.waiting_for_outcome_count_query(
            user, AWAITING_OUTCOME_MAX, now=policy.moment("now")
        ).scalar_subquery(),
    ]
    return mine.with_only_columns(*columns)


# The columns of a line, with their types (a union takes its columns' types from its first
# branch, and PostgreSQL wants each NULL typed).
LINE_COLUMNS: dict[str, Any] = {
    "id": Integer(),
    "client_id": Integer(),
    "client_name": String(),
    "at": UTCDateTime(),
    "on": Date(),
    "code": String(),
    "status": String(),
    "text": String(),
    "n1": Integer(),
    "n2": Integer(),
}


def _client_name() -> Any:
    """``Client.display_name`` in SQL."""
    return func.coalesce(func.nullif(Client.preferred_name, ""), Client.legal_name)


def _panel(name: str, query: Rows, *order: Any, limit: int | None) -> Rows:
    """One list's lines: ``query`` selects some of ``LINE_COLUMNS`` (by label); the lines
    are numbered in the list's order and the first ``limit`` kept. When ``query`` has no
    ``client_name``, the name is read for the kept lines only."""
    numbered = query.add_columns(func.row_number().over(order_by=order).label("pos"))
    numbered = numbered.order_by(None).order_by(*order)
    rows = (numbered.limit(limit) if limit is not None else numbered).subquery(name)
    columns = {
        column: rows.c[column] if column in rows.c else sql_cast(null(), kind).label(column)
        for column, kind in LINE_COLUMNS.items()
    }
    lines = select(literal(name, String).label("panel"), rows.c.pos).select_from(rows)
    if "client_name" not in rows.c:
        columns["client_name"] = _client_name().label("client_name")
        lines = lines.outerjoin(Client, Client.id == rows.c.client_id)
    return lines.add_columns(*columns.values())


def _lines(user: User, mine: Any) -> Select[Any]:
    """Every simple list of the dashboard in one statement, ordered by list and position."""
    # Both sets are read once for the whole statement, not once per list.
    mine = select(mine.cte("mine").c[0])
    visible = select(policy.visible_client_ids(user, at=policy.moment("now")).cte("visible").c[0])
    parts = [
        _panel(
            "high_risk",
            select(
                Client.id.label("id"),
                Client.id.label("client_id"),
                Client.risk_level.label("code"),
            ).where(Client.id.in_(mine), Client.risk_level == "high"),
            Client.sort_name,
            Client.id,
            limit=10,
        ),
        _recently_viewed(user, visible),
        _activity(user, visible),
        _no_show(user),
        _panel(
            "drafts",
            select(
                ProgressNote.id.label("id"),
                ProgressNote.client_id.label("client_id"),
                ProgressNote.contact_at.label("at"),
                ProgressNote.contact_type.label("code"),
            ).where(ProgressNote.author_id == user.id, ProgressNote.status == "draft"),
            ProgressNote.contact_at.is_(None),
            ProgressNote.contact_at,
            ProgressNote.id,
            limit=10,
        ),
        _panel(
            "crises",
            select(
                CrisisEvent.id.label("id"),
                CrisisEvent.client_id.label("client_id"),
                CrisisEvent.occurred_at.label("at"),
                CrisisEvent.follow_up_due.label("on"),
                CrisisEvent.risk_level.label("code"),
            ).where(CrisisEvent.client_id.in_(mine), CrisisEvent.status == "open"),
            # By the caseload's crises, not down the agency's in time order.
            unindexed(CrisisEvent.occurred_at),
            CrisisEvent.id,
            limit=20,
        ),
        _panel(
            "overdue",
            select(
                CarePlan.id.label("id"),
                CarePlan.client_id.label("client_id"),
                CarePlan.review_due_on.label("on"),
            ).where(
                CarePlan.client_id.in_(mine), *care_plans.review_overdue_condition(_day("today"))
            ),
            CarePlan.review_due_on,
            CarePlan.id,
            limit=20,
        ),
        _panel(
            "check_ins",
            check_ins.critical_recent_query(
                mine, policy.moment("critical_since")
            ).with_only_columns(
                Assessment.id.label("id"),
                Assessment.client_id.label("client_id"),
                Assessment.administered_at.label("at"),
                Assessment.instrument_code.label("code"),
            ),
            Assessment.administered_at.desc(),
            Assessment.id.desc(),
            limit=20,
        ),
        _panel(
            "today",
            select(
                Appointment.id.label("id"),
                Appointment.client_id.label("client_id"),
                Appointment.starts_at.label("at"),
                Appointment.kind.label("code"),
                Appointment.status.label("status"),
            ).where(
                Appointment.staff_id == user.id,
                Appointment.starts_at >= policy.moment("day_start"),
                Appointment.starts_at < policy.moment("day_end"),
            ),
            Appointment.starts_at,
            Appointment.id,
            limit=None,  # one person's day
        ),
        _panel(
            "requests",
            select(
                AppointmentRequest.id.label("id"),
                AppointmentRequest.client_id.label("client_id"),
                AppointmentRequest.status.label("status"),
            ).where(
                AppointmentRequest.client_id.in_(mine),
                # The caseload's requests, not every open request of the agency.
                unindexed(AppointmentRequest.status).in_(("pending", "proposed")),
            ),
            unindexed(AppointmentRequest.status).desc(),  # waiting for the team, then the client
            AppointmentRequest.created_at,
            limit=10,
        ),
        _threads(
            "waiting",
            mine,
            unindexed(MessageThread.last_message_at).desc(),
            limit=10,
        ),
    ]
    if user.role == Role.SUPERVISOR:
        parts.append(
            _panel(
                "approve",
                select(
                    CarePlan.id.label("id"),
                    CarePlan.client_id.label("client_id"),
                    CarePlan.number.label("n1"),
                ).where(CarePlan.client_id.in_(mine), CarePlan.status == "awaiting_approval"),
                CarePlan.signed_at,
                CarePlan.id,
                limit=20,
            )
        )
        # Late conversations of the team are raised to its supervisor: the clients of the case
        # managers they supervise (not those they only meet on a care team).
        case_manager = aliased(User)
        team = (
            select(Client.id)
            .join(case_manager, case_manager.id == Client.primary_case_manager_id)
            .where(case_manager.supervisor_id == user.id)
        )
        parts.append(
            _threads(
                "raised",
                team,
                unindexed(MessageThread.last_message_at),
                limit=20,
                late_only=True,
            )
        )
    lines = union_all(*parts).subquery("line")
    return select(
        lines.c.panel,
        *(type_coerce(lines.c[column], kind) for column, kind in LINE_COLUMNS.items()),
    ).order_by(lines.c.panel, lines.c.pos)


def _threads(
    panel: str, client_ids: Any, *order: Any, limit: int, late_only: bool = False
) -> Select[Any]:
    """Conversations waiting for the team (``late_only``: for longer than they should)."""
    query = select(
        MessageThread.id.label("id"),
        MessageThread.client_id.label("client_id"),
        MessageThread.last_message_at.label("at"),
        MessageThread.kind.label("code"),
        MessageThread.subject.label("text"),
    ).where(MessageThread.client_id.in_(client_ids), MessageThread.awaiting_team.is_(True))
    if late_only:
        # The team's conversations, not every one of the agency older than that.
        query = query.where(unindexed(MessageThread.last_message_at) < policy.moment("late"))
    return _panel(panel, query, *order, limit=limit)


def _recently_viewed(user: User, visible: Select[Any]) -> Select[Any]:
    """The last records I opened (among my last 100 views), those I may still open."""
    views = (
        select(AuditEvent.id, AuditEvent.client_id)
        .where(
            AuditEvent.actor_id == user.id,
            AuditEvent.action == "view",
            AuditEvent.object_type == "client",
        )
        .order_by(AuditEvent.id.desc())
        .limit(100)
        .subquery()
    )
    last_seen = func.max(views.c.id)
    latest = (
        select(views.c.client_id, last_seen.label("seen"))
        .where(views.c.client_id.is_not(None))
        .group_by(views.c.client_id)
        .order_by(last_seen.desc())
        .limit(RECENT)
        .subquery()
    )
    return _panel(
        "recent",
        select(
            Client.id.label("id"),
            Client.id.label("client_id"),
            _client_name().label("client_name"),
            Client.risk_level.label("code"),
            Client.status.label("status"),
        )
        .join(latest, latest.c.client_id == Client.id)
        .where(Client.id.in_(visible)),
        latest.c.seen.desc(),
        limit=None,
    )


def _activity(user: User, visible: Select[Any]) -> Select[Any]:
    """My last changes to client records, with the client's name while I may see it."""
    return _panel(
        "activity",
        select(
            AuditEvent.id.label("id"),
            AuditEvent.client_id.label("client_id"),
            _client_name().label("client_name"),
            AuditEvent.occurred_at.label("at"),
            AuditEvent.action.label("code"),
            AuditEvent.object_type.label("status"),
            AuditEvent.detail.label("text"),
        )
        .outerjoin(
            Client, and_(Client.id == AuditEvent.client_id, AuditEvent.client_id.in_(visible))
        )
        .where(AuditEvent.actor_id == user.id, *audit_conditions.changes()),
        AuditEvent.id.desc(),
        limit=8,
    )


def _no_show(user: User) -> Select[Any]:
    """Attendance of my clients' appointments in the last 90 days, and for a supervisor of
    each case manager of the team's: me first, then by name; only who has an outcome."""
    people = User.id == user.id
    if user.role == Role.SUPERVISOR:
        people = people | and_(User.supervisor_id == user.id, User.active.is_(True))
    figures = (
        select(
            Client.primary_case_manager_id.label("person"),
            func.count(case((Appointment.status == "attended", 1))).label("attended"),
            func.count(case((Appointment.status == "no_show", 1))).label("no_show"),
        )
        .join(Client, Client.id == Appointment.client_id)
        .where(
            Client.primary_case_manager_id.in_(select(User.id).where(people)),
            Appointment.starts_at >= policy.moment("attendance_since"),
        )
        .group_by(Client.primary_case_manager_id)
        .subquery()
    )
    return _panel(
        "no_show",
        select(
            User.id.label("id"),
            User.display_name.label("client_name"),
            figures.c.attended.label("n1"),
            figures.c.no_show.label("n2"),
        )
        .join(figures, figures.c.person == User.id)
        .where(figures.c.attended + figures.c.no_show > 0),
        User.id != user.id,
        User.sort_name,
        limit=None,
    )


def _fill(board: Dashboard, rows: Any) -> None:
    """Sort the stacked lines into the dashboard's lists."""
    lists: dict[str, list[Line]] = {}
    activity: list[tuple[Activity, str | None]] = []
    attendance: list[tuple[str, appointments.Attendance]] = []
    for panel, id_, client_id, name, at, on, code, status, text, n1, n2 in rows:
        if panel == "activity":
            activity.append((Activity(at, code, status, text), name))
        elif panel == "no_show":
            attendance.append((name, appointments.Attendance(int(n1), int(n2))))
        else:
            lists.setdefault(panel, []).append(
                Line(id_, client_id, name, at, on, code, status, text, n1)
            )
    board.activity = activity
    board.no_show_rows = attendance
    board.high_risk = lists.get("high_risk", [])
    board.recently_viewed = lists.get("recent", [])
    board.drafts = lists.get("drafts", [])
    board.crises = lists.get("crises", [])
    board.overdue_reviews = lists.get("overdue", [])
    board.to_approve = lists.get("approve", [])
    if "check_ins" in lists:
        known = assessments.instruments()
        board.critical_check_ins = [
            CheckInLine(
                line.id,
                line.client_id,
                line.client_name,
                line.at,
                line.code,
                known.get(line.code or ""),
            )
            for line in lists["check_ins"]
        ]
    board.today_appointments = lists.get("today", [])
    board.appointment_requests = lists.get("requests", [])
    board.waiting_threads = lists.get("waiting", [])
    board.raised_threads = lists.get("raised", [])
