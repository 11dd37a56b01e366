"""The staff calendar: day, week and list views, booking with overlap checks, attendance,
and the answers to clients' requests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any, NamedTuple

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Integer, Select, bindparam, or_, select, union
from sqlalchemy.orm import selectinload

from .. import policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import choices, people_choices
from ..htmx import fragment_or_page, is_partial, page_at
from ..i18n import agency_today, agency_zone
from ..models import (
    APPOINTMENT_KINDS,
    CLINICAL_ROLES,
    Appointment,
    AppointmentRequest,
    CareTeamMember,
    Client,
    User,
    utcnow,
)
from ..services import appointment_mail, appointments, audit, reminders
from ..services.appointments import NonexistentTime, Overlap
from ..services.clients import find_staff
from ..services.errors import DomainError, IllegalTransition, StaleEdit
from . import bp
from .appointment_forms import AppointmentForm, OutcomeForm, RequestAnswerForm
from .clients import _audit_view, _load, _record_context

VIEWS = ("week", "day", "list")
LIST_DAYS = 28
QUEUE_SIZE = 20
# A note's contact type for each kind of appointment.
CONTACT_TYPE_FOR_KIND = {
    "office": "office",
    "home_visit": "home_visit",
    "telehealth": "video",
    "phone": "phone",
    "group": "office",
}


def _require_scheduler() -> None:
    if not policy.may_schedule(current_user):
        abort(403)


class StaffMember(NamedTuple):
    """Who can be booked: all a chooser needs, without loading whole accounts."""

    id: int
    display_name: str


# Who may be booked with a client: the active clinicians.
_BOOKABLE = (User.role.in_(CLINICAL_ROLES), User.active.is_(True))


def _staff_statement(*conditions: Any) -> Select[int, str]:
    """The active clinicians (those of them that meet ``conditions``), by name."""
    return (
        select(User.id, User.display_name).where(*_BOOKABLE, *conditions).order_by(User.sort_name)
    )


@cache
def _calendar_people_statement(role: str, *, supervised: bool, wanted: bool) -> Select[int, str]:
    """``_calendar_people``' statement, built once per role and shape: run with ``user_id``,
    and ``supervisor_id`` when the user has a supervisor, ``wanted`` when the URL asks."""
    anyone = policy.anyone_with(role)
    # Read once for the two lists of people that come from my clients.
    mine = select(policy.regular_client_ids(anyone).cte("mine").c[0])
    ids: list[Any] = [anyone.id]
    people = [
        select(User.id).where(User.supervisor_id == anyone.id),
        select(CareTeamMember.user_id).where(CareTeamMember.client_id.in_(mine)),
        select(Client.primary_case_manager_id).where(Client.id.in_(mine)),
    ]
    if supervised:
        supervisor = bindparam("supervisor_id", type_=Integer())
        ids.append(supervisor)
        people.append(select(User.id).where(User.supervisor_id == supervisor))
    if wanted:
        ids.append(bindparam("wanted", type_=Integer()))
    return _staff_statement(or_(User.id.in_(ids), User.id.in_(union(*people))))


def _calendar_people(wanted: int | None) -> list[StaffMember]:
    """Whose calendars the "Calendar of" list offers: mine, my supervisor's and my team's,
    the people I supervise, the staff on the care teams and the case managers of the clients
    I work with, and whoever the URL asks for. Not every clinician of the agency: at 20,000
    clients that is 500 options on every calendar page (anyone's calendar still opens from
    its URL)."""
    statement = _calendar_people_statement(
        current_user.role,
        supervised=current_user.supervisor_id is not None,
        wanted=wanted is not None,
    )
    values = {
        "user_id": current_user.id,
        "supervisor_id": current_user.supervisor_id,
        "wanted": wanted,
    }
    return [StaffMember(*row) for row in db.session.execute(statement, values)]


def _chosen_staff(staff: Sequence[StaffMember], wanted: int | None) -> StaffMember:
    for member in staff:
        if member.id == wanted:
            return member
    return StaffMember(current_user.id, current_user.display_name)


def _chosen_day() -> date:
    text = request.args.get("date", "")
    try:
        return date.fromisoformat(text)
    except ValueError:
        return agency_today()


def _window(view: str, day: date) -> tuple[date, int, date, date]:
    """First day shown, number of days, and the days the previous/next links go to."""
    if view == "week":
        first = appointments.week_start(day)
        return first, 7, first - timedelta(days=7), first + timedelta(days=7)
    if view == "day":
        return day, 1, day - timedelta(days=1), day + timedelta(days=1)
    return day, LIST_DAYS, day - timedelta(days=LIST_DAYS), day + timedelta(days=LIST_DAYS)


def _visible_ids(client_ids: set[int]) -> set[int]:
    """Which of these clients the viewer may see: the others show as "busy"."""
    if not client_ids:
        return set()
    return set(
        db.session.scalars(
            policy.visible_clients(current_user)
            .with_only_columns(Client.id)
            .where(Client.id.in_(client_ids))
        )
    )


def _audit_list(what: str, client_ids: set[int]) -> None:
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="client_list",
        object_id=what,
        detail=",".join(str(i) for i in sorted(client_ids))[:255] or None,
    )


@bp.route("/appointments")
def appointment_index() -> Any:
    """The calendar of one staff member (me by default): a week, a day, or a list of four
    weeks; with the queue of clients' requests and the appointments waiting for an outcome."""
    _require_scheduler()
    view = request.args.get("view", "week")
    view = view if view in VIEWS else "week"
    wanted = request.args.get("staff", type=int)
    staff = _calendar_people(wanted)
    person = _chosen_staff(staff, wanted)
    day = _chosen_day()
    first, days, previous, following = _window(view, day)
    start, end = appointments.day_bounds(first, days, agency_zone())
    found = appointments.calendar(person.id, start, end, viewer=current_user)
    rows = [appointment for appointment, _seen in found]
    # A client the viewer may not see shows as "busy".
    visible = {appointment.client_id for appointment, seen in found if seen}
    zone = agency_zone()
    by_day: dict[date, list[Appointment]] = {first + timedelta(days=n): [] for n in range(days)}
    for appointment in rows:
        by_day.setdefault(appointment.starts_at.astimezone(zone).date(), []).append(appointment)
    context: dict[str, Any] = {
        "view": view,
        "person": person,
        "staff": staff,
        "day": day,
        "first": first,
        "last": first + timedelta(days=days - 1),
        "previous": previous,
        "following": following,
        "by_day": by_day,
        "rows": rows,
        "visible": visible,
        "today": agency_today(),
        "is_me": person.id == current_user.id,
    }
    if not is_partial():
        queue = _request_queue()
        waiting = _waiting_for_outcome()
        context.update(queue=queue, waiting=waiting)
        visible |= {r.client_id for r in queue} | {a.client_id for a in waiting}
    _audit_list("calendar", visible)
    db.session.commit()
    template = (
        "staff/appointments/_calendar.html" if is_partial() else "staff/appointments/index.html"
    )
    return fragment_or_page(render_template(template, **context))


def _request_queue() -> Sequence[AppointmentRequest]:
    """Open requests of the clients on my caseload, care teams or team."""
    return appointments.open_requests(current_user, QUEUE_SIZE)


def _waiting_for_outcome() -> Sequence[Appointment]:
    return appointments.waiting_for_outcome(current_user, QUEUE_SIZE)


# --- booking ---------------------------------------------------------------------------------


def _booking_form(client: Client | None, **kwargs: Any) -> AppointmentForm:
    form = AppointmentForm(**kwargs)
    clients = list(
        db.session.scalars(
            policy.regular_clients(current_user)
            .where(Client.status != "discharged")
            .order_by(Client.sort_name)
        )
    )
    if client is not None and client not in clients:
        clients.insert(0, client)  # a record opened in an emergency
    form.client_id.choices = choices((c.id, c.display_name) for c in clients)
    return form


def _offer_clinicians(
    form: AppointmentForm | RequestAnswerForm, shown: int | None, held: User | None = None
) -> dict[str, Any]:
    """Fill the "With" list: the people the calendar's list offers (those I work with), the
    one chosen (posted, or ``shown`` on a form not yet sent), and the clinicians a search by
    name found (``staff_q``, ten at most); and return what the search shows. Any active
    clinician may be booked: the list is short, the search finds the others.

    ``held`` is who the appointment is with now. Once their account is deactivated they are
    still listed, marked so, and the form says to choose someone else: a list without them
    would quietly hand the appointment to whoever came first."""
    chosen = request.form.get("staff_id", type=int) if request.method == "POST" else shown
    staff_q = request.args.get("staff_q", "").strip()[:100]
    found, more = find_staff(staff_q, *_BOOKABLE)
    away = held if held is not None and _deactivated_clinician(held) else None
    form.staff_id.choices = people_choices(
        _calendar_people(chosen),
        ((member.id, member.name) for member in found),
        [(away.id, _("%(name)s (deactivated)", name=away.display_name))] if away else [],
    )
    return {
        "staff_q": staff_q,
        "found": found,
        "more_found": more,
        "away": _away(away.display_name) if away else None,
    }


def _deactivated_clinician(user: User) -> bool:
    return user.role in CLINICAL_ROLES and not user.active


@bp.route("/appointments/clinicians")
def appointment_clinicians() -> Any:
    """The "With" list of a booking or an answer, with the clinicians whose name contains
    what was typed (htmx; ``staff_id`` stays chosen); asked for without htmx, the booking
    page with the same search.

    Staff names, not client data: no audit event, as for the care team's search."""
    _require_scheduler()
    staff_q = request.args.get("staff_q", "")
    if not is_partial():
        return page_at(url_for("staff.appointment_new", staff_q=staff_q) + "#staff-search")
    shown = request.args.get("staff_id", type=int)
    form = AppointmentForm(formdata=None, staff_id=shown)
    search = _offer_clinicians(form, shown=shown, held=db.session.get(User, shown or 0))
    return fragment_or_page(
        render_template("staff/appointments/_staff_choices.html", form=form, swap=True, **search)
    )


def _read_times(
    form: AppointmentForm | RequestAnswerForm, kept: Appointment | None = None
) -> tuple[datetime, datetime] | None:
    """The start and end as UTC instants, or None with the problem written at the field.
    A time left as ``kept`` had it stays the same instant: in the hour repeated when the
    clocks go back, the form cannot tell the second 01:30 from the first."""
    missing = (
        (form.day, _("Choose the date.")),
        (form.start, _("Give the start time.")),
        (form.end, _("Give the end time.")),
    )
    problems = False
    for field, message in missing:
        if field.data is None:
            if not field.errors:
                field.errors = [message]
            problems = True
    if problems:
        return None
    zone = agency_zone()
    try:
        starts_at = appointments.agency_moment(form.day.data, form.start.data, zone)
    except NonexistentTime:
        form.start.errors = [
            _(
                "%(time)s does not exist on %(date)s: the clocks go forward that night. "
                "Choose another time.",
                time=form.start.data.strftime("%H:%M"),
                date=format_date(form.day.data, "long"),
            )
        ]
        return None
    try:
        ends_at = appointments.agency_moment(form.day.data, form.end.data, zone)
    except NonexistentTime:
        form.end.errors = [_("That time does not exist on this day. Choose another end time.")]
        return None
    if kept is not None:
        starts_at = _unless_unchanged(starts_at, form.day.data, form.start.data, kept.starts_at)
        ends_at = _unless_unchanged(ends_at, form.day.data, form.end.data, kept.ends_at)
    if ends_at <= starts_at:
        form.end.errors = [_("The end must be after the start.")]
        return None
    return starts_at, ends_at


def _unless_unchanged(typed: datetime, day: date, at: time, before: datetime) -> datetime:
    local = before.astimezone(agency_zone())
    return before if (local.date(), local.time()) == (day, at) else typed


def _conflict_message(form: AppointmentForm | RequestAnswerForm, error: Overlap) -> None:
    form.overlap_reason.errors = [
        _(
            "This overlaps another appointment (listed above). Choose another time, or say "
            "why it should be booked anyway."
        )
    ]


def _staff_or_error(form: AppointmentForm | RequestAnswerForm) -> User | None:
    staff = db.session.get(User, form.staff_id.data or 0)
    if staff is not None and _deactivated_clinician(staff):
        form.staff_id.errors = [_away(staff.display_name)]
        return None
    if staff is None or staff.role not in CLINICAL_ROLES or not staff.active:
        form.staff_id.errors = [_("Choose who the client meets.")]
        return None
    return staff


def _away(name: str) -> str:
    return _("%(name)s's account is deactivated. Choose who meets the client instead.", name=name)


def _conflict_rows(error: Overlap | None) -> list[tuple[Appointment, bool]]:
    if error is None:
        return []
    visible = _visible_ids({a.client_id for a in error.conflicts})
    return [(a, a.client_id in visible) for a in error.conflicts]


@bp.route("/appointments/new", methods=["GET", "POST"])
def appointment_new() -> Any:
    """Book an appointment; a clash with the staff member's or the client's day is caught."""
    _require_scheduler()
    preset = request.values.get("client_id", type=int)
    client = policy.get_client_or_404(preset, for_user=current_user) if preset else None
    form = _booking_form(client)
    search = _offer_clinicians(form, shown=current_user.id)
    conflict: Overlap | None = None
    if request.method == "GET":
        form.staff_id.data = current_user.id
        if client is not None:
            form.client_id.data = client.id
        form.day.data = _chosen_day()
        if request.args.get("kind") in APPOINTMENT_KINDS:
            form.kind.data = request.args["kind"]
    elif form.validate_on_submit():
        chosen = policy.get_client_or_404(form.client_id.data or 0, for_user=current_user)
        staff = _staff_or_error(form)
        times = _read_times(form)
        if staff is not None and times is not None:
            try:
                appointment = appointments.schedule(
                    chosen,
                    staff,
                    starts_at=times[0],
                    ends_at=times[1],
                    kind=form.kind.data or "office",
                    location=form.location.data,
                    video_link=form.video_link.data,
                    client_note=form.client_note.data,
                    overlap_reason=form.overlap_reason.data,
                    actor=current_user,
                    ip=client_ip(),
                )
            except Overlap as error:
                db.session.rollback()
                conflict = error
                _conflict_message(form, error)
            except DomainError:
                db.session.rollback()
                form.client_id.errors = [
                    _("This client is discharged. Re-admit them before booking.")
                ]
            else:
                db.session.commit()
                flash(_("Appointment booked."), "success")
                return redirect(
                    url_for("staff.appointment_detail", appointment_id=appointment.id), code=303
                )
    return render_template(
        "staff/appointments/form.html",
        form=form,
        appointment=None,
        client=client,
        conflicts=_conflict_rows(conflict),
        **search,
    ), 422 if form.errors else 200


@bp.route("/appointments/<int:appointment_id>/edit", methods=["GET", "POST"])
def appointment_edit(appointment_id: int) -> Any:
    """Move or change an appointment that is still scheduled."""
    _require_scheduler()
    appointment = policy.get_appointment_or_404(appointment_id, for_user=current_user)
    if appointment.status != "scheduled":
        flash(_("Only a scheduled appointment can be changed."), "error")
        return redirect(
            url_for("staff.appointment_detail", appointment_id=appointment.id), code=303
        )
    form = _booking_form(appointment.client)
    search = _offer_clinicians(form, shown=appointment.staff_id, held=appointment.staff)
    conflict: Overlap | None = None
    status = 200
    if request.method == "GET":
        _fill(form, appointment)
    elif form.validate_on_submit():
        staff = _staff_or_error(form)
        times = _read_times(form, kept=appointment)
        if staff is not None and times is not None:
            try:
                appointments.reschedule(
                    appointment,
                    staff=staff,
                    starts_at=times[0],
                    ends_at=times[1],
                    kind=form.kind.data or "office",
                    location=form.location.data,
                    video_link=form.video_link.data,
                    client_note=form.client_note.data,
                    overlap_reason=form.overlap_reason.data,
                    expected_version=int(form.version.data or 0),
                    actor=current_user,
                    ip=client_ip(),
                )
            except Overlap as error:
                db.session.rollback()
                conflict = error
                _conflict_message(form, error)
            except StaleEdit:
                db.session.rollback()
                form.form_errors.append(
                    _(
                        "Someone changed this appointment meanwhile. What you typed is below; "
                        "the saved appointment is shown on its page."
                    )
                )
                form.version.data = str(
                    policy.get_appointment_or_404(appointment_id, for_user=current_user).version
                )
                status = 409
            else:
                db.session.commit()
                flash(_("Appointment changed."), "success")
                return redirect(
                    url_for("staff.appointment_detail", appointment_id=appointment.id), code=303
                )
    if status == 200 and form.errors:
        status = 422
    return render_template(
        "staff/appointments/form.html",
        form=form,
        appointment=appointment,
        client=appointment.client,
        conflicts=_conflict_rows(conflict),
        **search,
    ), status


def _fill(form: AppointmentForm, appointment: Appointment) -> None:
    zone = agency_zone()
    local_start = appointment.starts_at.astimezone(zone)
    form.client_id.data = appointment.client_id
    form.staff_id.data = appointment.staff_id
    form.day.data = local_start.date()
    form.start.data = local_start.time()
    form.end.data = appointment.ends_at.astimezone(zone).time()
    form.kind.data = appointment.kind
    form.location.data = appointment.location
    form.video_link.data = appointment.video_link
    form.client_note.data = appointment.client_note
    form.version.data = str(appointment.version)


@bp.route("/appointments/<int:appointment_id>")
def appointment_detail(appointment_id: int) -> Any:
    """One appointment: when, where, with whom; its outcome, or the form to record it."""
    _require_scheduler()
    appointment = policy.get_appointment_or_404(appointment_id, for_user=current_user)
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="appointment",
        object_id=appointment.id,
        client_id=appointment.client_id,
    )
    db.session.commit()
    return _detail_page(appointment, OutcomeForm(version=str(appointment.version)))


def _detail_page(appointment: Appointment, form: OutcomeForm, status: int = 200) -> Any:
    note_link = None
    if appointment.status == "attended" and policy.may_write_notes(current_user):
        note_link = url_for(
            "staff.note_new", client_id=appointment.client_id, appointment=appointment.id
        )
    return render_template(
        "staff/appointments/detail.html",
        appointment=appointment,
        form=form,
        has_passed=appointment.has_passed(),
        note_link=note_link,
        reminders=reminders.sent_for([appointment.id]).get(appointment.id, []),
        open_request=appointments.open_request_for(appointment),
    ), status


@bp.route("/appointments/<int:appointment_id>/outcome", methods=["POST"])
def appointment_outcome(appointment_id: int) -> Any:
    """Attended, no-show (which makes a follow-up task) or cancelled, by whom and why."""
    _require_scheduler()
    appointment = policy.get_appointment_or_404(appointment_id, for_user=current_user)
    form = OutcomeForm()
    if form.validate_on_submit():
        outcome = form.outcome.data or ""
        try:
            appointments.record_outcome(
                appointment,
                outcome,
                cancelled_by=form.cancelled_by.data or None,
                reason=form.reason.data,
                expected_version=int(form.version.data or 0),
                actor=current_user,
                ip=client_ip(),
                today=agency_today(),
            )
        except StaleEdit:
            db.session.rollback()
            flash(_("Someone recorded this appointment's outcome meanwhile; here it is."), "error")
            return redirect(request.path.rsplit("/", 1)[0], code=303)
        except IllegalTransition:
            db.session.rollback()
            form.outcome.errors = [_("The outcome of this appointment is already recorded.")]
        except DomainError as problem:
            db.session.rollback()
            text = str(problem)
            if text == "not yet":
                form.outcome.errors = [
                    _("This appointment has not started yet: it can only be cancelled.")
                ]
            elif "who" in text:
                form.cancelled_by.errors = [_("Say who cancelled.")]
            else:
                form.reason.errors = [_("Give the reason for the cancellation.")]
        else:
            db.session.commit()
            flash(_outcome_message(appointment), "success")
            return redirect(
                url_for("staff.appointment_detail", appointment_id=appointment.id), code=303
            )
    appointment = policy.get_appointment_or_404(appointment_id, for_user=current_user)
    return _detail_page(appointment, form, 422)


def _outcome_message(appointment: Appointment) -> str:
    if appointment.status == "no_show":
        return _("Recorded as a no-show. A follow-up task was added for the case manager.")
    if appointment.status == "attended":
        return _("Recorded as attended.")
    return _("Appointment cancelled.")


# --- requests --------------------------------------------------------------------------------


@bp.route("/appointments/requests/<int:request_id>", methods=["GET", "POST"])
def appointment_request_detail(request_id: int) -> Any:
    """A client's request: book one of their times (or another), propose a time, or decline."""
    _require_scheduler()
    req = policy.get_request_or_404(request_id, for_user=current_user)
    form = RequestAnswerForm(answer="accept") if request.method == "GET" else RequestAnswerForm()
    if request.method == "GET":
        _prefill_answer(form, req)
    search = _offer_clinicians(
        form,
        shown=form.staff_id.data,
        held=req.appointment.staff if req.appointment is not None else None,
    )
    conflict: Overlap | None = None
    status = 200
    if request.method == "GET":
        _audit_view(req.client, f"appointment request {req.id}")
        db.session.commit()
    elif form.validate_on_submit():
        try:
            _answer(req, form)
        except Overlap as error:
            db.session.rollback()
            conflict = error
            _conflict_message(form, error)
        except StaleEdit:
            db.session.rollback()
            form.form_errors.append(_("Someone answered this request meanwhile."))
            status = 409
        except IllegalTransition:
            db.session.rollback()
            form.form_errors.append(_("This request has already been answered."))
            status = 409
        except _FormProblem:
            db.session.rollback()
        else:
            db.session.commit()
            appointment_mail.tell_client(
                req.client, link=url_for("client.appointments", _external=True)
            )
            flash(_("Answer sent. The client sees it in the portal and gets an email."), "success")
            return redirect(url_for("staff.appointment_index"), code=303)
        req = policy.get_request_or_404(request_id, for_user=current_user)
    if status == 200 and form.errors:
        status = 422
    return render_template(
        "staff/appointments/request.html",
        req=req,
        form=form,
        conflicts=_conflict_rows(conflict),
        **search,
    ), status


class _FormProblem(Exception):
    """A field error was written on the form."""


def _prefill_answer(form: RequestAnswerForm, req: AppointmentRequest) -> None:
    zone = agency_zone()
    times = req.preferred_times
    pick = request.args.get("choice", 1, type=int)
    chosen = times[min(max(pick, 1), len(times)) - 1]
    local = chosen.astimezone(zone)
    form.day.data = local.date()
    form.start.data = local.time()
    form.end.data = (
        local + timedelta(minutes=int(current_app.config["APPOINTMENT_MINUTES"]))
    ).time()
    form.staff_id.data = (
        req.appointment.staff_id
        if req.appointment is not None
        else (req.client.primary_case_manager_id or current_user.id)
    )
    if req.appointment is not None:
        form.location.data = req.appointment.location
        form.video_link.data = req.appointment.video_link
    form.version.data = str(req.version)


def _answer(req: AppointmentRequest, form: RequestAnswerForm) -> None:
    version = int(form.version.data or 0)
    answer = form.answer.data
    if answer == "decline":
        if not form.message.data:
            form.message.errors = [_("Tell the client why, and what they can do instead.")]
            raise _FormProblem
        appointments.decline_request(
            req,
            message=form.message.data,
            expected_version=version,
            actor=current_user,
            ip=client_ip(),
        )
        return
    staff = _staff_or_error(form)
    times = _read_times(form)
    if staff is None or times is None:
        raise _FormProblem
    if answer == "propose":
        if times[0] <= utcnow():
            form.day.errors = [_("Propose a time in the future.")]
            raise _FormProblem
        appointments.propose_time(
            req,
            staff=staff,
            starts_at=times[0],
            ends_at=times[1],
            message=form.message.data,
            expected_version=version,
            actor=current_user,
            ip=client_ip(),
        )
        return
    appointments.accept_request(
        req,
        staff=staff,
        starts_at=times[0],
        ends_at=times[1],
        location=form.location.data,
        video_link=form.video_link.data,
        client_note=form.client_note.data,
        overlap_reason=form.overlap_reason.data,
        message=form.message.data,
        expected_version=version,
        actor=current_user,
        ip=client_ip(),
    )


# --- the client record's tab -----------------------------------------------------------------


@bp.route("/clients/<int:client_id>/appointments")
def client_appointments(client_id: int) -> Any:
    """The client's appointments: upcoming, requests, recent history and attendance."""
    client = _load(client_id)
    _audit_view(client, "appointments")
    db.session.commit()
    now = utcnow()
    base = select(Appointment).options(selectinload(Appointment.staff))
    upcoming = db.session.scalars(
        base.where(Appointment.client_id == client.id, Appointment.starts_at >= now)
        .order_by(Appointment.starts_at)
        .limit(50)
    ).all()
    past = db.session.scalars(
        base.where(Appointment.client_id == client.id, Appointment.starts_at < now)
        .order_by(Appointment.starts_at.desc())
        .limit(50)
    ).all()
    requests = db.session.scalars(
        select(AppointmentRequest)
        .where(AppointmentRequest.client_id == client.id)
        .order_by(AppointmentRequest.created_at.desc())
        .limit(20)
    ).all()
    return render_template(
        "staff/appointments/client.html",
        upcoming=upcoming,
        past=past,
        requests=requests,
        attendance=appointments.attendance(Appointment.client_id == client.id),
        may_schedule=policy.may_schedule(current_user),
        **_record_context(client, "appointments"),
    )
