"""Check-ins on the staff side: the panel on the assessments page, assigning once or on a
schedule, stopping, who may do either, self-reported answers marked in the record and the
trend, and the dashboard's "answers that need you" (the service and its partial)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import render_template
from sqlalchemy import func, select

from portal.extensions import db
from portal.i18n import agency_today
from portal.models import Assessment, AuditEvent, CheckIn, Client, Role, utcnow
from portal.services import assessments, check_ins
from portal.services.errors import DomainError

from ..factories import make_client, make_user
from .support import ROLES, field_error, page, post, section, sign_in, sign_in_as


def base(client: Client) -> str:
    return f"/staff/clients/{client.id}/check-ins"


def assessments_page(client: Client) -> str:
    return f"/staff/clients/{client.id}/assessments"


def answers(values: list[int]) -> dict[str, int]:
    return {f"q{n}": value for n, value in enumerate(values, start=1)}


def assign(client: Client, actor: Any, code: str = "phq9", every: int | None = None) -> CheckIn:
    return check_ins.assign(client, code, every, agency_today(), actor=actor, ip=None)


def all_check_ins(client: Client) -> list[CheckIn]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(CheckIn).where(CheckIn.client_id == client.id).order_by(CheckIn.id)
        )
    )


def self_report(check_in: CheckIn, user: Any, values: list[int]) -> Assessment:
    assessment, _result = check_ins.complete(
        check_in, answers(values), actor=user, ip=None, today=agency_today()
    )
    return assessment


def assignment(**fields: str) -> dict[str, str]:
    data = {"instrument": "phq9", "schedule": "once", "first_due": agency_today().isoformat()}
    data.update(fields)
    return data


# ---- Who may use which route -----------------------------------------------------------

ROUTES: list[tuple[str, str]] = [
    ("check_in_assign", ""),
    ("check_in_stop", "/{check_in}/stop"),
]
TABLE: dict[str, tuple[int, ...]] = {
    # route:             cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "check_in_assign": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "check_in_stop": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
}


def test_the_table_covers_every_staff_check_in_route(app):
    endpoints = {e.endpoint for e in app.url_map.iter_rules()}
    assert {e for e in endpoints if e.startswith("staff.check_in")} == {
        f"staff.{name}" for name in TABLE
    }
    assert [name for name, _ in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, role):
    existing = assign(agency.own, agency.cm, "gad7")
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    seen = {}
    for name, tail in ROUTES:
        url = base(agency.own) + tail.format(check_in=existing.id)
        response = post(client, url, assignment())
        seen[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if response.status_code in (403, 404):
            assert "Olivia Quince" not in page(response)
    assert seen == {name: statuses[column] for name, statuses in TABLE.items()}
    rows = all_check_ins(agency.own)
    allowed = TABLE["check_in_assign"][column] == 303
    assert len(rows) == (2 if allowed else 1)
    assert rows[0].active is not allowed  # stopped only by those allowed


@pytest.mark.parametrize("role", ["cm", "team", "supervisor", "not_team", "admin"])
def test_the_panel_is_on_the_assessments_page_for_whoever_sees_the_record(client, agency, role):
    assign(agency.own, agency.cm)
    sign_in(client, getattr(agency, role))
    response = client.get(assessments_page(agency.own))
    if role in ("not_team", "admin"):
        assert response.status_code == 404
        return
    body = page(response)
    panel = section(body, "check-ins-title")
    assert "Check-ins in the portal" in panel
    assert "PHQ-9 (depression)" in panel and "Once" in panel
    assert f'action="{base(agency.own)}"' in panel
    assert 'name="first_due"' in panel and f'value="{agency_today().isoformat()}"' in panel
    for value in ("once", "7", "14", "28", "30"):
        assert f'value="{value}"' in panel
    assert "Every 14 days" in panel


def test_another_clients_check_in_answers_as_a_missing_one(client, agency):
    theirs = assign(agency.theirs, agency.cm_other)
    sign_in(client, agency.cm)
    response = post(client, f"{base(agency.own)}/{theirs.id}/stop")
    assert response.status_code == 404
    assert post(client, f"{base(agency.own)}/999999/stop").status_code == 404
    assert all_check_ins(agency.theirs)[0].active is True


# ---- Assigning and stopping --------------------------------------------------------------


def test_assign_once_and_every_14_days(client, agency):
    sign_in(client, agency.cm)
    response = post(client, base(agency.own), assignment())
    assert response.status_code == 303
    assert response.headers["Location"] == f"{assessments_page(agency.own)}#check-ins-title"
    due = agency_today() + timedelta(days=3)
    response = post(
        client,
        base(agency.own),
        assignment(instrument="gad7", schedule="14", first_due=due.isoformat()),
    )
    assert response.status_code == 303
    once, every = all_check_ins(agency.own)
    assert (once.instrument_code, once.every_days, once.due_on) == ("phq9", None, agency_today())
    assert (every.instrument_code, every.every_days, every.due_on) == ("gad7", 14, due)
    assert once.active and every.active
    assert once.assigned_by_id == agency.cm.id

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "check_in").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.object_id, e.client_id) for e in events] == [
        ("create", str(once.id), agency.own.id),
        ("create", str(every.id), agency.own.id),
    ]
    assert events[1].detail.startswith("gad7 every 14 days")

    body = page(client.get(response.headers["Location"]))
    panel = section(body, "check-ins-title")
    assert re.search(rf'id="check-in-{every.id}">.*?Every 14 days', panel, re.S)
    assert "Not yet" in panel


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"first_due": ""}, "first_due", "Enter a date."),
        ({"first_due": "2001-01-01"}, "first_due", "The first one cannot be due before today."),
        ({"schedule": "3"}, "schedule", "Not a valid choice."),
        ({"instrument": "cssrs"}, "instrument", "Not a valid choice."),
    ],
)
def test_a_refused_assignment_shows_the_error_at_the_field_and_keeps_the_rest(
    client, agency, fields, field, message
):
    sign_in(client, agency.cm)
    data = assignment(**{"instrument": "gad7", "schedule": "28", **fields})
    response = post(client, base(agency.own), data)
    assert response.status_code == 422
    body = page(response)
    assert message in field_error(body, field)
    assert 'id="error-summary"' in body
    if field != "schedule":
        assert re.search(r'<option selected value="28">|<option value="28" selected>', body)
    assert all_check_ins(agency.own) == []


def test_the_same_instrument_twice_is_refused_until_stopped(client, agency):
    sign_in(client, agency.cm)
    assert post(client, base(agency.own), assignment()).status_code == 303
    response = post(client, base(agency.own), assignment(schedule="7"))
    assert response.status_code == 422
    assert "already assigned" in field_error(page(response), "instrument")
    [first] = all_check_ins(agency.own)
    assert post(client, f"{base(agency.own)}/{first.id}/stop").status_code == 303
    assert post(client, base(agency.own), assignment(schedule="7")).status_code == 303
    stopped, again = all_check_ins(agency.own)
    assert (stopped.active, again.active, again.every_days) == (False, True, 7)
    stop_event = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "check_in", AuditEvent.action == "update"
        )
    ).one()
    assert stop_event.detail == "stopped" and stop_event.object_id == str(first.id)


def test_the_service_refuses_unknown_instruments_and_schedules(app, agency):
    with pytest.raises(DomainError):
        check_ins.assign(agency.own, "cssrs", None, agency_today(), actor=agency.cm, ip=None)
    with pytest.raises(DomainError):
        check_ins.assign(agency.own, "phq9", 3, agency_today(), actor=agency.cm, ip=None)


def test_the_panel_shows_last_done_with_a_link_and_stopped_ones(client, agency):
    done = assign(agency.own, agency.cm, "phq9", every=28)
    answered = self_report(done, agency.client_user, [1] * 9)
    stopped = assign(agency.own, agency.cm, "gad7")
    check_ins.stop(stopped, actor=agency.cm, ip=None)
    sign_in(client, agency.cm)
    panel = section(page(client.get(assessments_page(agency.own))), "check-ins-title")
    row = panel[panel.index(f'id="check-in-{done.id}"') :]
    row = row[: row.index("</tr>")]
    assert "Every 28 days" in row
    assert f'href="{assessments_page(agency.own)}/{answered.id}"' in row
    assert f"/{done.id}/stop" in row
    stopped_row = panel[panel.index(f'id="check-in-{stopped.id}"') :]
    stopped_row = stopped_row[: stopped_row.index("</tr>")]
    assert "Stopped" in stopped_row and "/stop" not in stopped_row


# ---- Self-reported answers in the record and the trend --------------------------------


def test_self_reported_results_are_marked_in_the_list_detail_and_trend(client, agency):
    staff_made, _ = assessments.record(
        agency.own,
        assessments.instruments()["phq9"],
        answers([2, 2, 2, 2, 0, 0, 0, 0, 0]),
        {},
        actor=agency.cm,
        ip=None,
        today=agency_today(),
    )
    staff_made.administered_at = utcnow() - timedelta(days=7)
    mine = self_report(assign(agency.own, agency.cm), agency.client_user, [1] * 8 + [0])
    sign_in(client, agency.team)

    listing = page(client.get(assessments_page(agency.own)))
    row = re.search(rf'<tr id="assessment-{mine.id}">.*?</tr>', listing, re.S).group(0)
    assert "Self-reported" in row
    other = re.search(rf'<tr id="assessment-{staff_made.id}">.*?</tr>', listing, re.S).group(0)
    assert "Self-reported" not in other

    detail = page(client.get(f"{assessments_page(agency.own)}/{mine.id}"))
    assert 'id="self-report"' in detail and "Olive Portal" in detail
    staff_detail = page(client.get(f"{assessments_page(agency.own)}/{staff_made.id}"))
    assert 'id="self-report"' not in staff_detail

    trend = page(client.get(f"{assessments_page(agency.own)}/trend/phq9"))
    table = re.search(r'<table class="table" id="trend-data">.*?</table>', trend, re.S).group(0)
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"num\">(\d+)</td>", table)
    assert [(("Self-reported" in when), int(total)) for when, total in rows] == [
        (False, 8),
        (True, 8),
    ]
    assert 'id="self-report-note"' in trend
    assert trend.count("<circle ") == 2


# ---- The dashboard: check-in answers that need you ------------------------------------


def test_critical_recent_lists_self_reported_critical_answers_of_the_last_14_days(
    app, agency, count_queries
):
    other = make_client(legal_name="Ursula Unseen", primary_case_manager=agency.cm_other)
    old = self_report(assign(agency.own, agency.cm, "phq9"), agency.client_user, [0] * 8 + [2])
    old.administered_at = utcnow() - timedelta(days=15)
    calm = self_report(assign(agency.own, agency.cm, "gad7"), agency.client_user, [1] * 7)
    staff_made, _ = assessments.record(
        agency.own,
        assessments.instruments()["phq9"],
        answers([0] * 8 + [1]),
        {},
        actor=agency.cm,
        ip=None,
        today=agency_today(),
    )
    first = self_report(assign(agency.own, agency.cm, "phq9"), agency.client_user, [0] * 8 + [1])
    first.administered_at = utcnow() - timedelta(days=2)
    newest = self_report(assign(agency.own, agency.cm, "phq9"), agency.client_user, [1] * 9)
    hidden = assessments.record(
        other,
        assessments.instruments()["phq9"],
        answers([0] * 8 + [3]),
        {},
        actor=agency.cm_other,
        ip=None,
        today=agency_today(),
        self_report=True,
    )[0]
    db.session.commit()
    db.session.expire_all()

    mine = select(Client.id).where(Client.primary_case_manager_id == agency.cm.id)
    with count_queries() as queries:
        found = check_ins.critical_recent(mine, utcnow() - timedelta(days=14))
        names = [entry.client.display_name for entry in found]
    assert queries.count == 1
    assert [entry.id for entry in found] == [newest.id, first.id]
    assert names == ["Olive", "Olive"]
    for excluded in (old, calm, staff_made, hidden):
        assert excluded.id not in [entry.id for entry in found]
    # A list of ids works too, and the default window is 14 days.
    both = check_ins.critical_recent([agency.own.id, other.id])
    assert [entry.id for entry in both] == [hidden.id, newest.id, first.id]


def test_the_dashboard_partial_links_each_answer_to_its_detail(app, agency):
    answered = self_report(assign(agency.own, agency.cm), agency.client_user, [0] * 8 + [1])
    found = check_ins.critical_recent([agency.own.id])
    with app.test_request_context("/staff/"):
        html = render_template("staff/check_ins/_dashboard.html", critical_check_ins=found)
        empty = render_template("staff/check_ins/_dashboard.html", critical_check_ins=[])
    assert "Check-in answers that need you" in html
    assert f'href="/staff/clients/{agency.own.id}/assessments/{answered.id}"' in html
    assert "Olive" in html and "PHQ-9 (depression)" in html and "Self-reported" in html
    assert "No critical answers in check-ins in the last 14 days." in empty


def test_a_critical_check_in_alerts_the_case_manager_on_the_record(client, agency):
    """The alert is the assessment service's: the flag and a task for the primary case manager."""
    self_report(assign(agency.own, agency.cm), agency.client_user, [0] * 8 + [1])
    assert db.session.get(Client, agency.own.id).risk_level == "moderate"
    sign_in(client, agency.cm)
    tasks = page(client.get("/staff/tasks"))
    assert "Review the critical answer on PHQ-9 (depression)" in tasks
    count = db.session.scalar(select(func.count(Assessment.id)).where(Assessment.self_report))
    assert count == 1


def test_a_case_manager_from_another_team_is_not_alerted(app, agency):
    self_report(assign(agency.own, agency.cm), agency.client_user, [0] * 8 + [1])
    theirs = select(Client.id).where(Client.primary_case_manager_id == agency.cm_other.id)
    assert check_ins.critical_recent(theirs) == []
    when = datetime.now(UTC) + timedelta(days=1)
    assert check_ins.critical_recent([agency.own.id], since=when) == []
    newcomer = make_user(Role.CASE_MANAGER)
    nobody = select(Client.id).where(Client.primary_case_manager_id == newcomer.id)
    assert check_ins.critical_recent(nobody) == []
