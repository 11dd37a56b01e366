"""Appointments: scheduling with overlap checks, attendance, the client's requests and the
team's answers, and no-show figures.

Times are chosen in the agency's time zone and stored in UTC. A wall-clock time that does
not exist (the hour skipped when clocks go forward) is refused; one that happens twice (the
hour repeated when they go back) means the first of the two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Integer, Select, bindparam, case, func, or_, select
from sqlalchemy.orm import joinedload

from .. import policy
from ..extensions import db
from ..i18n import agency_zone, force_locale
from ..models import (
    APPOINTMENT_KINDS,
    CANCELLED_BY,
    OPEN_REQUEST_STATUSES,
    Appointment,
    AppointmentRequest,
    Client,
    User,
    utcnow,
)
from . import audit, tasks
from .errors import DomainError, IllegalTransition, StaleEdit

# Statuses that hold a place in someone's day.
BOOKED = ("scheduled", "attended", "no_show")
OUTCOMES = ("attended", "no_show", "cancelled")


class NonexistentTime(DomainError):
    """The wall-clock time falls in the hour skipped when clocks go forward."""


class Overlap(DomainError):
    """The staff member or the client already has an appointment then."""

    def __init__(self, conflicts: Sequence[Appointment]) -> None:
        super().__init__("overlaps another appointment")
        self.conflicts = list(conflicts)


class TooLate(DomainError):
    """Inside the agency's notice window: the client is asked to call instead."""


def agency_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time in the agency's zone, refusing one that does not
    exist that day; a repeated time means its first occurrence."""
    local = datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise NonexistentTime(f"{local:%Y-%m-%d %H:%M} does not exist in {zone.key}")
    return instant


def week_start(day: date) -> date:
    """The Monday of the week the day falls in."""
    return day - timedelta(days=day.weekday())


def day_bounds(first: date, days: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants of local midnight on the first day and after the last: a day across a
    clock change is 23 or 25 hours long, and the window follows the clock."""
    start = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=days), time(), tzinfo=zone).astimezone(UTC)
    return start, end


def overlapping(
    starts_at: datetime,
    ends_at: datetime,
    *,
    staff_id: int,
    client_id: int,
    exclude_id: int | None = None,
) -> list[Appointment]:
    """Booked appointments of the same staff member or client that share any minute."""
    query = select(Appointment).where(
        Appointment.status.in_(BOOKED),
        Appointment.starts_at < ends_at,
        Appointment.ends_at > starts_at,
        or_(Appointment.staff_id == staff_id, Appointment.client_id == client_id),
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    return list(db.session.scalars(query.order_by(Appointment.starts_at)))


def _clean(value: Any, limit: int) -> str | None:
    text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    return text[:limit] or None


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise DomainError("an appointment ends after it starts")


def _check_overlap(
    starts_at: datetime,
    ends_at: datetime,
    *,
    staff_id: int,
    client_id: int,
    exclude_id: int | None,
    overlap_reason: str | None,
) -> str | None:
    conflicts = overlapping(
        starts_at, ends_at, staff_id=staff_id, client_id=client_id, exclude_id=exclude_id
    )
    reason = _clean(overlap_reason, 300)
    if conflicts and not reason:
        raise Overlap(conflicts)
    return reason if conflicts else None


def schedule(
    client: Client,
    staff: User,
    *,
    starts_at: datetime,
    ends_at: datetime,
    kind: str,
    location: str | None = None,
    video_link: str | None = None,
    client_note: str | None = None,
    overlap_reason: str | None = None,
    actor: User,
    ip: str | None,
) -> Appointment:
    """A scheduled appointment; an overlap is refused unless a reason is given. A home visit
    with no place given is at the client's address."""
    if kind not in APPOINTMENT_KINDS:
        raise DomainError("unknown kind of appointment")
    if client.status == "discharged":
        raise DomainError("discharged")
    _check_times(starts_at, ends_at)
    reason = _check_overlap(
        starts_at,
        ends_at,
        staff_id=staff.id,
        client_id=client.id,
        exclude_id=None,
        overlap_reason=overlap_reason,
    )
    place = _clean(location, 300)
    if kind == "home_visit" and place is None:
        place = client.address
    appointment = Appointment(
        client_id=client.id,
        staff_id=staff.id,
        starts_at=starts_at,
        ends_at=ends_at,
        kind=kind,
        location=place,
        video_link=_clean(video_link, 500),
        client_note=_clean(client_note, 2000),
        overlap_reason=reason,
        status="scheduled",
        created_by_id=actor.id,
    )
    db.session.add(appointment)
    db.session.flush()
    _audit("create", appointment, actor=actor, ip=ip, detail=_detail(appointment))
    return appointment


def reschedule(
    appointment: Appointment,
    *,
    staff: User,
    starts_at: datetime,
    ends_at: datetime,
    kind: str,
    location: str | None,
    video_link: str | None,
    client_note: str | None,
    overlap_reason: str | None,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> None:
    """Change an appointment that is still scheduled."""
    if appointment.version != expected_version:
        raise StaleEdit(appointment)
    if appointment.status != "scheduled":
        raise IllegalTransition(appointment.status, "scheduled")
    if kind not in APPOINTMENT_KINDS:
        raise DomainError("unknown kind of appointment")
    _check_times(starts_at, ends_at)
    reason = _check_overlap(
        starts_at,
        ends_at,
        staff_id=staff.id,
        client_id=appointment.client_id,
        exclude_id=appointment.id,
        overlap_reason=overlap_reason,
    )
    place = _clean(location, 300)
    if kind == "home_visit" and place is None:
        place = appointment.client.address
    appointment.staff_id = staff.id
    appointment.starts_at = starts_at
    appointment.ends_at = ends_at
    appointment.kind = kind
    appointment.location = place
    appointment.video_link = _clean(video_link, 500)
    appointment.client_note = _clean(client_note, 2000)
    appointment.overlap_reason = reason
    db.session.flush()
    _audit("update", appointment, actor=actor, ip=ip, detail=_detail(appointment))


def record_outcome(
    appointment: Appointment,
    outcome: str,
    *,
    cancelled_by: str | None = None,
    reason: str | None = None,
    expected_version: int,
    actor: User,
    ip: str | None,
    today: date,
    now: datetime | None = None,
) -> None:
    """Attended or no-show once the time has come; cancelled (by whom, why) at any time.
    A no-show gives the case manager a follow-up task."""
    if appointment.version != expected_version:
        raise StaleEdit(appointment)
    if outcome not in OUTCOMES or appointment.status != "scheduled":
        raise IllegalTransition(appointment.status, outcome)
    now = now or utcnow()
    if outcome in ("attended", "no_show") and appointment.starts_at > now:
        raise DomainError("not yet")
    reason = _clean(reason, 500)
    if outcome == "cancelled":
        if cancelled_by not in CANCELLED_BY:
            raise DomainError("say who cancelled")
        if not reason:
            raise DomainError("a cancellation needs a reason")
        appointment.cancelled_by = cancelled_by
    appointment.status = outcome
    appointment.outcome_reason = reason
    appointment.outcome_by_id = actor.id
    appointment.outcome_at = now
    db.session.flush()
    if outcome == "no_show":
        _no_show_task(appointment, actor=actor, ip=ip, today=today)
    _audit(
        "update",
        appointment,
        actor=actor,
        ip=ip,
        detail=f"scheduled->{outcome}" + (f" by {cancelled_by}" if cancelled_by else ""),
    )


def _no_show_task(appointment: Appointment, *, actor: User, ip: str | None, today: date) -> None:
    client = appointment.client
    assignee = client.primary_case_manager or appointment.staff
    with force_locale(assignee.locale or "en"):
        title = _(
            "Follow up the missed appointment of %(date)s",
            date=format_date(_local_date(appointment.starts_at), "medium"),
        )
    task = tasks.create_task(
        title=title,
        kind="follow_up",
        client=client,
        due_on=today + timedelta(days=1),
        assignee=assignee,
        actor=actor,
        ip=ip,
    )
    appointment.follow_up_task_id = task.id


def _local_date(moment: datetime) -> date:
    return moment.astimezone(agency_zone()).date()


def inside_notice(appointment: Appointment, notice_hours: int, now: datetime | None = None) -> bool:
    """Whether it is too late for the client to cancel or move it from the portal."""
    return appointment.starts_at - (now or utcnow()) < timedelta(hours=notice_hours)


def cancel_by_client(
    appointment: Appointment,
    *,
    reason: str | None,
    notice_hours: int,
    actor: User,
    ip: str | None,
    now: datetime | None = None,
) -> None:
    """The client cancels an upcoming appointment, outside the notice window only."""
    now = now or utcnow()
    if appointment.status != "scheduled" or appointment.starts_at <= now:
        raise IllegalTransition(appointment.status, "cancelled")
    if inside_notice(appointment, notice_hours, now):
        raise TooLate("inside the notice window")
    appointment.status = "cancelled"
    appointment.cancelled_by = "client"
    appointment.outcome_reason = _clean(reason, 500)
    appointment.outcome_by_id = actor.id
    appointment.outcome_at = now
    db.session.flush()
    _audit("update", appointment, actor=actor, ip=ip, detail="scheduled->cancelled by client")
    moving = open_request_for(appointment)
    if moving is not None:
        # Nothing left to move: the request to move it ends with it.
        withdraw(moving, expected_version=moving.version, actor=actor, ip=ip)


# --- requests --------------------------------------------------------------------------------


def request_appointment(
    client: Client,
    *,
    kind: str,
    reason: str,
    preferred: Iterable[datetime | None],
    actor: User,
    ip: str | None,
    appointment: Appointment | None = None,
    notice_hours: int = 0,
    now: datetime | None = None,
) -> AppointmentRequest:
    """A new appointment asked for (or, with ``appointment``, to move that one), with up to
    three preferred times in the future."""
    now = now or utcnow()
    times = sorted({t for t in preferred if t is not None})[:3]
    if not times:
        raise DomainError("at least one preferred time")
    if any(t <= now for t in times):
        raise DomainError("preferred times are in the future")
    if kind not in APPOINTMENT_KINDS:
        raise DomainError("unknown kind of appointment")
    reason_text = _clean(reason, 2000)
    if not reason_text:
        raise DomainError("a request needs a reason")
    if appointment is not None:
        if appointment.client_id != client.id or appointment.status != "scheduled":
            raise IllegalTransition(appointment.status, "reschedule")
        if inside_notice(appointment, notice_hours, now):
            raise TooLate("inside the notice window")
        if open_request_for(appointment) is not None:
            raise DomainError("already asked to move this one")
    request = AppointmentRequest(
        client_id=client.id,
        requested_by_id=actor.id,
        purpose="reschedule" if appointment is not None else "new",
        appointment_id=appointment.id if appointment is not None else None,
        kind=kind,
        reason=reason_text,
        preferred_1=times[0],
        preferred_2=times[1] if len(times) > 1 else None,
        preferred_3=times[2] if len(times) > 2 else None,
        status="pending",
    )
    db.session.add(request)
    db.session.flush()
    _audit_request("create", request, actor=actor, ip=ip, detail=request.purpose)
    return request


def open_request_for(appointment: Appointment) -> AppointmentRequest | None:
    result: AppointmentRequest | None = db.session.scalar(
        select(AppointmentRequest).where(
            AppointmentRequest.appointment_id == appointment.id,
            AppointmentRequest.purpose == "reschedule",
            AppointmentRequest.status.in_(("pending", "proposed")),
        )
    )
    return result


def _check_request(request: AppointmentRequest, expected_version: int, *allowed: str) -> None:
    if request.version != expected_version:
        raise StaleEdit(request)
    if request.status not in allowed:
        raise IllegalTransition(request.status, "answered")


def accept_request(
    request: AppointmentRequest,
    *,
    staff: User,
    starts_at: datetime,
    ends_at: datetime,
    location: str | None = None,
    video_link: str | None = None,
    client_note: str | None = None,
    overlap_reason: str | None = None,
    message: str | None = None,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> Appointment:
    """The team books a time: a new appointment, or the one to move moved there."""
    _check_request(request, expected_version, "pending")
    return _book(
        request,
        staff=staff,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        video_link=video_link,
        client_note=client_note,
        overlap_reason=overlap_reason,
        message=message,
        actor=actor,
        ip=ip,
    )


def _book(
    request: AppointmentRequest,
    *,
    staff: User,
    starts_at: datetime,
    ends_at: datetime,
    location: str | None,
    video_link: str | None,
    client_note: str | None,
    overlap_reason: str | None,
    message: str | None,
    actor: User,
    ip: str | None,
) -> Appointment:
    moving = request.appointment if request.purpose == "reschedule" else None
    if moving is not None and moving.status == "scheduled":
        reschedule(
            moving,
            staff=staff,
            starts_at=starts_at,
            ends_at=ends_at,
            kind=request.kind,
            location=location if location is not None else moving.location,
            video_link=video_link if video_link is not None else moving.video_link,
            client_note=client_note if client_note is not None else moving.client_note,
            overlap_reason=overlap_reason,
            expected_version=moving.version,
            actor=actor,
            ip=ip,
        )
        appointment = moving
    else:
        appointment = schedule(
            request.client,
            staff,
            starts_at=starts_at,
            ends_at=ends_at,
            kind=request.kind,
            location=location,
            video_link=video_link,
            client_note=client_note,
            overlap_reason=overlap_reason,
            actor=actor,
            ip=ip,
        )
    request.appointment_id = appointment.id
    request.status = "accepted"
    if message is not None:
        request.response_message = _clean(message, 2000)
    request.responded_at = utcnow()
    request.responded_by_id = actor.id
    db.session.flush()
    _audit_request("update", request, actor=actor, ip=ip, detail="pending->accepted")
    return appointment


def propose_time(
    request: AppointmentRequest,
    *,
    staff: User,
    starts_at: datetime,
    ends_at: datetime,
    message: str | None,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> None:
    """The team offers another time; the client accepts it or asks again."""
    _check_request(request, expected_version, "pending")
    _check_times(starts_at, ends_at)
    if starts_at <= utcnow():
        raise DomainError("a proposed time is in the future")
    request.status = "proposed"
    request.proposed_start = starts_at
    request.proposed_end = ends_at
    request.proposed_by_id = staff.id
    request.response_message = _clean(message, 2000)
    request.responded_at = utcnow()
    request.responded_by_id = actor.id
    db.session.flush()
    _audit_request("update", request, actor=actor, ip=ip, detail="pending->proposed")


def decline_request(
    request: AppointmentRequest,
    *,
    message: str | None,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> None:
    """The team says no, and says why."""
    _check_request(request, expected_version, "pending")
    text = _clean(message, 2000)
    if not text:
        raise DomainError("a decline needs a message")
    request.status = "declined"
    request.response_message = text
    request.responded_at = utcnow()
    request.responded_by_id = actor.id
    db.session.flush()
    _audit_request("update", request, actor=actor, ip=ip, detail="pending->declined")


def accept_proposal(
    request: AppointmentRequest, *, expected_version: int, actor: User, ip: str | None
) -> Appointment:
    """The client takes the time the team offered; if it was taken meanwhile, ``Overlap``."""
    _check_request(request, expected_version, "proposed")
    if request.proposed_start is None or request.proposed_end is None:
        raise DomainError("nothing was proposed")
    if request.proposed_start <= utcnow():
        raise TooLate("the proposed time has passed")
    staff = db.session.get(User, request.proposed_by_id) if request.proposed_by_id else None
    if staff is None:
        raise DomainError("nobody to meet")
    return _book(
        request,
        staff=staff,
        starts_at=request.proposed_start,
        ends_at=request.proposed_end,
        location=None,
        video_link=None,
        client_note=None,
        overlap_reason=None,
        message=None,
        actor=actor,
        ip=ip,
    )


def ask_again(
    request: AppointmentRequest,
    *,
    message: str | None,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> None:
    """The client does not take the proposed time: the request waits for the team again."""
    _check_request(request, expected_version, "proposed")
    request.status = "pending"
    request.client_message = _clean(message, 2000)
    request.proposed_start = request.proposed_end = None
    db.session.flush()
    _audit_request("update", request, actor=actor, ip=ip, detail="proposed->pending")


def withdraw(
    request: AppointmentRequest, *, expected_version: int, actor: User, ip: str | None
) -> None:
    """The client no longer needs it."""
    before = request.status
    _check_request(request, expected_version, "pending", "proposed")
    request.status = "withdrawn"
    db.session.flush()
    _audit_request("update", request, actor=actor, ip=ip, detail=f"{before}->withdrawn")


@cache
def _open_requests(role: str, limit: int) -> Select[tuple[AppointmentRequest]]:
    """``open_requests``' statement, built once per role: run with ``user_id``."""
    mine = policy.regular_client_ids(policy.anyone_with(role))
    return (
        select(AppointmentRequest)
        .options(joinedload(AppointmentRequest.client))
        .where(
            AppointmentRequest.client_id.in_(mine),
            AppointmentRequest.status.in_(("pending", "proposed")),
        )
        .order_by(AppointmentRequest.status.desc(), AppointmentRequest.created_at)
        .limit(limit)
    )


def open_requests(user: User, limit: int = 20) -> list[AppointmentRequest]:
    """Requests of the clients on the user's caseload, care teams or team waiting for the
    team (then those waiting for the client), oldest first."""
    return list(db.session.scalars(_open_requests(user.role, limit), {"user_id": user.id}))


def open_request_count_query(client: Client) -> Select[Any]:
    """How many of the client's requests are still open, as a statement to combine with
    other counts."""
    return (
        select(func.count())
        .select_from(AppointmentRequest)
        .where(
            AppointmentRequest.client_id == client.id,
            AppointmentRequest.status.in_(OPEN_REQUEST_STATUSES),
        )
    )


def waiting_for_outcome_count_query(staff: User, at_most: int, *, now: Any) -> Select[Any]:
    """How many of the staff member's appointments started by ``now`` have no outcome yet
    (counting stops at ``at_most``), as a statement to combine with other counts. ``staff.id``
    and ``now`` may be bound parameters."""
    waiting = (
        select(Appointment.id)
        .where(
            Appointment.staff_id == staff.id,
            Appointment.status == "scheduled",
            Appointment.starts_at <= now,
        )
        .limit(at_most)
        .subquery()
    )
    return select(func.count()).select_from(waiting)


@cache
def _waiting_for_outcome(limit: int) -> Select[tuple[Appointment]]:
    """``waiting_for_outcome``'s statement, built once: run with ``staff_id`` and ``now``."""
    return (
        select(Appointment)
        .options(joinedload(Appointment.client))
        .where(
            Appointment.staff_id == bindparam("staff_id", type_=Integer()),
            Appointment.status == "scheduled",
            Appointment.starts_at <= policy.moment("now"),
        )
        .order_by(Appointment.starts_at)
        .limit(limit)
    )


def waiting_for_outcome(staff: User, limit: int = 20) -> list[Appointment]:
    """The staff member's appointments that have started and have no outcome yet."""
    return list(
        db.session.scalars(_waiting_for_outcome(limit), {"staff_id": staff.id, "now": utcnow()})
    )


@cache
def _calendar(role: str) -> Select[Appointment, bool]:
    """``calendar``'s statement for a viewer of ``role``, built once per role: run with
    ``staff_id``, ``start``, ``end``, and the viewer as ``user_id`` at ``now``."""
    visible = policy.visible_client_ids_for_role(role)
    return (
        select(Appointment, Appointment.client_id.in_(visible).label("visible"))
        .options(joinedload(Appointment.client))
        .where(
            Appointment.staff_id == bindparam("staff_id", type_=Integer()),
            Appointment.starts_at >= policy.moment("start"),
            Appointment.starts_at < policy.moment("end"),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )


def calendar(
    staff_id: int, start: datetime, end: datetime, *, viewer: User
) -> list[tuple[Appointment, bool]]:
    """A staff member's appointments starting in a window, in order, with their clients, and
    for each whether the clinical ``viewer`` may see its client; one statement however many
    there are."""
    rows = db.session.execute(
        _calendar(viewer.role),
        {"staff_id": staff_id, "start": start, "end": end, "user_id": viewer.id, "now": utcnow()},
    )
    return [(appointment, bool(seen)) for appointment, seen in rows]


# The client's home shows the next appointment on every visit: built once for the process,
# run with ``client_id`` and ``now``.
_NEXT_FOR = (
    select(Appointment)
    .options(joinedload(Appointment.staff))
    .where(
        Appointment.client_id == bindparam("client_id", type_=Integer()),
        Appointment.status == "scheduled",
        Appointment.starts_at > policy.moment("now"),
    )
    .order_by(Appointment.starts_at)
    .limit(1)
)


def next_for(client: Client) -> Appointment | None:
    """The client's next scheduled appointment."""
    result: Appointment | None = db.session.scalars(
        _NEXT_FOR, {"client_id": client.id, "now": utcnow()}
    ).first()
    return result


def next_time(client_id: Any, now: datetime) -> Any:
    """SQL: the next scheduled appointment time of the client ``client_id`` (a column of the
    outer statement), as a column of a list page's statement."""
    return (
        select(func.min(Appointment.starts_at))
        .where(
            Appointment.client_id == client_id,
            Appointment.status == "scheduled",
            Appointment.starts_at > now,
        )
        .scalar_subquery()
    )


# --- figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    attended: int
    no_show: int

    @property
    def kept(self) -> int:
        return self.attended + self.no_show

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among appointments whose outcome is attended or no-show (None if none)."""
        return self.no_show / self.kept if self.kept else None


def _attendance_columns() -> tuple[Any, Any]:
    return (
        func.count(case((Appointment.status == "attended", 1))),
        func.count(case((Appointment.status == "no_show", 1))),
    )


def attendance(condition: ColumnElement[bool], since: datetime | None = None) -> Attendance:
    """Attended and no-show counts of the appointments that match, in one query."""
    query = select(*_attendance_columns()).where(condition)
    if since is not None:
        query = query.where(Appointment.starts_at >= since)
    attended, no_show = db.session.execute(query).one()
    return Attendance(int(attended), int(no_show))


# --- audit -----------------------------------------------------------------------------------


def _detail(appointment: Appointment) -> str:
    return f"{appointment.kind} {appointment.starts_at:%Y-%m-%dT%H:%MZ}"


def _audit(
    action: str, appointment: Appointment, *, actor: User, ip: str | None, detail: str
) -> None:
    audit.record(
        action,
        actor=actor,
        ip=ip,
        object_type="appointment",
        object_id=appointment.id,
        client_id=appointment.client_id,
        detail=detail,
    )


def _audit_request(
    action: str, request: AppointmentRequest, *, actor: User, ip: str | None, detail: str
) -> None:
    audit.record(
        action,
        actor=actor,
        ip=ip,
        object_type="appointment_request",
        object_id=request.id,
        client_id=request.client_id,
        detail=detail,
    )
