"""Progress notes: the editor that autosaves, signing, addenda, co-signing, lists and search."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import i18n, policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import choices
from ..htmx import fragment_or_page, is_partial
from ..labels import SECTION_LABELS
from ..models import NOTE_FORMATS, Appointment, Client, ProgressNote, utcnow
from ..paging import Paged, paginate, requested_page
from ..services import care_plans, notes
from ..services.errors import DomainError, StaleEdit
from . import bp
from .appointments import CONTACT_TYPE_FOR_KIND
from .clients import _audit_view, _load, _open_record, _record_context
from .forms import AddendumForm, ButtonForm, NoteForm

PAGE_SIZE = 20
SECTION_FIELDS = tuple(dict.fromkeys(name for names in NOTE_FORMATS.values() for name in names))
PROBLEM_MESSAGES = {
    ("contact_at", "required"): lambda: _("Enter the date and time of the contact."),
    ("contact_at", "future"): lambda: _("The contact cannot be in the future."),
    ("duration_minutes", "required"): lambda: _("Enter how many minutes the contact took."),
    ("sections", "required"): lambda: _("Write the note before signing it."),
    ("location", "required"): lambda: _("Enter where the home visit took place."),
}


def _require_writer() -> None:
    if not policy.may_write_notes(current_user):
        abort(403)


def _goal_choices(client: Client) -> list[tuple[str, str]]:
    """The goals of the plan in force, by key, for linking a contact to them."""
    return care_plans.goal_choices(client)


def _note_form(client: Client, note: ProgressNote | None = None, **kwargs: Any) -> NoteForm:
    form = NoteForm(**kwargs)
    goals = _goal_choices(client)
    form.goal_keys.choices = choices(goals)
    form.known_goal_keys = {key for key, _label in goals}
    for name in SECTION_FIELDS:
        form[name].label.text = str(SECTION_LABELS[name][0])
    if note is not None and kwargs.get("formdata", True) is None:
        form.note_id.data = str(note.id)
        form.version.data = str(note.version)
        form.contact_type.data = note.contact_type
        form.format.data = note.format
        form.contact_at.data = (
            note.contact_at.astimezone(i18n.agency_zone()).replace(tzinfo=None)
            if note.contact_at
            else None
        )
        form.duration_minutes.data = note.duration_minutes
        form.location.data = note.location
        form.mileage.data = note.mileage  # type: ignore[assignment]
        form.goal_keys.data = list(note.goal_keys or [])
        for name in SECTION_FIELDS:
            form[name].data = (note.sections or {}).get(name, "")
    return form


def _data(form: NoteForm) -> dict[str, Any]:
    """What the editor holds, minus fields that are not valid yet (autosave keeps the rest)."""
    bad = set(form.errors)
    data: dict[str, Any] = {
        "contact_type": form.contact_type.data,
        "format": form.format.data,
        "goal_keys": [k for k in (form.goal_keys.data or []) if k in form.known_goal_keys],
        "sections": {
            name: form[name].data or "" for name in SECTION_FIELDS if name in request.form
        },
    }
    if "contact_at" not in bad:
        local = form.contact_at.data
        data["contact_at"] = (
            local.replace(tzinfo=i18n.agency_zone()).astimezone(UTC) if local else None
        )
    if "location" not in bad:
        data["location"] = form.location.data
    if "duration_minutes" not in bad:
        data["duration_minutes"] = form.duration_minutes.data
    if "mileage" not in bad:
        mileage = form.mileage.data
        data["mileage"] = float(mileage) if mileage is not None else None
    return data


def _editor(
    client: Client,
    form: NoteForm,
    note: ProgressNote | None,
    status: int = 200,
    *,
    saved: ProgressNote | None = None,
    record: dict[str, Any] | None = None,
) -> Any:
    """The editor page; after a conflict ``saved`` is the draft as stored, shown beside the
    writer's own text, which stays in the form. ``record``: the header's context, when the
    view has it from ``_open_record``."""
    context = record if record is not None else _record_context(client, "notes")
    return render_template(
        "staff/notes/edit.html",
        form=form,
        note=note,
        saved=saved,
        format=form.format.data if form.format.data in NOTE_FORMATS else "dap",
        formats=NOTE_FORMATS,
        **context,
    ), status


@bp.route("/clients/<int:client_id>/notes/new")
def note_new(client_id: int) -> Any:
    """An empty editor; the first autosave makes the draft."""
    client, record = _open_record(client_id, "notes")
    _require_writer()
    form = _note_form(client, formdata=None)
    now = datetime.now(i18n.agency_zone()).replace(second=0, microsecond=0, tzinfo=None)
    form.contact_at.data = now
    form.contact_type.data = request.args.get("type", "office")
    visit = request.args.get("appointment", type=int)
    if visit:
        appointment = policy.get_appointment_or_404(visit, for_user=current_user)
        if appointment.client_id != client.id:
            abort(404)
        _prefill_from_appointment(form, appointment)
    return _editor(client, form, None, record=record)


def _prefill_from_appointment(form: NoteForm, appointment: Appointment) -> None:
    """A note about an appointment starts with its time, length, kind and place."""
    zone = i18n.agency_zone()
    form.contact_at.data = appointment.starts_at.astimezone(zone).replace(tzinfo=None)
    form.duration_minutes.data = int(
        (appointment.ends_at - appointment.starts_at).total_seconds() // 60
    )
    form.contact_type.data = CONTACT_TYPE_FOR_KIND[appointment.kind]
    if appointment.location:
        form.location.data = appointment.location


def _load_draft(client: Client, form: NoteForm) -> ProgressNote | None:
    note_id = (form.note_id.data or "").strip()
    if not note_id.isdigit():
        return None
    return policy.get_note_or_404(client, int(note_id), for_user=current_user)


def _saved_status(client: Client, note: ProgressNote, *, status: int = 200, **extra: Any) -> Any:
    response = current_app.make_response(
        (
            render_template(
                "staff/notes/_save_status.html",
                client=client,
                note=note,
                saved_at=format_time(utcnow(), "short"),
                **extra,
            ),
            status,
        )
    )
    # A reload after the first autosave opens the draft, not an empty editor.
    response.headers["HX-Replace-Url"] = url_for(
        "staff.note_edit", client_id=client.id, note_id=note.id
    )
    return response


def _stale_message() -> str:
    return _(
        "This draft was saved in another tab or window. Nothing is lost: your text is in the "
        "form and the saved version is shown above it. Save again to keep yours."
    )


def _save_editor(client: Client, form: NoteForm) -> ProgressNote:
    """Create the draft on the first save, else save it at the version the editor read."""
    note = _load_draft(client, form)
    if note is None:
        return notes.create_draft(client, _data(form), actor=current_user, ip=client_ip())
    version = form.version.data or ""
    notes.save_draft(
        note,
        _data(form),
        expected_version=int(version) if version.isdigit() else 0,
        actor=current_user,
        ip=client_ip(),
    )
    return note


@bp.route("/clients/<int:client_id>/notes/save", methods=["POST"])
def note_save(client_id: int) -> Any:
    """Autosave (htmx, a few seconds after typing stops) and the plain "Save draft" button."""
    client, record = _open_record(client_id, "notes")
    _require_writer()
    form = _note_form(client)
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    try:
        note = _save_editor(client, form)
        db.session.commit()
    except notes.NoteSigned as signed:
        db.session.rollback()
        if is_partial():
            return _saved_status(client, signed.note, status=409, signed=True)
        return redirect(
            url_for("staff.note_detail", client_id=client.id, note_id=signed.note.id), code=303
        )
    except StaleEdit as stale:
        db.session.rollback()
        if is_partial():
            return _saved_status(client, stale.current, status=409, conflict=True)
        form.form_errors.append(_stale_message())
        form.version.data = str(stale.current.version)  # saving again keeps the writer's text
        return _editor(client, form, stale.current, 409, saved=stale.current, record=record)
    if is_partial():
        return _saved_status(client, note, problems=sorted(form.errors))
    flash(_("Draft saved."), "success")
    return redirect(url_for("staff.note_edit", client_id=client.id, note_id=note.id), code=303)


@bp.route("/clients/<int:client_id>/notes/<int:note_id>/edit")
def note_edit(client_id: int, note_id: int) -> Any:
    """The author's draft in the editor; a signed note opens read-only."""
    client, record = _open_record(client_id, "notes")
    _require_writer()
    note = policy.get_note_or_404(client, note_id, for_user=current_user)
    if note.is_signed:
        return redirect(url_for("staff.note_detail", client_id=client.id, note_id=note.id))
    _audit_view(client, f"note {note.id}")
    db.session.commit()
    return _editor(client, _note_form(client, note, formdata=None), note, record=record)


@bp.route("/clients/<int:client_id>/notes/sections")
def note_sections(client_id: int) -> str:
    """The section fields of another format (htmx, when the writer changes the format)."""
    client = _load(client_id)
    _require_writer()
    form = _note_form(client, formdata=request.args)
    chosen = request.args.get("format", "dap")
    return render_template(
        "staff/notes/_sections.html",
        form=form,
        format=chosen if chosen in NOTE_FORMATS else "dap",
        formats=NOTE_FORMATS,
    )


@bp.route("/clients/<int:client_id>/notes/sign", methods=["POST"])
def note_sign(client_id: int) -> Any:
    """Save what the editor holds, then sign it with the password: one step for the writer."""
    client = _load(client_id)
    _require_writer()
    form = _note_form(client)
    # Errors other than the token do not stop the save: what is valid is kept, errors shown.
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    try:
        note = _save_editor(client, form)
        db.session.commit()
    except notes.NoteSigned as signed:
        db.session.rollback()
        return redirect(
            url_for("staff.note_detail", client_id=client.id, note_id=signed.note.id), code=303
        )
    except StaleEdit as stale:
        db.session.rollback()
        form.form_errors.append(_stale_message())
        form.version.data = str(stale.current.version)  # saving again keeps the writer's text
        return _editor(client, form, stale.current, 409, saved=stale.current)
    form.note_id.data = str(note.id)
    form.version.data = str(note.version)
    if form.errors:
        return _editor(client, form, note, 422)
    try:
        notes.sign(note, password=form.password.data or "", actor=current_user, ip=client_ip())
    except notes.WrongPassword:
        db.session.commit()  # the failure counts towards the lock-out
        form.password.errors = [_("That password is not right.")]
        return _editor(client, form, note, 422)
    except notes.NotReady as problem:
        db.session.rollback()
        for field, code in problem.problems.items():
            # "Write the note" goes on the format's first section.
            target = NOTE_FORMATS[note.format][0] if field == "sections" else field
            form[target].errors = [PROBLEM_MESSAGES[(field, code)]()]
        return _editor(client, form, note, 422)
    db.session.commit()
    message = _("Note signed.")
    if note.late_entry:
        message = _("Note signed. It is marked as a late entry.")
    flash(message, "success")
    return redirect(url_for("staff.note_detail", client_id=client.id, note_id=note.id), code=303)


@bp.route("/clients/<int:client_id>/notes/<int:note_id>")
def note_detail(client_id: int, note_id: int) -> Any:
    """A signed note with its addenda and co-signature; a draft opens in the editor."""
    client = _load(client_id)
    note = policy.get_note_or_404(client, note_id, for_user=current_user)
    if not note.is_signed:
        return redirect(url_for("staff.note_edit", client_id=client.id, note_id=note.id))
    _audit_view(client, f"note {note.id}")
    db.session.commit()
    goals = dict(_goal_choices(client))
    return render_template(
        "staff/notes/detail.html",
        note=note,
        goals=goals,
        addendum_form=AddendumForm(formdata=None),
        button=ButtonForm(),
        intact=notes.hash_matches(note),
        may_add=policy.may_write_notes(current_user),
        may_cosign=note.awaiting_cosign and notes.may_cosign(note, current_user),
        **_record_context(client, "notes"),
    )


@bp.route("/clients/<int:client_id>/notes/<int:note_id>/addenda", methods=["POST"])
def note_addendum(client_id: int, note_id: int) -> Any:
    """Add a correction or addition to a signed note."""
    client = _load(client_id)
    _require_writer()
    note = policy.get_note_or_404(client, note_id, for_user=current_user)
    form = AddendumForm()
    if form.validate_on_submit():
        try:
            notes.add_addendum(note, form.text.data or "", actor=current_user, ip=client_ip())
        except DomainError:
            abort(409)
        db.session.commit()
        flash(_("Addendum added."), "success")
        return redirect(url_for("staff.note_detail", client_id=client.id, note_id=note.id), 303)
    return render_template(
        "staff/notes/detail.html",
        note=note,
        goals=dict(_goal_choices(client)),
        addendum_form=form,
        button=ButtonForm(),
        intact=notes.hash_matches(note),
        may_add=True,
        may_cosign=False,
        **_record_context(client, "notes"),
    ), 422


@bp.route("/clients/<int:client_id>/notes/<int:note_id>/cosign", methods=["POST"])
def note_cosign(client_id: int, note_id: int) -> Response:
    """A supervisor co-signs a note waiting in the queue."""
    client = _load(client_id)
    if not policy.may_cosign(current_user):
        abort(403)
    note = policy.get_note_or_404(client, note_id, for_user=current_user)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        notes.cosign(note, actor=current_user, ip=client_ip())
    except DomainError:
        db.session.rollback()
        flash(_("This note is not waiting for your co-signature."), "error")
        return redirect(url_for("staff.note_detail", client_id=client.id, note_id=note.id), 303)
    db.session.commit()
    flash(_("Note co-signed."), "success")
    target = request.form.get("next") == "queue"
    return redirect(
        url_for("staff.cosign_queue")
        if target
        else url_for("staff.note_detail", client_id=client.id, note_id=note.id),
        code=303,
    )


# --- lists ---------------------------------------------------------------------------------


def _parse_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


def _filters() -> notes.NoteFilters:
    args = request.args
    return notes.NoteFilters(
        contact_type=args.get("type", ""),
        author_id=args.get("author", type=int),
        date_from=_parse_day(args.get("from")),
        date_to=_parse_day(args.get("to")),
        goal_key=args.get("goal", "")[:32],
        unsigned=args.get("unsigned") == "1",
        q=args.get("q", "").strip()[:100],
    )


def _page(query: Any) -> Paged:
    return paginate(
        query,
        (ProgressNote.contact_at.desc().nulls_last(), ProgressNote.id.desc()),
        size=PAGE_SIZE,
        requested=requested_page(),
        options=notes.PEOPLE,
    )


def _list_response(template: str, partial: str, **context: Any) -> Response:
    chosen = partial if is_partial() else template
    return fragment_or_page(render_template(chosen, **context))


@bp.route("/clients/<int:client_id>/notes")
def note_index(client_id: int) -> Response:
    """The client's notes: filters, search within the text, paging (one URL, two renderings)."""
    client, record = _open_record(client_id, "notes")
    f = _filters()
    query = notes.visible_to(
        select(ProgressNote).where(ProgressNote.client_id == client.id), current_user
    )
    paged = _page(notes.filtered(query, f, zone=i18n.agency_zone()))
    _audit_view(client, "notes")
    db.session.commit()
    # The filters' choices are drawn only with the whole page; htmx swaps the results.
    whole = not is_partial()
    return _list_response(
        "staff/notes/index.html",
        "staff/notes/_results.html",
        **paged.context(),
        f=f,
        authors=notes.authors_of(client) if whole else [],
        goals=_goal_choices(client) if whole else [],
        endpoint="staff.note_index",
        endpoint_args={"client_id": client.id},
        may_write=policy.may_write_notes(current_user),
        **record,
    )


@bp.route("/notes")
def my_notes() -> Response:
    """Every note I wrote, drafts first among equals, across my clients."""
    _require_writer()
    f = _filters()
    query = select(ProgressNote).where(
        ProgressNote.author_id == current_user.id,
        ProgressNote.client_id.in_(
            policy.visible_clients(current_user).with_only_columns(Client.id)
        ),
    )
    paged = _page(notes.filtered(query, f, zone=i18n.agency_zone()))
    return _list_response(
        "staff/notes/mine.html",
        "staff/notes/_results.html",
        **paged.context(),
        f=f,
        authors=[],
        goals=[],
        endpoint="staff.my_notes",
        endpoint_args={},
        show_client=True,
        today=i18n.agency_today(),
    )


@bp.route("/notes/cosign")
def cosign_queue() -> str:
    """Notes waiting for my co-signature."""
    if not policy.may_cosign(current_user):
        abort(403)
    queue = notes.cosign_queue(
        current_user, policy.visible_clients(current_user).with_only_columns(Client.id)
    )
    return render_template("staff/notes/cosign.html", queue=queue, button=ButtonForm())
