"""The record overview's care-team picker in real Chromium: typing part of a name brings the
matching colleagues in place (htmx), choosing one adds them; without JavaScript "Find" does
the same through a plain form."""

from __future__ import annotations

import re
from typing import Any

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

CASE_MANAGER = "cm@example.org"
PSYCHIATRIST = "Dr. Morgan Psychiatrist"  # on Alex's care team, not on Sofía's


def open_sofia(page: Any) -> str:
    """Sofía's overview, reached as a case manager would; returns its path."""
    page.goto("/staff/clients")
    page.locator("#client-results").get_by_role("link", name="Sofía Ejemplo").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sofía")
    path = re.sub(r"^https?://[^/]+", "", page.url)
    assert re.fullmatch(r"/staff/clients/\d+", path), path
    return path


def test_typing_part_of_a_name_offers_colleagues_and_one_joins_the_team(new_page):
    page = new_page(user=CASE_MANAGER)
    path = open_sofia(page)
    wait_for_htmx(page)
    care_team = page.locator("#care-team")
    candidates = page.locator("#staff-candidates")
    expect(care_team.locator("li", has_text=PSYCHIATRIST)).to_have_count(0)
    expect(candidates).to_have_attribute("aria-live", "polite")
    expect(candidates).to_have_text("Type part of a name.")
    expect(care_team.get_by_role("radio")).to_have_count(0)
    mark_window(page)
    remember_live_region(page, "#staff-candidates")

    search = page.get_by_label("Find a staff member")
    search.press_sequentially("zzq", delay=40)  # typing, no Enter
    expect(candidates).to_have_text("No staff member matches “zzq”.")
    search.fill("")
    search.press_sequentially("psych", delay=40)
    choice = candidates.get_by_role("radio", name=PSYCHIATRIST)
    expect(choice).to_have_count(1)
    expect(candidates.get_by_role("group", name="Staff member")).to_be_visible()
    expect(search).to_be_focused()
    expect(search).to_have_value("psych")
    assert_not_reloaded(page)
    assert_same_live_region(page, "#staff-candidates")
    assert_no_axe_violations(page)

    choice.check()
    candidates.get_by_label("Role on the team").select_option("psychiatrist")
    with page.expect_navigation():
        candidates.get_by_role("button", name="Add to care team").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}#care-team$"))
    expect(page.locator("#flash-region")).to_have_text(f"{PSYCHIATRIST} is on the care team.")
    member = page.locator("#care-team li", has_text=PSYCHIATRIST)
    expect(member).to_have_count(1)
    expect(member).to_contain_text("Psychiatrist")
    expect(page.get_by_label("Find a staff member")).to_have_value("")
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_find_works_as_a_plain_form_without_javascript(new_page):
    page = new_page(user=CASE_MANAGER, java_script_enabled=False)
    path = open_sofia(page)
    candidates = page.locator("#staff-candidates")
    page.get_by_label("Find a staff member").fill("manager")
    with page.expect_navigation():
        page.locator("#care-team").get_by_role("button", name="Find", exact=True).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(path)}\?staff_q=manager#care-team$"))
    expect(page.get_by_label("Find a staff member")).to_have_value("manager")
    radios = candidates.get_by_role("radio")
    expect(radios).to_have_count(3)
    for name in ("Casey Manager", "Jordan Manager", "Riley Manager"):
        expect(candidates.get_by_role("radio", name=name)).to_have_count(1)
    candidates.get_by_role("radio", name="Riley Manager").check()
    candidates.get_by_label("Role on the team").select_option("case_manager")
    with page.expect_navigation():
        candidates.get_by_role("button", name="Add to care team").click()
    expect(page.locator("#flash-region")).to_have_text("Riley Manager is on the care team.")
    expect(page.locator("#care-team li", has_text="Riley Manager")).to_contain_text("Case manager")
