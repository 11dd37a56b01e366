"""Emergency access ("break the glass"): a reason, an exact match, an hour, and a review."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import EmergencyAccess

from .support import events, field_error, page, post, sign_in

T0 = datetime(2031, 5, 6, 14, 0, tzinfo=UTC)
REASON = "Client in crisis at the front desk, case manager away"
NO_MATCH = "No single record matches."
URL = "/staff/emergency-access"


@pytest.fixture
def app_config():
    # The hour of access is what is tested here, not the 15-minute idle sign-out.
    return {"IDLE_TIMEOUT_STAFF": 3 * 60 * 60}


def grants_for(user) -> list[EmergencyAccess]:
    return list(
        db.session.scalars(select(EmergencyAccess).where(EmergencyAccess.user_id == user.id))
    )


def test_emergency_access_needs_a_real_reason(client, agency):
    sign_in(client, agency.not_team)
    for reason, message in [
        ("", "Say why you need the record."),
        ("urgent", "Say a little more (at least 10 characters)."),
    ]:
        refused = post(client, URL, {"record_number": "WP-000501", "reason": reason})
        assert refused.status_code == 422
        body = page(refused)
        assert field_error(body, "reason") == message
        assert "Olive" not in body
    assert grants_for(agency.not_team) == [] and events("emergency_access") == []
    assert client.get(f"/staff/clients/{agency.own.id}").status_code == 404


def test_emergency_access_opens_the_record_for_an_hour_with_a_banner(client, agency):
    record = f"/staff/clients/{agency.own.id}"
    with time_machine.travel(T0, tick=False) as clock:
        sign_in(client, agency.not_team)
        assert client.get(record).status_code == 404
        granted = post(client, URL, {"record_number": "wp-000501", "reason": REASON})
        assert granted.status_code == 303 and granted.headers["Location"] == record
        opened = client.get(record)
        assert opened.status_code == 200
        body = page(opened)
        assert "Emergency access until" in body and REASON in body and "Olivia Quince" in body
        assert "Emergency access until" in page(client.get(record + "/status"))
        [access] = grants_for(agency.not_team)
        assert access.client_id == agency.own.id and access.reason == REASON
        assert access.expires_at == T0 + timedelta(minutes=60)
        [event] = events("emergency_access")
        assert (event.actor_id, event.client_id) == (agency.not_team.id, agency.own.id)

        clock.move_to(T0 + timedelta(minutes=59))
        assert client.get(record).status_code == 200
        clock.move_to(T0 + timedelta(minutes=61))
        assert client.get(record).status_code == 404
        assert client.get(record + "/tasks").status_code == 404


def test_partial_matches_find_nothing_and_reveal_nothing(client, agency):
    sign_in(client, agency.not_team)
    for attempt in [
        {"legal_name": "Olivia Quince"},  # a name alone
        {"legal_name": "Olivia", "date_of_birth": "1988-04-12"},  # part of a name
        {"legal_name": "Olivia Quince", "date_of_birth": "1988-04-13"},  # another birthday
        {"record_number": "WP-000599"},  # a wrong number
        {"record_number": "WP-0005"},  # part of a number
        {"record_number": "000501"},
    ]:
        refused = post(client, URL, {**attempt, "reason": REASON})
        assert refused.status_code == 422, attempt
        body = page(refused)
        assert NO_MATCH in body
        assert "Olive" not in body.replace(attempt.get("legal_name", "-"), "")
        assert "WP-000501" not in body and "Casey" not in body
    assert grants_for(agency.not_team) == [] and events("emergency_access") == []
    assert client.get(f"/staff/clients/{agency.own.id}").status_code == 404

    # The whole legal name in another case and with accents (as a keyboard may give it).
    exact = {"legal_name": "ÓLIVIA QUÍNCE", "date_of_birth": "1988-04-12", "reason": REASON}
    assert post(client, URL, exact).status_code == 303
    assert client.get(f"/staff/clients/{agency.own.id}").status_code == 200


def test_supervisors_review_emergency_access_and_others_may_not(make_client, agency):
    nurse = sign_in(make_client(), agency.not_team)
    assert post(nurse, URL, {"record_number": "WP-000502", "reason": REASON}).status_code == 303
    [access] = grants_for(agency.not_team)

    for outsider in (agency.admin, agency.client_user, agency.family):
        browser = sign_in(make_client(), outsider)
        assert browser.get(URL).status_code == 403
        assert (
            post(browser, URL, {"record_number": "WP-000502", "reason": REASON}).status_code == 403
        )
        assert post(browser, f"{URL}/{access.id}/review").status_code == 403

    cm = sign_in(make_client(), agency.cm)
    assert "Emergency access to review" not in page(cm.get(URL))
    assert post(cm, f"{URL}/{access.id}/review").status_code == 403

    supervisor = sign_in(make_client(), agency.supervisor)
    queue = page(supervisor.get(URL))
    row = queue[queue.index(f'id="access-{access.id}"') :]
    row = row[: row.index("</tr>")]
    assert "Nico Nurse" in row and REASON in row and "WP-000502" in row and "Mark reviewed" in row
    reviewed = post(supervisor, f"{URL}/{access.id}/review")
    assert reviewed.status_code == 303 and reviewed.headers["Location"] == URL
    queue = page(supervisor.get(URL))
    row = queue[queue.index(f'id="access-{access.id}"') :]
    assert "Reviewed by Sam Supervisor" in row[: row.index("</tr>")]
    db.session.refresh(access)
    assert access.reviewed_by_id == agency.supervisor.id and access.reviewed_at is not None
    [event] = events("emergency_review")
    assert (event.actor_id, event.client_id, event.object_id) == (
        agency.supervisor.id,
        agency.theirs.id,
        str(access.id),
    )
    assert post(supervisor, f"{URL}/999999/review").status_code == 404
