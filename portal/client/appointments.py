"""The client's appointments: what is coming, asking for one, moving or cancelling one,
calendar files and the private feed; the family member's read-only view of them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from .. import policy
from ..auth.web import client_ip
from ..extensions import db
from ..i18n import agency_zone, current_language
from ..models import Appointment, AppointmentRequest, Client, User, utcnow
from ..services import appointment_mail, appointments, audit, calendars
from ..services.appointments import NonexistentTime, Overlap, TooLate
from ..services.errors import DomainError, IllegalTransition, StaleEdit
from . import client_bp, family_bp
from .appointment_forms import CancelForm, ProposalAnswerForm, RequestForm
from .safety_plan import own_client

NEW_FEED_KEY = "new_calendar_feed"
PAST_SHOWN = 10


def _audit_view(client_id: int | None, what: str) -> None:
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="appointment_list",
        object_id=client_id,
        client_id=client_id,
        detail=what,
    )


def _feed_context(user: User) -> dict[str, Any]:
    raw = session.pop(NEW_FEED_KEY, None)
    return {
        "feed": calendars.current_feed(user),
        "new_feed_url": url_for("main.calendar_feed", token=raw, _external=True) if raw else None,
    }


def _notice_hours() -> int:
    return int(current_app.config["APPOINTMENT_NOTICE_HOURS"])


# The client's ten latest requests, newest first, with who proposed a time: built once for the
# process (building it cost more than running it), run with ``client_id``.
_RECENT_REQUESTS = (
    select(AppointmentRequest)
    .options(joinedload(AppointmentRequest.proposed_by))
    .where(AppointmentRequest.client_id == bindparam("client_id", type_=Integer()))
    .order_by(AppointmentRequest.created_at.desc())
    .limit(10)
)


@client_bp.route("/appointments", endpoint="appointments")
def appointments_page() -> Any:
    """Upcoming and recent appointments, my requests and their answers, my calendar link."""
    client = own_client()
    now = utcnow()
    upcoming, past = calendars.client_appointments(client, now=now, past=PAST_SHOWN)
    requests = db.session.scalars(_RECENT_REQUESTS, {"client_id": client.id}).all()
    _audit_view(client.id, "client portal")
    db.session.commit()
    return render_template(
        "client/appointments.html",
        client=client,
        upcoming=upcoming,
        past=past,
        requests=requests,
        late={a.id for a in upcoming if appointments.inside_notice(a, _notice_hours(), now)},
        moving={r.appointment_id for r in requests if r.is_open and r.purpose == "reschedule"},
        notice_hours=_notice_hours(),
        appointment_phone=current_app.config["APPOINTMENT_PHONE"],
        **_feed_context(current_user),
    )


def _own_appointment(appointment_id: int) -> Appointment:
    appointment: Appointment = policy.get_appointment_or_404(appointment_id, for_user=current_user)
    return appointment


def _preferred(form: RequestForm) -> list[datetime] | None:
    """The preferred times as UTC instants, or None with the problem written at the field."""
    zone = agency_zone()
    now = utcnow()
    times: list[datetime] = []
    for field in (form.preferred_1, form.preferred_2, form.preferred_3):
        if field.data is None:
            continue
        try:
            moment = appointments.agency_moment(field.data.date(), field.data.time(), zone)
        except NonexistentTime:
            field.errors = [_("That time does not exist: the clocks change that night.")]
            return None
        except OverflowError:  # the last hours of year 9999 are past the end of UTC
            field.errors = [field.gettext("Not a valid datetime value.")]
            return None
        if moment <= now:
            field.errors = [_("Choose a time that has not passed yet.")]
            return None
        times.append(moment)
    return times


def _request_page(form: RequestForm, appointment: Appointment | None, status: int) -> Any:
    return render_template(
        "client/appointment_request.html", form=form, appointment=appointment
    ), status


@client_bp.route("/appointments/request", methods=["GET", "POST"])
def appointment_request() -> Any:
    """Ask for an appointment: why, how, and up to three times that suit me."""
    client = own_client()
    form = RequestForm()
    if form.validate_on_submit():
        times = _preferred(form)
        if times is not None:
            appointments.request_appointment(
                client,
                kind=form.kind.data or "office",
                reason=form.reason.data or "",
                preferred=times,
                actor=current_user,
                ip=client_ip(),
            )
            db.session.commit()
            appointment_mail.tell_case_manager(
                client, link=url_for("staff.appointment_index", _external=True)
            )
            flash(_("Your request is sent. Your care team will answer soon."), "success")
            return redirect(url_for("client.appointments"), code=303)
    return _request_page(form, None, 422 if form.errors else 200)


def _too_late_message() -> str:
    return _(
        "This appointment is less than %(hours)s hours away, so it cannot be changed here. "
        "Please call us at %(phone)s.",
        hours=_notice_hours(),
        phone=current_app.config["APPOINTMENT_PHONE"],
    )


@client_bp.route("/appointments/<int:appointment_id>/change", methods=["GET", "POST"])
def appointment_change(appointment_id: int) -> Any:
    """Ask to move an upcoming appointment (outside the notice window)."""
    client = own_client()
    appointment = _own_appointment(appointment_id)
    if appointment.status != "scheduled" or appointment.starts_at <= utcnow():
        abort(404)
    form = RequestForm() if request.method == "POST" else RequestForm(kind=appointment.kind)
    if appointments.inside_notice(appointment, _notice_hours()):
        flash(_too_late_message(), "error")
        return redirect(url_for("client.appointments"), code=303)
    if form.validate_on_submit():
        times = _preferred(form)
        if times is not None:
            try:
                appointments.request_appointment(
                    client,
                    kind=form.kind.data or appointment.kind,
                    reason=form.reason.data or "",
                    preferred=times,
                    appointment=appointment,
                    notice_hours=_notice_hours(),
                    actor=current_user,
                    ip=client_ip(),
                )
            except TooLate:
                db.session.rollback()
                form.form_errors.append(_too_late_message())
            except DomainError:
                db.session.rollback()
                form.form_errors.append(_("You already asked to move this appointment."))
            else:
                db.session.commit()
                appointment_mail.tell_case_manager(
                    client, link=url_for("staff.appointment_index", _external=True)
                )
                flash(_("Your request is sent. Your care team will answer soon."), "success")
                return redirect(url_for("client.appointments"), code=303)
    return _request_page(form, appointment, 422 if form.errors else 200)


@client_bp.route("/appointments/<int:appointment_id>/cancel", methods=["GET", "POST"])
def appointment_cancel(appointment_id: int) -> Any:
    """Cancel an upcoming appointment, with the agency's notice; later, call instead."""
    client = own_client()
    appointment = _own_appointment(appointment_id)
    if appointment.status != "scheduled" or appointment.starts_at <= utcnow():
        abort(404)
    form = CancelForm()
    too_late = appointments.inside_notice(appointment, _notice_hours())
    if form.validate_on_submit():
        try:
            appointments.cancel_by_client(
                appointment,
                reason=form.reason.data,
                notice_hours=_notice_hours(),
                actor=current_user,
                ip=client_ip(),
            )
        except TooLate:
            db.session.rollback()
            form.form_errors.append(_too_late_message())
        else:
            db.session.commit()
            appointment_mail.tell_case_manager(
                client,
                link=url_for(
                    "staff.appointment_detail", appointment_id=appointment.id, _external=True
                ),
                cancelled=True,
            )
            flash(_("Your appointment is cancelled. Your care team has been told."), "success")
            return redirect(url_for("client.appointments"), code=303)
    status = 422 if form.form_errors or form.errors else 200
    return render_template(
        "client/appointment_cancel.html",
        form=form,
        appointment=appointment,
        too_late=too_late,
        too_late_message=_too_late_message(),
    ), status


@client_bp.route("/requests/<int:request_id>/answer", methods=["POST"])
def request_answer(request_id: int) -> Any:
    """Take the time the team proposed, ask for another, or withdraw the request."""
    own_client()
    req = policy.get_request_or_404(request_id, for_user=current_user)
    form = ProposalAnswerForm()
    if not form.validate_on_submit() or not str(form.version.data or "").isdigit():
        abort(400)
    version = int(form.version.data)
    try:
        if form.answer.data == "accept":
            appointments.accept_proposal(
                req, expected_version=version, actor=current_user, ip=client_ip()
            )
            message = _("Your appointment is booked.")
        elif form.answer.data == "again":
            appointments.ask_again(
                req,
                message=form.message.data,
                expected_version=version,
                actor=current_user,
                ip=client_ip(),
            )
            message = _("Your care team will look for another time.")
        elif form.answer.data == "withdraw":
            appointments.withdraw(req, expected_version=version, actor=current_user, ip=client_ip())
            message = _("Your request is withdrawn.")
        else:
            abort(400)
    except Overlap:
        db.session.rollback()
        flash(_("Sorry, that time was just taken. Ask for another time."), "error")
        return redirect(url_for("client.appointments"), code=303)
    except TooLate:
        db.session.rollback()
        flash(_("The time your care team offered has passed. Ask for another time."), "error")
        return redirect(url_for("client.appointments"), code=303)
    except (StaleEdit, IllegalTransition):
        db.session.rollback()
        flash(_("This request changed meanwhile. Here it is now."), "error")
        return redirect(url_for("client.appointments"), code=303)
    db.session.commit()
    if form.answer.data in ("accept", "again"):
        appointment_mail.tell_case_manager(
            req.client, link=url_for("staff.appointment_index", _external=True)
        )
    flash(message, "success")
    return redirect(url_for("client.appointments"), code=303)


# --- calendar files --------------------------------------------------------------------------


def _ics_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _one_event(appointment_id: int, *, for_family: bool) -> Response:
    appointment = _own_appointment(appointment_id)
    audit.record(
        "export",
        actor=current_user,
        ip=client_ip(),
        object_type="appointment",
        object_id=appointment.id,
        client_id=appointment.client_id,
        detail="ics",
    )
    db.session.commit()
    body = calendars.to_ical(
        [appointment],
        locale=current_language(),
        calendar_name=_("Appointments"),
        for_family=for_family,
    )
    return _ics_response(body, f"appointment-{appointment.id}.ics")


@client_bp.route("/appointments/<int:appointment_id>.ics")
def appointment_ics(appointment_id: int) -> Response:
    """One appointment as a calendar file for my phone's calendar."""
    return _one_event(appointment_id, for_family=False)


@family_bp.route("/appointments/<int:appointment_id>.ics", endpoint="appointment_ics")
def family_appointment_ics(appointment_id: int) -> Response:
    return _one_event(appointment_id, for_family=True)


def _feed_change(endpoint: str) -> Response:
    if request.form.get("action") == "revoke":
        calendars.revoke_feed(current_user, ip=client_ip())
        db.session.commit()
        flash(
            _("Your calendar link is turned off. Calendars that used it stop updating."), "success"
        )
    else:
        session[NEW_FEED_KEY] = calendars.issue_feed(current_user, ip=client_ip())
        db.session.commit()
        flash(_("Your new calendar link is ready. Any earlier link no longer works."), "success")
    return redirect(url_for(endpoint) + "#calendar-link", code=303)


@client_bp.route("/calendar-feed", methods=["POST"])
def calendar_feed_change() -> Response:
    """Make (or remake) my private calendar link, or turn it off."""
    own_client()
    return _feed_change("client.appointments")


@family_bp.route("/calendar-feed", methods=["POST"], endpoint="calendar_feed_change")
def family_calendar_feed_change() -> Response:
    return _feed_change("family.appointments")


# --- family ----------------------------------------------------------------------------------


@family_bp.route("/appointments", endpoint="appointments")
def family_appointments() -> Any:
    """The upcoming appointments of each client who shares them with me (read only)."""
    now = utcnow()
    # One under way still shows: the family may be waiting outside.
    rows = [
        a
        for a in calendars.appointments_for(current_user, since=now - timedelta(hours=12))
        if a.ends_at > now
    ]
    by_client: dict[int, list[Appointment]] = {}
    for appointment in rows:
        by_client.setdefault(appointment.client_id, []).append(appointment)
    clients = db.session.scalars(
        policy.clients_shared_with(current_user, "appointments").order_by(Client.id)
    ).all()
    for client in clients:
        _audit_view(client.id, "family portal")
    db.session.commit()
    return render_template(
        "family/appointments.html",
        clients=clients,
        by_client=by_client,
        **_feed_context(current_user),
    )
