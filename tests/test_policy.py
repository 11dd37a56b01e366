"""The access policy as truth tables: areas by role, and which clients each user may see."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from portal import policy
from portal.extensions import db
from portal.models import AuditEvent, Client, Role, utcnow

from .factories import add_to_care_team, grant_family_access, make_client, make_user
from .helpers import login

AREA_TABLE = {
    # role:          staff, client, family
    Role.ADMIN: (True, False, False),
    Role.SUPERVISOR: (True, False, False),
    Role.CASE_MANAGER: (True, False, False),
    Role.CARE_TEAM: (True, False, False),
    Role.CLIENT: (False, True, False),
    Role.FAMILY: (False, False, True),
}


@pytest.mark.parametrize(("role", "expected"), AREA_TABLE.items())
def test_area_truth_table(app, role, expected):
    user = make_user(role)
    assert tuple(policy.may_enter(user, area) for area in ("staff", "client", "family")) == expected


@pytest.mark.parametrize(("role", "expected"), AREA_TABLE.items())
def test_areas_closed_to_a_role_answer_403_over_http(client, role, expected):
    user = make_user(role)
    login(client, user.email)
    statuses = tuple(client.get(path).status_code for path in ("/staff/", "/client/", "/family/"))
    assert statuses == tuple(200 if open_ else 403 for open_ in expected)


def test_denied_area_is_audited_and_shows_the_403_page(client):
    user = make_user(Role.CLIENT)
    login(client, user.email)
    response = client.get("/staff/")
    assert response.status_code == 403
    assert "Not available to you" in response.get_data(as_text=True)
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.outcome, event.actor_id) == ("access_denied", "denied", user.id)
    assert event.object_id == "staff" and event.detail == "/staff/"


@pytest.mark.parametrize("path", ["/staff/", "/client/", "/family/"])
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/login?next={path}")


@pytest.fixture
def agency(app):
    """A small agency: two teams, care teams, clients with portal accounts, a family member."""
    people = {
        "admin": make_user(Role.ADMIN),
        "supervisor": make_user(Role.SUPERVISOR),
        "other_supervisor": make_user(Role.SUPERVISOR),
        "psychiatrist": make_user(Role.CARE_TEAM),
        "nurse": make_user(Role.CARE_TEAM),
        "client_user": make_user(Role.CLIENT),
        "other_client_user": make_user(Role.CLIENT),
        "family": make_user(Role.FAMILY),
        "stranger_family": make_user(Role.FAMILY),
    }
    people["cm"] = make_user(Role.CASE_MANAGER, supervisor=people["supervisor"])
    people["cm_other_team"] = make_user(Role.CASE_MANAGER, supervisor=people["other_supervisor"])
    mine = make_client(primary_case_manager=people["cm"], portal_user=people["client_user"])
    theirs = make_client(
        primary_case_manager=people["cm_other_team"], portal_user=people["other_client_user"]
    )
    shared = make_client(primary_case_manager=people["cm_other_team"])
    add_to_care_team(mine, people["psychiatrist"], "Psychiatrist")
    add_to_care_team(shared, people["cm"], "Backup case manager")
    grant_family_access(mine, people["family"], scopes=("materials", "appointments"))
    clients = {"mine": mine, "theirs": theirs, "shared": shared}
    return people, clients


VISIBILITY = {
    # user:              mine,  theirs, shared
    "admin": (False, False, False),
    "supervisor": (True, False, False),
    "other_supervisor": (False, True, True),
    "cm": (True, False, True),
    "cm_other_team": (False, True, True),
    "psychiatrist": (True, False, False),
    "nurse": (False, False, False),
    "client_user": (True, False, False),
    "other_client_user": (False, True, False),
    "family": (True, False, False),
    "stranger_family": (False, False, False),
}


@pytest.mark.parametrize(("who", "expected"), VISIBILITY.items())
def test_client_visibility_truth_table(agency, who, expected):
    people, clients = agency
    user = people[who]
    visible = set(db.session.scalars(policy.visible_clients(user)).all())
    assert tuple(clients[k] in visible for k in ("mine", "theirs", "shared")) == expected
    for key, allowed in zip(("mine", "theirs", "shared"), expected, strict=True):
        if allowed:
            assert policy.get_client_or_404(clients[key].id, for_user=user) == clients[key]
        else:
            with pytest.raises(NotFound):
                policy.get_client_or_404(clients[key].id, for_user=user)


def test_a_missing_client_and_a_hidden_one_look_the_same(agency):
    people, clients = agency
    with pytest.raises(NotFound) as hidden:
        policy.get_client_or_404(clients["theirs"].id, for_user=people["cm"])
    with pytest.raises(NotFound) as missing:
        policy.get_client_or_404(999_999, for_user=people["cm"])
    assert hidden.value.code == missing.value.code == 404
    denied = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "access_denied")
    ).all()
    assert [(e.object_type, e.client_id) for e in denied] == [("client", clients["theirs"].id)]


def test_family_scopes_follow_the_consent(agency):
    people, clients = agency
    family = people["family"]
    assert policy.family_scopes(family, clients["mine"]) == {"materials", "appointments"}
    assert policy.family_scopes(family, clients["theirs"]) == frozenset()
    assert policy.family_scopes(people["cm"], clients["mine"]) == frozenset()
    for scope, expected in [("appointments", True), ("goals", False), ("safety_plan", False)]:
        shared = db.session.scalars(policy.clients_shared_with(family, scope)).all()
        assert (clients["mine"] in shared) is expected


@pytest.mark.parametrize(
    ("expires_in", "revoked_ago", "visible"),
    [
        (None, None, True),
        (timedelta(days=1), None, True),
        (timedelta(days=-1), None, False),
        (None, timedelta(minutes=1), False),
        (None, timedelta(minutes=-5), True),  # revocation scheduled for later
    ],
)
def test_only_consents_in_force_open_anything(app, expires_in, revoked_ago, visible):
    family = make_user(Role.FAMILY)
    person = make_client()
    now = utcnow()
    grant_family_access(
        person,
        family,
        scopes=("goals",),
        expires_at=now + expires_in if expires_in is not None else None,
        revoked_at=now - revoked_ago if revoked_ago is not None else None,
    )
    assert (db.session.scalar(policy.visible_clients(family)) == person) is visible
    assert ("goals" in policy.family_scopes(family, person)) is visible
    assert (person in db.session.scalars(policy.clients_shared_with(family, "goals")).all()) is (
        visible
    )


def test_family_home_lists_only_consents_in_force(client, agency):
    people, clients = agency
    grant_family_access(clients["theirs"], people["family"], scopes=("goals",), revoked_at=utcnow())
    login(client, people["family"].email)
    page = client.get("/family/").get_data(as_text=True)
    assert clients["mine"].display_name in page
    assert "Appointments" in page and "Education materials" in page
    assert clients["theirs"].display_name not in page


def test_caseload_lists_only_visible_clients(client, agency):
    people, clients = agency
    login(client, people["cm"].email)
    page = client.get("/staff/clients").get_data(as_text=True)
    assert clients["mine"].legal_name in page and clients["shared"].legal_name in page
    assert clients["theirs"].legal_name not in page


def test_admin_home_shows_accounts_never_clients(client, agency):
    people, clients = agency
    login(client, people["admin"].email)
    page = client.get("/staff/").get_data(as_text=True)
    assert "Active accounts" in page
    assert all(c.legal_name not in page for c in clients.values())


def test_client_home_shows_own_team_not_another_clients(client, agency):
    people, clients = agency
    login(client, people["client_user"].email)
    page = client.get("/client/").get_data(as_text=True)
    assert people["cm"].display_name in page and people["psychiatrist"].display_name in page
    assert people["cm_other_team"].display_name not in page


@pytest.mark.parametrize("path", ["/staff/clients", "/staff/"])
def test_query_count_does_not_grow_with_clients(client, count_queries, path):
    cm = make_user(Role.CASE_MANAGER)
    make_client(primary_case_manager=cm, risk_level="high")
    login(client, cm.email)
    client.get(path)  # the first visit may load what later visits reuse
    with count_queries() as one:
        client.get(path)
    for _ in range(24):
        make_client(primary_case_manager=cm, risk_level="high")
    with count_queries() as many:
        page = client.get(path)
    shown = len(re.findall(r'<(?:tr|li) id="client-\d+"', page.get_data(as_text=True)))
    assert shown == (25 if path == "/staff/clients" else 10)
    assert many.count == one.count


def test_unknown_scope_is_a_programming_error(app):
    with pytest.raises(ValueError, match="unknown family scope"):
        policy.clients_shared_with(make_user(Role.FAMILY), "diagnosis")
    assert isinstance(policy.visible_clients(make_user(Role.ADMIN)).whereclause, object)
    assert db.session.scalar(select(Client)) is None
