"""Who may open which route of the client record, as truth tables over HTTP."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import unquote

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Client, EmergencyContact, Role, Task
from portal.services import audit

from ..factories import add_to_care_team, make_client, make_user
from ..helpers import csrf_token
from .support import HTMX, ROLES, page, post, sign_in, sign_in_as, without_csrf

# Each route once, as a browser would ask for it. Posts carry valid input, so that a user
# who may use the route gets its normal answer (303 after a change; the invitation is sent
# with an empty email so that no mail goes out, hence 422).
Route = tuple[str, str, Callable[[Any], str], Callable[[Any], dict[str, Any]] | None]
C = "/staff/clients/{client}"


def _edit_data(a: Any) -> dict[str, Any]:
    version = db.session.get(Client, a.ids["client"]).version
    return {"legal_name": "Olivia Quince", "preferred_language": "en", "version": version}


def _button(_agency: Any) -> dict[str, Any]:
    return {}  # a button: only the CSRF token


ROUTES: list[Route] = [
    ("client_index", "GET", lambda a: "/staff/clients", None),
    ("client_new", "GET", lambda a: "/staff/clients/new", None),
    ("client_detail", "GET", lambda a: C, None),
    ("client_edit", "GET", lambda a: C + "/edit", None),
    ("client_edit (save)", "POST", lambda a: C + "/edit", _edit_data),
    ("contact_new", "GET", lambda a: C + "/contacts/new", None),
    ("contact_create", "POST", lambda a: C + "/contacts", lambda a: {"name": "Lee Quince"}),
    ("contact_edit", "GET", lambda a: C + "/contacts/{contact}/edit", None),
    ("contact_show", "GET", lambda a: C + "/contacts/{contact}", None),
    ("contact_delete", "POST", lambda a: C + "/contacts/{spare_contact}/delete", _button),
    ("care_team_candidates", "GET", lambda a: C + "/care-team/candidates", None),
    (
        "care_team_add",
        "POST",
        lambda a: C + "/care-team",
        lambda a: {"user_id": a.extra.id, "role_label": "therapist"},
    ),
    ("care_team_remove", "POST", lambda a: C + "/care-team/{spare_member}/remove", _button),
    ("primary_candidates", "GET", lambda a: C + "/primary/candidates?cm_q=Cleo", None),
    ("primary_reassign", "POST", lambda a: C + "/primary", lambda a: {"case_manager_id": a.cm.id}),
    ("client_status", "GET", lambda a: C + "/status", None),
    (
        "client_status (change)",
        "POST",
        lambda a: C + "/status",
        lambda a: {"to_status": "on_hold", "effective_on": "2030-01-02", "reason": "Travelling"},
    ),
    (
        "client_risk",
        "POST",
        lambda a: C + "/risk",
        lambda a: {"level": "moderate", "reason": "Missed two appointments"},
    ),
    ("client_access", "GET", lambda a: C + "/access", None),
    ("portal_invite", "POST", lambda a: C + "/portal/invite", lambda a: {"email": ""}),
    ("portal_disable", "POST", lambda a: C + "/portal/disable", _button),
    (
        "consent_create",
        "POST",
        lambda a: C + "/family",
        lambda a: {
            "family_name": "Fay Family",
            "family_email": a.family.email,
            "relationship_label": "Aunt",
            "scopes": "goals",
        },
    ),
    ("consent_revoke", "POST", lambda a: C + "/family/{consent}/revoke", _button),
    ("client_tasks", "GET", lambda a: C + "/tasks", None),
    ("client_tasks (add)", "POST", lambda a: C + "/tasks", lambda a: {"title": "Call housing"}),
    ("task_done", "POST", lambda a: "/staff/tasks/{task}/done", _button),
    ("emergency_access", "GET", lambda a: "/staff/emergency-access", None),
    ("emergency_review", "POST", lambda a: "/staff/emergency-access/{access}/review", _button),
]

TABLE: dict[str, tuple[int, ...]] = {
    # route:                  cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "client_index": (200, 200, 200, 200, 200, 200, 403, 403, 403, 302),
    "client_new": (200, 200, 403, 403, 200, 200, 403, 403, 403, 302),
    "client_detail": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "client_edit": (200, 404, 403, 404, 200, 404, 404, 403, 403, 302),
    "client_edit (save)": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "contact_new": (200, 404, 403, 404, 200, 404, 404, 403, 403, 302),
    "contact_create": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "contact_edit": (200, 404, 403, 404, 200, 404, 404, 403, 403, 302),
    "contact_show": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "contact_delete": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "care_team_candidates": (200, 404, 403, 404, 200, 404, 404, 403, 403, 302),
    "care_team_add": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "care_team_remove": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "primary_candidates": (403, 404, 403, 404, 200, 404, 404, 403, 403, 302),
    "primary_reassign": (403, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "client_status": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "client_status (change)": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "client_risk": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "client_access": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "portal_invite": (422, 404, 403, 404, 422, 404, 404, 403, 403, 302),
    "portal_disable": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "consent_create": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "consent_revoke": (303, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "client_tasks": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "client_tasks (add)": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "task_done": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "emergency_access": (200, 200, 200, 200, 200, 200, 403, 403, 403, 302),
    "emergency_review": (403, 403, 403, 403, 303, 303, 403, 403, 403, 302),
}


# The inline pieces of the record page are asked for by htmx (their no-JS fallback is
# tested in test_record.py and test_care_team_picker.py).
INLINE = {"contact_edit", "contact_show", "care_team_candidates", "primary_candidates"}


def _ask(browser, agency, method, path, data, *, htmx=False):
    url = path(agency).format(**agency.ids)
    if method == "GET":
        return url, browser.get(url, headers=HTMX if htmx else None)
    return url, post(browser, url, data(agency), htmx=htmx)


ISSUE_ENDPOINTS = {
    "client_index",
    "client_new",
    "client_detail",
    "client_edit",
    "contact_new",
    "contact_create",
    "contact_edit",
    "contact_show",
    "contact_delete",
    "care_team_candidates",
    "care_team_add",
    "care_team_remove",
    "primary_candidates",
    "primary_reassign",
    "client_status",
    "client_risk",
    "client_access",
    "portal_invite",
    "portal_disable",
    "consent_create",
    "consent_revoke",
    "client_tasks",
    "task_done",
    "emergency_access",
    "emergency_review",
}


def test_the_table_covers_every_route_of_the_client_record(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {f"staff.{name}" for name in ISSUE_ENDPOINTS} <= endpoints
    assert {name.split(" ")[0] for name in TABLE} == ISSUE_ENDPOINTS
    assert [name for name, *_ in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, role):
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers, hidden_content = {}, []
    for name, method, path, data in ROUTES:
        url, response = _ask(
            client, agency, method, path, data, htmx=name in INLINE and role != "anonymous"
        )
        answers[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if response.status_code in (403, 404) and "Olivia Quince" in page(response):
            hidden_content.append(url)
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}
    assert hidden_content == []  # a refusal never shows any of the record


def test_anonymous_htmx_requests_get_401_and_a_redirect_header(client, agency):
    client.csrf = csrf_token(client, "/login")
    for _name, method, path, data in ROUTES:
        url, response = _ask(client, agency, method, path, data, htmx=True)
        assert response.status_code == 401, url
        assert unquote(response.headers["HX-Redirect"]) == f"/login?next={url}", url
        assert response.get_data() == b""


def same_page(one, one_path, other, other_path) -> bool:
    """The two answers are the same page, but for the address itself (the language switcher
    sends you back to it) and the CSRF token, whose timestamp may tick between the two."""
    first = without_csrf(page(one)).replace(one_path, "PATH")
    return first == without_csrf(page(other)).replace(other_path, "PATH")


def test_a_record_one_may_not_see_answers_exactly_as_a_missing_one(client, agency):
    hidden_contact = EmergencyContact(client_id=agency.theirs.id, name="Hal Quill")
    hidden_task = Task(client_id=agency.theirs.id, title="Quill paperwork")
    db.session.add_all([hidden_contact, hidden_task])
    db.session.flush()
    sign_in(client, agency.cm)
    own = agency.own.id
    pairs = [
        (f"/staff/clients/{agency.theirs.id}", "/staff/clients/999999"),
        (f"/staff/clients/{agency.theirs.id}/status", "/staff/clients/999999/status"),
        (
            f"/staff/clients/{agency.theirs.id}/contacts/new",
            "/staff/clients/999999/contacts/new",
        ),
        # another client's contact, asked for under a record one may see
        (
            f"/staff/clients/{own}/contacts/{hidden_contact.id}/edit",
            f"/staff/clients/{own}/contacts/999999/edit",
        ),
        (
            f"/staff/clients/{own}/contacts/{hidden_contact.id}",
            f"/staff/clients/{own}/contacts/999999",
        ),
    ]
    for hidden, missing in pairs:
        seen, absent = client.get(hidden), client.get(missing)
        assert seen.status_code == absent.status_code == 404
        assert same_page(seen, hidden, absent, missing)
        assert "Quill" not in page(seen)
    seen = post(client, f"/staff/tasks/{hidden_task.id}/done")
    absent = post(client, "/staff/tasks/999999/done")
    assert seen.status_code == absent.status_code == 404
    assert same_page(
        seen, f"/staff/tasks/{hidden_task.id}/done", absent, "/staff/tasks/999999/done"
    )
    assert db.session.get(Task, hidden_task.id).status == "open"
    denied = [
        e.client_id
        for e in db.session.query(AuditEvent).filter_by(
            action="access_denied", actor_id=agency.cm.id
        )
    ]
    assert agency.theirs.id in denied


def _detail_with(count: int, cm, person) -> None:
    """Give the record ``count`` emergency contacts, care-team members and timeline events."""
    for n in range(count):
        db.session.add(EmergencyContact(client_id=person.id, name=f"Contact {n}", phone="555-01"))
        add_to_care_team(person, make_user(Role.CARE_TEAM), "nurse")
        audit.record(
            "update",
            actor=make_user(Role.CASE_MANAGER),
            ip=None,
            object_type="client",
            object_id=person.id,
            client_id=person.id,
        )
    db.session.flush()


def test_record_page_query_count_does_not_grow_with_what_it_shows(client, count_queries):
    cm = make_user(Role.CASE_MANAGER)
    one = make_client(primary_case_manager=cm, date_of_birth=date(1990, 1, 1))
    many = make_client(primary_case_manager=cm, date_of_birth=date(1990, 1, 1))
    _detail_with(1, cm, one)
    _detail_with(10, cm, many)
    sign_in(client, cm)
    client.get(f"/staff/clients/{one.id}")  # the first visit may load what later visits reuse
    with count_queries() as few:
        small = page(client.get(f"/staff/clients/{one.id}"))
    with count_queries() as lots:
        large = page(client.get(f"/staff/clients/{many.id}"))
    assert small.count('class="contact"') == 1 and large.count('class="contact"') == 10
    assert len(re.findall(r'<li id="member-\d+"', large)) == 10
    assert large.count("Details changed") == 10
    assert lots.count == few.count
