"""Client records: intake, edits with conflict detection, lifecycle, risk, care team, contacts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import (
    CLINICAL_ROLES,
    RISK_LEVELS,
    STATUS_TRANSITIONS,
    Appointment,
    CareTeamMember,
    Client,
    EmergencyAccess,
    EmergencyContact,
    Episode,
    RiskChange,
    Role,
    StatusChange,
    User,
    folded,
    utcnow,
)
from ..models.base import UTCDateTime
from . import audit
from .appointments import Attendance
from .errors import DomainError, IllegalTransition, StaleEdit

# What an edit may change; anything else posted (id, owner, status, version) is ignored.
EDITABLE_FIELDS = (
    "legal_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "preferred_language",
    "phone",
    "email",
    "address",
    "referral_source",
    "presenting_needs",
)
CONTACT_FIELDS = ("name", "relationship_label", "phone", "notes")
INTAKE_STATUSES = ("referred", "intake")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _flush_or_conflict(record: Any) -> None:
    """The version column guards the UPDATE itself: a writer who saved in between wins the
    race in the database, and this one gets the conflict view instead of an error."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleEdit(record) from error


def record_number_for(client_id: int) -> str:
    """The number staff quote on the phone: WP- and the id, six digits."""
    return f"WP-{client_id:06d}"


def find_duplicates(legal_name: str, date_of_birth: date | None) -> list[Client]:
    """Clients with the same date of birth and legal name, whoever's they are: names compared
    folded (``folded``: any case, with or without accents), here rather than by the database,
    whose ``lower()`` folds ASCII only on SQLite."""
    name = folded(legal_name)
    if not name or date_of_birth is None:
        return []
    born = db.session.scalars(select(Client).where(Client.date_of_birth == date_of_birth))
    return [client for client in born if folded(client.legal_name) == name]


def create_client(
    data: Mapping[str, Any], *, status: str, actor: User, ip: str | None, today: date
) -> Client:
    """Take a new referral: the record, its first episode and its first status."""
    if status not in INTAKE_STATUSES:
        raise DomainError("a new client starts as referred or intake")
    client = Client(status=status, risk_level="low")
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(client, field, _clean(data[field]))
    if not client.legal_name:
        raise DomainError("a client needs a legal name")
    client.preferred_language = client.preferred_language or "en"
    if actor.role == Role.CASE_MANAGER:
        client.primary_case_manager = actor
    db.session.add(client)
    db.session.flush()
    client.record_number = record_number_for(client.id)
    db.session.add(Episode(client_id=client.id, admitted_on=today))
    db.session.add(
        StatusChange(
            client_id=client.id,
            from_status=None,
            to_status=status,
            effective_on=today,
            reason="intake",
            changed_by_id=actor.id,
        )
    )
    db.session.flush()
    audit.record(
        "create", actor=actor, ip=ip, object_type="client", object_id=client.id, client_id=client.id
    )
    return client


def update_client(
    client: Client, data: Mapping[str, Any], *, expected_version: int, actor: User, ip: str | None
) -> list[str]:
    """Apply an edit read at ``expected_version``; raises StaleEdit if someone saved since."""
    if client.version != expected_version:
        raise StaleEdit(client)
    changed = []
    for field in EDITABLE_FIELDS:
        if field not in data:
            continue
        value = _clean(data[field])
        if field == "legal_name" and not value:
            raise DomainError("a client needs a legal name")
        if getattr(client, field) != value:
            setattr(client, field, value)
            changed.append(field)
    if changed:
        _flush_or_conflict(client)
        audit.record(
            "update",
            actor=actor,
            ip=ip,
            object_type="client",
            object_id=client.id,
            client_id=client.id,
            detail=",".join(changed),
        )
    return changed


def current_episode(client: Client) -> Episode | None:
    return db.session.scalar(
        select(Episode).where(Episode.client_id == client.id).order_by(Episode.id.desc()).limit(1)
    )


def change_status(
    client: Client,
    to_status: str,
    *,
    effective_on: date,
    reason: str | None,
    actor: User,
    ip: str | None,
    aftercare: Mapping[str, str | None] | None = None,
) -> StatusChange:
    """Move along the lifecycle; discharge closes the episode, re-admission opens a new one."""
    if to_status not in STATUS_TRANSITIONS.get(client.status, ()):
        raise IllegalTransition(client.status, to_status)
    reason = _clean(reason)
    if to_status in ("discharged", "on_hold") and not reason:
        raise DomainError("a reason is required")
    from_status = client.status
    episode = current_episode(client)
    if to_status == "discharged":
        if episode is not None and episode.is_open:
            episode.discharged_on = effective_on
            episode.discharge_reason = reason
            aftercare = aftercare or {}
            episode.aftercare_followups = _clean(aftercare.get("followups"))
            episode.aftercare_resources = _clean(aftercare.get("resources"))
            episode.aftercare_crisis_contact = _clean(aftercare.get("crisis_contact"))
    elif from_status == "discharged":
        db.session.add(Episode(client_id=client.id, admitted_on=effective_on))
    client.status = to_status
    change = StatusChange(
        client_id=client.id,
        from_status=from_status,
        to_status=to_status,
        effective_on=effective_on,
        reason=reason,
        changed_by_id=actor.id,
    )
    db.session.add(change)
    db.session.flush()
    audit.record(
        "status_change",
        actor=actor,
        ip=ip,
        object_type="client",
        object_id=client.id,
        client_id=client.id,
        detail=f"{from_status}->{to_status}",
    )
    return change


def set_risk(client: Client, level: str, reason: str, *, actor: User, ip: str | None) -> RiskChange:
    """Set the risk flag with a reason; the history keeps every earlier level."""
    if level not in RISK_LEVELS:
        raise DomainError("unknown risk level")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("a reason is required")
    now = utcnow()
    client.risk_level = level
    client.risk_reason = reason
    client.risk_set_by_id = actor.id
    client.risk_set_at = now
    change = RiskChange(
        client_id=client.id, level=level, reason=reason, set_by_id=actor.id, set_at=now
    )
    db.session.add(change)
    db.session.flush()
    audit.record(
        "risk_change",
        actor=actor,
        ip=ip,
        object_type="client",
        object_id=client.id,
        client_id=client.id,
        detail=level,
    )
    return change


def add_care_team_member(
    client: Client, member: User, role_label: str, *, actor: User, ip: str | None
) -> CareTeamMember:
    if member.role not in CLINICAL_ROLES or not member.active:
        raise DomainError("only active clinical staff can join a care team")
    if any(m.user_id == member.id for m in client.care_team):
        raise DomainError("already on the care team")
    entry = CareTeamMember(client=client, user=member, role_label=role_label.strip())
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "care_team_change",
        actor=actor,
        ip=ip,
        object_type="care_team_member",
        object_id=entry.id,
        client_id=client.id,
        detail=f"add user {member.id}",
    )
    return entry


def remove_care_team_member(entry: CareTeamMember, *, actor: User, ip: str | None) -> None:
    client_id, user_id = entry.client_id, entry.user_id
    db.session.delete(entry)
    db.session.flush()
    audit.record(
        "care_team_change",
        actor=actor,
        ip=ip,
        object_type="care_team_member",
        object_id=entry.id,
        client_id=client_id,
        detail=f"remove user {user_id}",
    )


def reassign_primary(client: Client, case_manager: User, *, actor: User, ip: str | None) -> None:
    if case_manager.role != Role.CASE_MANAGER or not case_manager.active:
        raise DomainError("the primary case manager must be an active case manager")
    client.primary_case_manager = case_manager
    db.session.flush()
    audit.record(
        "care_team_change",
        actor=actor,
        ip=ip,
        object_type="client",
        object_id=client.id,
        client_id=client.id,
        detail=f"primary {case_manager.id}",
    )


def add_contact(
    client: Client, data: Mapping[str, Any], *, actor: User, ip: str | None
) -> EmergencyContact:
    name = _clean(data.get("name"))
    if not name:
        raise DomainError("a contact needs a name")
    contact = EmergencyContact(client_id=client.id, name=name)
    for field in CONTACT_FIELDS[1:]:
        setattr(contact, field, _clean(data.get(field)))
    db.session.add(contact)
    db.session.flush()
    audit.record(
        "create",
        actor=actor,
        ip=ip,
        object_type="emergency_contact",
        object_id=contact.id,
        client_id=client.id,
    )
    return contact


def update_contact(
    contact: EmergencyContact,
    data: Mapping[str, Any],
    *,
    expected_version: int,
    actor: User,
    ip: str | None,
) -> None:
    if contact.version != expected_version:
        raise StaleEdit(contact)
    name = _clean(data.get("name"))
    if not name:
        raise DomainError("a contact needs a name")
    contact.name = name
    for field in CONTACT_FIELDS[1:]:
        setattr(contact, field, _clean(data.get(field)))
    _flush_or_conflict(contact)
    audit.record(
        "update",
        actor=actor,
        ip=ip,
        object_type="emergency_contact",
        object_id=contact.id,
        client_id=contact.client_id,
    )


def remove_contact(contact: EmergencyContact, *, actor: User, ip: str | None) -> None:
    client_id = contact.client_id
    db.session.delete(contact)
    db.session.flush()
    audit.record(
        "delete",
        actor=actor,
        ip=ip,
        object_type="emergency_contact",
        object_id=contact.id,
        client_id=client_id,
    )


def grant_emergency_access(
    user: User, client: Client, reason: str, *, ip: str | None
) -> EmergencyAccess:
    """Break the glass: time-limited access, with a reason, for a supervisor to review."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise DomainError("say why you need the record (at least 10 characters)")
    minutes = int(current_app.config["EMERGENCY_ACCESS_MINUTES"])
    now = utcnow()
    access = EmergencyAccess(
        user_id=user.id,
        client_id=client.id,
        reason=reason,
        granted_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    db.session.add(access)
    db.session.flush()
    audit.record(
        "emergency_access",
        actor=user,
        ip=ip,
        object_type="emergency_access",
        object_id=access.id,
        client_id=client.id,
        detail=f"{minutes} minutes",
    )
    return access


def review_emergency_access(access: EmergencyAccess, *, actor: User, ip: str | None) -> None:
    access.reviewed_by_id = actor.id
    access.reviewed_at = utcnow()
    audit.record(
        "emergency_review",
        actor=actor,
        ip=ip,
        object_type="emergency_access",
        object_id=access.id,
        client_id=access.client_id,
    )


# --- the record's overview -----------------------------------------------------------------


@dataclass(frozen=True)
class TeamMember:
    """A care-team entry as the overview lists it."""

    id: int
    user_id: int
    name: str
    role_label: str


@dataclass(frozen=True)
class StaffMember:
    """An active staff member offered as a choice: a case manager for the primary form, a
    clinical colleague found by name for the care team."""

    id: int
    name: str
    role: str


# Who may be a client's primary case manager: an active case manager.
_CASE_MANAGERS = (User.role == Role.CASE_MANAGER, User.active.is_(True))


@cache
def _care_team_and_staff(with_staff: bool) -> Any:
    """``care_team_and_staff``'s statement, built once for the process per shape: run with
    ``client_id`` and, with the staff, ``user_id`` and ``primary_id``."""
    members = (
        select(
            literal(0).label("kind"),
            CareTeamMember.id.label("member_id"),
            CareTeamMember.role_label.label("role_label"),
            User.id.label("user_id"),
            User.display_name.label("name"),
            User.role.label("role"),
        )
        .join(User, User.id == CareTeamMember.user_id)
        .where(CareTeamMember.client_id == bindparam("client_id", type_=Integer()))
    )
    if not with_staff:
        return members.order_by(CareTeamMember.id)
    staff = select(literal(1), null(), null(), User.id, User.display_name, User.role).where(
        *_CASE_MANAGERS,
        or_(
            User.supervisor_id == bindparam("user_id", type_=Integer()),
            User.id == bindparam("primary_id", type_=Integer()),
        ),
    )
    return union_all(members, staff).order_by("kind", "member_id", "name")


def care_team_and_staff(
    client: Client, *, reassigner: User | None
) -> tuple[list[TeamMember], list[StaffMember]]:
    """The client's care team in the order they joined and, for a ``reassigner`` (who may
    reassign the primary case manager), the case managers they supervise and the client's
    primary by name, in one query. Anyone else is found by name (``find_case_managers``)."""
    values: dict[str, int | None] = {"client_id": client.id}
    if reassigner is not None:
        values.update(user_id=reassigner.id, primary_id=client.primary_case_manager_id)
    rows = db.session.execute(_care_team_and_staff(reassigner is not None), values)
    team: list[TeamMember] = []
    choices: list[StaffMember] = []
    for kind, member_id, role_label, user_id, name, role in rows:
        if kind == 0:
            team.append(TeamMember(member_id, user_id, name, role_label))
        else:
            choices.append(StaffMember(user_id, name, role))
    return team, choices


def find_case_managers(text: str) -> tuple[list[StaffMember], bool]:
    """The active case managers whose name contains ``text`` (``find_staff``)."""
    return find_staff(text, *_CASE_MANAGERS)


def case_manager(user_id: int | None) -> User | None:
    """The active case manager ``user_id``, who may become a client's primary, else None."""
    if user_id is None:
        return None
    return db.session.scalar(select(User).where(User.id == user_id, *_CASE_MANAGERS))


CANDIDATES_SHOWN = 10


def _may_join_team(client: Client) -> ColumnElement[bool]:
    """Who may be added to the client's care team: active clinical staff not on it already."""
    on_team = select(CareTeamMember.user_id).where(CareTeamMember.client_id == client.id)
    return and_(User.role.in_(CLINICAL_ROLES), User.active, User.id.not_in(on_team))


def find_staff(text: str, *conditions: ColumnElement[bool]) -> tuple[list[StaffMember], bool]:
    """Up to ``CANDIDATES_SHOWN`` staff who meet ``conditions`` and whose name contains
    ``text`` (any case; ``%`` and ``_`` taken literally), by name, and whether more match, in
    one query. No text, no one: a page that offers a search never lists the whole staff."""
    text = text.strip()
    if not text:
        return [], False
    rows = db.session.execute(
        select(User.id, User.display_name, User.role)
        .where(*conditions, User.sort_name.contains(folded(text), autoescape=True))
        .order_by(User.sort_name, User.id)
        .limit(CANDIDATES_SHOWN + 1)
    ).all()
    found = [StaffMember(user_id, name, role) for user_id, name, role in rows]
    return found[:CANDIDATES_SHOWN], len(found) > CANDIDATES_SHOWN


def care_team_candidates(client: Client, text: str) -> tuple[list[StaffMember], bool]:
    """The staff who may join the client's care team and whose name contains ``text``
    (``find_staff``)."""
    return find_staff(text, _may_join_team(client))


def care_team_candidate(client: Client, user_id: int | None) -> User | None:
    """The staff member ``user_id`` when they may join the client's care team, else None."""
    if user_id is None:
        return None
    return db.session.scalar(select(User).where(User.id == user_id, _may_join_team(client)))


@cache
def _appointment_summary() -> Select[Any]:
    """``appointment_summary``'s statement, built once for the process (every record overview
    runs it; building it cost more than running it): run with ``client_id`` and ``now``."""
    client_id = bindparam("client_id", type_=Integer())
    upcoming = aliased(Appointment)
    figures = (
        select(
            func.count(case((Appointment.status == "attended", 1))).label("attended"),
            func.count(case((Appointment.status == "no_show", 1))).label("no_show"),
        )
        .where(Appointment.client_id == client_id)
        .subquery()
    )
    next_id = (
        select(Appointment.id)
        .where(
            Appointment.client_id == client_id,
            Appointment.status == "scheduled",
            Appointment.starts_at > bindparam("now", type_=UTCDateTime()),
        )
        .order_by(Appointment.starts_at)
        .limit(1)
        .scalar_subquery()
    )
    return (
        select(figures.c.attended, figures.c.no_show, upcoming)
        .select_from(figures)
        .outerjoin(upcoming, upcoming.id == next_id)
        .options(joinedload(upcoming.staff))
    )


def appointment_summary(client: Client) -> tuple[Appointment | None, Attendance]:
    """The client's next scheduled appointment (with its staff member) and the attended and
    no-show counts of all their appointments, in one query."""
    attended, no_show, appointment = db.session.execute(
        _appointment_summary(), {"client_id": client.id, "now": utcnow()}
    ).one()
    return appointment, Attendance(int(attended), int(no_show))
