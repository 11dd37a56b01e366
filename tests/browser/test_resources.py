"""The resource directory and referrals in real Chromium: search as you type with filters and
Back, proposing and moving a referral from the client record and from a resource's page, the
client's resources page, axe-core, phones and the Content Security Policy."""

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
    wait_for_htmx,
)

CASE_MANAGER = "cm@example.org"
SUPERVISOR = "supervisor@example.org"
CLIENT = "client@example.org"
ALEX = 1  # Alexander Example ("Alex"), cm@example.org's client, also client@example.org
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}

COUNT = re.compile(r"^(\d+) resources?$")


def assert_no_sideways_scroll(page: Any) -> None:
    """Compared with the viewport asked for: on a phone the layout viewport (and with it
    ``window.innerWidth``) grows to fit content that is too wide."""
    allowed = page.viewport_size["width"]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= allowed, f"{page.url} is {width}px wide on a {allowed}px phone"


def shown_count(page: Any) -> int:
    """The number the directory announces in ``#resource-count``."""
    return shown_count_of(page.locator("#resource-count").inner_text())


def shown_count_of(text: str) -> int:
    match = COUNT.match(text.strip())
    assert match, f"unexpected count text: {text!r}"
    return int(match.group(1))


def cards(page: Any) -> Any:
    return page.locator("#resource-results li.resource")


# --- 1. search as you type -------------------------------------------------------------------


def test_search_as_you_type_narrows_the_directory_in_place(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto("/staff/resources")
    wait_for_htmx(page)
    count = page.locator("#resource-count")
    expect(count).to_have_attribute("role", "status")
    expect(count).to_have_attribute("aria-live", "polite")
    expect(count).to_have_text(COUNT)
    everything = shown_count(page)
    assert everything >= 50  # sixty demo entries, one of them retired
    expect(cards(page)).to_have_count(25)  # the first page of results
    expect(page.get_by_role("navigation", name="Pages")).to_contain_text("Page 1 of")

    remember_live_region(page, "#resource-count")
    mark_window(page)
    search = page.get_by_label("Search by name, service or category")
    search.press_sequentially("pantry", delay=40)  # typing, no Enter

    expect(count).to_have_text("5 resources", timeout=3_000)
    expect(cards(page)).to_have_count(5)
    for name in cards(page).get_by_role("heading").all_inner_texts():
        assert "Food Pantry" in name
    expect(cards(page).filter(has_text="Eastside Neighborhood Food Pantry")).to_have_count(1)
    expect(page.get_by_role("navigation", name="Pages")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/staff/resources\?(.*&)?q=pantry(&|$)"))
    expect(search).to_be_focused()
    expect(search).to_have_value("pantry")
    expect(page.locator("#resource-results")).to_have_count(1)
    assert_not_reloaded(page)
    assert_same_live_region(page, "#resource-count")

    # Enter, as people do out of habit, searches in place too.
    search.press("Enter")
    expect(count).to_have_text("5 resources")
    expect(search).to_have_value("pantry")
    assert_not_reloaded(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_paging_swaps_the_results_in_place_and_keeps_the_count(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto("/staff/resources")
    wait_for_htmx(page)
    total = page.locator("#resource-count").inner_text()
    first_page = cards(page).get_by_role("heading").all_inner_texts()
    remember_live_region(page, "#resource-count")
    mark_window(page)
    pager = page.get_by_role("navigation", name="Pages")
    pager.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"[?&]page=2(&|$)"))
    expect(pager).to_contain_text("Page 2 of")
    expect(cards(page)).to_have_count(25)
    assert set(cards(page).get_by_role("heading").all_inner_texts()).isdisjoint(first_page)
    expect(page.locator("#resource-count")).to_have_text(total)
    expect(page.locator("#resource-results")).to_have_count(1)
    expect(page.locator("#resource-count")).to_have_count(1)
    assert_not_reloaded(page)
    assert_same_live_region(page, "#resource-count")
    assert console_errors(page) == []


def test_a_category_narrows_the_search_further_and_back_restores_each_step(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto("/staff/resources")
    wait_for_htmx(page)
    everything = page.locator("#resource-count").inner_text()
    remember_live_region(page, "#resource-count")
    mark_window(page)
    search = page.get_by_label("Search by name, service or category")
    search.press_sequentially("help", delay=40)
    expect(page).to_have_url(re.compile(r"[?&]q=help(&|$)"))
    expect(page.locator("#resource-count")).not_to_have_text(everything)
    with_help = shown_count(page)
    assert 5 < with_help < shown_count_of(everything)
    names = cards(page).get_by_role("heading").all_inner_texts()
    assert any("Legal Aid" in name for name in names)
    assert any("Housing Help Center" in name for name in names)

    search.press("Tab")  # on to the filters, as a keyboard user would
    page.get_by_label("Category", exact=True).select_option(label="Legal help")
    expect(page).to_have_url(re.compile(r"[?&]category=legal(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]q=help(&|$)"))
    expect(page.locator("#resource-count")).to_have_text("5 resources")
    expect(cards(page)).to_have_count(5)
    for name in cards(page).get_by_role("heading").all_inner_texts():
        assert "Community Legal Aid" in name
    assert_not_reloaded(page)
    assert_same_live_region(page, "#resource-count")

    # Back: the search without the category, in the field and in the results ...
    page.go_back()
    expect(page).to_have_url(re.compile(r"[?&]q=help(&|$)"))
    expect(page).not_to_have_url(re.compile(r"category=legal"))
    expect(page.locator("#resource-count")).to_have_text(f"{with_help} resources")
    expect(page.get_by_label("Search by name, service or category")).to_have_value("help")
    expect(page.get_by_label("Category", exact=True)).to_have_value("")
    # ... and Back once more: the whole directory (leaving the search field adds no step).
    page.go_back()
    expect(page).to_have_url(live_server("/staff/resources"))
    expect(page.locator("#resource-count")).to_have_text(everything)
    expect(page.get_by_label("Search by name, service or category")).to_have_value("")
    page.go_forward()
    expect(page).to_have_url(re.compile(r"[?&]q=help(&|$)"))
    expect(page.locator("#resource-count")).to_have_text(f"{with_help} resources")

    # A result, then Back: the search is still there.
    page.get_by_label("Category", exact=True).select_option(label="Legal help")
    expect(page.locator("#resource-count")).to_have_text("5 resources")
    first = cards(page).first.get_by_role("link").first
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.go_back()
    expect(page).to_have_url(re.compile(r"/staff/resources\?(.*&)?q=help(&|$)"))
    expect(page.locator("#resource-count")).to_have_text("5 resources")
    expect(page.get_by_label("Search by name, service or category")).to_have_value("help")
    expect(page.get_by_label("Category", exact=True)).to_have_value("legal")
    expect(cards(page).filter(has_text=name)).to_have_count(1)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_directory_search_works_as_a_plain_form_without_javascript(new_page, live_server):
    page = new_page(user=CASE_MANAGER, java_script_enabled=False)
    page.goto("/staff/resources")
    page.get_by_label("Search by name, service or category").fill("pantry")
    page.get_by_label("Walk-ins welcome").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"[?&]q=pantry(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]walk_ins=1(&|$)"))
    found = shown_count(page)
    assert 0 < found < 5
    expect(cards(page)).to_have_count(found)
    for card in cards(page).all():
        expect(card).to_contain_text("Food Pantry")
        expect(card).to_contain_text("Walk-ins welcome")


# --- 2 and 3. proposing and moving a referral ------------------------------------------------


def test_propose_a_referral_from_the_record_and_move_it_along(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto(f"/staff/clients/{ALEX}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex")
    page.get_by_role("navigation", name="Client record").get_by_role(
        "link", name="Referrals"
    ).click()
    expect(page).to_have_url(live_server(f"/staff/clients/{ALEX}/referrals"))
    expect(page.get_by_role("link", name="Referrals", exact=True)).to_have_attribute(
        "aria-current", "page"
    )

    form = page.locator("form", has=page.get_by_role("button", name="Propose the referral"))
    form.get_by_label("Resource").select_option(label="Westside Community Legal Aid")
    form.get_by_label("Why this referral").fill("Help answering an eviction notice.")
    form.get_by_label("Follow up by").fill("2031-05-20")
    with page.expect_navigation():
        form.get_by_role("button", name="Propose the referral").click()

    expect(page).to_have_url(re.compile(rf"/staff/clients/{ALEX}/referrals/\d+$"))
    referral_url = page.url
    title = page.get_by_role("heading", level=2, name=re.compile("Referral to"))
    expect(title).to_contain_text("Referral to Westside Community Legal Aid")
    expect(title).to_contain_text("Proposed")
    expect(page.locator("#flash-region")).to_contain_text("Referral proposed.")
    expect(page.get_by_text("Help answering an eviction notice.")).to_be_visible()
    # How to reach them, phone first.
    expect(page.locator("a[href^='tel:']").first).to_be_visible()

    page.get_by_role("button", name="Mark as sent").click()
    expect(page).to_have_url(referral_url)
    expect(title).to_contain_text("Sent")
    expect(title).not_to_contain_text("Proposed")
    expect(page.locator("#flash-region")).to_contain_text("Referral updated.")
    history = page.locator("ol.timeline li")
    expect(history).to_have_count(2)
    expect(page.get_by_role("button", name="Mark as sent")).to_have_count(0)

    # Cancelling needs a reason: the error sits at the note, and nothing changed.
    page.get_by_role("button", name="Cancel the referral").click()
    note = page.get_by_label("Note (a reason is needed to decline or cancel)")
    expect(note).to_have_attribute("aria-invalid", "true")
    error = page.locator(".field--error .field__error")
    expect(error).to_have_text("Give a reason to decline or cancel.")
    described = note.get_attribute("aria-describedby") or ""
    assert error.get_attribute("id") in described.split()
    summary = page.get_by_role("alert").filter(has_text="There is a problem")
    to_the_note = summary.get_by_role("link", name="Give a reason to decline or cancel.")
    expect(to_the_note).to_have_attribute("href", f"#{note.get_attribute('id')}")
    expect(title).to_contain_text("Sent")
    expect(history).to_have_count(2)
    assert_no_axe_violations(page)

    page.goto(referral_url)
    expect(title).to_contain_text("Sent")
    expect(history).to_have_count(2)
    expect(page.get_by_role("button", name="Cancel the referral")).to_be_visible()

    page.goto(f"/staff/clients/{ALEX}/referrals")
    row = page.locator("li", has_text="Westside Community Legal Aid").filter(has_text="Sent")
    expect(row).to_have_count(1)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_refer_a_client_from_a_resource_page(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto("/staff/resources?q=ride")
    page.locator("#resource-results").get_by_role("link", name="North Ride Assist").click()
    entry = page.get_by_role("article", name="North Ride Assist")
    expect(entry.get_by_role("heading", level=1)).to_have_text("North Ride Assist")
    expect(entry.locator("a[href^='tel:']")).to_have_count(1)

    refer = page.get_by_role("region", name="Refer a client")
    refer.get_by_label("Client").select_option(label="Alex (WP-000001)")
    refer.get_by_label("Why this referral").fill("Rides to the benefits office.")
    with page.expect_navigation():
        refer.get_by_role("button", name="Propose the referral").click()

    expect(page).to_have_url(re.compile(rf"/staff/clients/{ALEX}/referrals/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex")
    title = page.get_by_role("heading", level=2, name=re.compile("Referral to"))
    expect(title).to_contain_text("Referral to North Ride Assist")
    expect(title).to_contain_text("Proposed")
    expect(page.get_by_text("Rides to the benefits office.")).to_be_visible()
    expect(page.get_by_role("button", name="Mark as sent")).to_be_visible()

    page.goto("/staff/resources?q=ride")
    page.locator("#resource-results").get_by_role("link", name="North Ride Assist").click()
    expect(page.get_by_role("heading", name="Referrals so far")).to_be_visible()
    expect(page.locator(".stat-list")).to_contain_text("Proposed")
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_a_referral_without_a_reason_is_refused_from_the_resource_page(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto("/staff/resources?q=ride")
    page.locator("#resource-results").get_by_role("link", name="South Ride Assist").click()
    refer = page.get_by_role("region", name="Refer a client")
    refer.get_by_label("Client").select_option(label="Alex (WP-000001)")
    with page.expect_navigation():
        refer.get_by_role("button", name="Propose the referral").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("South Ride Assist")
    expect(page.locator("#flash-region")).to_contain_text("Say why you refer the client.")
    page.goto(f"/staff/clients/{ALEX}/referrals")
    listed = page.get_by_role("region", name="Referrals", exact=True)
    expect(listed.get_by_role("link", name="North Housing Help Center")).to_be_visible()
    expect(listed).not_to_contain_text("South Ride Assist")


def test_a_supervisor_sees_the_entrys_buttons_together(new_page):
    """A form may not sit inside a paragraph: the parser would close the paragraph first and
    leave the retire button outside the group of buttons."""
    page = new_page(user=SUPERVISOR)
    page.goto("/staff/resources?q=ride")
    page.locator("#resource-results").get_by_role("link", name="North Ride Assist").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("North Ride Assist")
    group = page.locator(".actions", has=page.get_by_role("link", name="Edit", exact=True))
    expect(group.get_by_role("button", name="Retire this entry")).to_be_visible()
    expect(page.locator("main p:empty")).to_have_count(0)
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []


# --- 5. the client's resources page ------------------------------------------------------------


def test_client_finds_food_help_with_numbers_to_tap_and_saves_one(new_page, live_server):
    page = new_page(user=CLIENT)
    page.goto("/client/")
    page.get_by_role("link", name="My resources").click()
    expect(page).to_have_url(live_server("/client/resources"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My resources")
    referrals = page.get_by_role("region", name="Where your referrals stand")
    demo = referrals.locator("li.resource", has_text="North Housing Help Center")
    expect(demo.first).to_contain_text("Your case manager suggested this")
    expect(referrals).not_to_contain_text("proposed")  # plain words, not the status code
    saved = page.get_by_role("region", name="Saved resources")
    name = "Eastside Neighborhood Food Pantry"
    expect(saved).not_to_contain_text(name)

    find = page.get_by_role("region", name="Find a service")
    find.get_by_label("What are you looking for?").fill("food")
    with page.expect_navigation():
        find.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/client/resources\?(.*&)?q=food(&|$)"))
    results = find.locator("li.resource")
    expect(results.first).to_be_visible()
    assert results.count() >= 3
    for card in results.all():
        expect(card.get_by_role("heading")).to_contain_text("Food Pantry")
        phone = card.locator("a[href^='tel:']")
        expect(phone).to_have_count(1)
        expect(phone).to_have_attribute("href", re.compile(r"^tel:[0-9+()\- ]+$"))

    with page.expect_navigation():
        find.get_by_role("button", name=f"Save {name} to my resources").click()
    expect(page).to_have_url(re.compile(r"/client/resources#saved$"))
    expect(page.locator("#flash-region")).to_contain_text("Saved to your resources.")
    expect(saved.get_by_role("heading", name=name)).to_be_visible()
    expect(saved.locator("a[href^='tel:']")).to_have_count(1)
    remove = saved.get_by_role("button", name=f"Remove {name} from my resources")
    expect(remove).to_be_visible()

    # Tidy up: the page's later checks in this module start with nothing saved.
    with page.expect_navigation():
        remove.click()
    expect(saved.get_by_role("heading", name=name)).to_have_count(0)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_the_client_search_keeps_to_the_clients_language(new_page, live_server):
    """client2 speaks Spanish (saved language): the search offers services in Spanish unless
    they choose any language, and the page speaks Spanish too."""
    page = new_page(user="client2@example.org")
    page.goto("/client/resources?q=food")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#client-language")).to_have_value("es")
    found = page.locator("#client-q").locator("xpath=ancestor::section[1]").locator("li.resource")
    expect(found.first).to_be_visible()
    in_spanish = found.count()
    for card in found.all():
        expect(card.locator("dl")).to_contain_text(re.compile("español", re.IGNORECASE))
    page.locator("#client-language").select_option("any")
    with page.expect_navigation():
        page.locator("#client-q").press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]language=any(&|$)"))
    expect(found).not_to_have_count(in_spanish)
    assert found.count() > in_spanish
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


# --- 4. axe-core, phones and the Content Security Policy ------------------------------------


def _search_food(page: Any) -> None:
    page.get_by_label("Search by name, service or category").press_sequentially("food", delay=30)
    expect(page.locator("#resource-count")).to_have_text("5 resources")


def _first_resource(page: Any) -> None:
    page.locator("#resource-results li.resource a").first.click()
    expect(page.get_by_role("heading", name="Refer a client")).to_be_visible()


def _first_referral(page: Any) -> None:
    page.locator("main").get_by_role("link", name="North Housing Help Center").first.click()
    expect(page.get_by_role("heading", name="Next step")).to_be_visible()


def _preview_import(page: Any) -> None:
    csv = (
        "name,category,phone,languages,walk_ins\n"
        "Test Import Shelter,housing,555-0999,en|es,yes\n"
        ",not_a_category,,,\n"
    )
    page.get_by_label("CSV file", exact=True).set_input_files(
        {"name": "resources.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name=re.compile("Preview: 1 to add"))).to_be_visible()


def _client_search(page: Any) -> None:
    page.get_by_label("What are you looking for?").fill("food")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    expect(page.locator("a[href^='tel:']").first).to_be_visible()


PAGES = [
    (CASE_MANAGER, "/staff/resources", None),
    (CASE_MANAGER, "/staff/resources", _search_food),
    (CASE_MANAGER, "/staff/resources", _first_resource),
    (CASE_MANAGER, f"/staff/clients/{ALEX}/referrals", None),
    (CASE_MANAGER, f"/staff/clients/{ALEX}/referrals", _first_referral),
    (SUPERVISOR, "/staff/resources/import", None),
    (SUPERVISOR, "/staff/resources/import", _preview_import),
    (CLIENT, "/client/resources", None),
    (CLIENT, "/client/resources", _client_search),
]
PAGE_IDS = [
    "directory",
    "directory-searched",
    "resource",
    "client-referrals",
    "referral",
    "import",
    "import-preview",
    "client-resources",
    "client-search",
]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
@pytest.mark.parametrize(("user", "path", "action"), PAGES, ids=PAGE_IDS)
def test_resource_pages_pass_axe_fit_a_phone_and_keep_the_csp(
    new_page, live_server, user, path, action, phone
):
    page = new_page(user=user, **(PHONE if phone else {}))
    page.goto(path)
    expect(page).to_have_url(live_server(path))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    wait_for_htmx(page)
    if phone:
        assert_no_sideways_scroll(page)
    if action is not None:
        action(page)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_no_axe_violations(page)
    if phone:
        assert_no_sideways_scroll(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []
