"""The staff calendar keeps to a budget of SQL statements, everything included (the signed-in
user, the staff chooser, the queue of requests, the appointments waiting for an outcome, the
audit write of the view), and spends the same on one client as on twenty-five: in the week,
day and list views, on one's own calendar and on someone else's, as a page and as the
calendar alone (htmx)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from portal.extensions import db
from portal.i18n import agency_zone
from portal.models import Client, User, utcnow

from ..factories import make_appointment, make_appointment_request, make_client
from .support import HTMX, page, sign_in

BUDGET = 12
MONDAY = date(2030, 3, 4)


def _clients(cm: User, requester: User, n: int) -> list[Client]:
    """n clients of ``cm``, each with an appointment on the Monday shown, an open request and
    a past appointment still waiting for its outcome."""
    made = []
    for i in range(n):
        person = make_client(primary_case_manager=cm)
        start = datetime.combine(MONDAY, time(8 + i % 10), tzinfo=agency_zone()).astimezone(UTC)
        make_appointment(person, cm, starts_at=start, minutes=20)
        make_appointment(person, cm, starts_at=utcnow() - timedelta(days=1 + i))
        make_appointment_request(person, requested_by_id=requester.id)
        made.append(person)
    db.session.flush()
    return made


def _shown(body: str, view: str) -> int:
    """How many appointments the calendar shows."""
    if view == "list":
        return body.count("<tr>") - 1  # the header row
    return body.count('class="appt__time"')


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize("view", ["week", "day", "list"])
@pytest.mark.parametrize("who", ["cm", "supervisor", "cm_other"])
def test_the_calendar_keeps_to_the_budget_whatever_it_shows(
    client, agency, count_queries, who, view, htmx
):
    """Casey's calendar, seen by Casey, by Sam (her supervisor) and by Cleo, who sees
    Casey's clients as "busy"."""
    _clients(agency.cm, agency.client_user, 1)
    sign_in(client, getattr(agency, who))
    url = f"/staff/appointments?view={view}&date={MONDAY.isoformat()}&staff={agency.cm.id}"
    headers = HTMX if htmx else None
    client.get(url, headers=headers)  # warm up
    with count_queries() as one:
        assert client.get(url, headers=headers).status_code == 200
    _clients(agency.cm, agency.client_user, 24)
    with count_queries() as many:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    assert _shown(page(response), view) == 25
    assert many.count == one.count, many.statements
    assert many.count <= BUDGET, many.statements
