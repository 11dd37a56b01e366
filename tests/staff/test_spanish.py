"""Every page of the client record in Spanish, for a staff member whose language is Spanish."""

from __future__ import annotations

import re

import pytest

from portal.extensions import db
from portal.models import Client

from .support import HTMX, page, post, sign_in

# English a Spanish reader must not meet, page by page (whole text of an element only, so a
# name or an address that happens to contain these words does not count).
COMMON = ["Dashboard", "Clients", "Account", "Get help now", "Sign out"]
RECORD_TABS = ["Overview", "Status and risk", "Tasks", "Portal and family access"]
PAGES: dict[str, list[str]] = {
    "/staff/": [
        "My caseload",
        "High risk",
        "My tasks",
        "Recently viewed",
        "My recent activity",
        "Emergency access",
        "Active",
        "Referred",
    ],
    "/staff/clients": [
        "New referral",
        "Search",
        "Show",
        "Status",
        "Sort by",
        "Apply",
        "All I can see",
        "On my caseload",
        "My care teams",
        "Newest first",
        "Case manager",
        "Any",
    ],
    "/staff/clients/new": [
        "New referral",
        "Legal name",
        "Preferred name",
        "Pronouns",
        "Date of birth",
        "Preferred language",
        "Phone",
        "Address",
        "How referred",
        "Presenting needs",
        "Start as",
        "Create the record",
    ],
    "{record}": [
        *RECORD_TABS,
        "Details",
        "Edit details",
        "Emergency contacts",
        "Care team",
        "Primary case manager",
        "Add an emergency contact",
        "Open the form",
        "Add to care team",
        "Find a staff member",
        "Find",
        "Type part of a name.",
        "Activity",
        "Legal name",
        "Date of birth",
    ],
    "{record}/edit": [*RECORD_TABS, "Edit details", "Save", "Cancel", "Legal name", "Phone"],
    "{record}/status": [
        *RECORD_TABS,
        "Change status",
        "New status",
        "Reason",
        "Risk flag",
        "Save risk level",
        "Risk history",
        "Status history",
        "Episodes of care",
        "Who to call in a crisis",
    ],
    "{record}/access": [
        *RECORD_TABS,
        "Client portal",
        "Family access",
        "Record a new consent",
        "Record consent",
        "Send a new invitation",
        "Turn off portal account",
        "Education materials",
        "Appointments",
    ],
    "{record}/tasks": [*RECORD_TABS, "Add task", "Task", "Due"],
    "/staff/emergency-access": [
        "Emergency access",
        "Record number",
        "Legal name",
        "Why you need this record now",
        "Open the record",
    ],
}
FRAGMENTS: dict[str, list[str]] = {
    "/staff/clients?q=o": ["Name", "Pronouns", "Age", "Status", "Risk", "Case manager", "Active"],
    "{record}/contacts/{contact}/edit": ["Name", "Relationship", "Phone", "Save contact", "Cancel"],
    "{record}/contacts/{contact}": [],
    "{record}/care-team/candidates?staff_q=o": [
        "Staff member",
        "Role on the team",
        "Psychiatrist",
        "Add to care team",
    ],
}


def english_left(body: str, phrases: list[str]) -> list[str]:
    return [p for p in phrases if re.search(rf">\s*{re.escape(p)}\s*<", body)]


@pytest.fixture
def spanish_cm(client, agency):
    agency.cm.locale = "es"
    agency.supervisor.locale = "es"
    db.session.flush()
    sign_in(client, agency.supervisor)  # sees every control of the record
    return client


def expand(path: str, agency) -> str:
    return path.format(record=f"/staff/clients/{agency.own.id}", contact=agency.ids["contact"])


def test_every_page_of_the_client_record_is_in_spanish(spanish_cm, agency):
    left = {}
    for path, phrases in PAGES.items():
        response = spanish_cm.get(expand(path, agency))
        assert response.status_code == 200, path
        body = page(response)
        assert '<html lang="es"' in body, path
        found = english_left(body, [*COMMON, *phrases])
        if found:
            left[path] = found
    assert left == {}


def test_htmx_fragments_are_in_spanish(spanish_cm, agency):
    left = {}
    for path, phrases in FRAGMENTS.items():
        response = spanish_cm.get(expand(path, agency), headers=HTMX)
        assert response.status_code == 200, path
        body = page(response)
        assert "<html" not in body
        found = english_left(body, [*phrases, "Edit Ana Quince", "Remove Ana Quince"])
        if found:
            left[path] = found
    assert left == {}


def test_refusals_are_explained_in_spanish(spanish_cm, agency):
    record = f"/staff/clients/{agency.own.id}"
    messages = {
        "intake": post(spanish_cm, "/staff/clients/new", {"legal_name": "", "email": "x"}),
        "status": post(
            spanish_cm, record + "/status", {"to_status": "referred", "effective_on": "2030-01-01"}
        ),
        "emergency": post(
            spanish_cm, "/staff/emergency-access", {"record_number": "WP-1", "reason": "x"}
        ),
        "consent": post(spanish_cm, record + "/family", {"family_email": agency.cm.email}),
    }
    english = [
        "Enter the legal name.",
        "Enter an email address like name@example.org.",
        "That change of status is not possible from here.",
        "Say a little more (at least 10 characters).",
        "Enter the family member's name.",
        "There is a problem",
    ]
    left = {}
    for name, response in messages.items():
        assert response.status_code == 422, name
        found = [e for e in english if e in page(response)]
        if found:
            left[name] = found
    assert left == {}
    assert db.session.get(Client, agency.own.id).status == "active"


def test_the_phrases_looked_for_are_there_in_english(client, agency):
    """The check above can fail: in English, every phrase it looks for is on its page."""
    sign_in(client, agency.supervisor)
    missing = {}
    for path, phrases in [*PAGES.items(), *FRAGMENTS.items()]:
        headers = HTMX if path in FRAGMENTS else None
        body = page(client.get(expand(path, agency), headers=headers))
        absent = sorted(set(phrases) - set(english_left(body, phrases)))
        if absent:
            missing[path] = absent
    assert missing == {}
