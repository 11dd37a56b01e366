"""Reports: every figure against hand-counted fixtures, scope, roles, CSV, audit, query budget.

The period is the first quarter of 2026 (the agency is in America/Chicago: CST until
8 March, CDT after), so nothing here depends on today's date except the overdue report,
which is a snapshot as of today by design.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal import i18n
from portal.extensions import db
from portal.models import (
    Assessment,
    CarePlan,
    Client,
    CrisisEvent,
    Episode,
    Goal,
    GoalProgress,
    ProgressNote,
    Referral,
    Resource,
    Role,
    StatusChange,
    Task,
    User,
)
from portal.services import reports
from portal.services.reports import ReportFilter, month_key, period_range

from ..factories import add_to_care_team, make_appointment, make_client, make_user
from .support import ROLES, events, page, sign_in, sign_in_as

URL = "/staff/reports"
Q1 = {"start": "2026-01-01", "end": "2026-03-31"}
CHICAGO = ZoneInfo("America/Chicago")


def at(text: str) -> datetime:
    """A UTC instant written as ``2026-01-10T15:00``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str) -> datetime:
    """An instant written in the agency's local time."""
    return datetime.fromisoformat(text).replace(tzinfo=CHICAGO).astimezone(UTC)


# --- building the fixtures ---------------------------------------------------------------------


def person(cm: User, name: str, *history: tuple[str, str], status: str = "active") -> Client:
    """A client created long ago, with these (status, effective day) changes."""
    client = make_client(
        legal_name=name, primary_case_manager=cm, status=status, created_at=at("2025-01-01T12:00")
    )
    previous = None
    for to_status, day in history:
        db.session.add(
            StatusChange(
                client_id=client.id,
                from_status=previous,
                to_status=to_status,
                effective_on=date.fromisoformat(day),
                changed_by_id=cm.id,
            )
        )
        previous = to_status
    db.session.flush()
    return client


def episode(client: Client, admitted: str, discharged: str | None = None) -> None:
    db.session.add(
        Episode(
            client_id=client.id,
            admitted_on=date.fromisoformat(admitted),
            discharged_on=date.fromisoformat(discharged) if discharged else None,
        )
    )


def note(
    client: Client,
    author: User,
    when: datetime,
    kind: str = "office",
    *,
    mileage: float | None = None,
    status: str = "signed",
) -> None:
    db.session.add(
        ProgressNote(
            client_id=client.id,
            author_id=author.id,
            status=status,
            contact_at=when,
            contact_type=kind,
            format="narrative",
            sections={"narrative": "Met."},
            mileage=mileage,
            signed_at=when if status == "signed" else None,
        )
    )


def score(client: Client, code: str, when: str, total: int) -> None:
    db.session.add(
        Assessment(
            client_id=client.id,
            instrument_code=code,
            instrument_version="1",
            administered_at=at(when),
            answers={},
            total=total,
        )
    )


def plan(client: Client, number: int, status: str, *goals: str, review: date | None = None) -> Any:
    care_plan = CarePlan(client_id=client.id, number=number, status=status, review_due_on=review)
    db.session.add(care_plan)
    db.session.flush()
    made = []
    for goal_status in goals:
        goal = Goal(
            plan_id=care_plan.id,
            client_id=client.id,
            description="Keep my flat",
            domain="housing",
            status=goal_status,
        )
        db.session.add(goal)
        made.append(goal)
    db.session.flush()
    return made


def progress(goal: Goal, day: str, rating: int) -> None:
    db.session.add(
        GoalProgress(
            client_id=goal.client_id,
            goal_key=goal.key,
            goal_id=goal.id,
            recorded_on=date.fromisoformat(day),
            rating=rating,
        )
    )


def refer(client: Client, resource: Resource, status: str, when: str, by: User) -> None:
    db.session.add(
        Referral(
            client_id=client.id,
            resource_id=resource.id,
            reason="Needs help",
            status=status,
            created_by_id=by.id,
            created_at=at(when),
        )
    )


def crisis(client: Client, when: datetime, risk: str, by: User) -> None:
    db.session.add(
        CrisisEvent(
            client_id=client.id,
            occurred_at=when,
            what_happened="Called in distress",
            risk_level=risk,
            outcome="safe_at_home",
            created_by_id=by.id,
        )
    )


def task(client: Client | None, due: date | None, by: User, status: str = "open") -> None:
    db.session.add(
        Task(
            client_id=client.id if client else None,
            title="Paperwork",
            due_on=due,
            status=status,
            assignee_id=by.id,
            created_by_id=by.id,
        )
    )


@dataclass
class Data:
    agency: Any
    a: Client
    b: Client
    e: Client


@pytest.fixture
def data(agency) -> Data:
    """Casey's clients A-D and Cleo's E-F; the comments give what each row should count."""
    casey, cleo = agency.cm, agency.cm_other
    today = i18n.agency_today()
    # Caseload on 31 March: A active, B on hold (Casey); E active, F on hold by its current
    # status, having no history (Cleo). C was discharged, D came after the period.
    a = person(casey, "Ann A", ("intake", "2025-12-10"), ("active", "2026-01-05"))
    b = person(
        casey,
        "Bo B",
        ("referred", "2026-01-15"),
        ("intake", "2026-01-20"),
        ("active", "2026-02-01"),
        ("on_hold", "2026-03-10"),
    )
    c = person(
        casey,
        "Cy C",
        ("active", "2025-06-01"),
        ("discharged", "2026-02-20"),
        ("intake", "2026-03-25"),
        status="intake",
    )
    d = person(casey, "Di D", ("intake", "2026-04-05"))
    e = person(cleo, "Ed E", ("active", "2025-11-01"))
    f = person(cleo, "Flo F", status="on_hold")
    # Intakes: Jan B, Mar C (re-admission); discharges: Feb C. Cleo: Feb F.
    episode(a, "2025-12-10")
    episode(b, "2026-01-15")
    episode(c, "2025-06-01", "2026-02-20")
    episode(c, "2026-03-25")
    episode(d, "2026-04-05")
    episode(e, "2025-11-01")
    episode(f, "2026-02-02")
    # Contacts (Casey): Jan office+phone, Feb home visit 12.5 mi, Mar two home visits (7 mi)
    # and a phone call late on 31 March local time. Outside: a draft, an April note, a note
    # on New Year's Eve local time (already 1 January in UTC).
    note(a, casey, at("2026-01-10T15:00"))
    note(a, casey, at("2026-01-20T15:00"), "phone")
    note(a, casey, at("2026-02-03T15:00"), "home_visit", mileage=12.5)
    note(b, casey, at("2026-03-15T15:00"), "home_visit", mileage=7.0)
    note(b, casey, at("2026-03-20T15:00"), "home_visit")
    note(a, casey, local("2026-03-31T23:30"), "phone")
    note(b, casey, at("2026-02-10T15:00"), status="draft")
    note(a, casey, at("2026-04-02T15:00"))
    note(a, casey, local("2025-12-31T23:30"), "video")
    # Cleo: Feb office and a home visit of 30 miles.
    note(e, cleo, at("2026-02-14T15:00"))
    note(e, cleo, at("2026-02-15T15:00"), "home_visit", mileage=30)
    # Appointments (Casey): Jan attended + no-show, Feb attended; cancelled, scheduled and
    # April ones do not count. Cleo: Mar no-show.
    for client, when, status in (
        (a, "2026-01-12T16:00", "attended"),
        (a, "2026-01-26T16:00", "no_show"),
        (b, "2026-02-05T16:00", "attended"),
        (b, "2026-02-07T16:00", "cancelled"),
        (b, "2026-03-03T16:00", "scheduled"),
        (a, "2026-04-03T16:00", "attended"),
    ):
        make_appointment(client, casey, starts_at=at(when), status=status)
    make_appointment(e, cleo, starts_at=at("2026-03-05T16:00"), status="no_show")
    # PHQ-9 (Casey): A 18 -> 15 -> 9 (-9, improved, below 10); B 12 -> 10 (-2); C once in
    # the period. GAD-7: A 8 -> 3 (-5, improved, below); B 10 -> 14 (+4).
    for client, code, when, total in (
        (a, "phq9", "2026-01-05T15:00", 18),
        (a, "phq9", "2026-02-05T15:00", 15),
        (a, "phq9", "2026-03-05T15:00", 9),
        (b, "phq9", "2026-01-10T15:00", 12),
        (b, "phq9", "2026-03-01T15:00", 10),
        (c, "phq9", "2025-12-01T15:00", 25),
        (c, "phq9", "2026-02-01T15:00", 20),
        (a, "gad7", "2026-01-05T15:00", 8),
        (a, "gad7", "2026-03-05T15:00", 3),
        (b, "gad7", "2026-01-10T15:00", 10),
        (b, "gad7", "2026-02-10T15:00", 14),
        (e, "phq9", "2026-01-01T12:00", 20),
        (e, "phq9", "2026-02-01T12:00", 14),
    ):
        score(client, code, when, total)
    # Goals (Casey): plans in force hold 3 goals, 1 achieved; the superseded plan's goal
    # does not count. g2 first reached 100 in February; g3 had reached it in December.
    plan(a, 1, "superseded", "achieved", review=today - timedelta(days=30))
    g1, g2 = plan(a, 2, "active", "achieved", "in_progress", review=today - timedelta(days=1))
    (g3,) = plan(b, 1, "active", "not_started", review=today)
    progress(g1, "2026-01-15", 80)
    progress(g2, "2026-02-10", 100)
    progress(g2, "2026-03-01", 100)
    progress(g3, "2025-12-20", 100)
    progress(g3, "2026-01-15", 100)
    # Referrals (Casey): housing completed, declined, sent; food cancelled, completed; one
    # made in December. Cleo: food completed.
    housing = Resource(name="Homes Now", category="housing")
    food = Resource(name="Food Bank", category="food")
    db.session.add_all([housing, food])
    db.session.flush()
    refer(a, housing, "completed", "2026-01-10T15:00", casey)
    refer(a, housing, "declined", "2026-02-10T15:00", casey)
    refer(b, housing, "sent", "2026-03-10T15:00", casey)
    refer(b, food, "cancelled", "2026-02-11T15:00", casey)
    refer(a, food, "completed", "2026-03-11T15:00", casey)
    refer(a, food, "proposed", "2025-12-15T15:00", casey)
    refer(e, food, "completed", "2026-02-12T15:00", cleo)
    # Crisis events (Casey): Jan high + moderate, Mar high (late on 31 March local time).
    crisis(a, at("2026-01-08T15:00"), "high", casey)
    crisis(b, at("2026-01-25T15:00"), "moderate", casey)
    crisis(a, local("2026-03-31T23:00"), "high", casey)
    crisis(e, at("2026-02-02T15:00"), "low", cleo)
    # Overdue today: A's plan in force (B's is due today, not overdue); A's open task three
    # days late (not the done one, not B's due today, not a task about nobody). Cleo: one.
    task(a, today - timedelta(days=3), casey)
    task(a, today - timedelta(days=3), casey, status="done")
    task(b, today, casey)
    task(None, today - timedelta(days=3), casey)
    task(e, today - timedelta(days=10), cleo)
    db.session.flush()
    return Data(agency, a, b, e)


# --- reading the page --------------------------------------------------------------------------


class TableReader(HTMLParser):
    """The cells of every report table: a <data>/<time> value where there is one, else text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None
        self.value: str | None = None
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and (a.get("id") or "").startswith("table-"):
            self.current = (a["id"] or "")[6:]
            self.tables[self.current] = []
        elif self.current and tag == "tr":
            self.tables[self.current].append([])
        elif self.current and tag in ("td", "th"):
            self.cell, self.value = [], None
        elif self.cell is not None and tag in ("data", "time"):
            self.value = a.get("value") or a.get("datetime")
        elif self.cell is not None and tag == "span" and a.get("aria-hidden") == "true":
            self.hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.current = None
        elif self.current and tag in ("td", "th") and self.cell is not None:
            text = " ".join("".join(self.cell).split())
            self.tables[self.current][-1].append(self.value if self.value is not None else text)
            self.cell = None
        elif tag == "span" and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if self.cell is not None and not self.hidden and self.value is None:
            self.cell.append(data)


def tables(response: Any) -> dict[str, list[list[str]]]:
    assert response.status_code == 200, response.status_code
    reader = TableReader()
    reader.feed(response.get_data(as_text=True))
    # "no data" is read out for an empty cell; the CSV leaves it empty.
    return {
        key: [[("" if cell == "no data" else cell) for cell in row] for row in rows]
        for key, rows in reader.tables.items()
    }


def body_rows(table: list[list[str]]) -> list[list[str]]:
    """Without the header row."""
    return table[1:]


def as_admin(client: Any, data: Data, **args: str) -> dict[str, list[list[str]]]:
    sign_in(client, data.agency.admin)
    return tables(client.get(URL, query_string={**Q1, **args}))


# --- every figure ------------------------------------------------------------------------------


def test_caseload_counts_active_and_on_hold_at_the_end_of_the_period(client, data):
    t = as_admin(client, data)
    assert body_rows(t["caseload"]) == [
        ["Casey Manager", "1", "1", "2"],
        ["Cleo Other", "1", "1", "2"],
        ["Total", "2", "2", "4"],
    ]


def test_caseload_at_an_earlier_end_follows_the_status_history(client, data):
    t = as_admin(client, data, start="2026-01-01", end="2026-01-31")
    # 31 Jan: A active (5 Jan), B in intake, C still active (discharged 20 Feb).
    assert body_rows(t["caseload"])[0] == ["Casey Manager", "2", "0", "2"]


def test_intakes_and_discharges_by_month(client, data):
    t = as_admin(client, data)
    assert body_rows(t["admissions"]) == [
        ["2026-01", "1", "0"],
        ["2026-02", "1", "1"],
        ["2026-03", "1", "0"],
        ["Total", "3", "1"],
    ]


def test_contacts_by_type_and_month_count_signed_notes_in_local_months(client, data):
    t = as_admin(client, data)
    header = t["contacts"][0]
    assert header == [
        "Month",
        "Office visit",
        "Phone call",
        "Video call",
        "Home visit",
        "Collateral contact",
        "Team meeting",
        "Crisis contact",
        "Total",
    ]
    assert body_rows(t["contacts"]) == [
        ["2026-01", "1", "1", "0", "0", "0", "0", "0", "2"],
        ["2026-02", "1", "0", "0", "2", "0", "0", "0", "3"],
        ["2026-03", "0", "1", "0", "2", "0", "0", "0", "3"],
        ["Total", "2", "2", "0", "4", "0", "0", "0", "8"],
    ]


def test_home_visits_and_mileage(client, data):
    t = as_admin(client, data)
    assert body_rows(t["home_visits"]) == [
        ["2026-01", "0", "0.0"],
        ["2026-02", "2", "42.5"],
        ["2026-03", "2", "7.0"],
        ["Total", "4", "49.5"],
    ]


def test_appointment_attendance_and_no_show_rate(client, data):
    t = as_admin(client, data)
    assert body_rows(t["attendance"]) == [
        ["2026-01", "1", "1", "50.0"],
        ["2026-02", "1", "0", "0.0"],
        ["2026-03", "0", "1", "100.0"],
        ["Total", "2", "2", "50.0"],
    ]


def test_phq9_and_gad7_outcomes_compare_first_and_last_score_in_the_period(client, data):
    t = as_admin(client, data)
    # PHQ-9: A -9, B -2, E -6 (C scored once in the period); GAD-7: A -5, B +4.
    assert body_rows(t["outcomes"]) == [
        ["PHQ-9", "3", "-5.7", "66.7", "33.3"],
        ["GAD-7", "2", "-0.5", "50.0", "50.0"],
    ]


def test_goals_in_force_achieved_and_first_reaching_100(client, data):
    t = as_admin(client, data)
    assert body_rows(t["goals"]) == [
        ["Casey Manager", "3", "1", "1"],
        ["Cleo Other", "0", "0", "0"],
        ["Total", "3", "1", "1"],
    ]


def test_referrals_by_category_and_status_with_completion_rate(client, data):
    rows = {row[0]: row for row in body_rows(as_admin(client, data)["referrals"])}
    # proposed, sent, accepted, completed, declined, cancelled, total, completion rate
    assert rows["Housing"][1:] == ["0", "1", "0", "1", "1", "0", "3", "50.0"]
    assert rows["Food"][1:] == ["0", "0", "0", "2", "0", "1", "3", "66.7"]
    assert rows["Legal help"][1:] == ["0", "0", "0", "0", "0", "0", "0", ""]
    assert rows["Total"][1:] == ["0", "1", "0", "3", "1", "1", "6", "60.0"]


def test_crisis_events_per_month_in_local_months(client, data):
    t = as_admin(client, data)
    assert body_rows(t["crises"]) == [
        ["2026-01", "2", "1"],
        ["2026-02", "1", "0"],
        ["2026-03", "1", "1"],
        ["Total", "4", "2"],
    ]


def test_overdue_reviews_and_tasks_are_as_of_today_whatever_the_period(client, data):
    sign_in(client, data.agency.admin)
    for period in (Q1, {"start": "2020-01-01", "end": "2020-01-31"}):
        t = tables(client.get(URL, query_string=period))
        assert body_rows(t["overdue"]) == [
            ["Casey Manager", "1", "1"],
            ["Cleo Other", "0", "1"],
            ["Total", "1", "2"],
        ]


def test_an_empty_period_shows_zeros_and_no_data_without_errors(client, data):
    sign_in(client, data.agency.admin)
    response = client.get(URL, query_string={"start": "2020-01-01", "end": "2020-02-29"})
    t = tables(response)
    assert body_rows(t["contacts"])[-1] == ["Total", *["0"] * 8]
    assert body_rows(t["attendance"]) == [
        ["2020-01", "0", "0", ""],
        ["2020-02", "0", "0", ""],
        ["Total", "0", "0", ""],
    ]
    assert body_rows(t["outcomes"]) == [["PHQ-9", "0", "", "", ""], ["GAD-7", "0", "", "", ""]]
    # Nobody's status history reaches back to 2020; F has none and its record is older.
    assert body_rows(t["caseload"])[-1] == ["Total", "0", "0", "0"]
    # Goals in force and overdue work are snapshots of today, so their charts have bars.
    assert page(response).count("No data for this period.") == 8


# --- scope -------------------------------------------------------------------------------------


def test_a_case_manager_sees_only_their_own_caseload(client, data):
    # On the care team of Cleo's client E: Casey may open E's record, but E is not hers.
    add_to_care_team(data.e, data.agency.cm, "Case manager")
    sign_in(client, data.agency.cm)
    t = tables(client.get(URL, query_string=Q1))
    assert [row[0] for row in body_rows(t["caseload"])] == ["Casey Manager", "Total"]
    assert body_rows(t["contacts"])[-1][-1] == "6"
    assert body_rows(t["home_visits"])[-1] == ["Total", "3", "19.5"]
    assert body_rows(t["outcomes"])[0] == ["PHQ-9", "2", "-5.5", "50.0", "50.0"]
    assert body_rows(t["crises"])[-1] == ["Total", "3", "2"]
    assert body_rows(t["overdue"]) == [["Casey Manager", "1", "1"], ["Total", "1", "1"]]
    assert "Cleo Other" not in page(client.get(URL, query_string=Q1))


def test_choosing_a_caseload_one_may_not_report_on_answers_as_missing(make_client, data):
    agency = data.agency
    client = sign_in(make_client(), agency.cm)
    for path in (URL, f"{URL}/contacts.csv"):
        assert client.get(path, query_string={"cm": agency.cm_other.id}).status_code == 404
        assert client.get(path, query_string={"cm": "x"}).status_code == 404
    assert client.get(URL, query_string={"cm": agency.cm.id}).status_code == 200
    client = sign_in(make_client(), agency.supervisor)
    assert client.get(URL, query_string={"cm": agency.cm_other.id}).status_code == 404


def test_a_supervisor_sees_their_team_or_one_case_manager_of_it(make_client, data):
    agency = data.agency
    client = sign_in(make_client(), agency.supervisor)
    team = tables(client.get(URL, query_string=Q1))
    # Sam's team is Casey and Sam himself (report_case_managers); Cleo is Tess's.
    assert [row[0] for row in body_rows(team["caseload"])] == [
        "Casey Manager",
        "Sam Supervisor",
        "Total",
    ]
    assert body_rows(team["contacts"])[-1][-1] == "6"
    one = tables(client.get(URL, query_string={**Q1, "cm": agency.cm.id}))
    assert [row[0] for row in body_rows(one["caseload"])] == ["Casey Manager", "Total"]
    client = sign_in(make_client(), agency.other_supervisor)
    theirs = tables(client.get(URL, query_string=Q1))
    assert body_rows(theirs["contacts"])[-1][-1] == "2"
    assert "Casey Manager" not in page(client.get(URL, query_string=Q1))


REPORTS_EXPECTED = {
    "cm": 200,
    "cm_other": 200,
    "team": 403,
    "not_team": 403,
    "supervisor": 200,
    "other_supervisor": 200,
    "admin": 200,
    "client_user": 403,
    "family": 403,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_reports(client, agency, role):
    sign_in_as(client, agency, role)
    for path in (URL, f"{URL}/caseload.csv"):
        response = client.get(path)
        assert response.status_code == REPORTS_EXPECTED[role], path
        if role == "anonymous":
            assert "/login" in response.headers["Location"]


# --- filters -----------------------------------------------------------------------------------


def test_the_default_period_is_the_last_full_quarter(client, agency):
    sign_in(client, agency.supervisor)
    body = page(client.get(URL))
    start, end = period_range("last_quarter", i18n.agency_today())
    assert f'value="{start.isoformat()}"' in body
    assert f'value="{end.isoformat()}"' in body
    assert re.search(r'href="[^"]*period=last_quarter[^"]*"\s+aria-current="page"', body)


@pytest.mark.parametrize(
    ("period", "first", "last"),
    [
        ("last_30_days", date(2026, 4, 16), date(2026, 5, 15)),
        ("this_quarter", date(2026, 4, 1), date(2026, 5, 15)),
        ("last_quarter", date(2026, 1, 1), date(2026, 3, 31)),
        ("this_year", date(2026, 1, 1), date(2026, 5, 15)),
        ("unknown", date(2026, 1, 1), date(2026, 3, 31)),
    ],
)
def test_quick_choices(period, first, last):
    assert period_range(period, date(2026, 5, 15)) == (first, last)


def test_last_quarter_in_january_is_the_previous_years_fourth():
    assert period_range("last_quarter", date(2026, 1, 3)) == (date(2025, 10, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end", "must not be before"),
        ({"start": "2026-03-01"}, "end", "Enter both dates"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "end", "three years or less"),
        ({"start": "yesterday", "end": "2026-01-01"}, "start", "Not a valid date"),
    ],
)
def test_a_bad_period_is_refused_next_to_its_field(client, agency, args, field, message):
    sign_in(client, agency.admin)
    response = client.get(URL, query_string=args)
    assert response.status_code == 422
    body = page(response)
    error = re.search(rf'id="{field}-error">(.*?)</p>', body)
    assert error and message in error.group(1)
    assert 'id="report-caseload"' not in body
    assert client.get(f"{URL}/caseload.csv", query_string=args).status_code == 400
    assert events("view") == []


def test_an_unknown_report_is_missing(client, agency):
    sign_in(client, agency.admin)
    assert client.get(f"{URL}/salaries.csv").status_code == 404


# --- CSV and audit -----------------------------------------------------------------------------


@pytest.mark.parametrize("report", reports.REPORTS)
def test_each_csv_holds_exactly_the_table(client, data, report):
    t = as_admin(client, data)
    response = client.get(f"{URL}/{report}.csv", query_string=Q1)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"{report}-2026-01-01-2026-03-31.csv" in response.headers["Content-Disposition"]
    parsed = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert parsed == t[report]


def test_the_csv_keeps_the_case_manager_filter(client, data):
    sign_in(client, data.agency.supervisor)
    args = {**Q1, "cm": data.agency.cm.id}
    body = page(client.get(URL, query_string=args))
    link = re.search(r'href="(/staff/reports/caseload\.csv\?[^"]*)"', body)
    assert link and f"cm={data.agency.cm.id}" in link.group(1)
    rows = list(csv.reader(io.StringIO(client.get(link.group(1)).get_data(as_text=True))))
    assert [row[0] for row in rows[1:]] == ["Casey Manager", "Total"]


def test_a_name_that_looks_like_a_formula_stays_text_in_the_csv(client, agency):
    sneaky = make_user(
        Role.CASE_MANAGER, display_name="=HYPERLINK(1)", supervisor=agency.supervisor
    )
    sign_in(client, agency.supervisor)
    text = client.get(f"{URL}/caseload.csv", query_string={"cm": sneaky.id}).get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text


def test_viewing_and_exporting_are_audited(client, data):
    admin = data.agency.admin
    sign_in(client, admin)
    client.get(URL, query_string={**Q1, "cm": data.agency.cm.id})
    client.get(f"{URL}/referrals.csv", query_string=Q1)
    (view,) = events("view")
    assert (view.actor_id, view.object_type, view.object_id, view.client_id) == (
        admin.id,
        "report",
        "all",
        None,
    )
    assert view.detail == f"2026-01-01..2026-03-31 cm={data.agency.cm.id}"
    (export,) = events("export")
    assert (export.actor_id, export.object_type, export.object_id) == (
        admin.id,
        "report",
        "referrals",
    )
    assert (export.detail or "").startswith("2026-01-01..2026-03-31 cm=")


# --- the page ----------------------------------------------------------------------------------


def test_each_section_has_a_table_an_accessible_chart_and_a_csv_link(client, data):
    sign_in(client, data.agency.admin)
    body = page(client.get(URL, query_string=Q1))
    for report in reports.REPORTS:
        assert f'aria-labelledby="report-{report}-title"' in body
        assert f'<table class="table table--compact report-table" id="table-{report}">' in body
        assert f"/staff/reports/{report}.csv?" in body
        assert f'role="img" aria-labelledby="chart-{report}-title chart-{report}-desc"' in body, (
            report
        )
        assert f'<title id="chart-{report}-title">' in body
        assert f'<desc id="chart-{report}-desc">' in body
    assert "style=" not in body
    assert "<script>" not in body


def test_the_page_speaks_spanish(client, data):
    spanish = make_user(Role.ADMIN, display_name="Ana Admin", locale="es")
    sign_in(client, spanish)
    body = page(client.get(URL, query_string=Q1))
    assert '<time datetime="2026-01">ene 2026</time>' in body
    assert '<data value="42.5">42,5</data>' in body


# --- query budget ------------------------------------------------------------------------------


def populate(cm: User, n: int) -> None:
    """n clients of one case manager, each with a row in every report."""
    resource = Resource(name="Shelter", category="housing")
    db.session.add(resource)
    db.session.flush()
    today = i18n.agency_today()
    for i in range(n):
        c = person(cm, f"Bulk {i}", ("active", "2025-12-01"))
        episode(c, "2026-02-01")
        note(c, cm, at("2026-02-03T15:00"), "home_visit", mileage=3)
        make_appointment(c, cm, starts_at=at("2026-02-05T16:00"), status="attended")
        score(c, "phq9", "2026-01-05T15:00", 15)
        score(c, "phq9", "2026-03-05T15:00", 8)
        (goal,) = plan(c, 1, "active", "achieved", review=today - timedelta(days=2))
        progress(goal, "2026-02-01", 100)
        refer(c, resource, "completed", "2026-02-10T15:00", cm)
        crisis(c, at("2026-03-01T15:00"), "high", cm)
        task(c, today - timedelta(days=1), cm)
    db.session.flush()


def test_the_page_makes_the_same_number_of_queries_whatever_the_data(client, agency, count_queries):
    populate(agency.cm, 3)
    sign_in(client, agency.admin)
    with count_queries() as small:
        assert client.get(URL, query_string=Q1).status_code == 200
    populate(agency.cm, 30)
    with count_queries() as large:
        response = client.get(URL, query_string=Q1)
    assert body_rows(tables(response)["home_visits"])[-1] == ["Total", "33", "99.0"]
    assert large.count == small.count
    assert small.count <= 30


# --- the month helper --------------------------------------------------------------------------


def test_month_key_gives_agency_months_on_this_database(app, agency):
    """Instants either side of local midnights, in winter (CST) and summer (CDT) time."""
    expected = {
        at("2026-01-01T05:59"): None,  # 31 Dec 23:59 in Chicago: before the months asked
        at("2026-01-01T06:00"): "2026-01",
        at("2026-03-01T05:59"): "2026-02",
        at("2026-03-01T06:00"): "2026-03",
        at("2026-04-01T04:59"): "2026-03",  # CDT from 8 March: midnight is 05:00 UTC
        at("2026-04-01T05:00"): "2026-04",
        at("2026-05-01T05:00"): None,  # after the months asked
    }
    for when in expected:
        note(agency.own, agency.cm, when)
    db.session.flush()
    months = reports.month_starts(date(2026, 1, 1), date(2026, 4, 30))
    key = month_key(ProgressNote.contact_at, months, zone=CHICAGO)
    found: dict[Any, Any] = dict(db.session.execute(select(ProgressNote.contact_at, key)).all())
    assert found == expected


def test_month_key_of_a_date_column(app, agency):
    for day in ("2025-12-31", "2026-01-01", "2026-01-31", "2026-02-01", "2026-02-28"):
        episode(agency.own, day)
    db.session.flush()
    months = reports.month_starts(date(2026, 1, 5), date(2026, 2, 3))
    key = month_key(Episode.admitted_on, months, zone=None)
    found: dict[Any, Any] = dict(db.session.execute(select(Episode.admitted_on, key)).all())
    assert found == {
        date(2025, 12, 31): None,
        date(2026, 1, 1): "2026-01",
        date(2026, 1, 31): "2026-01",
        date(2026, 2, 1): "2026-02",
        date(2026, 2, 28): "2026-02",
    }


def test_a_filter_describes_itself_for_the_audit_log():
    f = ReportFilter(date(2026, 1, 1), date(2026, 3, 31), (4, 7), date(2026, 5, 1), CHICAGO)
    assert f.describe() == "2026-01-01..2026-03-31 cm=4,7"
    assert f.start_at == at("2026-01-01T06:00")
    assert f.end_at == at("2026-04-01T05:00")
