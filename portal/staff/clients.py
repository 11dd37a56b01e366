"""The caseload list, intake and the client record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Row,
    Select,
    String,
    and_,
    asc,
    bindparam,
    case,
    desc,
    exists,
    or_,
    select,
)
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.wrappers import Response

from .. import i18n, policy
from ..addresses import url_for
from ..auth.emails import send_invitation
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import choices, people_choices
from ..htmx import fragment_or_page, is_partial, page_at
from ..labels import CLIENT_LANGUAGES, CLIENT_STATUS_LABELS
from ..models import (
    CLIENT_STATUSES,
    RISK_LEVELS,
    STATUS_TRANSITIONS,
    CarePlan,
    CareTeamMember,
    Client,
    EmergencyAccess,
    EmergencyContact,
    Episode,
    FamilyAccess,
    RiskChange,
    StatusChange,
    Task,
    User,
    utcnow,
)
from ..navigation import safe_next
from ..paging import Listing, listing, read
from ..services import (
    appointments,
    audit,
    care_plans,
    clients,
    consents,
    portal_accounts,
    tasks,
    tokens,
)
from ..services.errors import DomainError, IllegalTransition, StaleEdit
from ..services.search import like_pattern, search_words
from . import bp
from .activity import source_url, timeline_page
from .forms import (
    ButtonForm,
    CareTeamForm,
    ConsentForm,
    ContactForm,
    EditClientForm,
    IntakeForm,
    PortalInviteForm,
    PrimaryForm,
    RiskForm,
    StatusForm,
    TaskForm,
)
from .tasks import assignee_choices, create_from_form

SORTS = {
    "name": lambda: Client.sort_name,
    # By meaning, not by spelling: the lifecycle's order, the most urgent risk first.
    "status": lambda: case({s: n for n, s in enumerate(CLIENT_STATUSES)}, value=Client.status),
    "risk": lambda: case({"high": 0, "moderate": 1, "low": 2}, value=Client.risk_level),
    "dob": lambda: Client.date_of_birth,
    "newest": lambda: Client.created_at,
}


def language_choices() -> list[tuple[str, str]]:
    """The languages a client may prefer, named in the reader's language."""
    locale = i18n.current_language()
    return [(code, i18n.language_name(code, locale)) for code in CLIENT_LANGUAGES]


def _parse_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _audit_view(client: Client, what: str = "record") -> None:
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="client",
        object_id=client.id,
        client_id=client.id,
        detail=what,
    )


def _filters() -> dict[str, Any]:
    args = request.args
    q = args.get("q", "").strip()[:100]
    return {
        "q": q,
        # What the search text is read as, once: the words to find, and a date of birth.
        "words": _words(q),
        "born": _parse_date(q) if q else None,
        "status": args.get("status", "") if args.get("status") in CLIENT_STATUSES else "",
        "risk": args.get("risk", "") if args.get("risk") in RISK_LEVELS else "",
        "cm": args.get("cm", type=int),
        "language": args.get("language", "") if args.get("language") in CLIENT_LANGUAGES else "",
        "scope": args.get("scope", "all")
        if args.get("scope") in ("all", "mine", "team")
        else "all",
        "review": args.get("review") == "overdue",
        "sort": args.get("sort", "name") if args.get("sort") in SORTS else "name",
        "page": max(1, args.get("page", 1, type=int) or 1),
    }


@dataclass(frozen=True)
class _Shape:
    """Which of the caseload's filters are chosen, and the sort: what its statement depends
    on. Their values are bound parameters (see ``_caseload_values``)."""

    role: str
    words: int  # how many words of the search text to find
    born: bool  # the search text reads as a date of birth
    status: bool
    risk: bool
    cm: bool
    language: bool
    review: bool
    scope: str
    sort: str


def _caseload_shape(f: dict[str, Any]) -> _Shape:
    return _Shape(
        role=current_user.role,
        words=len(f["words"]),
        born=f["born"] is not None,
        status=bool(f["status"]),
        risk=bool(f["risk"]),
        cm=bool(f["cm"]),
        language=bool(f["language"]),
        review=f["review"],
        scope=f["scope"],
        sort=f["sort"],
    )


def _words(text: str) -> list[str]:
    """The words a caseload search finds: one letter counts (names are short; typing the
    first letter of a surname narrows the list)."""
    return search_words(text, shortest=1)


def _caseload_values(f: dict[str, Any], today: date) -> dict[str, Any]:
    """The values of the caseload statement's parameters for these filters."""
    return {
        "user_id": current_user.id,
        "now": utcnow(),
        "today": today,
        **{f"word{i}": like_pattern(word) for i, word in enumerate(f["words"])},
        "born": f["born"],
        "status": f["status"],
        "risk": f["risk"],
        "cm": f["cm"],
        "language": f["language"],
    }


def _caseload_query(shape: _Shape) -> Select[tuple[Client]]:
    query = policy.visible_clients_for_role(shape.role)
    if shape.words or shape.born:
        # Every word somewhere in the names or the record number, or the date of birth.
        words = [
            Client.search_text.like(bindparam(f"word{i}", type_=String()), escape="\\")
            for i in range(shape.words)
        ]
        conditions: list[ColumnElement[bool]] = [and_(*words)] if words else []
        if shape.born:
            conditions.append(Client.date_of_birth == bindparam("born", type_=Date()))
        query = query.where(or_(*conditions))
    if shape.status:
        query = query.where(Client.status == bindparam("status", type_=String()))
    if shape.risk:
        query = query.where(Client.risk_level == bindparam("risk", type_=String()))
    if shape.cm:
        query = query.where(Client.primary_case_manager_id == bindparam("cm", type_=Integer()))
    if shape.language:
        query = query.where(Client.preferred_language == bindparam("language", type_=String()))
    if shape.review:
        query = query.where(
            exists().where(
                CarePlan.client_id == Client.id,
                *care_plans.review_overdue_condition(bindparam("today", type_=Date())),
            )
        )
    user_id = bindparam("user_id", type_=Integer())
    if shape.scope == "mine":
        query = query.where(Client.primary_case_manager_id == user_id)
    elif shape.scope == "team":
        query = query.where(
            exists().where(CareTeamMember.client_id == Client.id, CareTeamMember.user_id == user_id)
        )
    return query


@lru_cache(maxsize=256)
def _caseload_listing(shape: _Shape) -> Listing:
    """The caseload's statement for one shape of filters, built once for the process (the
    search runs it on every key typed): run with ``_caseload_values``."""
    return listing(
        _caseload_query(shape),
        _caseload_order(shape.sort),
        options=(joinedload(Client.primary_case_manager),),
        # Read for the page's 25 clients only: on every row before the cut they cost 5 ms.
        columns=(
            care_plans.review_overdue(Client.id, bindparam("today", type_=Date())).label("overdue"),
            appointments.next_time(Client.id, policy.moment("now")).label("next_at"),
        ),
    )


@bp.route("/clients")
def client_index() -> Response | str:
    """The caseload: search as you type, filters, sorting and paging (one URL, two renderings)."""
    if not policy.may_list_clients(current_user):
        abort(403)  # administrators never list clients
    f = _filters()
    today = i18n.agency_today()
    paged = read(
        _caseload_listing(_caseload_shape(f)),
        size=int(current_app.config["CASELOAD_PAGE_SIZE"]),
        requested=f["page"],
        params=_caseload_values(f, today),
    )
    f["page"], rows = paged.page, paged.rows
    clients = [row.Client for row in rows]
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="client_list",
        object_id="caseload",
        detail=",".join(str(c.id) for c in clients)[:255] or None,
    )
    db.session.commit()
    partial = is_partial()
    context = {
        "clients": clients,
        "overdue_ids": {row.Client.id for row in rows if row.overdue},
        "next_times": {row.Client.id: row.next_at for row in rows if row.next_at is not None},
        "total": paged.total,
        "pages": paged.pages,
        "f": f,
        "today": today,
        # The filter form is not part of the search results a partial request swaps in.
        "case_managers": [] if partial else _filter_case_managers(),
        "languages": [] if partial else language_choices(),
    }
    template = "staff/clients/_results.html" if partial else "staff/clients/index.html"
    return fragment_or_page(render_template(template, **context))


def _caseload_order(sort_key: str) -> tuple[Any, ...]:
    """The caseload's order: the chosen sort (newest first for "newest"), then the id."""
    sort = SORTS[sort_key]()
    return ((desc(sort) if sort_key == "newest" else asc(sort)).nulls_last(), Client.id)


@cache
def _filter_case_managers_statement(role: str) -> Select[int, str]:
    """``_filter_case_managers``' statement, built once per role: run with ``user_id`` and
    ``now``. Only the id and the name: the option shows nothing else."""
    primary = policy.visible_clients_for_role(role).with_only_columns(
        Client.primary_case_manager_id
    )
    return (
        select(User.id, User.display_name)
        .where(User.id.in_(primary), User.active)
        .order_by(User.sort_name)
    )


def _filter_case_managers() -> list[Row[int, str]]:
    """The case managers the caseload filter offers (id and name): those of the clients this
    user sees.

    Not every case manager of the agency: at 20,000 clients that is 500 options on every
    caseload page, most of which could only ever filter to nothing."""
    statement = _filter_case_managers_statement(current_user.role)
    return list(db.session.execute(statement, {"user_id": current_user.id, "now": utcnow()}))


@bp.route("/clients/new", methods=["GET", "POST"])
def client_new() -> Response | str | tuple[str, int]:
    """Intake: a new referral, with a check for an existing record of the same person."""
    if not policy.may_edit_client(current_user):
        abort(403)
    form = IntakeForm()
    form.preferred_language.choices = choices(language_choices())
    duplicates: list[Client] = []
    if form.validate_on_submit():
        duplicates = clients.find_duplicates(form.legal_name.data or "", form.date_of_birth.data)
        if not duplicates or form.confirm_duplicate.data:
            client = clients.create_client(
                form.data,
                status=form.status.data or "referred",
                actor=current_user,
                ip=client_ip(),
                today=i18n.agency_today(),
            )
            db.session.commit()
            flash(_("Record created for %(name)s.", name=client.display_name), "success")
            return redirect(url_for("staff.client_detail", client_id=client.id), code=303)
    visible_ids = set()
    if duplicates:
        ids = [c.id for c in duplicates]
        visible_ids = set(
            db.session.scalars(
                policy.visible_clients(current_user)
                .where(Client.id.in_(ids))
                .with_only_columns(Client.id)
            )
        )
    status = 422 if form.errors or duplicates else 200
    return render_template(
        "staff/clients/new.html", form=form, duplicates=duplicates, visible_ids=visible_ids
    ), status


def _load(client_id: int) -> Client:
    return policy.get_client_or_404(client_id, for_user=current_user)


def _header_context(client: Client, tab: str, emergency: EmergencyAccess | None) -> dict[str, Any]:
    return {
        "client": client,
        "tab": tab,
        "today": i18n.agency_today(),
        "emergency": emergency,
        "may_edit": policy.may_edit_client(current_user),
        "language_name": i18n.language_name(client.preferred_language, i18n.current_language()),
    }


def _record_context(client: Client, tab: str) -> dict[str, Any]:
    return _header_context(client, tab, policy.emergency_access_for(current_user, client))


def _open_record(client_id: int, tab: str) -> tuple[Client, dict[str, Any]]:
    """``_load`` and ``_record_context`` together: one query for a record page's client and
    everything its header shows."""
    client, emergency = policy.open_record_or_404(client_id, for_user=current_user)
    return client, _header_context(client, tab, emergency)


@bp.route("/clients/<int:client_id>")
def client_detail(client_id: int) -> str:
    """The record's overview: demographics, contacts, care team and the activity timeline."""
    client, context = _open_record(client_id, "overview")
    _audit_view(client)
    db.session.commit()
    may_reassign = policy.may_reassign_primary(current_user)
    reassigner = current_user if may_reassign else None
    team, staff = clients.care_team_and_staff(client, reassigner=reassigner)
    plan, plan_goals = care_plans.signed_summary(client)
    next_appointment, attendance = clients.appointment_summary(client)
    timeline, after = timeline_page(client.id)
    context.update(
        next_appointment=next_appointment,
        attendance=attendance,
        plan=plan,
        plan_goals=plan_goals,
        team=team,
        contacts=client.emergency_contacts,
        timeline=timeline,
        after=after,
        source_url=source_url,
    )
    if may_reassign:
        context.update(_primary_context(client, staff))
    if context["may_edit"]:
        context.update(_candidates_context(client))
    return render_template("staff/clients/detail.html", **context)


def _primary_context(client: Client, staff: list[clients.StaffMember]) -> dict[str, Any]:
    """The primary case manager's form: the list holds the case managers the supervisor
    supervises and the client's primary (``staff``), and whoever a search by name found
    (``cm_q``); the client's primary is chosen."""
    cm_q = request.args.get("cm_q", "").strip()[:100]
    found, more = clients.find_case_managers(cm_q)
    form = PrimaryForm(formdata=None, case_manager_id=client.primary_case_manager_id)
    form.case_manager_id.choices = people_choices(
        (member.id, member.name) for member in (*staff, *found)
    )
    return {"primary_form": form, "cm_q": cm_q, "found_cms": found, "more_cms": more}


def _candidates_context(client: Client) -> dict[str, Any]:
    """The care-team picker: what was typed, the staff it found, and the form to add one."""
    staff_q = request.args.get("staff_q", "").strip()[:100]
    found, more = clients.care_team_candidates(client, staff_q)
    form = CareTeamForm(formdata=None)
    form.user_id.choices = choices((u.id, u.name) for u in found)
    return {"staff_q": staff_q, "more_candidates": more, "care_team_form": form}


def _care_team_form(client: Client) -> tuple[CareTeamForm, User | None]:
    """The posted care-team form, its one choice the person posted if they may join."""
    member = clients.care_team_candidate(client, request.form.get("user_id", type=int))
    form = CareTeamForm()
    form.user_id.choices = choices([(member.id, member.display_name)] if member else [])
    return form, member


def _require_edit() -> None:
    if not policy.may_edit_client(current_user):
        abort(403)


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
def client_edit(client_id: int) -> Response | str | tuple[str, int]:
    """Edit demographics; a stale version gets the conflict view with both versions."""
    client = _load(client_id)
    _require_edit()
    form = EditClientForm(obj=client if request.method == "GET" else None)
    form.preferred_language.choices = choices(language_choices())
    if request.method == "GET":
        form.version.data = str(client.version)
        _audit_view(client, "edit form")
        db.session.commit()
    elif form.validate_on_submit():
        try:
            clients.update_client(
                client,
                form.data,
                expected_version=int(form.version.data or 0),
                actor=current_user,
                ip=client_ip(),
            )
            db.session.commit()
        except StaleEdit:
            db.session.rollback()
            client = _load(client_id)
            form.version.data = str(client.version)
            return render_template(
                "staff/clients/edit.html",
                form=form,
                conflict=True,
                **_record_context(client, "overview"),
            ), 409
        except DomainError as error:
            form.legal_name.errors = [str(error)]
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("staff.client_detail", client_id=client.id), code=303)
    status = 422 if form.errors else 200
    return render_template(
        "staff/clients/edit.html", form=form, conflict=False, **_record_context(client, "overview")
    ), status


# --- emergency contacts: inline with htmx, plain forms without ------------------------


def _contact_response(client: Client, contact: EmergencyContact) -> Response | str:
    if is_partial():
        return render_template(
            "staff/clients/_contact.html",
            client=client,
            contact=contact,
            may_edit=True,
            button=ButtonForm(),
        )
    return redirect(
        url_for("staff.client_detail", client_id=client.id) + f"#contact-{contact.id}", code=303
    )


@bp.route("/clients/<int:client_id>/contacts/new")
def contact_new(client_id: int) -> Response:
    """The form that adds an emergency contact: alone when htmx opens "Add an emergency
    contact" on the overview, else on a page of its own."""
    client = _load(client_id)
    _require_edit()
    page = {"client": client, "contact_form": ContactForm(formdata=None), "autofocus": True}
    if is_partial():
        return fragment_or_page(render_template("staff/clients/_contact_new.html", **page))
    _audit_view(client, "emergency contact form")
    db.session.commit()
    page.update(_record_context(client, "overview"), contact=None)
    return fragment_or_page(render_template("staff/clients/contact_form.html", **page))


@bp.route("/clients/<int:client_id>/contacts", methods=["POST"])
def contact_create(client_id: int) -> Response | str | tuple[str, int]:
    """Add an emergency contact; htmx gets the new row, a plain post goes back to the record."""
    client = _load(client_id)
    _require_edit()
    form = ContactForm()
    if form.validate_on_submit():
        contact = clients.add_contact(client, form.data, actor=current_user, ip=client_ip())
        db.session.commit()
        if is_partial():
            return render_template(
                "staff/clients/_contact_added.html",
                client=client,
                contact=contact,
                contact_form=ContactForm(formdata=None),
                button=ButtonForm(),
                may_edit=True,
            )
        flash(_("Contact added."), "success")
        return redirect(url_for("staff.client_detail", client_id=client.id), code=303)
    template = (
        "staff/clients/_contact_new.html" if is_partial() else "staff/clients/contact_form.html"
    )
    context = {"client": client} if is_partial() else _record_context(client, "overview")
    return render_template(template, contact_form=form, contact=None, **context), 422


@bp.route("/clients/<int:client_id>/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
def contact_edit(client_id: int, contact_id: int) -> Response | str | tuple[str, int]:
    """Edit one contact in place; a stale version swaps in the conflict view (409)."""
    client = _load(client_id)
    _require_edit()
    contact = policy.get_contact_or_404(client, contact_id)
    # Prefixed ids: the add form on the same page has the same fields.
    form = ContactForm(
        obj=contact if request.method == "GET" else None, prefix=f"contact-{contact.id}"
    )
    conflict = None
    if request.method == "GET":
        form.version.data = str(contact.version)
    elif form.validate_on_submit():
        try:
            clients.update_contact(
                contact,
                form.data,
                expected_version=int(form.version.data or 0),
                actor=current_user,
                ip=client_ip(),
            )
            db.session.commit()
            return _contact_response(client, contact)
        except StaleEdit:
            db.session.rollback()
            contact = policy.get_contact_or_404(client, contact_id)
            form.version.data = str(contact.version)
            conflict = contact
    template = (
        "staff/clients/_contact_form.html" if is_partial() else "staff/clients/contact_form.html"
    )
    context = {"client": client} if is_partial() else _record_context(client, "overview")
    status = 409 if conflict else (422 if form.errors else 200)
    return render_template(
        template, contact=contact, contact_form=form, conflict=conflict, **context
    ), status


@bp.route("/clients/<int:client_id>/contacts/<int:contact_id>")
def contact_show(client_id: int, contact_id: int) -> Response | str:
    """One contact row (htmx "cancel" on an inline edit); asked for without htmx, the record
    page at that contact."""
    client = _load(client_id)
    contact = policy.get_contact_or_404(client, contact_id)
    if not is_partial():
        return page_at(
            url_for("staff.client_detail", client_id=client.id) + f"#contact-{contact.id}"
        )
    return fragment_or_page(
        render_template(
            "staff/clients/_contact.html",
            client=client,
            contact=contact,
            may_edit=policy.may_edit_client(current_user),
            button=ButtonForm(),
        )
    )


@bp.route("/clients/<int:client_id>/contacts/<int:contact_id>/delete", methods=["POST"])
def contact_delete(client_id: int, contact_id: int) -> Response | str:
    """Remove a contact; htmx removes the row."""
    client = _load(client_id)
    _require_edit()
    contact = policy.get_contact_or_404(client, contact_id)
    form = ButtonForm()
    if form.validate_on_submit():
        clients.remove_contact(contact, actor=current_user, ip=client_ip())
        db.session.commit()
    if is_partial():
        return ""
    flash(_("Contact removed."), "success")
    return redirect(url_for("staff.client_detail", client_id=client.id), code=303)


# --- care team ---------------------------------------------------------------------------


@bp.route("/clients/<int:client_id>/care-team/candidates")
def care_team_candidates(client_id: int) -> Response | str:
    """The staff whose name matches what was typed, to add one to the care team (htmx);
    asked for without htmx, the record page with the same search (what its "Find" shows).

    Staff names, not client data: no audit event, as for the other inline pieces."""
    client = _load(client_id)
    _require_edit()
    if not is_partial():
        found = url_for(
            "staff.client_detail", client_id=client.id, staff_q=request.args.get("staff_q", "")
        )
        return page_at(found + "#care-team")
    return fragment_or_page(
        render_template(
            "staff/clients/_staff_candidates.html", client=client, **_candidates_context(client)
        )
    )


@bp.route("/clients/<int:client_id>/care-team", methods=["POST"])
def care_team_add(client_id: int) -> Response:
    """Add a staff member with a role label."""
    client = _load(client_id)
    _require_edit()
    form, member = _care_team_form(client)
    if form.validate_on_submit() and member is not None:
        try:
            clients.add_care_team_member(
                client, member, form.role_label.data or "other", actor=current_user, ip=client_ip()
            )
            db.session.commit()
            flash(_("%(name)s is on the care team.", name=member.display_name), "success")
        except DomainError:
            db.session.rollback()
            flash(_("That person cannot be added to the care team."), "error")
    else:
        flash(_("Choose a staff member."), "error")
    return redirect(url_for("staff.client_detail", client_id=client.id) + "#care-team", code=303)


@bp.route("/clients/<int:client_id>/care-team/<int:member_id>/remove", methods=["POST"])
def care_team_remove(client_id: int, member_id: int) -> Response:
    """Take someone off the care team."""
    client = _load(client_id)
    _require_edit()
    member = policy.get_care_team_member_or_404(client, member_id)
    if ButtonForm().validate_on_submit():
        name = member.user.display_name
        clients.remove_care_team_member(member, actor=current_user, ip=client_ip())
        db.session.commit()
        flash(_("%(name)s is no longer on the care team.", name=name), "success")
    return redirect(url_for("staff.client_detail", client_id=client.id) + "#care-team", code=303)


@bp.route("/clients/<int:client_id>/primary/candidates")
def primary_candidates(client_id: int) -> Response | str:
    """The primary case manager's list with the case managers whose name contains what was
    typed (htmx; ``case_manager_id`` stays chosen); asked for without htmx, the record page
    with the same search.

    Staff names, not client data: no audit event, as for the care team's search."""
    client = _load(client_id)
    if not policy.may_reassign_primary(current_user):
        abort(403)
    cm_q = request.args.get("cm_q", "")
    if not is_partial():
        found = url_for("staff.client_detail", client_id=client.id, cm_q=cm_q)
        return page_at(found + "#primary-search")
    _team, staff = clients.care_team_and_staff(client, reassigner=current_user)
    context = _primary_context(client, staff)
    context["primary_form"].case_manager_id.data = request.args.get("case_manager_id", type=int)
    return fragment_or_page(
        render_template("staff/clients/_primary_choices.html", swap=True, **context)
    )


@bp.route("/clients/<int:client_id>/primary", methods=["POST"])
def primary_reassign(client_id: int) -> Response:
    """Supervisors reassign the primary case manager."""
    client = _load(client_id)
    if not policy.may_reassign_primary(current_user):
        abort(403)
    successor = clients.case_manager(request.form.get("case_manager_id", type=int))
    form = PrimaryForm()
    form.case_manager_id.choices = choices(
        [(successor.id, successor.display_name)] if successor else []
    )
    if not form.validate_on_submit() or successor is None:
        flash(_("Choose an active case manager."), "error")
    else:
        clients.reassign_primary(client, successor, actor=current_user, ip=client_ip())
        db.session.commit()
        flash(
            _("The primary case manager is now %(name)s.", name=successor.display_name),
            "success",
        )
        if not _still_visible(client):
            flash(
                _(
                    "%(client)s is now on another team's caseload: the record is no longer "
                    "open to you.",
                    client=client.display_name,
                ),
                "info",
            )
            return redirect(url_for("staff.client_index"), code=303)
    return redirect(url_for("staff.client_detail", client_id=client.id) + "#care-team", code=303)


def _still_visible(client: Client) -> bool:
    """Whether the user still sees the client (a client moved to another team's case
    manager leaves the supervisor's caseload)."""
    visible = policy.visible_clients(current_user).with_only_columns(Client.id)
    return db.session.scalar(visible.where(Client.id == client.id)) is not None


# --- status, episodes and risk -------------------------------------------------------------


@bp.route("/clients/<int:client_id>/status", methods=["GET", "POST"])
def client_status(client_id: int) -> Response | str | tuple[str, int]:
    """Status and episodes: the lifecycle with its history; discharge with an aftercare plan."""
    client = _load(client_id)
    form = _status_form(client)
    if request.method == "POST":
        _require_edit()
        if form.validate_on_submit():
            try:
                clients.change_status(
                    client,
                    form.to_status.data or "",
                    effective_on=form.effective_on.data,
                    reason=form.reason.data,
                    actor=current_user,
                    ip=client_ip(),
                    aftercare={
                        "followups": form.followups.data,
                        "resources": form.resources.data,
                        "crisis_contact": form.crisis_contact.data,
                    },
                )
                db.session.commit()
                flash(
                    _("Status changed to %(status)s.", status=CLIENT_STATUS_LABELS[client.status]),
                    "success",
                )
                return redirect(url_for("staff.client_status", client_id=client.id), code=303)
            except IllegalTransition:
                db.session.rollback()
                form.to_status.errors = [_("That change of status is not possible from here.")]
            except DomainError:
                db.session.rollback()
                form.reason.errors = [_("Give a reason for this change.")]
    else:
        _audit_view(client, "status")
        db.session.commit()
    return _status_page(client, form, RiskForm(formdata=None, level=client.risk_level))


def _status_form(client: Client, *, from_request: bool = True) -> StatusForm:
    form = StatusForm() if from_request else StatusForm(formdata=None)
    form.to_status.choices = choices(
        (s, CLIENT_STATUS_LABELS[s]) for s in STATUS_TRANSITIONS[client.status]
    )
    return form


def _status_page(client: Client, form: StatusForm, risk_form: RiskForm) -> tuple[str, int]:
    history = db.session.scalars(
        select(StatusChange)
        .options(selectinload(StatusChange.changed_by))
        .where(StatusChange.client_id == client.id)
        .order_by(StatusChange.id.desc())
    ).all()
    episodes = db.session.scalars(
        select(Episode).where(Episode.client_id == client.id).order_by(Episode.id.desc())
    ).all()
    risks = db.session.scalars(
        select(RiskChange)
        .options(selectinload(RiskChange.set_by))
        .where(RiskChange.client_id == client.id)
        .order_by(RiskChange.id.desc())
    ).all()
    status = 422 if form.errors or risk_form.errors else 200
    return render_template(
        "staff/clients/status.html",
        form=form,
        history=history,
        episodes=episodes,
        risks=risks,
        risk_form=risk_form,
        **_record_context(client, "status"),
    ), status


@bp.route("/clients/<int:client_id>/risk", methods=["POST"])
def client_risk(client_id: int) -> Response | str | tuple[str, int]:
    """Set the risk flag with a reason."""
    client = _load(client_id)
    _require_edit()
    form = RiskForm()
    if form.validate_on_submit():
        clients.set_risk(
            client,
            form.level.data or "low",
            form.reason.data or "",
            actor=current_user,
            ip=client_ip(),
        )
        db.session.commit()
        flash(_("Risk level saved."), "success")
        return redirect(url_for("staff.client_status", client_id=client.id) + "#risk", code=303)
    # Refused at the field, with the chosen level kept.
    return _status_page(client, _status_form(client, from_request=False), form)


# --- portal account and family access ------------------------------------------------------


@bp.route("/clients/<int:client_id>/access", methods=["GET", "POST"])
def client_access(client_id: int) -> Response | str | tuple[str, int]:
    """The client's portal account and the family members they share with."""
    client = _load(client_id)
    invite_form = PortalInviteForm(
        formdata=None, email=client.portal_user.email if client.portal_user else client.email
    )
    consent_form = ConsentForm(formdata=None)
    if request.method == "GET":
        _audit_view(client, "access")
        db.session.commit()
    return _access_page(client, invite_form, consent_form, 200)


def _access_page(
    client: Client, invite_form: PortalInviteForm, consent_form: ConsentForm, status: int
) -> tuple[str, int]:
    history = db.session.scalars(
        select(FamilyAccess)
        .options(selectinload(FamilyAccess.family_user))
        .where(FamilyAccess.client_id == client.id)
        .order_by(FamilyAccess.id.desc())
    ).all()
    return render_template(
        "staff/clients/access.html",
        invite_form=invite_form,
        consent_form=consent_form,
        consents=history,
        button=ButtonForm(),
        now=utcnow(),
        **_record_context(client, "access"),
    ), status


@bp.route("/clients/<int:client_id>/portal/invite", methods=["POST"])
def portal_invite(client_id: int) -> Response | str | tuple[str, int]:
    """Email the client a single-use link to set a password, in their language."""
    client = _load(client_id)
    _require_edit()
    form = PortalInviteForm()
    if form.validate_on_submit():
        try:
            user, raw = portal_accounts.invite(
                client, form.email.data or "", actor=current_user, ip=client_ip()
            )
        except DomainError:
            db.session.rollback()
            form.email.errors = [_("Another account uses this email.")]
        else:
            send_invitation(user, url_for("auth.welcome", token=raw, _external=True))
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("staff.client_access", client_id=client.id), code=303)
    return _access_page(client, form, ConsentForm(formdata=None), 422)


@bp.route("/clients/<int:client_id>/portal/disable", methods=["POST"])
def portal_disable(client_id: int) -> Response:
    """Turn the client's portal account off."""
    client = _load(client_id)
    _require_edit()
    if ButtonForm().validate_on_submit():
        portal_accounts.disable(client, actor=current_user, ip=client_ip())
        db.session.commit()
        flash(_("The portal account is turned off."), "success")
    return redirect(url_for("staff.client_access", client_id=client.id), code=303)


@bp.route("/clients/<int:client_id>/family", methods=["POST"])
def consent_create(client_id: int) -> Response | str | tuple[str, int]:
    """Record the client's consent for a family member; a new family member is invited."""
    client = _load(client_id)
    _require_edit()
    form = ConsentForm()
    if form.validate_on_submit():
        try:
            family, created = consents.find_or_create_family_user(
                form.family_email.data or "", form.family_name.data or ""
            )
            expires = None
            if form.expires_on.data is not None:
                zone = i18n.agency_zone()
                expires = datetime.combine(form.expires_on.data, datetime.max.time(), zone)
            consents.grant(
                client,
                family,
                relationship_label=form.relationship_label.data or "",
                scopes=form.scopes.data or [],
                purpose=form.purpose.data,
                expires_at=expires,
                actor=current_user,
                ip=client_ip(),
            )
        except DomainError:
            db.session.rollback()
            form.family_email.errors = [
                _(
                    "This email belongs to an account that is not a family "
                    "account, or the end date is in the past."
                )
            ]
        else:
            if created:
                raw = tokens.issue(
                    family, "invite", minutes=int(current_app.config["INVITE_TOKEN_DAYS"]) * 24 * 60
                )
                send_invitation(family, url_for("auth.welcome", token=raw, _external=True))
            db.session.commit()
            flash(_("Family access recorded for %(name)s.", name=family.display_name), "success")
            return redirect(url_for("staff.client_access", client_id=client.id), code=303)
    invite_form = PortalInviteForm(formdata=None)
    return _access_page(client, invite_form, form, 422)


@bp.route("/clients/<int:client_id>/family/<int:consent_id>/revoke", methods=["POST"])
def consent_revoke(client_id: int, consent_id: int) -> Response:
    """End a consent now; it stays in the history."""
    client = _load(client_id)
    _require_edit()
    consent = policy.get_consent_or_404(client, consent_id)
    if ButtonForm().validate_on_submit():
        consents.revoke(consent, actor=current_user, ip=client_ip())
        db.session.commit()
        flash(_("Family access ended."), "success")
    return redirect(url_for("staff.client_access", client_id=client.id), code=303)


# --- tasks ---------------------------------------------------------------------------------


@bp.route("/clients/<int:client_id>/tasks", methods=["GET", "POST"])
def client_tasks(client_id: int) -> Response | str | tuple[str, int]:
    """The client's follow-ups and paperwork, overdue first."""
    client = _load(client_id)
    form = TaskForm()
    assignee_choices(form)
    if request.method == "POST" and form.validate_on_submit():
        create_from_form(form, client)
        db.session.commit()
        flash(_("Task added."), "success")
        return redirect(url_for("staff.client_tasks", client_id=client.id), code=303)
    if request.method == "GET":
        _audit_view(client, "tasks")
        db.session.commit()
    today = i18n.agency_today()
    rows = db.session.scalars(
        tasks.urgent_first(
            select(Task)
            .options(selectinload(Task.assignee), selectinload(Task.items))
            .where(Task.client_id == client.id),
            today,
        )
    ).all()
    return render_template(
        "staff/clients/tasks.html",
        form=form,
        tasks=rows,
        **_record_context(client, "tasks"),
    ), 422 if form.errors else 200


@bp.route("/tasks/<int:task_id>/done", methods=["POST"])
def task_done(task_id: int) -> Response:
    """Mark a task done."""
    task = policy.get_task_or_404(task_id, for_user=current_user)
    if ButtonForm().validate_on_submit():
        tasks.complete_task(task, actor=current_user, ip=client_ip())
        db.session.commit()
        flash(_("Task done."), "success")
    target = request.form.get("next", "")
    return redirect(safe_next(target) or url_for("staff.home"), code=303)
