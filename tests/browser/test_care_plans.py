"""Care plans in real Chromium: goals, objectives and steps edited in place with htmx, the
conflict view, signing, axe-core, the Content Security Policy, phones and Spanish."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from .helpers import (
    assert_no_axe_violations,
    assert_not_reloaded,
    assert_same_live_region,
    console_errors,
    mark_window,
    remember_live_region,
    wait_for_htmx,
)

CASE_MANAGER = "cm@example.org"
ALEX = 1  # "Alex": plan version 2 in force, version 1 replaced, progress on every goal
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
GOAL_LABEL = "Goal, in the client's own words"
OBJECTIVE_LABEL = "Objective: a measurable step"
INTERVENTION_LABEL = "Intervention: what will be done"


def plan_path(client_id: int, rest: str = "") -> str:
    return f"/staff/clients/{client_id}/plan{rest}"


def clients_without_a_plan(live_server: Any) -> list[tuple[int, str]]:
    """The case manager's clients (not discharged) with no care plan yet, in record order."""
    engine = create_engine(live_server.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT client.id, client.legal_name FROM client"
                    ' JOIN "user" ON "user".id = client.primary_case_manager_id'
                    " WHERE \"user\".email = :email AND client.status != 'discharged'"
                    " AND NOT EXISTS (SELECT 1 FROM care_plan WHERE client_id = client.id)"
                    " ORDER BY client.id"
                ),
                {"email": CASE_MANAGER},
            ).all()
    finally:
        engine.dispose()
    return [(int(row[0]), str(row[1])) for row in rows]


def fresh_client(live_server: Any) -> int:
    """A client of the case manager with no plan, other than Taylor Sample (kept for the
    walk through the caseload); each test that starts a plan takes the next one."""
    for client_id, name in clients_without_a_plan(live_server):
        if name != "Taylor Sample":
            return client_id
    pytest.fail("no client of the case manager is left without a care plan")


def start_plan(page: Any, client_id: int) -> None:
    """Open the client's empty plan and start a draft (a plain form post)."""
    page.goto(plan_path(client_id))
    with page.expect_navigation():
        page.get_by_role("button", name="Start a care plan").click()
    expect(page.locator("#plan-title")).to_have_text("Care plan, version 1")
    wait_for_htmx(page)


def add_goal(page: Any, description: str, progress: str = "0") -> Any:
    """Add a goal through the inline form; returns its card."""
    add = page.locator("#goal-new")
    add.get_by_label(GOAL_LABEL).fill(description)
    add.get_by_label("Progress (0–100%)").fill(progress)
    add.get_by_role("button", name="Add goal").click()
    card = page.locator("#goals li.goal-card", has_text=description)
    expect(card).to_have_count(1)
    return page.locator(f"#{card.get_attribute('id')}")  # by id: its text is about to change


def open_add(card: Any, label: str, field: str) -> Any:
    """Open a goal's "Add objective" or "Add intervention" unless its form is open already
    (it stays open after an addition); returns the form's first field."""
    first = card.get_by_label(field)
    if not first.is_visible():
        card.locator("summary", has_text=label).click()
        expect(first).to_be_focused()
    return first


def add_objective(card: Any, description: str) -> Any:
    """Add an objective through the form in the goal's card; returns its row."""
    open_add(card, "Add objective", OBJECTIVE_LABEL).fill(description)
    card.get_by_role("button", name="Save objective").click()
    row = card.locator("li.step", has_text=description)
    expect(row).to_have_count(1)
    return card.page.locator(f"#{row.get_attribute('id')}")


def objective_texts(card: Any) -> list[str]:
    return [
        t.strip() for t in card.locator("li.step[id^=objective-] > p:first-child").all_inner_texts()
    ]


def draft_with_goal(page: Any, live_server: Any, description: str) -> tuple[int, Any]:
    """A fresh client's draft with one goal (one objective, one intervention) on screen."""
    client_id = fresh_client(live_server)
    start_plan(page, client_id)
    card = add_goal(page, description)
    add_objective(card, "Ask the clinic for a bus pass")
    open_add(card, "Add intervention", INTERVENTION_LABEL).fill("Help with the bus-pass form")
    card.get_by_label("Who", exact=True).fill("Casey Manager")
    card.get_by_label("How often").fill("Once")
    card.get_by_role("button", name="Save intervention").click()
    expect(card.locator("li.step", has_text="Help with the bus-pass form")).to_have_count(1)
    return client_id, card


# --- 1. goals and objectives in place --------------------------------------------------------


def test_goals_and_objectives_are_added_edited_moved_and_removed_in_place(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    # From the caseload to Taylor's record and its (empty) care plan, as a person would.
    page.goto("/staff/clients")
    wait_for_htmx(page)
    page.get_by_label("Search", exact=True).press_sequentially("Taylor", delay=40)
    page.locator("#client-results").get_by_role("link", name="Taylor Sample").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Taylor Sample")
    page.get_by_role("navigation", name="Client record").get_by_role(
        "link", name="Care plan"
    ).click()
    expect(page).to_have_url(re.compile(r"/staff/clients/\d+/plan$"))
    expect(page.get_by_text("No care plan yet.")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Start a care plan").click()
    expect(page.locator("#plan-title")).to_have_text("Care plan, version 1")
    expect(page.locator("#flash-region")).to_have_text("Draft version 1 started.")
    plan_url = page.url
    wait_for_htmx(page)
    mark_window(page)
    remember_live_region(page)

    # A goal, added with the form: it appears without a page load and the form empties.
    card = add_goal(page, "I want to get to my appointments on time.")
    expect(card.locator(".goal-head__text")).to_have_text(
        "I want to get to my appointments on time."
    )
    expect(card.locator(".goal-head .badge", has_text="Not started")).to_be_visible()
    expect(page.locator("#goal-new").get_by_label(GOAL_LABEL)).to_have_value("")
    assert page.url == plan_url
    assert_not_reloaded(page)

    # Edit the goal in place: the head turns into its form, focus goes into it.
    head = card.locator(".goal-head")
    card.get_by_role("link", name="Edit goal").click()
    editing = card.locator(".goal-head.editing")
    expect(editing).to_have_count(1)
    field = editing.get_by_label(GOAL_LABEL)
    expect(field).to_have_value("I want to get to my appointments on time.")
    expect(editing.get_by_role("form", name="Edit goal")).to_be_focused()
    page.keyboard.press("Tab")  # from the form to its first field
    expect(field).to_be_focused()
    field.fill("I want to get to every appointment on time, by bus.")
    editing.get_by_label("Life domain").select_option(label="Transportation")
    editing.get_by_role("button", name="Save").click()
    expect(editing).to_have_count(0)
    expect(head.locator(".goal-head__text")).to_have_text(
        "I want to get to every appointment on time, by bus."
    )
    expect(head.get_by_text("Transportation", exact=True)).to_be_visible()
    expect(page.locator("#flash-region")).to_have_text("Saved.")
    expect(card.get_by_role("link", name="Edit goal")).to_be_focused()
    assert_same_live_region(page)
    assert_not_reloaded(page)

    # Cancel leaves the goal as it was and puts focus back on its "Edit goal".
    card.get_by_role("link", name="Edit goal").click()
    card.locator(".goal-head.editing").get_by_label(GOAL_LABEL).fill("Not this")
    card.locator(".goal-head.editing").get_by_role("link", name="Cancel").click()
    expect(card.locator(".goal-head.editing")).to_have_count(0)
    expect(head.locator(".goal-head__text")).to_have_text(
        "I want to get to every appointment on time, by bus."
    )
    expect(card.get_by_role("link", name="Edit goal")).to_be_focused()

    # Objectives, added in the card: it is swapped, the page stays, the addition is announced.
    first = add_objective(card, "Set two phone reminders for each appointment")
    expect(page.locator("#flash-region")).to_have_text("Objective added.")
    expect(card.get_by_role("button", name="Save objective")).to_be_focused()
    expect(card.get_by_label(OBJECTIVE_LABEL)).to_have_value("")
    add_objective(card, "Plan the bus route the day before")
    add_objective(card, "Leave 20 minutes early")
    assert objective_texts(card) == [
        "Set two phone reminders for each appointment",
        "Plan the bus route the day before",
        "Leave 20 minutes early",
    ]

    # Edit an objective in place.
    first.get_by_role("link", name="Edit objective").click()
    editing = card.locator("li.step.editing")
    expect(editing).to_have_count(1)
    expect(editing.get_by_role("form", name="Edit objective")).to_be_focused()
    editing.get_by_label(OBJECTIVE_LABEL).fill("Set one phone reminder the day before")
    editing.get_by_label("Status").select_option(label="In progress")
    editing.get_by_role("button", name="Save").click()
    expect(editing).to_have_count(0)
    first = card.locator("li.step", has_text="Set one phone reminder the day before")
    expect(first).to_have_count(1)
    expect(first.get_by_text("In progress")).to_be_visible()
    expect(page.locator("#flash-region")).to_have_text("Saved.")
    expect(first.get_by_role("link", name="Edit objective")).to_be_focused()

    # Move: the last objective up, then the first one down; focus stays on the button used.
    last = card.locator("li.step", has_text="Leave 20 minutes early")
    last.get_by_role("button", name="Move up: objective").click()
    expect(card.locator("li.step[id^=objective-]").nth(1)).to_contain_text("Leave 20 minutes early")
    assert objective_texts(card) == [
        "Set one phone reminder the day before",
        "Leave 20 minutes early",
        "Plan the bus route the day before",
    ]
    expect(last.get_by_role("button", name="Move up: objective")).to_be_focused()
    first.get_by_role("button", name="Move down: objective").click()
    expect(card.locator("li.step[id^=objective-]").nth(0)).to_contain_text("Leave 20 minutes early")
    assert objective_texts(card) == [
        "Leave 20 minutes early",
        "Set one phone reminder the day before",
        "Plan the bus route the day before",
    ]
    expect(first.get_by_role("button", name="Move down: objective")).to_be_focused()
    expect(page.locator("#flash-region")).to_have_text("Moved.")

    # Remove one: it goes, the others stay, the page stays.
    card.locator("li.step", has_text="Plan the bus route").get_by_role(
        "button", name="Remove objective"
    ).click()
    expect(card.locator("li.step", has_text="Plan the bus route")).to_have_count(0)
    expect(page.locator("#flash-region")).to_have_text("Removed.")
    assert objective_texts(card) == [
        "Leave 20 minutes early",
        "Set one phone reminder the day before",
    ]
    assert_not_reloaded(page)
    assert_same_live_region(page)
    assert page.url == plan_url

    # All of it was saved: a reload shows the same plan.
    page.reload()
    card = page.locator("#goals li.goal-card")
    expect(card).to_have_count(1)
    expect(card.locator(".goal-head__text")).to_have_text(
        "I want to get to every appointment on time, by bus."
    )
    assert objective_texts(card) == [
        "Leave 20 minutes early",
        "Set one phone reminder the day before",
    ]
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_adding_a_goal_is_announced_in_the_live_region(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    start_plan(page, fresh_client(live_server))
    remember_live_region(page)
    add_goal(page, "I want to cook for myself twice a week.")
    expect(page.locator("#flash-region")).to_have_text("Goal added.", timeout=2_000)
    assert_same_live_region(page)


def assert_focus_kept(page: Any, after: str) -> None:
    page.wait_for_timeout(200)  # htmx settles (and moves focus) 20 ms after the swap
    lost = page.evaluate("() => document.activeElement === document.body")
    assert not lost, f"focus fell back to the page after {after}"


def test_focus_is_not_lost_when_a_goal_is_added(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    start_plan(page, fresh_client(live_server))
    add_goal(page, "I want to learn to swim.")
    assert_focus_kept(page, "adding a goal")


def test_focus_is_not_lost_when_an_objective_is_removed(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    _client_id, card = draft_with_goal(page, live_server, "I want to ride a bike again.")
    card.locator("li.step", has_text="bus pass").get_by_role(
        "button", name="Remove objective"
    ).click()
    expect(card.locator("li.step", has_text="bus pass")).to_have_count(0)
    assert_focus_kept(page, "removing an objective")


def test_a_goal_is_edited_without_javascript(new_page, live_server):
    """Every page works without JavaScript: the Edit link leads to the form on a page of
    its own, and saving comes back to the goal on the plan."""
    page = new_page(user=CASE_MANAGER)
    client_id, _card = draft_with_goal(page, live_server, "I want to read a book a month.")
    plain = new_page(user=CASE_MANAGER, java_script_enabled=False)
    plain.goto(plan_path(client_id))
    plain.get_by_role("link", name="Edit goal").click()
    expect(plain).to_have_url(re.compile(r"/plan/goal/\d+/edit$"))
    expect(plain.get_by_role("heading", name="Edit goal", level=2)).to_be_visible()
    plain.get_by_label(GOAL_LABEL).fill("I want to read two books a month.")
    with plain.expect_navigation():
        plain.get_by_role("button", name="Save").click()
    expect(plain).to_have_url(re.compile(rf"{plan_path(client_id)}#goal-\d+$"))
    expect(plain.locator("#flash-region")).to_have_text("Saved.")
    expect(plain.locator(".goal-head__text")).to_have_text("I want to read two books a month.")


# --- 2. two people, one goal -------------------------------------------------------------------


def test_a_stale_goal_edit_shows_the_saved_version_and_keeps_what_was_typed(new_page, live_server):
    first = new_page(user=CASE_MANAGER)
    client_id = fresh_client(live_server)
    start_plan(first, client_id)
    add_goal(first, "I want to see my sister every month.")
    first.log.console.clear()  # from here on: the conflict only

    second = new_page(user=CASE_MANAGER)
    second.goto(plan_path(client_id))
    wait_for_htmx(second)
    mark_window(second)
    # Both open the same goal's inline form, each in its own browser context.
    forms = []
    for page in (first, second):
        card = page.locator("#goals li.goal-card", has_text="I want to see my sister")
        card.get_by_role("link", name="Edit goal").click()
        editing = card.locator(".goal-head.editing")
        expect(editing.get_by_label(GOAL_LABEL)).to_have_value(
            "I want to see my sister every month."
        )
        forms.append(editing)

    forms[0].get_by_label(GOAL_LABEL).fill("I want to see my sister every two weeks.")
    forms[0].get_by_role("button", name="Save").click()
    expect(first.locator(".goal-head__text")).to_have_text(
        "I want to see my sister every two weeks."
    )

    forms[1].get_by_label(GOAL_LABEL).fill("I want to call my sister every Sunday.")
    forms[1].get_by_label("Progress (0–100%)").fill("10")
    forms[1].get_by_role("button", name="Save").click()
    conflict = forms[1].get_by_role("alert")
    expect(conflict).to_contain_text("Someone else changed this while you were editing")
    # Both versions: the saved one in the box, this person's own in the form.
    expect(conflict).to_contain_text("I want to see my sister every two weeks.")
    expect(forms[1].get_by_label(GOAL_LABEL)).to_have_value(
        "I want to call my sister every Sunday."
    )
    expect(forms[1].get_by_label("Progress (0–100%)")).to_have_value("10")
    expect(conflict).to_be_focused()
    assert_not_reloaded(second)
    expect(second.locator("#plan-title")).to_have_text("Care plan, version 1")

    # Saving again keeps this person's version, knowingly.
    forms[1].get_by_role("button", name="Save").click()
    expect(second.locator(".goal-head.editing")).to_have_count(0)
    expect(second.locator(".goal-head__text")).to_have_text(
        "I want to call my sister every Sunday."
    )
    expect(second.locator("#flash-region")).to_have_text("Saved.")
    first.reload()
    expect(first.locator(".goal-head__text")).to_have_text("I want to call my sister every Sunday.")

    for page in (first, second):
        assert page.log.csp_violations == []
        assert console_errors(page) == []


# --- 3. signing --------------------------------------------------------------------------------


def test_signing_the_draft_puts_it_in_force_and_freezes_it(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    client_id, _card = draft_with_goal(page, live_server, "I want a library card.")
    expect(page.get_by_role("link", name="Edit goal")).to_have_count(1)

    page.get_by_role("link", name="Review and sign").click()
    expect(page).to_have_url(re.compile(rf"/staff/clients/{client_id}/plan/\d+/sign$"))
    expect(page.get_by_role("heading", name="Sign version 1 of the care plan")).to_be_visible()
    expect(page.locator(".goal-list--summary")).to_contain_text("I want a library card.")
    expect(page.get_by_label("Review due")).not_to_have_value("")  # a date is suggested
    page.get_by_label("I have gone through this plan with the client and sign it.").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign the plan").click()

    expect(page).to_have_url(live_server(plan_path(client_id)))
    expect(page.locator("#flash-region")).to_have_text("Plan signed. Version 1 is in force.")
    expect(page.locator(".plan-status .badge")).to_have_text("In force")
    expect(page.locator("#goals")).to_contain_text("I want a library card.")
    expect(page.locator("#goals")).to_contain_text("Ask the clinic for a bus pass")
    # Frozen: no edit, move or remove control, no add form, and a way to a new version.
    for name in ("Edit goal", "Edit objective", "Edit intervention"):
        expect(page.get_by_role("link", name=name)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^(Move|Remove)"))).to_have_count(0)
    expect(page.locator("#goal-new")).to_have_count(0)
    expect(page.get_by_role("link", name="Review and sign")).to_have_count(0)
    expect(page.get_by_role("button", name="Start a new version")).to_be_visible()
    expect(page.get_by_role("link", name="Progress over time")).to_have_count(1)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


# --- 4. axe-core and the Content Security Policy ---------------------------------------------


def check_page(page: Any) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "en")
    wait_for_htmx(page)
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_a_goals_add_forms_open_when_asked_and_stay_open_for_the_next_step(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    client_id, card = draft_with_goal(page, live_server, "I want to cook for my family.")
    add_goal(page, "I want to see my sister every month.")
    # Drawn again, the plan's goals show their add buttons closed: no form until asked.
    page.goto(plan_path(client_id))
    wait_for_htmx(page)
    mark_window(page)
    expect(page.locator("#goals details.form-disclosure")).to_have_count(4)
    expect(page.locator("#goals details.form-disclosure[open]")).to_have_count(0)
    expect(page.locator("#goals .goal-card form.add-form")).to_have_count(0)
    card = page.locator("#goals li.goal-card", has_text="cook for my family")

    # Opening one fetches its form in place, focus in its first field; the others stay shut.
    summary = card.locator("summary", has_text="Add intervention")
    expect(card.locator("details.form-disclosure[open]")).to_have_count(0)
    summary.click()
    field = card.get_by_label(INTERVENTION_LABEL)
    expect(field).to_be_focused()
    expect(page.locator("#goals .goal-card form.add-form")).to_have_count(1)
    field.fill("Cook one new recipe together")
    card.get_by_label("Who", exact=True).fill("Peer specialist")
    card.get_by_role("button", name="Save intervention").click()
    expect(card.locator("li.step", has_text="Cook one new recipe together")).to_have_count(1)
    # After the addition the form is there again, empty, and keeps the focus.
    expect(card.get_by_label(INTERVENTION_LABEL)).to_have_value("")
    expect(card.get_by_role("button", name="Save intervention")).to_be_focused()
    expect(page.locator("#flash-region")).to_have_text("Intervention added.")

    # Closing and opening again shows what was typed: the form is fetched once.
    card.get_by_label(INTERVENTION_LABEL).fill("Shop for the ingredients")
    summary.click()
    expect(card.get_by_label(INTERVENTION_LABEL)).to_be_hidden()
    summary.click()
    expect(card.get_by_label(INTERVENTION_LABEL)).to_have_value("Shop for the ingredients")

    # A refusal comes back open, with the error at the field and the rest kept.
    card.get_by_label(INTERVENTION_LABEL).fill("")
    card.get_by_label("How often").fill("Weekly")
    card.get_by_role("button", name="Save intervention").click()
    expect(card.locator(".field__error")).to_have_text("Describe the intervention.")
    expect(card.get_by_label("How often")).to_have_value("Weekly")
    assert_not_reloaded(page)
    check_page(page)


def test_draft_with_goals_inline_form_and_sign_page_have_no_axe_violations(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    client_id, card = draft_with_goal(page, live_server, "I want to sleep through the night.")
    add_goal(page, "I want to walk to the shop on my own.")
    check_page(page)

    # With the inline edit form of a goal and of an objective open, next to the add forms.
    card.get_by_role("link", name="Edit goal").click()
    expect(card.locator(".goal-head.editing")).to_have_count(1)
    card.locator("li.step", has_text="bus pass").get_by_role("link", name="Edit objective").click()
    expect(card.locator("li.step.editing")).to_have_count(1)
    ids = page.evaluate(
        "() => Array.from(document.querySelectorAll("
        "'main input:not([type=hidden]), main select, main textarea'), (e) => e.id)"
    )
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert duplicates == [], f"field ids used twice on the page: {duplicates}"
    check_page(page)

    # The add-goal form sent empty: its errors, as swapped in.
    page.locator("#goal-new").get_by_role("button", name="Add goal").click()
    expect(page.locator("#goal-new")).to_contain_text("Write the goal.")
    check_page(page)

    page.get_by_role("link", name="Review and sign").click()
    expect(page).to_have_url(re.compile(rf"/staff/clients/{client_id}/plan/\d+/sign$"))
    check_page(page)
    # Signing without the confirmation: the errors, summarised and focused.
    page.get_by_role("button", name="Sign the plan").click()
    expect(page.locator("#error-summary")).to_contain_text("Confirm that you sign the plan.")
    check_page(page)


def test_conflict_box_has_no_axe_violations(new_page, live_server):
    first = new_page(user=CASE_MANAGER)
    client_id = fresh_client(live_server)
    start_plan(first, client_id)
    card = add_goal(first, "I want to join a choir.")
    add_objective(card, "Find a choir that meets in the evening")
    second = new_page(user=CASE_MANAGER)
    second.goto(plan_path(client_id))
    wait_for_htmx(second)
    editors = []
    for page in (first, second):
        step = page.locator("li.step", has_text="Find a choir")
        step.get_by_role("link", name="Edit objective").click()
        editors.append(page.locator("li.step.editing"))
        expect(editors[-1]).to_have_count(1)
    editors[0].get_by_label(OBJECTIVE_LABEL).fill("Find a choir that meets on Saturdays")
    editors[0].get_by_role("button", name="Save").click()
    expect(editors[0]).to_have_count(0)
    editors[1].get_by_label(OBJECTIVE_LABEL).fill("Find a choir near the bus line")
    editors[1].get_by_role("button", name="Save").click()
    expect(editors[1].get_by_role("alert")).to_contain_text("Find a choir that meets on Saturdays")
    expect(editors[1].get_by_label(OBJECTIVE_LABEL)).to_have_value("Find a choir near the bus line")
    check_page(second)


def open_alex_page(page: Any, which: str) -> None:
    """Alex's signed plan, and the pages one reaches from it by its links."""
    page.goto(plan_path(ALEX))
    expect(page.locator(".plan-status .badge")).to_have_text("In force")
    if which == "versions":
        page.get_by_role("link", name="All versions").click()
        expect(page.get_by_role("heading", name="Care plan versions")).to_be_visible()
        expect(page.locator("table tbody tr")).to_have_count(2)
    elif which == "compare":
        page.get_by_role("link", name="All versions").click()
        page.get_by_role("link", name="Compare 1 with 2").click()
        expect(
            page.get_by_role("heading", name="What changed from version 1 to version 2")
        ).to_be_visible()
        expect(page.locator(".badge--change-added").first).to_be_visible()
    elif which == "old-version":
        page.get_by_role("link", name="All versions").click()
        page.get_by_role("link", name="Version 1", exact=True).click()
        expect(page.locator(".plan-status .badge")).to_have_text("Replaced by a later version")
    elif which == "progress":
        page.locator("#goals li.goal-card").first.get_by_role(
            "link", name="Progress over time"
        ).click()
        expect(page.get_by_role("heading", name="Goal progress")).to_be_visible()
        chart = page.get_by_role("img", name=re.compile(r"^Progress towards the goal over time"))
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and box["width"] > 0 and box["height"] > 0, box
        points = page.locator("figure.chart svg circle")
        expect(points).to_have_count(3)  # the demo's three ratings of this goal
        expect(page.locator("#progress-data tbody tr")).to_have_count(3)


@pytest.mark.parametrize("which", ["plan", "versions", "compare", "old-version", "progress"])
def test_signed_plan_pages_have_no_axe_violations_or_csp_violations(new_page, which):
    page = new_page(user=CASE_MANAGER)
    open_alex_page(page, which)
    check_page(page)


# --- 5. phones ---------------------------------------------------------------------------------


def assert_no_sideways_scrolling(page: Any) -> None:
    width = page.evaluate("() => document.scrollingElement.scrollWidth")
    inner = page.evaluate("() => window.innerWidth")
    assert width <= inner, f"{page.url} is {width}px wide on a {inner}px phone"


def test_plan_page_fits_a_phone_and_its_forms_can_be_used(new_page, live_server):
    page = new_page(user=CASE_MANAGER, **PHONE)
    client_id, card = draft_with_goal(page, live_server, "I want to keep my flat tidy.")
    assert_no_sideways_scrolling(page)

    # Each field of the add-goal form is on screen, full width, and takes input by touch.
    add = page.locator("#goal-new")
    for label in (GOAL_LABEL, "Life domain", "Target date", "Status", "Progress (0–100%)"):
        box = add.get_by_label(label).bounding_box()
        assert box is not None, label
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (label, box)
        assert box["width"] >= 200 and box["height"] >= 24, (label, box)
    add.get_by_label(GOAL_LABEL).tap()
    expect(add.get_by_label(GOAL_LABEL)).to_be_focused()
    button = add.get_by_role("button", name="Add goal")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 24 and box["x"] + box["width"] <= 390, box
    add_goal(page, "I want to pay my bills on time with a long description that wraps.")
    assert_no_sideways_scrolling(page)

    # With an inline edit form open, and on the sign page.
    card.get_by_role("link", name="Edit goal").click()
    expect(card.locator(".goal-head.editing")).to_have_count(1)
    assert_no_sideways_scrolling(page)
    page.get_by_role("link", name="Review and sign").click()
    expect(page).to_have_url(re.compile(rf"/staff/clients/{client_id}/plan/\d+/sign$"))
    assert_no_sideways_scrolling(page)
    assert page.log.csp_violations == []


@pytest.mark.parametrize("which", ["plan", "versions", "compare", "progress"])
def test_signed_plan_pages_fit_a_phone(new_page, which):
    page = new_page(user=CASE_MANAGER, **PHONE)
    open_alex_page(page, which)
    assert_no_sideways_scrolling(page)


# --- 6. Spanish --------------------------------------------------------------------------------


def test_plan_page_in_spanish(new_page, live_server):
    page = new_page(locale="es-ES", user=CASE_MANAGER)
    page.goto(plan_path(ALEX))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#plan-title")).to_have_text("Plan de atención, versión 2")
    expect(page.locator(".plan-status .badge")).to_have_text("Vigente")
    expect(page.locator("#goals-title")).to_have_text("Metas")
    steps = page.locator("#goals .goal-steps__title")
    expect(steps.first).to_have_text("Objetivos")
    expect(steps.nth(1)).to_have_text("Intervenciones")
    expect(page.get_by_role("link", name="Todas las versiones")).to_be_visible()
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []
