"""Who may see or do what. The one place that decides; every client query starts here.

Two layers: a whole area (``staff``, ``client``, ``family``) is open or closed
to a role, and blueprints answer 403 when it is closed; inside an open area
every object comes from a scoped query or loader, which answers 404 for what
the user may not see, exactly as for what does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, NoReturn, cast

from flask import abort, current_app, flash, has_request_context, redirect, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    false,
    or_,
    select,
    union,
)
from sqlalchemy.orm import aliased, joinedload
from werkzeug.wrappers import Response

from .addresses import url_for
from .extensions import db, login_manager
from .htmx import hx_redirect, is_htmx
from .models import (
    CLINICAL_ROLES,
    FAMILY_SCOPES,
    STAFF_ROLES,
    Appointment,
    AppointmentRequest,
    CarePlan,
    CareTeamMember,
    Client,
    Document,
    EmergencyAccess,
    EmergencyContact,
    FamilyAccess,
    Goal,
    Intervention,
    MessageThread,
    Objective,
    ProgressNote,
    Role,
    Task,
    User,
)
from .models import utcnow as _utcnow
from .models.base import UTCDateTime
from .services import audit

AREA_ROLES: dict[str, frozenset[str]] = {
    "staff": frozenset(STAFF_ROLES),
    "client": frozenset({Role.CLIENT}),
    "family": frozenset({Role.FAMILY}),
}

HOME_ENDPOINTS: dict[str, str] = {
    Role.ADMIN: "staff.home",
    Role.SUPERVISOR: "staff.home",
    Role.CASE_MANAGER: "staff.home",
    Role.CARE_TEAM: "staff.home",
    Role.CLIENT: "client.home",
    Role.FAMILY: "family.home",
}


def may_enter(user: User, area: str) -> bool:
    """Whether the user's role opens a whole area of the site."""
    return user.is_authenticated and user.role in AREA_ROLES[area]


def guard_area(area: str) -> Response | None:
    """A blueprint's ``before_request``: sign in first; 403 when the role may not enter."""
    signed_out = guard_signed_in()
    if signed_out is not None:
        return signed_out
    if not may_enter(current_user, area):
        _audit_denied(current_user, object_type="area", object_id=area)
        db.session.commit()
        abort(403)
    if (
        area == "staff"
        and current_app.config["MFA_REQUIRED_FOR_STAFF"]
        and not current_user.has_mfa
    ):
        # Production: no staff page, and so no client record, before two-step sign-in is set up.
        flash(
            _("Set up two-step sign-in to continue. It keeps your clients' records safe."), "info"
        )
        target = url_for("account.mfa_setup")
        if is_htmx():
            # A redirect would land the set-up page inside the element htmx was updating.
            return hx_redirect(target)
        return redirect(target)
    return None


def guard_signed_in() -> Response | None:
    """A ``before_request`` for pages every signed-in person has (their account)."""
    if not current_user.is_authenticated:
        response: Response = login_manager.unauthorized()
        return response
    return None


def _audit_denied(
    actor: User, *, object_type: str, object_id: object, client_id: int | None = None
) -> None:
    audit.record(
        "access_denied",
        actor=actor,
        ip=request.remote_addr if has_request_context() else None,
        outcome="denied",
        object_type=object_type,
        object_id=object_id,
        client_id=client_id,
        detail=request.path if has_request_context() else None,
    )


def home_endpoint(user: User) -> str:
    """The endpoint each role lands on after signing in."""
    return HOME_ENDPOINTS[user.role]


def consent_in_force(at: Any = None) -> ColumnElement[bool]:
    """SQL condition: a family consent that is neither revoked nor expired at ``at`` (now
    when None; or a bound parameter, ``moment("now")``, for a statement built once)."""
    at = _utcnow() if at is None else at
    return and_(
        or_(FamilyAccess.revoked_at.is_(None), FamilyAccess.revoked_at > at),
        or_(FamilyAccess.expires_at.is_(None), FamilyAccess.expires_at > at),
    )


def _scope_column(scope: str) -> ColumnElement[bool]:
    if scope not in FAMILY_SCOPES:
        raise ValueError(f"unknown family scope {scope!r}")
    column: ColumnElement[bool] = getattr(FamilyAccess, f"scope_{scope}")
    return column


# Made once: a new alias per query costs SQLAlchemy a fresh compilation of the statement.
_CASE_MANAGER = aliased(User)


def _regular_ids(user: User) -> list[Select[Any]]:
    """Queries for the ids of clinical staff's own clients (caseload, care teams, team's).

    Sets of ids from indexed lookups, not an OR of EXISTS over every client row: the cost
    follows the size of the caseload, not of the agency.
    """
    selects: list[Select[Any]] = [
        select(CareTeamMember.client_id).where(CareTeamMember.user_id == user.id)
    ]
    if user.role in (Role.CASE_MANAGER, Role.SUPERVISOR):
        selects.append(select(Client.id).where(Client.primary_case_manager_id == user.id))
    if user.role == Role.SUPERVISOR:
        selects.append(
            select(Client.id)
            .join(_CASE_MANAGER, _CASE_MANAGER.id == Client.primary_case_manager_id)
            .where(_CASE_MANAGER.supervisor_id == user.id)
        )
    return selects


def _regular_condition(user: User) -> ColumnElement[bool]:
    """Clinical staff's own clients: caseload, care teams, and (supervisors) their team's."""
    return Client.id.in_(union(*_regular_ids(user)))


def _client_condition(user: User) -> ColumnElement[bool]:
    """The SQL condition for the clients whose record this user may open."""
    if user.role in CLINICAL_ROLES:
        # Emergency access ("break the glass") opens a record for a limited time.
        emergency = select(EmergencyAccess.client_id).where(
            EmergencyAccess.user_id == user.id, EmergencyAccess.expires_at > _utcnow()
        )
        return Client.id.in_(union(*_regular_ids(user), emergency))
    if user.role == Role.CLIENT:
        return Client.portal_user_id == user.id
    if user.role == Role.FAMILY:
        any_scope = or_(*(_scope_column(s) for s in FAMILY_SCOPES))
        return exists().where(
            FamilyAccess.client_id == Client.id,
            FamilyAccess.family_user_id == user.id,
            consent_in_force(),
            any_scope,
        )
    # Administrators run the system; they never see a client's record.
    return false()


def visible_clients(user: User) -> Select[Client]:
    """Every client this user may see, as a query to filter, sort and page further."""
    return select(Client).where(_client_condition(user))


@dataclass(frozen=True)
class _Anyone:
    """Whoever has this role, while a statement is built for everyone with it: the policy
    reads only the role and the id, and the id is the bound parameter ``user_id``."""

    role: str
    id: Any = field(default_factory=lambda: bindparam("user_id", type_=Integer()))


def anyone_with(role: str) -> User:
    """A stand-in for every user with ``role``, to build a statement once for all of them:
    run it with ``user_id`` (and ``now``, for ``visible_client_ids(..., at=moment("now"))``)."""
    return cast(User, _Anyone(role))


def moment(name: str) -> Any:
    """A bound parameter for a point in time, for statements built with ``anyone_with``."""
    return bindparam(name, type_=UTCDateTime())


def visible_client_ids_for_role(role: str) -> Any:
    """``visible_client_ids`` for all clinical staff with ``role``, to build a statement once
    for all of them: run it with ``user_id`` and ``now`` (an emergency access counts until it
    expires, so the time is a parameter, never the moment it was built)."""
    if role not in CLINICAL_ROLES:
        raise ValueError(f"no statement of client ids for every {role}")
    return visible_client_ids(anyone_with(role), at=moment("now"))


def visible_clients_for_role(role: str) -> Select[Client]:
    """``visible_clients`` for everyone with ``role``, to build a statement once for all of
    them: run it with ``user_id`` and, for clinical staff, ``now`` (as
    ``visible_client_ids_for_role``). Family consents and administrators have no such
    statement."""
    if role in CLINICAL_ROLES:
        return select(Client).where(Client.id.in_(visible_client_ids_for_role(role)))
    if role == Role.CLIENT:
        return visible_clients(anyone_with(role))
    raise ValueError(f"no statement for every {role}")


@cache
def _one_client(role: str) -> Select[Any]:
    """The record's client for clinical staff of ``role`` (with its case manager, whoever set
    the risk, and the newest emergency access in force), when ``user_id`` may open it at
    ``now``; run with ``client_id``, ``user_id`` and ``now``.

    Every record page starts here. Building this union of the caseload, care team, team and
    emergency lookups took longer than running it, so it is built once per role for the
    process; the ids and the time are bound parameters, so no user's values are kept."""
    anyone = anyone_with(role)
    newest = (
        select(EmergencyAccess.id)
        .where(
            EmergencyAccess.client_id == Client.id,
            EmergencyAccess.user_id == anyone.id,
            EmergencyAccess.expires_at > moment("now"),
        )
        .order_by(EmergencyAccess.expires_at.desc())
        .limit(1)
        .correlate(Client)
        .scalar_subquery()
    )
    return (
        visible_clients_for_role(role)
        .add_columns(newest)
        .where(Client.id == bindparam("client_id", type_=Integer()))
        .options(joinedload(Client.primary_case_manager), joinedload(Client.risk_set_by))
    )


@cache
def _own_record() -> Select[Client]:
    """``own_record``'s statement, built once for the process: run with ``user_id``."""
    return visible_clients_for_role(Role.CLIENT)


def own_record(user: User) -> Client | None:
    """A client's own record; None for anyone else (only a client has one)."""
    if user.role != Role.CLIENT:
        return None
    client: Client | None = db.session.scalar(_own_record(), {"user_id": user.id})
    return client


def visible_client_ids(user: User, *, at: Any = None) -> Any:
    """The ids of the clients ``visible_clients`` lets the user open, as a selectable: for
    clinical staff their own and those opened by an emergency access still in force at ``at``
    (default now). Only ``user.id`` and ``user.role`` are read, and ``user.id`` and ``at`` may be
    bound parameters, so that a page can build its statement once per role and run it for
    each person (the dashboard does)."""
    if user.role not in CLINICAL_ROLES:
        return visible_clients(user).with_only_columns(Client.id)
    emergency = select(EmergencyAccess.client_id).where(
        EmergencyAccess.user_id == user.id,
        EmergencyAccess.expires_at > (_utcnow() if at is None else at),
    )
    return union(*_regular_ids(user), emergency)


def _record_row_or_404(client_id: int, for_user: User) -> Any:
    """The client's row, with its case manager and whoever set the risk, and for clinical
    staff the id of the newest emergency access in force (``_one_client``); 404 when the
    user may not see the client, as when it is missing."""
    if for_user.role in CLINICAL_ROLES:
        row = db.session.execute(
            _one_client(for_user.role),
            {"client_id": client_id, "user_id": for_user.id, "now": _utcnow()},
        ).first()
    else:
        row = db.session.execute(
            visible_clients(for_user)
            .where(Client.id == client_id)
            .options(joinedload(Client.primary_case_manager), joinedload(Client.risk_set_by))
        ).first()
    if row is None:
        if db.session.get(Client, client_id) is not None:
            # Someone asked for a record they may not see: the log keeps that, the answer does not.
            _audit_denied(for_user, object_type="client", object_id=client_id, client_id=client_id)
            db.session.commit()
        abort(404)
    return row


def get_client_or_404(client_id: int, *, for_user: User) -> Client:
    """Load one client the user may see; 404 for one they may not, as for one that is missing."""
    client: Client = _record_row_or_404(client_id, for_user)[0]
    return client


def family_scopes(user: User, client: Client) -> frozenset[str]:
    """The scopes of this client's data that a family member may see right now."""
    if user.role != Role.FAMILY:
        return frozenset()
    consents = db.session.scalars(
        select(FamilyAccess).where(
            FamilyAccess.client_id == client.id,
            FamilyAccess.family_user_id == user.id,
            consent_in_force(),
        )
    )
    scopes: set[str] = set()
    for consent in consents:
        scopes |= consent.scopes
    return frozenset(scopes)


def clients_shared_with(user: User, scope: str) -> Select[Client]:
    """Clients who let this family member see the given scope, consents in force only."""
    if user.role != Role.FAMILY:
        return select(Client).where(false())
    return select(Client).where(
        exists().where(
            FamilyAccess.client_id == Client.id,
            FamilyAccess.family_user_id == user.id,
            consent_in_force(),
            _scope_column(scope),
        )
    )


def client_ids_shared_with(user: User, scope: str, *, at: Any = None) -> Select[int]:
    """The ids of the clients who let this family member see the scope, consents in force
    (at ``at``, as ``consent_in_force``) only: the same rule as ``clients_shared_with``, read
    from the family member's consents (an index lookup) rather than tested against every
    client."""
    if user.role != Role.FAMILY:
        return select(FamilyAccess.client_id).where(false())
    return select(FamilyAccess.client_id).where(
        FamilyAccess.family_user_id == user.id, consent_in_force(at), _scope_column(scope)
    )


def consents_in_force(user: User) -> Select[FamilyAccess]:
    """The family member's consents that still open something, newest first."""
    return (
        select(FamilyAccess)
        .where(FamilyAccess.family_user_id == user.id, consent_in_force())
        .order_by(FamilyAccess.granted_at.desc())
    )


def regular_clients(user: User) -> Select[Client]:
    """The clients a staff member sees without emergency access."""
    if user.role not in CLINICAL_ROLES:
        return select(Client).where(false())
    return select(Client).where(_regular_condition(user))


def regular_client_ids(user: User) -> Any:
    """The ids of ``regular_clients``, as a selectable: the union of the id lookups itself,
    not the client rows read again to give back their ids. Only ``user.id`` and
    ``user.role`` are read (``user.id`` may be a bound parameter, as for
    ``visible_client_ids``)."""
    if user.role not in CLINICAL_ROLES:
        return select(Client.id).where(false())
    return union(*_regular_ids(user))


def emergency_access_for(user: User, client: Client) -> EmergencyAccess | None:
    """The access in force when this record is open only because the glass was broken."""
    if user.role not in CLINICAL_ROLES:
        return None
    regular = db.session.scalar(
        select(Client.id).where(Client.id == client.id, _regular_condition(user))
    )
    if regular is not None:
        return None
    return db.session.scalars(
        select(EmergencyAccess)
        .where(
            EmergencyAccess.client_id == client.id,
            EmergencyAccess.user_id == user.id,
            EmergencyAccess.expires_at > _utcnow(),
        )
        .order_by(EmergencyAccess.expires_at.desc())
    ).first()


def open_record_or_404(client_id: int, *, for_user: User) -> tuple[Client, EmergencyAccess | None]:
    """``get_client_or_404`` for the record's pages, with what their header shows: the client
    with its case manager and whoever set the risk, and the emergency access in force when
    only broken glass opens the record (as ``emergency_access_for``). One query unless the
    user holds such an access."""
    row = _record_row_or_404(client_id, for_user)
    client: Client = row[0]
    access_id = row[1] if len(row) > 1 else None
    if access_id is None:
        return client, None
    regular = select(Client.id).where(Client.id == client.id, _regular_condition(for_user))
    access, own = db.session.execute(
        select(EmergencyAccess, regular.exists()).where(EmergencyAccess.id == access_id)
    ).one()
    # Their own client as well: the glass is not what opens the record, so no banner.
    return client, None if own else access


def may_use_emergency_access(user: User) -> bool:
    """Clinical staff may break the glass; administrators never see records."""
    return user.role in CLINICAL_ROLES


def may_list_clients(user: User) -> bool:
    """Clinical staff list clients; administrators run the system without seeing records."""
    return user.role in CLINICAL_ROLES


def may_edit_client(user: User) -> bool:
    """Demographics, contacts, status, risk, portal and family access: case managers and
    supervisors. Care-team members read the record and add their own clinical work."""
    return user.role in (Role.CASE_MANAGER, Role.SUPERVISOR)


def may_assess(user: User) -> bool:
    """Case managers, supervisors and care-team members fill in instruments."""
    return user.role in CLINICAL_ROLES


def may_edit_plan(user: User) -> bool:
    """Case managers and supervisors write and sign care plans; the care team reads them."""
    return user.role in (Role.CASE_MANAGER, Role.SUPERVISOR)


def may_approve_plan(user: User) -> bool:
    return user.role == Role.SUPERVISOR


def may_record_progress(user: User) -> bool:
    """Anyone on the clinical side who works with the client records progress on a goal."""
    return user.role in CLINICAL_ROLES


def may_write_notes(user: User) -> bool:
    """Everyone on the clinical side documents their own contacts."""
    return user.role in CLINICAL_ROLES


def may_manage_resources(user: User) -> bool:
    """The directory is kept by administrators and supervisors; everyone on staff reads it."""
    return user.role in (Role.ADMIN, Role.SUPERVISOR)


def may_cosign(user: User) -> bool:
    return user.role == Role.SUPERVISOR


def may_reassign_primary(user: User) -> bool:
    return user.role == Role.SUPERVISOR


def may_review_emergency_access(user: User) -> bool:
    return user.role == Role.SUPERVISOR


@cache
def _child(model: Any) -> Select[Any]:
    """``_child_or_404``'s statement for one kind of row, built once for the process."""
    return select(model).where(
        model.id == bindparam("child_id", type_=Integer()),
        model.client_id == bindparam("client_id", type_=Integer()),
    )


def _child_or_404(model: Any, child_id: int, client: Client) -> Any:
    """A row that belongs to a client already loaded through the policy, or 404."""
    row = db.session.scalar(_child(model), {"child_id": child_id, "client_id": client.id})
    if row is None:
        abort(404)
    return row


def get_contact_or_404(client: Client, contact_id: int) -> EmergencyContact:
    """An emergency contact of a client the user may see."""
    contact: EmergencyContact = _child_or_404(EmergencyContact, contact_id, client)
    return contact


def get_care_team_member_or_404(client: Client, member_id: int) -> CareTeamMember:
    """A care-team entry of a client the user may see."""
    member: CareTeamMember = _child_or_404(CareTeamMember, member_id, client)
    return member


def get_consent_or_404(client: Client, consent_id: int) -> FamilyAccess:
    """A family consent of a client the user may see."""
    consent: FamilyAccess = _child_or_404(FamilyAccess, consent_id, client)
    return consent


def get_plan_or_404(client: Client, plan_id: int) -> CarePlan:
    """A version of the care plan of a client the user may see."""
    plan: CarePlan = _child_or_404(CarePlan, plan_id, client)
    return plan


def get_plan_part_or_404(
    client: Client, kind: str, part_id: int
) -> Goal | Objective | Intervention:
    """A goal, objective or intervention of a client the user may see."""
    if kind == "goal":
        goal: Goal = _child_or_404(Goal, part_id, client)
        return goal
    if kind == "objective":
        objective: Objective | None = db.session.scalar(
            select(Objective)
            .join(Goal, Goal.id == Objective.goal_id)
            .where(Objective.id == part_id, Goal.client_id == client.id)
        )
        if objective is not None:
            return objective
    elif kind == "intervention":
        intervention: Intervention | None = db.session.scalar(
            select(Intervention)
            .join(Goal, Goal.id == Intervention.goal_id)
            .where(Intervention.id == part_id, Goal.client_id == client.id)
        )
        if intervention is not None:
            return intervention
    abort(404)


def get_document_or_404(client: Client, document_id: int) -> Document:
    """A document (not removed) of a client the user may see."""
    document: Document = _child_or_404(Document, document_id, client)
    if document.deleted_at is not None:
        abort(404)
    return document


def get_note_or_404(client: Client, note_id: int, *, for_user: User) -> ProgressNote:
    """A note of a client the user may see: signed notes are the record's, a draft is only
    its author's (to anyone else it does not exist)."""
    note: ProgressNote = _child_or_404(ProgressNote, note_id, client)
    if not note.is_signed and note.author_id != for_user.id:
        abort(404)
    return note


def visible_tasks(user: User) -> Select[Task]:
    """Tasks assigned to or created by the user, tasks of the people a supervisor supervises,
    and tasks about clients the user may see."""
    supervised = select(User.id).where(User.supervisor_id == user.id)
    return select(Task).where(
        or_(
            Task.assignee_id == user.id,
            Task.created_by_id == user.id,
            # A supervisee's general task; their tasks about clients go by the client rule.
            and_(Task.assignee_id.in_(supervised), Task.client_id.is_(None)),
            Task.client_id.in_(visible_clients(user).with_only_columns(Client.id)),
        )
    )


def get_task_or_404(task_id: int, *, for_user: User) -> Task:
    task = db.session.scalar(visible_tasks(for_user).where(Task.id == task_id))
    if task is None:
        abort(404)
    return task


def _missing(model: Any, object_type: str, object_id: int, for_user: User) -> NoReturn:
    """404 for a row the user may not see, as for one that does not exist; a row that does
    exist is an attempt the audit log keeps."""
    found = db.session.get(model, object_id)
    if found is not None:
        _audit_denied(
            for_user, object_type=object_type, object_id=object_id, client_id=found.client_id
        )
        db.session.commit()
    abort(404)


def may_schedule(user: User) -> bool:
    """The clinical side books, changes and verifies appointments with clients it may see;
    administrators have no calendar of clients."""
    return user.role in CLINICAL_ROLES


def visible_appointments(user: User) -> Select[Appointment]:
    """Appointments of clients the user may see; for family, only of clients who share their
    appointments (consent in force)."""
    if user.role == Role.FAMILY:
        clients = clients_shared_with(user, "appointments")
    else:
        clients = visible_clients(user)
    return select(Appointment).where(
        Appointment.client_id.in_(clients.with_only_columns(Client.id))
    )


def get_appointment_or_404(appointment_id: int, *, for_user: User) -> Appointment:
    """One appointment of a client the user may see; 404 otherwise (the attempt audited)."""
    appointment: Appointment | None = db.session.scalar(
        visible_appointments(for_user).where(Appointment.id == appointment_id)
    )
    if appointment is None:
        _missing(Appointment, "appointment", appointment_id, for_user)
    return appointment


def get_request_or_404(request_id: int, *, for_user: User) -> AppointmentRequest:
    """A client's appointment request, for the client who sent it or staff who see them."""
    query = select(AppointmentRequest).where(
        AppointmentRequest.id == request_id,
        AppointmentRequest.client_id.in_(
            (
                visible_clients(for_user)
                if for_user.role != Role.FAMILY
                else select(Client).where(false())
            ).with_only_columns(Client.id)
        ),
    )
    found: AppointmentRequest | None = db.session.scalar(query)
    if found is None:
        _missing(AppointmentRequest, "appointment_request", request_id, for_user)
    return found


def may_message(user: User) -> bool:
    """The clinical side answers messages; administrators never see them."""
    return user.role in CLINICAL_ROLES


def get_thread_or_404(thread_id: int, *, for_user: User) -> MessageThread:
    """A conversation: the client's own (not their family's), a family member's own, or any
    about a client the staff member may see. Anything else is missing."""
    query = select(MessageThread).where(MessageThread.id == thread_id)
    if for_user.role == Role.CLIENT:
        query = query.where(
            MessageThread.kind == "client",
            MessageThread.client_id.in_(visible_clients(for_user).with_only_columns(Client.id)),
        )
    elif for_user.role == Role.FAMILY:
        query = query.where(
            MessageThread.kind == "family", MessageThread.family_user_id == for_user.id
        )
    else:
        query = query.where(
            MessageThread.client_id.in_(visible_clients(for_user).with_only_columns(Client.id))
        )
    thread: MessageThread | None = db.session.scalar(query)
    if thread is None:
        _missing(MessageThread, "message_thread", thread_id, for_user)
    return thread


# --- administration, reports, exports (issue 11) ---------------------------------------------


def may_manage_users(user: User) -> bool:
    """Accounts and roles are the administrators' (who never see a client's record)."""
    return user.role == Role.ADMIN


def may_view_audit(user: User) -> bool:
    """The whole audit log: administrators and supervisors (who review access)."""
    return user.role in (Role.ADMIN, Role.SUPERVISOR)


def may_view_reports(user: User) -> bool:
    """Reports: supervisors and administrators see the agency or a team; a case manager sees
    the figures of their own caseload only (``report_scope``)."""
    return user.role in (Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER)


def report_case_managers(user: User) -> Select[User]:
    """Whose caseloads a person may report on: an administrator everyone's (aggregate
    figures only), a supervisor their team's and their own, a case manager their own."""
    query = select(User).where(User.role == Role.CASE_MANAGER)
    if user.role == Role.ADMIN:
        return query
    if user.role == Role.SUPERVISOR:
        return select(User).where(
            or_(User.supervisor_id == user.id, User.id == user.id),
            User.role.in_((Role.CASE_MANAGER, Role.SUPERVISOR)),
        )
    if user.role == Role.CASE_MANAGER:
        return select(User).where(User.id == user.id)
    return select(User).where(false())


def may_export_record(user: User) -> bool:
    """A client's record leaves the agency (FHIR) only through clinical staff who may open it;
    the loader still decides which records."""
    return user.role in (Role.CASE_MANAGER, Role.SUPERVISOR)


# What may still change on a discharged client's record: re-admitting them, recording a
# crisis (safety first), finishing and correcting documentation, and reducing access.
# Everything else of the record is read-only until a re-admission; nothing is deleted.
WHILE_DISCHARGED = frozenset(
    {
        "staff.client_status",
        "staff.crisis_new",
        "staff.crisis_detail",
        "staff.note_save",
        "staff.note_sign",
        "staff.note_addendum",
        "staff.note_cosign",
        "staff.consent_revoke",
        "staff.portal_disable",
    }
)


def guard_discharged() -> Response | None:
    """A ``before_request`` of the staff area: a change to a discharged client's record is
    refused (the record is kept read-only), whichever view it reaches."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in WHILE_DISCHARGED:
        return None
    client_id = (request.view_args or {}).get("client_id")
    if client_id is None:
        return None
    status = db.session.scalar(select(Client.status).where(Client.id == client_id))
    if status != "discharged":
        return None  # missing or not visible: the view's loader answers 404
    flash(
        _(
            "This client is discharged, so the record is read-only. Re-admit them from "
            "Status and risk to make changes."
        ),
        "error",
    )
    target = url_for("staff.client_detail", client_id=client_id)
    if is_htmx():
        return hx_redirect(target)
    return redirect(target, code=303)
