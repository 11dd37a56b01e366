"""The short lists of people with a search beside them, in real Chromium: booking with a
clinician outside the "With" list, and a supervisor moving a client to another team's case
manager. Typing part of a name brings them into the list in place (htmx) and the live line
says so; Enter in the search does not send the form; without JavaScript "Find" reloads the
page with them in the list."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from portal import create_app
from portal.extensions import db
from portal.models import Role
from portal.services.users import create_user

from .helpers import (
    assert_no_axe_violations,
    assert_not_reloaded,
    assert_same_live_region,
    console_errors,
    mark_window,
    remember_live_region,
    wait_for_htmx,
)

CASE_MANAGER = "cm@example.org"  # Casey Manager
SUPERVISOR = "supervisor@example.org"  # Sam Supervisor: Casey, Jordan and Riley
JORDAN = "cm2@example.org"
ALEX = "Alex"
OUTSIDER = "Quinn Counselor"  # on no care team of Casey's clients, in no team of Casey's
OTHER_TEAM = "Uma Otherteam"  # a case manager nobody here supervises
SEARCH = "Someone else? Find a clinician by name"
PRIMARY_SEARCH = "Another team's case manager? Find them by name"


@pytest.fixture(scope="module", autouse=True)
def outsiders(live_server: Any) -> None:
    """A counselor and a case manager of another program, added to the demo agency through
    the accounts service."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": live_server.database_url, "TESTING": False})
    with app.app_context():
        for email, name, role in (
            ("quinn.counselor@example.org", OUTSIDER, Role.CARE_TEAM),
            ("uma.otherteam@example.org", OTHER_TEAM, Role.CASE_MANAGER),
        ):
            create_user(email, display_name=name, role=role, password="not-used-in-this-test")
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def a_free_day(weeks: int) -> str:
    """A Wednesday far enough ahead that the demo has nothing booked on it."""
    day = date.today() + timedelta(weeks=weeks)
    return (day + timedelta(days=(2 - day.weekday()) % 7)).isoformat()


def with_names(page: Any) -> list[str]:
    options = page.get_by_label("With", exact=True).locator("option")
    return [name.strip() for name in options.all_inner_texts()]


def fill_the_rest(page: Any, day: str) -> None:
    page.get_by_label("Client", exact=True).select_option(label=ALEX)
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_label("Starts at", exact=True).fill("08:00")
    page.get_by_label("Ends at", exact=True).fill("08:30")


def test_typing_a_name_brings_a_clinician_into_the_list_and_books_them(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto("/staff/appointments/new")
    wait_for_htmx(page)
    found = page.locator("#staff-search-found")
    expect(found).to_have_attribute("aria-live", "polite")
    assert OUTSIDER not in with_names(page)
    fill_the_rest(page, a_free_day(30))
    mark_window(page)
    remember_live_region(page, "#staff-search-found")

    search = page.get_by_label(SEARCH)
    search.press_sequentially("zzq", delay=40)
    expect(found).to_have_text("No clinician matches “zzq”.")
    search.fill("")
    search.press_sequentially("quin", delay=40)
    expect(found).to_have_text(f"Now in the list “With”: {OUTSIDER}.")
    assert OUTSIDER in with_names(page)
    expect(page.get_by_label("With", exact=True).locator("option:checked")).to_have_text(
        "Casey Manager"
    )
    # Enter in the search finds again; it never sends the booking half filled in.
    search.press("Enter")
    wait_for_htmx(page)
    expect(page).to_have_url(live_server("/staff/appointments/new"))
    expect(search).to_be_focused()
    assert_not_reloaded(page)
    assert_same_live_region(page, "#staff-search-found")
    # What was typed elsewhere in the form is untouched by the swap.
    expect(page.get_by_label("Starts at", exact=True)).to_have_value("08:00")
    assert_no_axe_violations(page)

    page.get_by_label("With", exact=True).select_option(label=OUTSIDER)
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/appointments/\d+$"))
    expect(page.locator("#flash-region")).to_contain_text("Appointment booked.")
    expect(page.locator("main")).to_contain_text(OUTSIDER)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_find_reloads_the_page_with_the_clinician_without_javascript(new_page, live_server):
    page = new_page(user=CASE_MANAGER, java_script_enabled=False)
    page.goto("/staff/appointments/new")
    assert OUTSIDER not in with_names(page)
    page.get_by_label(SEARCH).fill("quinn")
    with page.expect_navigation():
        page.get_by_role("button", name="Find", exact=True).click()
    expect(page).to_have_url(live_server("/staff/appointments/new?staff_q=quinn#staff-search"))
    expect(page.locator("#staff-search-found")).to_have_text(f"Now in the list “With”: {OUTSIDER}.")
    expect(page.get_by_label(SEARCH)).to_have_value("quinn")
    fill_the_rest(page, a_free_day(31))
    page.get_by_label("With", exact=True).select_option(label=OUTSIDER)
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/appointments/\d+$"))
    expect(page.locator("main")).to_contain_text(OUTSIDER)


def a_client_of_jordan(live_server: Any) -> tuple[int, str]:
    """One of Jordan's clients (not Casey's, whom the booking tests use): id and name."""
    engine = create_engine(live_server.database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT client.id, coalesce(client.preferred_name, client.legal_name)"
                    ' FROM client JOIN "user" ON "user".id = client.primary_case_manager_id'
                    ' WHERE "user".email = :email ORDER BY client.id LIMIT 1'
                ),
                {"email": JORDAN},
            ).one()
    finally:
        engine.dispose()
    return int(row[0]), str(row[1])


def test_a_supervisor_finds_another_teams_case_manager_and_moves_the_client(new_page, live_server):
    client_id, name = a_client_of_jordan(live_server)
    page = new_page(user=SUPERVISOR)
    page.goto(f"/staff/clients/{client_id}")
    wait_for_htmx(page)
    primary = page.get_by_label("Primary case manager", exact=True)
    expect(primary.locator("option:checked")).to_have_text("Jordan Manager")
    names = [option.strip() for option in primary.locator("option").all_inner_texts()]
    assert names == ["Casey Manager", "Jordan Manager", "Riley Manager"]
    found = page.locator("#primary-search-found")
    expect(found).to_have_attribute("aria-live", "polite")
    mark_window(page)
    remember_live_region(page, "#primary-search-found")

    search = page.get_by_label(PRIMARY_SEARCH)
    search.press_sequentially("uma", delay=40)
    expect(found).to_have_text(f"Now in the list “Primary case manager”: {OTHER_TEAM}.")
    expect(primary.locator("option:checked")).to_have_text("Jordan Manager")
    search.press("Enter")
    wait_for_htmx(page)
    expect(search).to_be_focused()
    assert_not_reloaded(page)
    assert_same_live_region(page, "#primary-search-found")
    assert_no_axe_violations(page)

    primary.select_option(label=OTHER_TEAM)
    with page.expect_navigation():
        page.get_by_role("button", name="Reassign", exact=True).click()
    # The client left the supervisor's team, and with it their caseload.
    expect(page).to_have_url(live_server("/staff/clients"))
    flashes = page.locator("#flash-region")
    expect(flashes).to_contain_text(f"The primary case manager is now {OTHER_TEAM}.")
    expect(flashes).to_contain_text(f"{name} is now on another team's caseload")
    assert page.log.csp_violations == []
    assert console_errors(page) == []
