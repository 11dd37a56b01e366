# ruff: noqa: F811  (the test functions take the imported `agency` fixture)
"""Every page of the client portal and the family view in Spanish, for readers whose
language is Spanish: no heading, button or label left in English."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import utcnow
from portal.services import materials, messages

from ..factories import grant_family_access, make_appointment
from ..staff.conftest import agency  # noqa: F401  (the small agency of the staff tests)
from ..staff.support import page, sign_in

# English a Spanish reader must not meet (the whole text of an element, so that a name
# containing one of these words does not count).
COMMON = ["Home", "Messages", "Account", "Get help now", "Sign out", "Learn"]
CLIENT_PAGES: dict[str, list[str]] = {
    "/client/": ["My next appointment", "My goals", "Your care team", "No new messages."],
    "/client/goals": ["My goals", "Suggest a goal or a step", "Send to my case manager"],
    "/client/appointments": ["My appointments", "Coming up", "My requests", "Add to my calendar"],
    "/client/appointments/request": ["Ask for an appointment", "Send my request"],
    "/client/messages": ["Write to my care team", "Messages are not for emergencies"],
    "/client/messages/new": ["Subject", "Your message", "Send"],
    "/client/check-ins": [],
    "/client/materials": [],
    "/client/family": ["Who can see what", "People you share with", "Share with someone"],
    "/client/safety-plan": [],
    "/account/": ["Your account", "Language and emails", "How your care team can reach you"],
}
FAMILY_PAGES: dict[str, list[str]] = {
    "/family/": ["Shared with you", "Tell the team something"],
    "/family/appointments": ["Appointments", "Add to my calendar"],
    "/family/goals": ["Goals"],
    "/family/materials": [],
    "/family/messages": ["Messages to the care team", "Tell the team something"],
    "/family/messages/new": ["Subject", "Your message", "Send"],
}


def english_left(body: str, phrases: list[str]) -> list[str]:
    return [p for p in phrases if re.search(rf">\s*{re.escape(p)}\s*<", body)]


@pytest.fixture
def shared(agency):
    """Something on every page: an appointment, a conversation, a reading, family access."""
    make_appointment(agency.own, agency.cm, starts_at=utcnow() + timedelta(days=3))
    messages.start_thread(
        agency.own, subject="Pase de autobús", body="¿Me ayudas?", actor=agency.client_user, ip=None
    )
    materials.create(
        {
            "title": "Entender la preocupación",
            "summary": None,
            "body": "Llama al 988.",
            "topic": "condition",
            "audience": "both",
            "general": True,
        },
        locale="es",
        actor=agency.admin,
        ip=None,
    )
    grant_family_access(agency.own, agency.family, scopes=("appointments", "materials"))
    agency.client_user.locale = "es"
    agency.family.locale = "es"
    db.session.flush()


def visit(client, pages: dict[str, list[str]]) -> dict[str, list[str]]:
    left = {}
    for path, phrases in pages.items():
        response = client.get(path)
        assert response.status_code == 200, path
        body = page(response)
        assert '<html lang="es"' in body, path
        found = english_left(body, [*COMMON, *phrases])
        if found:
            left[path] = found
    return left


def test_every_client_page_is_in_spanish(client, agency, shared):
    sign_in(client, agency.client_user)
    assert visit(client, CLIENT_PAGES) == {}


def test_every_family_page_is_in_spanish(client, agency, shared):
    sign_in(client, agency.family)
    assert visit(client, FAMILY_PAGES) == {}
