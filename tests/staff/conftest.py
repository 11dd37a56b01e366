"""A small agency for the client-record tests: two teams, care teams, a client, a family."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.models import Client as ClientRecord
from portal.models import EmergencyAccess, EmergencyContact, Role, Task, User, utcnow

from ..factories import add_to_care_team, grant_family_access, make_client, make_user


@dataclass
class Agency:
    cm: User
    cm_other: User
    team: User
    not_team: User
    supervisor: User
    other_supervisor: User
    admin: User
    client_user: User
    family: User
    extra: User
    own: ClientRecord
    theirs: ClientRecord
    ids: dict[str, int]


@pytest.fixture
def agency(app) -> Agency:
    """``own`` is Casey's client (Sam supervises Casey); ``theirs`` is Cleo's (Tess's team)."""
    supervisor = make_user(Role.SUPERVISOR, display_name="Sam Supervisor")
    other_supervisor = make_user(Role.SUPERVISOR, display_name="Tess Othersup")
    cm = make_user(Role.CASE_MANAGER, display_name="Casey Manager", supervisor=supervisor)
    cm_other = make_user(Role.CASE_MANAGER, display_name="Cleo Other", supervisor=other_supervisor)
    team = make_user(Role.CARE_TEAM, display_name="Dr Pat Psychiatrist")
    not_team = make_user(Role.CARE_TEAM, display_name="Nico Nurse")
    extra = make_user(Role.CARE_TEAM, display_name="Theo Therapist")
    spare = make_user(Role.CARE_TEAM, display_name="Pia Peer")
    glass = make_user(Role.CARE_TEAM, display_name="Gil Glass")
    admin = make_user(Role.ADMIN, display_name="Ada Admin")
    client_user = make_user(Role.CLIENT, display_name="Olive Portal")
    family = make_user(Role.FAMILY, display_name="Fay Family")
    own = make_client(
        legal_name="Olivia Quince",
        preferred_name="Olive",
        date_of_birth=date(1988, 4, 12),
        record_number="WP-000501",
        primary_case_manager=cm,
        portal_user=client_user,
    )
    theirs = make_client(
        legal_name="Theodora Quill",
        date_of_birth=date(1975, 9, 30),
        record_number="WP-000502",
        primary_case_manager=cm_other,
    )
    member = add_to_care_team(own, team, "psychiatrist")
    spare_member = add_to_care_team(own, spare, "peer_specialist")
    contact = EmergencyContact(client_id=own.id, name="Ana Quince", relationship_label="Sister")
    spare_contact = EmergencyContact(client_id=own.id, name="Ben Quince", phone="555-0142")
    task = Task(client_id=own.id, title="Renew Medicaid", assignee_id=cm.id, created_by_id=cm.id)
    now = utcnow()
    access = EmergencyAccess(
        user_id=glass.id,
        client_id=own.id,
        reason="Client called the crisis line at night",
        granted_at=now - timedelta(hours=3),
        expires_at=now - timedelta(hours=2),
    )
    db.session.add_all([contact, spare_contact, task, access])
    db.session.flush()
    consent = grant_family_access(own, family, scopes=("materials", "appointments"))
    ids = {
        "client": own.id,
        "theirs": theirs.id,
        "contact": contact.id,
        "spare_contact": spare_contact.id,
        "member": member.id,
        "spare_member": spare_member.id,
        "consent": consent.id,
        "task": task.id,
        "access": access.id,
    }
    return Agency(
        cm=cm,
        cm_other=cm_other,
        team=team,
        not_team=not_team,
        supervisor=supervisor,
        other_supervisor=other_supervisor,
        admin=admin,
        client_user=client_user,
        family=family,
        extra=extra,
        own=own,
        theirs=theirs,
        ids=ids,
    )
