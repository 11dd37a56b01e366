"""Crisis and safety plans in real Chromium: the client's plan one tap from sign-in, help with
numbers to tap, the staff plan edited in place with htmx, the quick crisis form, phones,
axe-core, the Content Security Policy, and the plan without JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .helpers import (
    assert_no_axe_violations,
    assert_not_reloaded,
    assert_same_live_region,
    console_errors,
    mark_window,
    remember_live_region,
    sign_in,
    wait_for_htmx,
)

CASE_MANAGER = "cm@example.org"
CLIENT = "client@example.org"
ALEX = 1  # client@example.org's record: a plan with every section filled, three items pinned
CRISIS_LINE = "555-0100"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
SECTIONS = [
    "Signs that a crisis may be coming",
    "Things I can do on my own to feel better",
    "People and places that help me feel better",
    "People I can ask for help",
    "Professionals and services I can call",
    "Making where I am safer",
    "My reasons for living",
]


def clear_live_region(page: Any) -> None:
    """Empty the region, so that the next announcement is seen to arrive."""
    page.evaluate("() => { document.querySelector('#flash-region').textContent = ''; }")


def assert_no_sideways_scroll(page: Any) -> None:
    widths = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths[0]} > {widths[1]} px"


def open_record(page: Any, name: str) -> int:
    """From the caseload to a client's record, as a person would; returns the record's id."""
    page.goto("/staff/clients")
    page.get_by_role("main").get_by_role("link", name=name).first.click()
    expect(page).to_have_url(re.compile(r"/staff/clients/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    match = re.search(r"/staff/clients/(\d+)$", page.url)
    assert match is not None
    return int(match.group(1))


def section(page: Any, key: str) -> Any:
    """One section of the staff plan (found again after every swap)."""
    return page.locator(f"#safety-{key}")


def item_texts(page: Any, key: str) -> list[str]:
    return [
        t.strip()
        for t in section(page, key)
        .locator(".safety-items > li[id^=item-] > span")
        .all_inner_texts()
    ]


def add_item(page: Any, key: str, text: str) -> None:
    """Add an item through the small form at the end of the section."""
    form = section(page, key).locator("form.add-form")
    form.get_by_label("Item").fill(text)
    form.get_by_role("button", name="Add to this section").click()
    expect(section(page, key).locator(".safety-items > li", has_text=text)).to_have_count(1)


def edit_panel(page: Any, key: str, text: str) -> Any:
    """Open an item's "Edit or move" and return its <details>."""
    item = section(page, key).locator(".safety-items > li", has_text=text)
    expect(item).to_have_count(1)
    item.locator("summary").click()
    details = item.locator("details.item-edit")
    expect(details).to_have_attribute("open", "")
    return details


# --- 1. from sign-in to the plan in one tap ---------------------------------------------------


def test_client_goes_from_sign_in_to_the_safety_plan_in_one_tap(page, live_server):
    page.goto("/")
    expect(page).to_have_url(live_server("/login"))  # signed out to begin with
    sign_in(page, CLIENT)
    expect(page).to_have_url(live_server("/client/"))

    button = page.get_by_role("main").get_by_role("link", name="My safety plan")
    expect(button).to_be_in_viewport()
    button.click()

    expect(page).to_have_url(live_server("/client/safety-plan"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My safety plan")
    plan = page.locator("ol.safety-view")
    expect(plan.get_by_role("heading", level=2)).to_have_text(SECTIONS)
    expect(plan.get_by_text("Walk around the block with music")).to_be_visible()
    expect(plan.get_by_role("link", name="Call or text 988")).to_have_attribute("href", "tel:988")
    expect(plan.get_by_role("link", name=CRISIS_LINE)).to_have_attribute(
        "href", f"tel:{CRISIS_LINE}"
    )
    expect(plan.get_by_role("link", name="555-0142").first).to_have_attribute(
        "href", "tel:555-0142"
    )
    main = page.get_by_role("main")
    expect(main.get_by_role("link", name="Print or save (PDF)")).to_be_visible()
    expect(main.get_by_role("link", name="Wallet card (PDF)")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My safety plan")).to_have_attribute("aria-current", "page")

    # From any other portal page the plan stays one tap away, in the navigation.
    page.goto("/account/")
    nav.get_by_role("link", name="My safety plan").click()
    expect(page).to_have_url(live_server("/client/safety-plan"))
    assert console_errors(page) == []


# --- 2. get help now ----------------------------------------------------------------------------


def test_get_help_now_offers_numbers_to_tap_and_the_pinned_steps(new_page, live_server):
    page = new_page(user=CLIENT)
    page.goto("/client/safety-plan")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Get help now").click()
    expect(page).to_have_url(live_server("/help"))

    main = page.get_by_role("main")
    for name, href in (
        ("Call 988", "tel:988"),
        ("Text 988", "sms:988"),
        (f"Call {CRISIS_LINE}", f"tel:{CRISIS_LINE}"),
    ):
        link = main.get_by_role("link", name=name)
        expect(link).to_have_attribute("href", href)
        expect(link).to_be_visible()
        link.focus()
        expect(link).to_be_focused()

    # Tabbing from the top of the page reaches the 988 call button (nothing traps the keys).
    page.evaluate("() => document.activeElement.blur()")
    call = main.get_by_role("link", name="Call 988")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Call 988":
            break
    expect(call).to_be_focused()

    pinned = page.get_by_role("region", name="From your safety plan")
    expect(pinned).to_be_visible()
    expect(pinned.locator("li")).to_have_text(
        [
            "Walk around the block with music",
            "Cold water on my face, slow breathing",
            re.compile(r"^Jamie \(sibling\) · 555-0142$"),
        ]
    )
    expect(pinned.get_by_role("link", name="555-0142")).to_have_attribute("href", "tel:555-0142")
    pinned.get_by_role("link", name="My whole safety plan").click()
    expect(page).to_have_url(live_server("/client/safety-plan"))


def test_the_sign_in_page_footer_offers_988_and_the_crisis_line(page, live_server):
    page.goto("/login")
    expect(page).to_have_url(live_server("/login"))
    footer = page.get_by_role("contentinfo")
    for name, href in (("988", "tel:988"), (CRISIS_LINE, f"tel:{CRISIS_LINE}")):
        link = footer.get_by_role("link", name=name, exact=True)
        expect(link).to_have_attribute("href", href)
        expect(link).to_be_visible()
        link.focus()
        expect(link).to_be_focused()
    # The public help page needs no sign-in either.
    page.get_by_role("main").get_by_role("link", name="Get help now").click()
    expect(page).to_have_url(live_server("/help"))
    expect(page.get_by_role("main").get_by_role("link", name="Call 988")).to_have_attribute(
        "href", "tel:988"
    )
    expect(page.get_by_role("region", name="From your safety plan")).to_have_count(0)


# --- 3. axe-core, phones and the CSP ----------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "user"),
    [
        ("/client/safety-plan", CLIENT),
        ("/help", CLIENT),
        (f"/staff/clients/{ALEX}/safety-plan", CASE_MANAGER),
        (f"/staff/clients/{ALEX}/crisis/new", CASE_MANAGER),
    ],
    ids=["client-plan", "help", "staff-plan", "crisis-form"],
)
def test_pages_are_accessible_on_a_phone(new_page, live_server, path, user):
    page = new_page(user=user, **PHONE)
    page.goto(path)
    expect(page).to_have_url(live_server(path))
    wait_for_htmx(page)
    assert_no_sideways_scroll(page)
    assert_no_axe_violations(page)
    if path.endswith("/safety-plan") and user == CASE_MANAGER:
        # Every "Edit or move" open at once: its fields and buttons must fit and pass too.
        page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
        assert_no_sideways_scroll(page)
        assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


# --- 4. the staff plan, edited in place ---------------------------------------------------------


def test_staff_build_a_plan_in_place_with_htmx(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    client_id = open_record(page, "Taylor Sample")
    page.get_by_role("link", name="Safety plan", exact=True).click()
    expect(page).to_have_url(live_server(f"/staff/clients/{client_id}/safety-plan"))
    expect(page.get_by_text("No safety plan yet.")).to_be_visible()
    # 988 and the crisis line are there before anything is written.
    professionals = section(page, "professionals")
    expect(professionals.get_by_role("link", name="Call or text 988")).to_have_attribute(
        "href", "tel:988"
    )
    wait_for_htmx(page)
    mark_window(page)
    remember_live_region(page)
    plan_url = page.url

    # Two sections, each with a new item: the plan swaps in place and says it saved.
    add_item(page, "warning_signs", "Stops answering the phone")
    expect(page.locator("#flash-region")).to_have_text("Safety plan saved.")
    # The swap replaces the form; focus is back on the button that was pressed.
    expect(
        section(page, "warning_signs").get_by_role("button", name="Add to this section")
    ).to_be_focused()
    expect(page.locator("#safety-plan .panel__head")).to_contain_text("Version 1")
    expect(
        section(page, "warning_signs").locator("form.add-form").get_by_label("Item")
    ).to_have_value("")
    clear_live_region(page)
    add_item(page, "reasons", "My daughter")
    expect(page.locator("#flash-region")).to_have_text("Safety plan saved.")
    expect(page.locator("#safety-plan .panel__head")).to_contain_text("Version 2")
    add_item(page, "warning_signs", "Sleeping all day")
    add_item(page, "warning_signs", "Giving things away")
    assert item_texts(page, "warning_signs") == [
        "Stops answering the phone",
        "Sleeping all day",
        "Giving things away",
    ]
    assert item_texts(page, "reasons") == ["My daughter"]
    assert_not_reloaded(page)
    assert_same_live_region(page)
    assert page.url == plan_url

    # Edit an item's words through "Edit or move".
    clear_live_region(page)
    details = edit_panel(page, "warning_signs", "Sleeping all day")
    details.get_by_label("Item").fill("Sleeping most of the day")
    details.get_by_role("button", name="Save").click()
    expect(
        section(page, "warning_signs").get_by_text("Sleeping most of the day", exact=True)
    ).to_be_visible()
    expect(page.locator("#flash-region")).to_have_text("Safety plan saved.")
    edited = section(page, "warning_signs").locator(
        ".safety-items > li", has_text="most of the day"
    )
    expect(edited.locator("summary")).to_be_focused()  # the editor closed, focus on its summary
    assert item_texts(page, "warning_signs") == [
        "Stops answering the phone",
        "Sleeping most of the day",
        "Giving things away",
    ]

    # Move the last one up.
    clear_live_region(page)
    details = edit_panel(page, "warning_signs", "Giving things away")
    details.get_by_role("button", name="Move up").click()
    expect(page.locator("#flash-region")).to_have_text("Safety plan saved.")
    expect(
        section(page, "warning_signs").locator(".safety-items > li[id^=item-] > span")
    ).to_have_text(["Stops answering the phone", "Giving things away", "Sleeping most of the day"])
    # The moved item's controls stay open with focus on "Move up", to press again.
    moved = section(page, "warning_signs").locator(".safety-items > li", has_text="Giving things")
    expect(moved.locator("details.item-edit")).to_have_attribute("open", "")
    expect(moved.get_by_role("button", name="Move up")).to_be_focused()

    # Remove the first.
    clear_live_region(page)
    details = edit_panel(page, "warning_signs", "Stops answering the phone")
    details.get_by_role("button", name="Remove").click()
    expect(page.locator("#flash-region")).to_have_text("Safety plan saved.")
    expect(
        section(page, "warning_signs").locator(".safety-items > li[id^=item-] > span")
    ).to_have_text(["Giving things away", "Sleeping most of the day"])
    expect(section(page, "warning_signs").get_by_role("heading", level=3)).to_be_focused()
    expect(page.locator("#safety-plan .panel__head")).to_contain_text("Version 7")
    assert_not_reloaded(page)
    assert_same_live_region(page)
    assert page.url == plan_url
    assert page.log.csp_violations == []
    assert console_errors(page) == []

    # It was all saved: a fresh load shows the same plan.
    page.reload()
    assert item_texts(page, "warning_signs") == ["Giving things away", "Sleeping most of the day"]
    assert item_texts(page, "reasons") == ["My daughter"]


def test_a_stale_plan_shows_the_conflict_box_with_the_plan_as_it_is(new_page, live_server):
    first = new_page(user=CASE_MANAGER)
    first.goto(f"/staff/clients/{ALEX}/safety-plan")
    wait_for_htmx(first)
    mark_window(first)

    second = new_page(user=CASE_MANAGER)
    second.goto(f"/staff/clients/{ALEX}/safety-plan")
    wait_for_htmx(second)
    add_item(second, "safe_environment", "Lock box for the knives")

    form = section(first, "safe_environment").locator("form.add-form")
    form.get_by_label("Item").fill("Car keys with Jamie")
    form.get_by_role("button", name="Add to this section").click()
    conflict = first.locator("#safety-plan .conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_have_attribute("role", "alert")
    expect(conflict).to_contain_text("Someone saved the plan while you were working on it.")
    expect(section(first, "safe_environment")).to_contain_text("Lock box for the knives")
    expect(section(first, "safe_environment")).not_to_contain_text("Car keys with Jamie")
    assert_not_reloaded(first)
    assert first.log.csp_violations == []
    assert console_errors(first) == []


# --- 5. the crisis form -------------------------------------------------------------------------


def test_recording_a_crisis_opens_it_raises_the_risk_and_lists_it_on_the_dashboard(
    new_page, live_server
):
    page = new_page(user=CASE_MANAGER)
    client_id = open_record(page, "Sofía Ejemplo")
    header = page.locator(".record-header")
    expect(header.locator(".badge", has_text="Risk:")).to_have_text("Risk: Low")

    page.get_by_role("link", name="Record a crisis").click()
    expect(page).to_have_url(live_server(f"/staff/clients/{client_id}/crisis/new"))
    expect(page.get_by_label("When")).not_to_have_value("")  # now, filled in
    page.get_by_label("What happened").fill(
        "Called in distress after losing her job; no plan or intent to harm herself."
    )
    page.get_by_role("group", name="Risk now").get_by_label("Moderate").check()
    page.get_by_label("Called 988").check()
    page.get_by_label("Outcome", exact=True).select_option(label="Stayed with a support person")
    with page.expect_navigation():
        page.get_by_role("button", name="Record the crisis").click()

    expect(page).to_have_url(re.compile(rf"/staff/clients/{client_id}/crisis/(\d+)$"))
    event_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("#flash-region")).to_contain_text("Crisis recorded.")
    title = page.locator("#crisis-title")
    expect(title.locator(".badge")).to_have_text("Open")
    expect(page.locator(".facts")).to_contain_text("Called in distress after losing her job")
    expect(page.locator(".facts")).to_contain_text("Called 988")
    expect(page.locator(".facts")).to_contain_text("Stayed with a support person")
    expect(header.locator(".badge", has_text="Risk:")).to_have_text("Risk: Moderate")
    expect(page.get_by_role("link", name="Follow-up task")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    panel = page.get_by_role("region", name="Open crises")
    listed = panel.locator(f"#crisis-{event_id}")
    expect(listed).to_contain_text("Sofía Ejemplo")
    expect(listed).to_contain_text("Moderate")
    listed.get_by_role("link", name="Sofía Ejemplo").click()
    expect(page).to_have_url(live_server(f"/staff/clients/{client_id}/crisis/{event_id}"))
    assert page.log.csp_violations == []
    assert console_errors(page) == []


# --- 6. without JavaScript ----------------------------------------------------------------------


def test_the_client_adds_to_the_plan_without_javascript(new_page, live_server):
    page = new_page(user=CLIENT, java_script_enabled=False)
    page.goto("/client/safety-plan")
    coping = page.locator("#section-coping")
    coping.get_by_label("Add your own").fill("Call my sister and talk about anything")
    with page.expect_navigation():
        coping.get_by_role("button", name="Add").click()
    expect(page).to_have_url(live_server("/client/safety-plan#section-coping"))
    expect(page.locator("#flash-region")).to_have_text("Added to your safety plan.")
    expect(page.locator("#section-coping li").last).to_have_text(
        "Call my sister and talk about anything"
    )
    expect(coping.get_by_label("Add your own")).to_have_value("")

    # A section the case manager has not opened to the client has no form.
    expect(page.locator("#section-warning_signs form")).to_have_count(0)
    # An empty addition is refused next to the field, with what was there kept.
    reasons = page.locator("#section-reasons")
    with page.expect_navigation():
        reasons.get_by_role("button", name="Add").click()
    field = page.locator("#section-reasons").get_by_label("Add your own")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#section-reasons .field__error")).to_have_text("Write something to add.")
