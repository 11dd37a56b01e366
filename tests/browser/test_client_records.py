"""The caseload and the client record in real Chromium: search as you type, inline contacts,
the conflict view, accessibility, phones and the Content Security Policy."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .helpers import (
    assert_no_axe_violations,
    assert_not_reloaded,
    console_errors,
    mark_window,
    wait_for_htmx,
)

CASE_MANAGER = "cm@example.org"
ALEX = 1  # the first demo client: Alexander Example ("Alex"), WP-000001
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def remember_live_region(page: Any, selector: str) -> None:
    page.evaluate("(s) => { window.__liveRegion = document.querySelector(s); }", selector)


def assert_same_live_region(page: Any, selector: str) -> None:
    """A screen reader announces a change inside a live region it already knows; a region
    swapped in whole, text and all, is usually not announced at all."""
    same = page.evaluate(
        "(s) => window.__liveRegion !== null && document.querySelector(s) === window.__liveRegion",
        selector,
    )
    assert same, f"the live region {selector} was replaced instead of updated"


def open_record(page: Any, client_id: int = ALEX) -> None:
    page.goto(f"/staff/clients/{client_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex")
    wait_for_htmx(page)


# --- 1. search as you type -----------------------------------------------------------------


def test_search_as_you_type_narrows_the_caseload_in_place(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto("/staff/clients")
    wait_for_htmx(page)
    rows = page.locator("#client-results tbody tr")
    expect(rows.filter(has_text="Taylor Sample")).to_have_count(1)
    before = rows.count()
    assert before > 3
    count = page.locator("#client-results").get_by_role("status")
    expect(count).to_have_attribute("aria-live", "polite")
    expect(count).to_have_text(f"{before} clients")

    mark_window(page)
    search = page.get_by_label("Search", exact=True)
    search.press_sequentially("Alex", delay=40)  # typing, no Enter

    expect(rows.filter(has_text="Taylor Sample")).to_have_count(0, timeout=3_000)
    expect(rows.filter(has_text="Alex")).to_have_count(1)
    assert rows.count() < before
    expect(page).to_have_url(re.compile(r"[?&]q=Alex(&|$)"))
    expect(count).to_have_text(re.compile(rf"^{rows.count()} clients?$"))
    expect(search).to_be_focused()
    expect(search).to_have_value("Alex")
    assert_not_reloaded(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_search_results_replace_the_old_ones_and_the_count_is_announced(new_page):
    """The new results take the old ones' place (not inside them), and the count changes
    inside the live region already on the page, so a screen reader reads it out."""
    page = new_page(user=CASE_MANAGER)
    page.goto("/staff/clients")
    wait_for_htmx(page)
    remember_live_region(page, "#client-results [role=status]")
    page.get_by_label("Search", exact=True).press_sequentially("Taylor", delay=40)
    expect(page).to_have_url(re.compile(r"[?&]q=Taylor(&|$)"))
    expect(page.get_by_role("status").filter(has_text="client")).to_have_text("1 client")
    expect(page.locator("#client-results")).to_have_count(1)
    expect(page.get_by_role("heading", name="Results")).to_have_count(1)
    assert_same_live_region(page, "#client-results [role=status]")


def test_search_works_as_a_plain_form_without_javascript(new_page, live_server):
    page = new_page(user=CASE_MANAGER, java_script_enabled=False)
    page.goto("/staff/clients")
    rows = page.locator("#client-results tbody tr")
    expect(rows.filter(has_text="Taylor Sample")).to_have_count(1)
    page.get_by_label("Search", exact=True).fill("Alex")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/staff/clients\?(.*&)?q=Alex(&|$)"))
    expect(rows.filter(has_text="Taylor Sample")).to_have_count(0)
    expect(rows.filter(has_text="Alex")).to_have_count(1)
    expect(page.locator("#client-results").get_by_role("status")).to_have_text("1 client")
    expect(page.get_by_label("Search", exact=True)).to_have_value("Alex")


# --- 2. emergency contacts inline ----------------------------------------------------------


def test_add_edit_and_remove_an_emergency_contact_in_place(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto("/staff/clients")
    page.locator("#client-results").get_by_role("link", name="Alex").click()
    expect(page).to_have_url(live_server(f"/staff/clients/{ALEX}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex")
    wait_for_htmx(page)
    mark_window(page)

    contacts = page.locator("#contact-list")
    # "Add an emergency contact" opens its form in place, focus in its first field.
    expect(page.locator("#contact-new")).to_have_count(0)
    open_add_contact(page)
    add = page.locator("#contact-new")
    expect(add.get_by_role("heading", name="Add an emergency contact")).to_be_visible()
    add.get_by_label("Name").fill("Morgan Inline")
    add.get_by_label("Relationship").fill("Cousin")
    add.get_by_label("Phone").fill("555-0190")
    add.get_by_role("button", name="Add contact").click()

    row = contacts.locator("li.contact", has_text="Morgan Inline")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Cousin")
    expect(row.get_by_role("link", name="555-0190")).to_have_attribute("href", "tel:555-0190")
    status = page.locator("#flash-region")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text("Morgan Inline added.")
    add = page.locator("#contact-new")  # the form was swapped for an empty one
    for label in ("Name", "Relationship", "Phone"):
        expect(add.get_by_label(label)).to_have_value("")
    assert_not_reloaded(page)

    # Edit in place: the row turns into its form, and back into the row with the new phone.
    row.get_by_role("link", name="Edit Morgan Inline").click()
    editing = contacts.locator("li.contact--editing")
    expect(editing).to_have_count(1)
    expect(editing.get_by_label("Name")).to_have_value("Morgan Inline")
    expect(editing.get_by_label("Phone")).to_have_value("555-0190")
    editing.get_by_label("Phone").fill("555-0191")
    editing.get_by_role("button", name="Save contact").click()
    expect(editing).to_have_count(0)
    expect(row.get_by_role("link", name="555-0191")).to_be_visible()
    expect(row).not_to_contain_text("555-0190")
    assert_not_reloaded(page)

    # Remove: the row goes, the page stays.
    row.get_by_role("button", name="Remove Morgan Inline").click()
    expect(row).to_have_count(0)
    assert_not_reloaded(page)
    page.reload()
    expect(page.locator("#contact-list")).not_to_contain_text("Morgan Inline")
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def open_add_contact(page: Any) -> None:
    """Open "Add an emergency contact" unless its form is there already (it stays after an
    addition); focus goes to its first field."""
    if page.locator("#contact-new").count():
        return
    page.locator("summary", has_text="Add an emergency contact").click()
    expect(page.locator("#contact-new").get_by_label("Name")).to_be_focused()


def add_contact(page: Any, name: str, phone: str = "") -> Any:
    """Add a contact through the inline form; returns its row."""
    open_add_contact(page)
    add = page.locator("#contact-new")
    add.get_by_label("Name").fill(name)
    add.get_by_label("Phone").fill(phone)
    add.get_by_role("button", name="Add contact").click()
    row = page.locator("#contact-list li.contact", has_text=name)
    expect(row).to_have_count(1)
    return row


def remove_contacts(page: Any, *names: str) -> None:
    """Tidy up after a test: this module's later tests start from Alex without these."""
    open_record(page)
    for name in names:
        button = page.locator("#contact-list").get_by_role("button", name=f"Remove {name}")
        if button.count():
            button.click()
            expect(button).to_have_count(0)


def test_the_added_message_is_announced_in_the_live_region_already_there(new_page):
    """Screen readers announce a change inside a live region they already know; a region
    swapped in whole, message and all, is usually not announced."""
    page = new_page(user=CASE_MANAGER)
    open_record(page)
    remember_live_region(page, "#flash-region")
    try:
        add_contact(page, "Ari Announced")
        expect(page.get_by_role("status").filter(has_text="added")).to_have_text(
            "Ari Announced added."
        )
        assert_same_live_region(page, "#flash-region")
    finally:
        remove_contacts(page, "Ari Announced")


def test_adding_a_contact_next_to_others_logs_no_errors(new_page):
    page = new_page(user=CASE_MANAGER)
    open_record(page)
    try:
        add_contact(page, "Lee First")
        add_contact(page, "Lee Second")  # the "no contacts yet" line is long gone by now
        expect(page.locator("#flash-region")).to_have_text("Lee Second added.")
        expect(page.locator("#contact-list li.contact")).to_have_count(2)
        assert console_errors(page) == []
    finally:
        remove_contacts(page, "Lee First", "Lee Second")


# The ids of the fields a person fills in (hidden inputs carry no label, so are left out).
FIELD_IDS = """() => Array.from(
  document.querySelectorAll("main input:not([type=hidden]), main select, main textarea"),
  (el) => el.id,
).filter(Boolean)"""


def test_every_field_keeps_its_own_label_while_a_contact_is_edited_inline(new_page):
    """The inline edit form and the add form sit on one page: their ids may not collide."""
    page = new_page(user=CASE_MANAGER)
    open_record(page)
    try:
        row = add_contact(page, "Label Check")
        row.get_by_role("link", name="Edit Label Check").click()
        editing = page.locator("#contact-list li.contact--editing")
        expect(editing.get_by_label("Name")).to_have_value("Label Check")
        ids = page.evaluate(FIELD_IDS)
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        assert duplicates == [], f"field ids used twice on the page: {duplicates}"
        # Each field of the add form still has its own label, not the edit form's.
        for label in ("Name", "Relationship", "Phone", "Notes"):
            expect(page.locator("#contact-new").get_by_label(label, exact=True)).to_have_count(1)
        assert_no_axe_violations(page)
    finally:
        remove_contacts(page, "Label Check")


# --- 3. the conflict view ------------------------------------------------------------------


def test_a_stale_inline_edit_shows_the_conflict_in_place(new_page):
    first = new_page(user=CASE_MANAGER)
    open_record(first)
    add_contact(first, "Dana Conflict", "555-0150")
    first.log.console.clear()  # from here on: the conflict only

    second = new_page(user=CASE_MANAGER)
    open_record(second)
    mark_window(second)
    # Both open the same contact's inline form, each in its own browser context.
    forms = []
    for page in (first, second):
        row = page.locator("#contact-list li.contact", has_text="Dana Conflict")
        row.get_by_role("link", name="Edit Dana Conflict").click()
        editing = page.locator("#contact-list li.contact--editing")
        expect(editing.get_by_label("Phone")).to_have_value("555-0150")
        forms.append(editing)

    forms[0].get_by_label("Phone").fill("555-0151")
    forms[0].get_by_role("button", name="Save contact").click()
    expect(first.locator("#contact-list li.contact", has_text="555-0151")).to_have_count(1)

    forms[1].get_by_label("Phone").fill("555-0152")
    forms[1].get_by_role("button", name="Save contact").click()
    conflict = second.locator("#contact-list li.contact--editing").get_by_role("alert")
    expect(conflict).to_contain_text("Someone else changed this contact")
    # Both versions: the saved one in the box, this person's own in the form.
    expect(conflict).to_contain_text("555-0151")
    editing = second.locator("#contact-list li.contact--editing")
    expect(editing.get_by_label("Phone")).to_have_value("555-0152")
    assert_not_reloaded(second)
    expect(second.get_by_role("heading", level=1)).to_contain_text("Alex")
    expect(second.locator(".toast, .flash--error")).to_have_count(0)

    # Saving again keeps this person's version.
    editing.get_by_role("button", name="Save contact").click()
    row = second.locator("#contact-list li.contact", has_text="Dana Conflict")
    expect(row.get_by_role("link", name="555-0152")).to_be_visible()
    expect(second.locator("#contact-list li.contact--editing")).to_have_count(0)

    for page in (first, second):
        assert page.log.csp_violations == []
        assert console_errors(page) == []
    remove_contacts(second, "Dana Conflict")


# --- 4 and 6. axe-core and the Content Security Policy ---------------------------------------


def _submit_empty_intake(page: Any) -> None:
    page.get_by_role("button", name="Create the record").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")


STAFF_PAGES = [
    ("/staff/clients", None),
    (f"/staff/clients/{ALEX}", None),
    (f"/staff/clients/{ALEX}/edit", None),
    (f"/staff/clients/{ALEX}/status", None),
    (f"/staff/clients/{ALEX}/access", None),
    (f"/staff/clients/{ALEX}/tasks", None),
    ("/staff/clients/new", None),
    ("/staff/clients/new", _submit_empty_intake),
    ("/staff/emergency-access", None),
    ("/staff/", None),
]
STAFF_IDS = [
    "caseload",
    "record",
    "edit",
    "status",
    "access",
    "tasks",
    "intake",
    "intake-with-errors",
    "emergency-access",
    "dashboard",
]


@pytest.mark.parametrize(("path", "action"), STAFF_PAGES, ids=STAFF_IDS)
def test_client_pages_have_no_axe_violations_or_csp_violations(new_page, live_server, path, action):
    page = new_page(user=CASE_MANAGER)
    page.goto(path)
    expect(page).to_have_url(live_server(path))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    wait_for_htmx(page)
    if action is not None:
        action(page)
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


@pytest.mark.parametrize("path", ["/staff/clients", f"/staff/clients/{ALEX}"])
def test_spanish_caseload_and_record_have_no_axe_violations(new_page, live_server, path):
    page = new_page(locale="es-ES", user=CASE_MANAGER)
    page.goto(path)
    expect(page).to_have_url(live_server(path))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    wait_for_htmx(page)
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


# --- 5. phones -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/staff/clients", f"/staff/clients/{ALEX}"])
def test_phone_layout_of_caseload_and_record_has_no_sideways_scrolling(new_page, live_server, path):
    page = new_page(user=CASE_MANAGER, **PHONE)
    page.goto(path)
    expect(page).to_have_url(live_server(path))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width}px wide on a 360px phone"
    assert page.log.csp_violations == []
