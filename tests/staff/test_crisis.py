"""Crisis events: recording one raises the flag and gives the case manager a follow-up;
resolving it closes both; the supervisor's crisis log and risk review; who may do what."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from flask_babel import format_date
from sqlalchemy import func, select

from portal import i18n
from portal.extensions import db
from portal.models import Client, CrisisEvent, RiskChange, Role, SafetyPlanVersion, Task, utcnow
from portal.services import assessments, clients, crisis, safety_plans

from ..factories import make_client, make_user
from ..helpers import csrf_token
from .support import HTMX, ROLES, field_error, field_value, page, post, section, sign_in, sign_in_as

REVIEW_REASON = "Crisis recorded: review needed."
T = TypeVar("T")


def fetch(model: type[T], ident: Any) -> T:
    """A row as stored now (the test's session forgets what requests changed)."""
    row = db.session.get(model, ident)
    assert row is not None
    return row


def crisis_url(client: Client, tail: str = "") -> str:
    return f"/staff/clients/{client.id}/crisis{tail}"


def local_text(moment: datetime) -> str:
    """A moment as the form's "When" field takes it: agency time, to the minute."""
    return moment.astimezone(i18n.agency_zone()).strftime("%Y-%m-%dT%H:%M")


def crisis_form(**changes: Any) -> dict[str, Any]:
    """What a case manager types into the quick crisis form."""
    data: dict[str, Any] = {
        "occurred_at": local_text(utcnow() - timedelta(hours=1)),
        "what_happened": "Called in distress after an eviction notice",
        "risk_level": "moderate",
        "risk_notes": "Passive thoughts, no plan",
        "actions": ["safety_planning", "called_988"],
        "actions_other": "",
        "outcome": "safe_at_home",
        "outcome_notes": "Sister is staying tonight",
        "follow_up_due": "",
    }
    data.update(changes)
    return data


def agency_moment(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time at the agency, as the aware UTC moment the app stores."""
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=i18n.agency_zone())
    return local.astimezone(UTC)


def record(client: Client, actor: Any, when: datetime | None = None, **data: Any) -> CrisisEvent:
    """A crisis recorded through the service (for the pages that list them)."""
    values = {
        "what_happened": "Crisis call",
        "risk_level": "moderate",
        "outcome": "safe_at_home",
        "occurred_at": when or utcnow() - timedelta(hours=2),
        **data,
    }
    event = crisis.record(client, values, actor=actor, ip=None, today=i18n.agency_today())
    db.session.commit()
    return event


def only_event(client: Client) -> CrisisEvent:
    return db.session.scalars(select(CrisisEvent).where(CrisisEvent.client_id == client.id)).one()


def risk_changes(client: Client) -> list[RiskChange]:
    return list(
        db.session.scalars(
            select(RiskChange).where(RiskChange.client_id == client.id).order_by(RiskChange.id)
        )
    )


# ---- Recording a crisis raises the flag ---------------------------------------------------


def test_recording_a_crisis_raises_a_low_flag_to_moderate_for_review(client, agency):
    assert agency.own.risk_level == "low"
    sign_in(client, agency.cm)
    response = post(client, crisis_url(agency.own, "/new"), crisis_form(risk_level="low"))
    assert response.status_code == 303
    event = only_event(agency.own)
    assert response.headers["Location"] == crisis_url(agency.own, f"/{event.id}")
    person = fetch(Client, agency.own.id)
    assert person.risk_level == "moderate"
    assert person.risk_reason == REVIEW_REASON
    assert person.risk_set_by_id == agency.cm.id
    [change] = risk_changes(agency.own)
    assert (change.level, change.reason, change.set_by_id) == (
        "moderate",
        REVIEW_REASON,
        agency.cm.id,
    )
    # What was typed is what was stored; the agency's wall clock becomes a UTC moment.
    assert event.what_happened == "Called in distress after an eviction notice"
    assert event.risk_level == "low" and event.risk_notes == "Passive thoughts, no plan"
    assert event.actions == ["safety_planning", "called_988"]
    assert event.outcome == "safe_at_home" and event.outcome_notes == "Sister is staying tonight"
    assert event.status == "open" and event.created_by_id == agency.cm.id
    assert local_text(event.occurred_at) == crisis_form()["occurred_at"]
    detail = page(client.get(response.headers["Location"]))
    assert "Crisis recorded. The risk flag is raised for review" in detail
    assert "Called in distress after an eviction notice" in detail


@pytest.mark.parametrize("before", ["low", "moderate"])
def test_a_crisis_assessed_high_raises_the_flag_to_high(client, agency, before):
    if before != "low":
        clients.set_risk(agency.own, before, "Missed appointments", actor=agency.cm, ip=None)
    sign_in(client, agency.cm)
    assert (
        post(client, crisis_url(agency.own, "/new"), crisis_form(risk_level="high")).status_code
        == 303
    )
    person = fetch(Client, agency.own.id)
    assert (person.risk_level, person.risk_reason) == ("high", REVIEW_REASON)


@pytest.mark.parametrize(
    ("before", "assessed"),
    [("high", "low"), ("high", "moderate"), ("moderate", "low"), ("moderate", "moderate")],
)
def test_recording_a_crisis_never_lowers_the_flag(client, agency, before, assessed):
    clients.set_risk(agency.own, before, "Set at intake", actor=agency.cm, ip=None)
    sign_in(client, agency.cm)
    response = post(client, crisis_url(agency.own, "/new"), crisis_form(risk_level=assessed))
    assert response.status_code == 303
    person = fetch(Client, agency.own.id)
    assert (person.risk_level, person.risk_reason) == (before, "Set at intake")
    assert [c.reason for c in risk_changes(agency.own)] == ["Set at intake"]  # nothing new


def test_the_follow_up_task_goes_to_the_primary_case_manager_due_tomorrow(client, agency):
    sign_in(client, agency.team)  # the psychiatrist records it; Casey follows up
    assert post(client, crisis_url(agency.own, "/new"), crisis_form()).status_code == 303
    event = only_event(agency.own)
    task = fetch(Task, event.follow_up_task_id)
    assert task is not None
    assert task.client_id == agency.own.id and task.kind == "follow_up"
    assert task.assignee_id == agency.cm.id and task.status == "open"
    assert task.due_on == i18n.agency_today() + timedelta(days=1) == event.follow_up_due
    assert task.title.startswith("Follow up after the crisis of")
    assert event.created_by_id == agency.team.id


def test_a_chosen_follow_up_date_is_the_tasks_due_date(client, agency):
    due = i18n.agency_today() + timedelta(days=3)
    sign_in(client, agency.cm)
    form = crisis_form(follow_up_due=due.isoformat())
    assert post(client, crisis_url(agency.own, "/new"), form).status_code == 303
    event = only_event(agency.own)
    assert event.follow_up_due == due
    assert fetch(Task, event.follow_up_task_id).due_on == due


def test_the_follow_up_title_names_the_agency_day_of_the_crisis(agency):
    # 10 pm in Chicago is already the next day in UTC: the task names the day the agency lived.
    late = agency_moment(date(2024, 3, 5), 22, 30)
    event = record(agency.own, agency.cm, when=late)
    task = fetch(Task, event.follow_up_task_id)
    assert task.title == "Follow up after the crisis of 2024-03-05"


def test_without_a_primary_case_manager_the_follow_up_goes_to_whoever_recorded_it(client, agency):
    agency.own.primary_case_manager = None
    db.session.commit()
    sign_in(client, agency.team)
    assert post(client, crisis_url(agency.own, "/new"), crisis_form()).status_code == 303
    task = fetch(Task, only_event(agency.own).follow_up_task_id)
    assert task.assignee_id == agency.team.id


def dashboard_crises(browser, user) -> str:
    sign_in(browser, user)
    return section(page(browser.get("/staff/")), "crises-title")


def test_an_open_crisis_is_on_the_dashboard_of_the_case_manager_and_their_supervisor(
    make_client, agency
):
    event = record(agency.own, agency.team)
    for user in (agency.cm, agency.supervisor, agency.team):
        panel = dashboard_crises(make_client(), user)
        assert f'id="crisis-{event.id}"' in panel, user.display_name
        assert "Olive" in panel
    for user in (agency.other_supervisor, agency.cm_other):
        panel = dashboard_crises(make_client(), user)
        assert f'id="crisis-{event.id}"' not in panel, user.display_name
        assert "No open crises." in panel


# ---- Resolving ----------------------------------------------------------------------------


def test_resolving_records_who_when_and_how_and_completes_the_follow_up(make_client, agency):
    event = record(agency.own, agency.cm)
    task_id = event.follow_up_task_id
    supervisor = sign_in(make_client(), agency.supervisor)
    url = crisis_url(agency.own, f"/{event.id}")
    assert "Resolve the crisis" in page(supervisor.get(url))
    before = utcnow()
    response = post(supervisor, url, {"resolution": "Seen next day; safety plan updated"})
    assert response.status_code == 303 and response.headers["Location"] == url
    event = fetch(CrisisEvent, event.id)
    assert event.status == "resolved" and not event.is_open
    assert event.resolved_by_id == agency.supervisor.id
    assert event.resolved_at is not None
    assert before - timedelta(seconds=1) <= event.resolved_at <= utcnow()
    assert event.resolution == "Seen next day; safety plan updated"
    task = fetch(Task, task_id)
    assert task.status == "done" and task.completed_at is not None
    body = page(supervisor.get(url))
    assert "Crisis resolved; its follow-up task is done." in body
    assert "Sam Supervisor" in body and "Seen next day; safety plan updated" in body
    assert "Resolve the crisis" not in body
    for user in (agency.cm, agency.supervisor):
        panel = dashboard_crises(make_client(), user)
        assert f'id="crisis-{event.id}"' not in panel and "No open crises." in panel


def test_a_resolved_crisis_cannot_be_resolved_again(client, agency):
    event = record(agency.own, agency.cm)
    crisis.resolve(event, "Settled at home", actor=agency.cm, ip=None)
    db.session.commit()
    sign_in(client, agency.supervisor)
    url = crisis_url(agency.own, f"/{event.id}")
    response = post(client, url, {"resolution": "Another try"})
    assert response.status_code == 303
    assert "This crisis is already resolved." in page(client.get(url))
    event = fetch(CrisisEvent, event.id)
    assert (event.resolution, event.resolved_by_id) == ("Settled at home", agency.cm.id)


def test_resolving_needs_to_say_how(client, agency):
    event = record(agency.own, agency.cm)
    sign_in(client, agency.cm)
    response = post(client, crisis_url(agency.own, f"/{event.id}"), {"resolution": "   "})
    assert response.status_code == 422
    assert field_error(page(response), "resolution") == "Say how the crisis was resolved."
    event = fetch(CrisisEvent, event.id)
    assert event.is_open and fetch(Task, event.follow_up_task_id).status == "open"


def test_a_crisis_of_another_client_is_missing_under_this_clients_address(client, agency):
    theirs = record(agency.theirs, agency.cm_other)
    sign_in(client, agency.cm)
    assert client.get(crisis_url(agency.own, f"/{theirs.id}")).status_code == 404
    refused = post(client, crisis_url(agency.own, f"/{theirs.id}"), {"resolution": "Not mine"})
    assert refused.status_code == 404
    assert fetch(CrisisEvent, theirs.id).is_open


# ---- Bad input is refused at the field, keeping what was typed ----------------------------


def nothing_recorded(agency) -> None:
    count = db.session.scalar(select(func.count()).select_from(CrisisEvent))
    assert count == 0
    assert fetch(Client, agency.own.id).risk_level == "low"
    follow_ups = select(Task).where(Task.title.startswith("Follow up after the crisis"))
    assert db.session.scalars(follow_ups).all() == []


def test_a_crisis_in_the_future_is_refused_at_the_field_keeping_what_was_typed(client, agency):
    sign_in(client, agency.cm)
    tomorrow = local_text(utcnow() + timedelta(days=1))
    form = crisis_form(occurred_at=tomorrow, what_happened="Texted that he was on the bridge")
    response = post(client, crisis_url(agency.own, "/new"), form)
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "occurred_at") == "A crisis cannot be in the future."
    assert field_value(body, "occurred_at") == tomorrow
    assert "Texted that he was on the bridge</textarea>" in body
    assert "Passive thoughts, no plan</textarea>" in body
    nothing_recorded(agency)


def test_what_happened_is_required_and_the_rest_is_kept(client, agency):
    sign_in(client, agency.cm)
    form = crisis_form(what_happened="   ", actions_other="Drove her to her sister")
    response = post(client, crisis_url(agency.own, "/new"), form)
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "what_happened") == "Say what happened."
    assert field_value(body, "occurred_at") == form["occurred_at"]
    assert field_value(body, "actions_other") == "Drove her to her sister"
    assert "Passive thoughts, no plan</textarea>" in body
    assert re.search(
        r'<input[^>]*checked[^>]*value="called_988"|value="called_988"[^>]*checked', body
    )
    nothing_recorded(agency)


def test_the_form_opens_at_now_with_the_clients_current_risk(client, agency):
    clients.set_risk(agency.own, "moderate", "Missed appointments", actor=agency.cm, ip=None)
    sign_in(client, agency.cm)
    body = page(client.get(crisis_url(agency.own, "/new")))
    shown = datetime.strptime(field_value(body, "occurred_at") or "", "%Y-%m-%dT%H:%M")
    now = datetime.now(i18n.agency_zone()).replace(tzinfo=None)
    assert timedelta(0) <= now - shown < timedelta(minutes=2)
    assert re.search(r'<input[^>]*checked[^>]*value="moderate"|value="moderate"[^>]*checked', body)
    assert "Record a crisis" in body


def test_every_record_page_offers_to_record_a_crisis_and_open_the_safety_plan(client, agency):
    sign_in(client, agency.cm)
    for tail in ("", "/status", "/tasks", "/crisis"):
        body = page(client.get(f"/staff/clients/{agency.own.id}{tail}"))
        assert f'href="{crisis_url(agency.own, "/new")}"' in body, tail
        assert f'href="/staff/clients/{agency.own.id}/safety-plan"' in body, tail
        assert "Crisis and safety plan" in body, tail


def test_the_clients_crisis_list_shows_newest_first(client, agency):
    older = record(agency.own, agency.cm, when=utcnow() - timedelta(days=3), what_happened="Older")
    newer = record(agency.own, agency.cm, when=utcnow() - timedelta(hours=1), what_happened="Newer")
    sign_in(client, agency.team)
    body = section(page(client.get(crisis_url(agency.own))), "crises-title")
    assert body.index(f'id="crisis-{newer.id}"') < body.index(f'id="crisis-{older.id}"')


# ---- The crisis log ------------------------------------------------------------------------


@pytest.fixture
def crisis_log_data(agency) -> dict[str, Any]:
    """Crises of Sam's team (Casey's and Cora's clients) and one of Tess's team."""
    cora = make_user(Role.CASE_MANAGER, display_name="Cora Second", supervisor=agency.supervisor)
    coras = make_client(legal_name="Rowan Birch", primary_case_manager=cora)
    events = {
        "noon": record(
            agency.own, agency.cm, when=agency_moment(date(2024, 3, 5), 12), outcome="safe_at_home"
        ),
        # Late in the evening: already March 6th in UTC, still the 5th at the agency.
        "late": record(
            agency.own,
            agency.cm,
            when=agency_moment(date(2024, 3, 5), 23, 30),
            outcome="emergency_department",
        ),
        "cora": record(
            coras, cora, when=agency_moment(date(2024, 3, 10), 9), outcome="hospital_admission"
        ),
        "theirs": record(
            agency.theirs,
            agency.cm_other,
            when=agency_moment(date(2024, 3, 7), 9),
            outcome="safe_at_home",
        ),
    }
    crisis.resolve(events["late"], "Discharged home", actor=agency.cm, ip=None)
    db.session.commit()
    return {"cora": cora, "ids": {name: e.id for name, e in events.items()}}


def log_ids(browser, query: str = "") -> list[int]:
    response = browser.get(f"/staff/crises{query}")
    assert response.status_code == 200
    listed = section(page(response), "log-title")
    return [int(n) for n in re.findall(r'<li id="crisis-(\d+)"', listed)]


def test_crisis_log_filters_by_date_outcome_case_manager_and_status(
    client, agency, crisis_log_data
):
    ids = crisis_log_data["ids"]
    cora = crisis_log_data["cora"]
    sign_in(client, agency.supervisor)
    noon, late, coras = ids["noon"], ids["late"], ids["cora"]
    assert log_ids(client) == [coras, late, noon]  # newest first; Tess's team is not Sam's
    # Dates are the agency's days.
    assert log_ids(client, "?from=2024-03-06") == [coras]
    assert log_ids(client, "?to=2024-03-05") == [late, noon]
    assert log_ids(client, "?from=2024-03-05&to=2024-03-05") == [late, noon]
    assert log_ids(client, "?from=2024-03-11") == []
    assert log_ids(client, "?outcome=emergency_department") == [late]
    assert log_ids(client, "?outcome=hospital_admission") == [coras]
    assert log_ids(client, f"?cm={cora.id}") == [coras]
    assert log_ids(client, f"?cm={agency.cm.id}") == [late, noon]
    assert log_ids(client, f"?cm={agency.cm_other.id}") == []  # not Sam's team
    assert log_ids(client, "?status=open") == [coras, noon]
    assert log_ids(client, "?status=resolved") == [late]
    assert log_ids(client, f"?cm={agency.cm.id}&status=open&outcome=safe_at_home") == [noon]
    body = page(client.get(f"/staff/crises?cm={agency.cm.id}&status=open"))
    assert "1 crisis" in body and "Olive" in body and "Casey Manager" in body
    assert "Rowan Birch" not in section(body, "log-title")
    # Nonsense filters are ignored, not an error.
    assert log_ids(client, "?from=yesterday&outcome=bogus&status=maybe") == [coras, late, noon]


def test_another_supervisor_sees_only_their_own_teams_crises(client, agency, crisis_log_data):
    sign_in(client, agency.other_supervisor)
    assert log_ids(client) == [crisis_log_data["ids"]["theirs"]]


@pytest.mark.parametrize("role", ["cm", "team", "admin"])
def test_only_supervisors_open_the_crisis_log_and_the_risk_review(client, agency, role):
    sign_in(client, getattr(agency, role))
    assert client.get("/staff/crises").status_code == 403
    assert client.get("/staff/risk-review").status_code == 403
    assert "Crisis log" not in page(client.get("/staff/"))


# ---- The risk review -----------------------------------------------------------------------


def review_rows(browser) -> dict[int, str]:
    response = browser.get("/staff/risk-review")
    assert response.status_code == 200
    body = page(response)
    return {int(i): row for i, row in re.findall(r'<tr id="risk-(\d+)">(.*?)</tr>', body, re.S)}


def test_risk_review_lists_moderate_and_high_clients_with_crisis_cssrs_and_plan_age(client, agency):
    event = record(agency.own, agency.cm, when=agency_moment(date(2024, 3, 5), 12))
    cssrs = assessments.instruments()["cssrs"]
    screening, _result = assessments.record(
        agency.own,
        cssrs,
        {"q1": 0, "q2": 0, "q6": 0},
        {},
        actor=agency.cm,
        ip=None,
        today=i18n.agency_today(),
    )
    safety_plans.add_item(
        agency.own, "coping", "Walk the dog", None, expected=0, actor=agency.cm, ip=None
    )
    cora = make_user(Role.CASE_MANAGER, display_name="Cora Second", supervisor=agency.supervisor)
    high = make_client(legal_name="Rowan Birch", primary_case_manager=cora)
    clients.set_risk(high, "high", "Recent attempt", actor=cora, ip=None)
    calm = make_client(legal_name="Lena Calm", primary_case_manager=agency.cm)
    clients.set_risk(agency.theirs, "moderate", "Tess's client", actor=agency.cm_other, ip=None)
    db.session.commit()

    sign_in(client, agency.supervisor)
    rows = review_rows(client)
    assert list(rows) == [high.id, agency.own.id]  # high first; low and other teams left out
    assert calm.id not in rows and agency.theirs.id not in rows
    own = rows[agency.own.id]
    assert "Olive" in own and "Casey Manager" in own and REVIEW_REASON in own
    assert format_date(event.occurred_at, "medium") in own
    assert format_date(screening.administered_at, "medium") in own
    assert "saved 0 days ago" in own
    birch = rows[high.id]
    assert "Rowan Birch" in birch and "Recent attempt" in birch and "No safety plan" in birch
    assert birch.count("—") == 2  # no crisis, no C-SSRS

    other = sign_in(client.application.test_client(), agency.other_supervisor)
    assert list(review_rows(other)) == [agency.theirs.id]


def test_the_plan_age_counts_the_agencys_days_late_in_the_evening(client, agency, time_machine):
    # 9 pm in Chicago is 3 am the next day in UTC: a plan saved now is 0 days old, not -1.
    time_machine.move_to(agency_moment(date(2024, 3, 5), 21), tick=True)
    clients.set_risk(agency.own, "moderate", "Watch", actor=agency.cm, ip=None)
    safety_plans.add_item(
        agency.own, "coping", "Walk the dog", None, expected=0, actor=agency.cm, ip=None
    )
    db.session.commit()
    sign_in(client, agency.supervisor)
    assert "saved 0 days ago" in review_rows(client)[agency.own.id]


def test_the_log_and_the_review_make_as_many_queries_for_many_rows_as_for_one(
    client, agency, count_queries
):
    def add_client(n: int) -> None:
        manager = make_user(Role.CASE_MANAGER, supervisor=agency.supervisor)
        person = make_client(legal_name=f"Person Number{n}", primary_case_manager=manager)
        record(person, manager, when=utcnow() - timedelta(days=n + 1))
        assessments.record(
            person,
            assessments.instruments()["cssrs"],
            {"q1": 0, "q2": 0, "q6": 0},
            {},
            actor=manager,
            ip=None,
            today=i18n.agency_today(),
        )
        safety_plans.add_item(person, "coping", "Walk", None, expected=0, actor=manager, ip=None)
        db.session.commit()

    def queries() -> tuple[int, int]:
        with count_queries() as log:
            assert client.get("/staff/crises").status_code == 200
        with count_queries() as review:
            assert client.get("/staff/risk-review").status_code == 200
        return log.count, review.count

    add_client(0)
    sign_in(client, agency.supervisor)
    one = queries()
    for n in range(1, 8):
        add_client(n)
    assert len(log_ids(client)) == 8 and len(review_rows(client)) == 8
    assert queries() == one


# ---- Lowering the flag needs a reason -----------------------------------------------------


def test_lowering_the_risk_flag_needs_a_reason(client, agency):
    record(agency.own, agency.cm, risk_level="high")
    assert fetch(Client, agency.own.id).risk_level == "high"
    sign_in(client, agency.cm)
    url = f"/staff/clients/{agency.own.id}/risk"
    refused = post(client, url, {"level": "low", "reason": "  "})
    assert refused.status_code == 422
    assert field_error(page(refused), "risk-reason") == "Say why the risk level is set."
    assert fetch(Client, agency.own.id).risk_level == "high"
    assert len(risk_changes(agency.own)) == 1
    saved = post(client, url, {"level": "low", "reason": "Crisis resolved, safety plan in place"})
    assert saved.status_code == 303
    person = fetch(Client, agency.own.id)
    assert (person.risk_level, person.risk_reason) == (
        "low",
        "Crisis resolved, safety plan in place",
    )


# ---- The timeline --------------------------------------------------------------------------


def test_the_timeline_shows_crisis_recorded_and_resolved_and_safety_plan_changes(client, agency):
    sign_in(client, agency.cm)
    assert post(client, crisis_url(agency.own, "/new"), crisis_form()).status_code == 303
    event = only_event(agency.own)
    resolved = post(client, crisis_url(agency.own, f"/{event.id}"), {"resolution": "Safe"})
    assert resolved.status_code == 303
    plan_url = f"/staff/clients/{agency.own.id}/safety-plan/items"
    for number, text in enumerate(("Walk the dog", "Call my sister")):
        data = {
            "section": "coping",
            "version": number,
            "new-coping-text": text,
            "new-coping-csrf_token": client.csrf,
        }
        assert post(client, plan_url, data).status_code == 303
    timeline = section(page(client.get(f"/staff/clients/{agency.own.id}")), "timeline-title")
    for label, href in (
        ("Crisis recorded", crisis_url(agency.own, f"/{event.id}")),
        ("Crisis resolved", crisis_url(agency.own, f"/{event.id}")),
        ("Safety plan started", f"/staff/clients/{agency.own.id}/safety-plan"),
        ("Safety plan changed", f"/staff/clients/{agency.own.id}/safety-plan"),
    ):
        assert f'<a href="{href}">{label}</a>' in timeline, label
    assert timeline.index("Safety plan changed") < timeline.index("Crisis resolved")
    assert timeline.index("Crisis resolved") < timeline.index("Crisis recorded")


# ---- Who may do what -----------------------------------------------------------------------

Route = tuple[str, str, Callable[[Any], str], Callable[[Any], dict[str, Any]] | None]


def _detail(a: Any) -> str:
    return crisis_url(a.own, f"/{a.ids['crisis']}")


ROUTES: list[Route] = [
    ("crisis_new", "GET", lambda a: crisis_url(a.own, "/new"), None),
    ("crisis_new (record)", "POST", lambda a: crisis_url(a.own, "/new"), lambda a: crisis_form()),
    ("crisis_index", "GET", lambda a: crisis_url(a.own), None),
    ("crisis_detail", "GET", _detail, None),
    ("crisis_detail (resolve)", "POST", _detail, lambda a: {"resolution": "Safe at home"}),
    ("crisis_log", "GET", lambda a: "/staff/crises", None),
    ("risk_review", "GET", lambda a: "/staff/risk-review", None),
]

TABLE: dict[str, tuple[int, ...]] = {
    # route:                      cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "crisis_new": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "crisis_new (record)": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "crisis_index": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "crisis_detail": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "crisis_detail (resolve)": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "crisis_log": (403, 403, 403, 403, 200, 200, 403, 403, 403, 302),
    "risk_review": (403, 403, 403, 403, 200, 200, 403, 403, 403, 302),
}


def test_the_table_covers_every_crisis_route(app):
    endpoints = {
        r.endpoint for r in app.url_map.iter_rules() if "crisis" in r.rule or "crises" in r.rule
    }
    endpoints |= {r.endpoint for r in app.url_map.iter_rules() if r.rule == "/staff/risk-review"}
    assert endpoints == {f"staff.{name.split(' ')[0]}" for name in TABLE}
    assert [name for name, *_ in ROUTES] == list(TABLE)


@pytest.fixture
def with_crisis(agency):
    agency.ids["crisis"] = record(agency.own, agency.cm).id
    return agency


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, with_crisis, role):
    agency = with_crisis
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers, leaks = {}, []
    for name, method, path, data in ROUTES:
        url = path(agency)
        if method == "GET":
            response = client.get(url)
        else:
            assert data is not None
            response = post(client, url, data(agency))
        answers[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if response.status_code in (403, 404) and "Olivia Quince" in page(response):
            leaks.append(url)
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}
    assert leaks == []
    events = db.session.scalars(select(CrisisEvent).where(CrisisEvent.client_id == agency.own.id))
    recorded = len(list(events))
    assert recorded == (2 if TABLE["crisis_new (record)"][column] == 303 else 1)


def test_anonymous_htmx_requests_get_401_and_a_redirect_header(client, with_crisis):
    client.csrf = csrf_token(client, "/login")
    for _name, method, path, data in ROUTES:
        url = path(with_crisis)
        if method == "GET":
            response = client.get(url, headers=HTMX)
        else:
            assert data is not None
            response = post(client, url, data(with_crisis), htmx=True)
        assert response.status_code == 401, url
        assert response.headers["HX-Redirect"] == f"/login?next={url}", url


def test_refusals_change_nothing(client, with_crisis):
    agency = with_crisis
    sign_in(client, agency.not_team)
    post(client, crisis_url(agency.own, "/new"), crisis_form(risk_level="high"))
    post(client, _detail(agency), {"resolution": "Not my client"})
    assert fetch(Client, agency.own.id).risk_level == "moderate"
    assert fetch(CrisisEvent, agency.ids["crisis"]).is_open
    assert db.session.scalar(select(func.count()).select_from(CrisisEvent)) == 1
    assert db.session.scalar(select(func.count()).select_from(SafetyPlanVersion)) == 0
