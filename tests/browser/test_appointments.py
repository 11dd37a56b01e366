"""Appointments in real Chromium: moving between weeks in place (Back included), a client asking
for an appointment from a phone and the request reaching the case manager, booking over another
appointment, axe-core, phones and the Content Security Policy."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .helpers import (
    assert_no_axe_violations,
    assert_not_reloaded,
    assert_same_live_region,
    console_errors,
    mark_window,
    remember_live_region,
    wait_for_htmx,
)

CASE_MANAGER = "cm@example.org"  # Casey Manager, Alex's case manager
CLIENT = "client@example.org"  # Alex Example
FAMILY = "family@example.org"  # Jamie Example, who sees Alex's appointments
ALEX = "Alex"  # Alexander Example's preferred name
AGENCY_ZONE = ZoneInfo("America/Chicago")  # Config.TIMEZONE
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

SHOWN = re.compile(r"^(\d+) appointments? shown\.$")
REQUEST_ID = re.compile(r"^request-(\d+)$")


def assert_no_sideways_scroll(page: Any) -> None:
    """Compared with the viewport asked for: on a phone the layout viewport (and with it
    ``window.innerWidth``) grows to fit content that is too wide."""
    allowed = page.viewport_size["width"]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    inner = page.evaluate("() => window.innerWidth")
    assert width <= allowed, f"{page.url} is {width}px wide on a {allowed}px phone"
    assert width <= inner, f"{page.url} is {width}px wide in a {inner}px window"


def calendar(page: Any) -> Any:
    return page.locator("#calendar")


def calendar_title(page: Any) -> Any:
    return page.locator("#calendar-title")


def calendar_status(page: Any) -> Any:
    return page.locator("#calendar-status")


def shown_week(page: Any) -> date:
    """The Monday of the week on the screen, read from the first day's heading id."""
    days = calendar(page).locator("section.week__day h3")
    expect(days).to_have_count(7)
    first = days.first.get_attribute("id") or ""
    assert first.startswith("day-"), first
    monday = date.fromisoformat(first.removeprefix("day-"))
    assert monday.weekday() == 0, f"the week starts on {monday:%A}"
    return monday


def medium(day: date) -> str:
    """A date as en-US ``format_date(…, "medium")`` writes it: ``Nov 2, 2026``."""
    return f"{day:%b} {day.day}, {day.year}"


def week_title(monday: date) -> str:
    return f"{medium(monday)} to {medium(monday + timedelta(days=6))}"


def assert_count_announced(page: Any) -> int:
    """The live region says how many appointments the calendar shows, and it is right."""
    items = calendar(page).locator("li.appt")
    number = items.count()
    word = "appointment" if number == 1 else "appointments"
    expect(calendar_status(page)).to_have_text(f"{number} {word} shown.")
    expect(calendar_status(page)).to_have_attribute("aria-live", "polite")
    return number


def next_monday() -> date:
    """Next week's Monday in the agency's time zone: always in the future."""
    today = datetime.now(AGENCY_ZONE).date()
    return today + timedelta(days=7 - today.weekday())


def request_ids(page: Any) -> set[int]:
    """The requests listed under "My requests" on the client's page."""
    ids = page.locator("section[aria-labelledby='requests-title'] li[id^='request-']")
    found = set()
    for each in ids.all():
        match = REQUEST_ID.match(each.get_attribute("id") or "")
        assert match is not None
        found.add(int(match.group(1)))
    return found


# --- 1. moving between weeks in place ---------------------------------------------------------


def test_next_week_swaps_the_calendar_in_place_and_back_returns(new_page, live_server):
    page = new_page(user=CASE_MANAGER, **DESKTOP)
    page.goto("/staff/appointments")
    wait_for_htmx(page)
    expect(page.get_by_role("heading", level=1, name="Appointments")).to_be_visible()
    this_week = shown_week(page)
    expect(calendar_title(page)).to_have_text(week_title(this_week))
    expect(calendar(page).locator("section.week__day--today")).to_have_count(1)
    this_week_count = assert_count_announced(page)
    nav = page.get_by_role("navigation", name="Move in the calendar")
    expect(nav.get_by_role("link", name="Next")).to_have_attribute("rel", "next")
    expect(nav.get_by_role("link", name="Previous")).to_have_attribute("rel", "prev")
    first_url = page.url

    remember_live_region(page, "#calendar-status")
    mark_window(page)
    following = this_week + timedelta(days=7)
    with page.expect_response(lambda r: "/staff/appointments" in r.url) as answer:
        nav.get_by_role("link", name="Next").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(calendar_title(page)).to_have_text(week_title(following))
    expect(page).to_have_url(re.compile(rf"[?&]date={following.isoformat()}(&|$)"))
    assert shown_week(page) == following
    assert_count_announced(page)
    expect(calendar(page).locator("section.week__day--today")).to_have_count(0)
    # Only the calendar changed: one of it, one page heading, the queue still below.
    expect(calendar(page)).to_have_count(1)
    expect(calendar_status(page)).to_have_count(1)
    expect(page.get_by_role("heading", level=1, name="Appointments")).to_have_count(1)
    expect(page.get_by_role("heading", name="Requests from clients")).to_be_visible()
    assert_not_reloaded(page)
    assert_same_live_region(page, "#calendar-status")

    # Back: the week before, from htmx's history, without a reload.
    page.go_back()
    expect(page).to_have_url(first_url)
    expect(calendar_title(page)).to_have_text(week_title(this_week))
    assert shown_week(page) == this_week
    expect(calendar(page).locator("li.appt")).to_have_count(this_week_count)
    assert_not_reloaded(page)

    # Two weeks on, then Today brings the week with today in it back.
    nav = page.get_by_role("navigation", name="Move in the calendar")
    nav.get_by_role("link", name="Next").click()
    expect(calendar_title(page)).to_have_text(week_title(following))
    nav.get_by_role("link", name="Next").click()
    expect(calendar_title(page)).to_have_text(week_title(following + timedelta(days=7)))
    today = date_in_url_of(nav.get_by_role("link", name="Today").get_attribute("href"))
    assert this_week <= today < following
    nav.get_by_role("link", name="Today").click()
    expect(calendar_title(page)).to_have_text(week_title(this_week))
    expect(page).to_have_url(re.compile(rf"[?&]date={today.isoformat()}(&|$)"))
    expect(calendar(page).locator("section.week__day--today")).to_have_count(1)
    expect(calendar(page).locator("li.appt")).to_have_count(this_week_count)
    assert_count_announced(page)
    assert_not_reloaded(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def date_in_url_of(href: str | None) -> date:
    assert href is not None
    values = parse_qs(urlsplit(href).query).get("date")
    assert values, href
    return date.fromisoformat(values[0])


def test_week_links_work_without_javascript(new_page, live_server):
    page = new_page(user=CASE_MANAGER, java_script_enabled=False)
    page.goto("/staff/appointments")
    this_week = shown_week(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Next").click()
    expect(calendar_title(page)).to_have_text(week_title(this_week + timedelta(days=7)))
    with page.expect_navigation():
        page.get_by_role("link", name="Previous").click()
    expect(calendar_title(page)).to_have_text(week_title(this_week))


# --- 2. a client asks for an appointment from a phone -----------------------------------------


def test_client_asks_for_an_appointment_on_a_phone_and_the_case_manager_sees_it(
    new_page, live_server
):
    page = new_page(user=CLIENT, **PHONE)
    page.goto("/client/appointments")
    expect(page.get_by_role("heading", level=1, name="My appointments")).to_be_visible()
    before = request_ids(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Ask for an appointment").click()
    expect(page).to_have_url(live_server("/client/appointments/request"))
    expect(page.get_by_role("heading", level=1, name="Ask for an appointment")).to_be_visible()
    assert_no_sideways_scroll(page)

    when = next_monday()
    page.get_by_label("How would you like to meet?").select_option("phone")
    page.get_by_label("What would you like to talk about?").fill(
        "Going over the letter from the benefits office."
    )
    page.get_by_label("A time that suits you").fill(f"{when.isoformat()}T10:00")
    expect(page.get_by_label("A time that suits you")).to_have_value(f"{when.isoformat()}T10:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Send my request").click()

    expect(page).to_have_url(live_server("/client/appointments"))
    expect(page.locator("#flash-region")).to_contain_text("Your request is sent")
    added = request_ids(page) - before
    assert len(added) == 1, f"expected one new request, found {sorted(added)}"
    (request_id,) = added
    mine = page.locator(f"#request-{request_id}")
    expect(mine).to_contain_text("For a new appointment")
    expect(mine.locator(".badge")).to_have_text("Waiting for an answer")
    expect(mine.get_by_role("button", name="I no longer need this")).to_be_visible()
    assert_no_sideways_scroll(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []

    staff = new_page(user=CASE_MANAGER)
    staff.goto("/staff/appointments")
    queue = staff.locator("section", has=staff.get_by_role("heading", name="Requests from clients"))
    link = f"a[href='/staff/appointments/requests/{request_id}']"
    asked = queue.locator(link)
    expect(asked).to_have_text(ALEX)
    row = queue.locator("li", has=staff.locator(link))
    expect(row).to_contain_text("asks for an appointment")
    expect(row.locator(".badge")).to_have_text("Waiting for an answer")
    asked.click()
    expect(staff).to_have_url(live_server(f"/staff/appointments/requests/{request_id}"))
    expect(staff.get_by_text("Going over the letter from the benefits office.")).to_be_visible()
    assert console_errors(staff) == []


# --- 3. axe-core, phones and the CSP ------------------------------------------------------------


PAGES = [
    (CASE_MANAGER, "/staff/appointments", True),
    (CASE_MANAGER, "/staff/appointments?view=list", True),
    (CASE_MANAGER, "/staff/appointments?view=day", True),
    (CLIENT, "/client/appointments", True),
    (CLIENT, "/client/appointments/request", True),
    (FAMILY, "/family/appointments", True),
    (CASE_MANAGER, "/staff/appointments", False),
]
PAGE_IDS = [
    "staff-week-phone",
    "staff-list-phone",
    "staff-day-phone",
    "client-phone",
    "client-request-phone",
    "family-phone",
    "staff-week-desktop",
]


@pytest.mark.parametrize(("user", "path", "phone"), PAGES, ids=PAGE_IDS)
def test_appointment_pages_pass_axe_fit_a_phone_and_keep_the_csp(
    new_page, live_server, user, path, phone
):
    page = new_page(user=user, **(PHONE if phone else DESKTOP))
    page.goto(path)
    expect(page).to_have_url(live_server(path))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    wait_for_htmx(page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if phone:
        assert_no_sideways_scroll(page)
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_the_calendar_after_moving_a_week_passes_axe_on_a_phone(new_page, live_server):
    page = new_page(user=CASE_MANAGER, **PHONE)
    page.goto("/staff/appointments")
    wait_for_htmx(page)
    this_week = shown_week(page)
    page.get_by_role("navigation", name="Move in the calendar").get_by_role(
        "link", name="Next"
    ).click()
    expect(calendar_title(page)).to_have_text(week_title(this_week + timedelta(days=7)))
    assert_no_sideways_scroll(page)
    assert_no_axe_violations(page)
    assert console_errors(page) == []


# --- 4. booking over another appointment --------------------------------------------------------


def an_appointment_of_mine(page: Any) -> tuple[str, str, str]:
    """Day, start and end (as the booking form writes them) of a scheduled appointment of the
    signed-in case manager in the next four weeks, read from its edit form. (The demo always
    books Alex with Casey two days from today, whatever the weekday.)"""
    page.goto("/staff/appointments?view=list")
    rows = calendar(page).locator("tbody tr")
    scheduled = rows.filter(has=page.locator("td:last-child", has_text=re.compile("^Scheduled$")))
    expect(scheduled.first).to_be_visible()
    with page.expect_navigation():
        scheduled.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/staff/appointments/\d+$"))
    page.goto(page.url + "/edit")
    expect(page.get_by_role("heading", level=1, name="Change the appointment")).to_be_visible()
    day, start, end = (
        page.get_by_label(label, exact=True).input_value()
        for label in ("Date", "Starts at", "Ends at")
    )
    assert day and start and end, (day, start, end)
    return day, start, end


def test_booking_over_another_appointment_warns_and_keeps_what_was_typed(new_page, live_server):
    page = new_page(user=CASE_MANAGER, **DESKTOP)
    day, start, end = an_appointment_of_mine(page)
    # A quarter of an hour into the other appointment, for an hour.
    begins = datetime.combine(date.fromisoformat(day), time.fromisoformat(start))
    overlapping_start = f"{begins + timedelta(minutes=15):%H:%M}"
    overlapping_end = f"{begins + timedelta(minutes=75):%H:%M}"

    page.goto("/staff/appointments/new")
    expect(page.get_by_role("heading", level=1, name="Book an appointment")).to_be_visible()
    expect(page.get_by_label("Book it anyway, because")).to_have_count(0)
    client = page.get_by_label("Client", exact=True)
    client.select_option(label=ALEX)
    chosen_client = client.input_value()
    page.get_by_label("With", exact=True).select_option(label="Casey Manager")
    chosen_staff = page.get_by_label("With", exact=True).input_value()
    page.get_by_label("Date", exact=True).fill(day)
    page.get_by_label("Starts at", exact=True).fill(overlapping_start)
    page.get_by_label("Ends at", exact=True).fill(overlapping_end)
    page.get_by_label("Kind", exact=True).select_option("office")
    page.get_by_label("Place", exact=True).fill("Waypoint office, room 5")
    page.get_by_label("Note for the client", exact=True).fill("Bring the lease, please.")
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()

    expect(page).to_have_url(live_server("/staff/appointments/new"))
    banner = page.locator(".banner[role='alert']")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("This time overlaps:")
    expect(banner.locator("li")).not_to_have_count(0)
    reason = page.get_by_label("Book it anyway, because")
    expect(reason).to_be_visible()
    expect(reason).to_have_value("")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#overlap_reason-error")).to_contain_text("This overlaps another")
    # Everything typed is still there.
    expect(page.get_by_label("Client", exact=True)).to_have_value(chosen_client)
    expect(page.get_by_label("With", exact=True)).to_have_value(chosen_staff)
    expect(page.get_by_label("Date", exact=True)).to_have_value(day)
    expect(page.get_by_label("Starts at", exact=True)).to_have_value(overlapping_start)
    expect(page.get_by_label("Ends at", exact=True)).to_have_value(overlapping_end)
    expect(page.get_by_label("Kind", exact=True)).to_have_value("office")
    expect(page.get_by_label("Place", exact=True)).to_have_value("Waypoint office, room 5")
    expect(page.get_by_label("Note for the client", exact=True)).to_have_value(
        "Bring the lease, please."
    )
    assert_no_axe_violations(page)

    # With a reason it is booked after all.
    reason.fill("Alex can only come at this time; the other visit is short.")
    with page.expect_navigation():
        page.get_by_role("button", name="Book", exact=True).click()
    expect(page).to_have_url(re.compile(r"/staff/appointments/\d+$"))
    expect(page.locator("#flash-region")).to_contain_text("Appointment booked.")
    assert page.log.csp_violations == []
    assert console_errors(page) == []
