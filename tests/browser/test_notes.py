"""Progress notes in real Chromium: the editor that autosaves (and says so when it cannot),
two tabs on one draft, switching the format, signing and addenda, the list's search as you
type, axe-core, the Content Security Policy and phones."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from .helpers import (
    DEMO_PASSWORD,
    assert_no_axe_violations,
    assert_not_reloaded,
    console_errors,
    mark_window,
    wait_for_htmx,
)

CASE_MANAGER = "cm@example.org"
ALEX = 1  # "Alex Example": eight signed demo notes in every format, a team-meeting note, a draft
NOTES = f"/staff/clients/{ALEX}/notes"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
EDIT_URL = re.compile(rf"/staff/clients/{ALEX}/notes/(\d+)/edit$")
DETAIL_URL = re.compile(rf"/staff/clients/{ALEX}/notes/(\d+)$")
SAVED = "Draft saved at"
FAILED = "Not saved: the connection or the server failed"
CONFLICT = "Not saved: this draft was changed in another tab or window"
# Autosave waits two seconds after the last keystroke; allow for the save itself on top.
AUTOSAVE_TIMEOUT = 10_000


def section(page: Any, label: str) -> Any:
    """A section field of the note's format (Data, Assessment, Plan, Subjective…)."""
    return page.locator("#note-sections").get_by_label(label, exact=True)


def save_status(page: Any) -> Any:
    return page.locator("#save-status")


def is_autosave(message: Any) -> bool:
    """An autosave request, or the response to one."""
    request = getattr(message, "request", message)
    return request.method == "POST" and request.url.endswith("/notes/save")


def open_new_note(page: Any) -> None:
    page.goto(f"{NOTES}/new")
    expect(page.get_by_role("heading", name="New note")).to_be_visible()
    wait_for_htmx(page)


def type_and_wait_for_save(page: Any, label: str, words: str, *, status: int = 200) -> None:
    """Type into a section and wait for the autosave that carries it (no fixed sleep; an
    earlier save still on its way does not count)."""
    field = section(page, label)
    name = field.get_attribute("name")

    def carries_the_words(response: Any) -> bool:
        sent = parse_qs(response.request.post_data or "")
        return is_autosave(response) and sent.get(name) == [words]

    with page.expect_response(carries_the_words, timeout=AUTOSAVE_TIMEOUT) as answer:
        field.fill(words)
    assert answer.value.status == status


def start_draft(page: Any, words: str) -> str:
    """A new note with ``words`` in Data, autosaved: returns the draft's edit path."""
    open_new_note(page)
    section(page, "Data").fill(words)
    expect(save_status(page)).to_contain_text(SAVED, timeout=AUTOSAVE_TIMEOUT)
    expect(page).to_have_url(EDIT_URL)
    match = EDIT_URL.search(page.url)
    assert match is not None
    return f"{NOTES}/{match.group(1)}/edit"


def stored_sections(live_server: Any, note_id: int) -> dict[str, str]:
    """What the database holds for a note, read behind the app's back."""
    engine = create_engine(live_server.database_url)
    try:
        with engine.connect() as connection:
            raw = connection.execute(
                text("SELECT sections FROM progress_note WHERE id = :id"), {"id": note_id}
            ).scalar_one()
    finally:
        engine.dispose()
    return dict(json.loads(raw) if isinstance(raw, str) else raw)


def password_failures(live_server: Any) -> int:
    """Failed password checks on record (signing with a wrong one counts towards lock-out)."""
    engine = create_engine(live_server.database_url)
    try:
        with engine.connect() as connection:
            total = connection.execute(
                text("SELECT COALESCE(SUM(failures), 0) FROM sign_in_throttle")
            ).scalar_one()
    finally:
        engine.dispose()
    return int(total)


def note_id_of(path: str) -> int:
    match = re.search(r"/notes/(\d+)", path)
    assert match is not None, path
    return int(match.group(1))


# --- 1. autosave, and a reload opens the draft ---------------------------------------------


def test_autosave_makes_a_draft_that_a_reload_opens(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    open_new_note(page)
    status = save_status(page)
    expect(status).to_have_attribute("role", "status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_contain_text("saved automatically")

    words = "Autosave check: walked to the pharmacy together and sorted the refill."
    section(page, "Data").press_sequentially(words[:20], delay=20)
    section(page, "Data").press_sequentially(words[20:])
    expect(status).to_contain_text(SAVED, timeout=AUTOSAVE_TIMEOUT)
    expect(status).to_have_text(re.compile(rf"^\s*{SAVED} \d{{1,2}}:\d\d"))
    # The address is now the draft's own, so a reload (or the back button) finds it.
    expect(page).to_have_url(EDIT_URL)
    edit_url = page.url
    assert page.locator("#note_id").input_value().isdigit()

    page.reload()
    expect(page).to_have_url(edit_url)
    expect(page.get_by_role("heading", name="Draft note")).to_be_visible()
    expect(section(page, "Data")).to_have_value(words)
    # Held by the server, not only by this tab: another browser opens the same text.
    other = new_page(user=CASE_MANAGER)
    other.goto(edit_url)
    expect(section(other, "Data")).to_have_value(words)
    assert stored_sections(live_server, note_id_of(edit_url))["data"] == words
    for each in (page, other):
        assert each.log.csp_violations == []
        assert console_errors(each) == []


# --- 2. a failed save keeps the text and says so --------------------------------------------

# Chromium's and htmx's lines about an aborted request and a 500: this test causes them.
FAILED_LOAD = re.compile(
    r"Failed to load resource: (net::ERR_FAILED|.*status of 500)"
    r"|htmx:(sendError|afterRequest)|Response Status Error Code 500"
)


@pytest.mark.parametrize("failure", ["network", "server"])
def test_a_failed_save_keeps_the_text_and_says_so(new_page, live_server, failure):
    page = new_page(user=CASE_MANAGER)
    edit_path = start_draft(page, f"Before the {failure} failure.")
    status = save_status(page)

    def fail(route: Any) -> None:
        if failure == "network":
            route.abort()
        else:
            route.fulfill(status=500, content_type="text/html", body="<h1>Server error</h1>")

    page.route("**/notes/save", fail)
    typed = f"Before the {failure} failure. Then the line went down, but I kept typing."
    section(page, "Data").fill(typed)
    expect(status).to_contain_text(FAILED, timeout=AUTOSAVE_TIMEOUT)
    expect(status).to_have_class(re.compile(r"\bsave-status--failed\b"))
    expect(status).not_to_contain_text(SAVED)
    expect(section(page, "Data")).to_have_value(typed)
    expect(page).to_have_url(live_server(edit_path))
    # Typing on while it fails: still nothing lost, still said.
    section(page, "Plan").fill("Call back on Monday.")
    expect(status).to_contain_text(FAILED, timeout=AUTOSAVE_TIMEOUT)
    expect(section(page, "Data")).to_have_value(typed)
    expect(section(page, "Plan")).to_have_value("Call back on Monday.")
    assert stored_sections(live_server, note_id_of(edit_path))["data"] == (
        f"Before the {failure} failure."
    )

    # Back online: the next keystroke saves everything typed meanwhile.
    page.unroute("**/notes/save")
    type_and_wait_for_save(page, "Plan", "Call back on Monday at ten.")
    expect(status).to_contain_text(SAVED)
    expect(status).not_to_have_class(re.compile(r"\bsave-status--failed\b"))
    saved = stored_sections(live_server, note_id_of(edit_path))
    assert saved["data"] == typed
    assert saved["plan"] == "Call back on Monday at ten."
    assert page.log.csp_violations == []
    assert console_errors(page, FAILED_LOAD) == []


# --- 3. two tabs on one draft ------------------------------------------------------------


def test_a_second_tab_on_the_same_draft_is_told_and_keeps_its_text(new_page, live_server):
    tab_a = new_page(user=CASE_MANAGER)
    edit_path = start_draft(tab_a, "First words, from tab A.")
    tab_b = new_page(user=CASE_MANAGER)
    tab_b.goto(edit_path)
    wait_for_htmx(tab_b)
    expect(section(tab_b, "Data")).to_have_value("First words, from tab A.")

    type_and_wait_for_save(tab_a, "Data", "Tab A's version, saved second.")
    expect(save_status(tab_a)).to_contain_text(SAVED)

    mark_window(tab_b)
    b_text = "Tab B's version, typed on an old copy."
    type_and_wait_for_save(tab_b, "Data", b_text, status=409)
    expect(save_status(tab_b)).to_contain_text(CONFLICT)
    expect(section(tab_b, "Data")).to_have_value(b_text)
    expect(tab_b.get_by_role("heading", level=1)).to_contain_text("Alex")
    assert_not_reloaded(tab_b)

    # The draft is A's: nothing of B overwrote it.
    assert stored_sections(live_server, note_id_of(edit_path))["data"] == (
        "Tab A's version, saved second."
    )
    tab_a.reload()
    expect(section(tab_a, "Data")).to_have_value("Tab A's version, saved second.")
    # B's line says a reload shows the other version: it must, and not B's old copy.
    tab_b.reload()
    expect(section(tab_b, "Data")).to_have_value("Tab A's version, saved second.")
    for page in (tab_a, tab_b):
        assert page.log.csp_violations == []
        assert console_errors(page) == []


def test_reopening_a_draft_in_the_same_tab_shows_the_saved_version(new_page, live_server):
    """What this tab typed and saved earlier may not come back over a newer save made
    elsewhere (the next autosave would then overwrite that save without a word)."""
    tab_a = new_page(user=CASE_MANAGER)
    edit_path = start_draft(tab_a, "Started in tab A.")
    tab_b = new_page(user=CASE_MANAGER)
    tab_b.goto(edit_path)
    wait_for_htmx(tab_b)
    type_and_wait_for_save(tab_b, "Data", "Tab B added a line and saved.")
    tab_b.goto(NOTES)

    # Tab A picks the draft up again (B's save is in it) and rewrites it.
    tab_a.reload()
    wait_for_htmx(tab_a)
    expect(section(tab_a, "Data")).to_have_value("Tab B added a line and saved.")
    type_and_wait_for_save(tab_a, "Data", "Tab A rewrote it afterwards.")

    tab_b.goto(edit_path)
    wait_for_htmx(tab_b)
    expect(section(tab_b, "Data")).to_have_value("Tab A rewrote it afterwards.")
    # Typing on in tab B builds on A's text, and is saved as such.
    type_and_wait_for_save(tab_b, "Plan", "Tab B's plan.")
    saved = stored_sections(live_server, note_id_of(edit_path))
    assert (saved["data"], saved["plan"]) == ("Tab A rewrote it afterwards.", "Tab B's plan.")
    for page in (tab_a, tab_b):
        assert page.log.csp_violations == []
        assert console_errors(page) == []


# --- 4. switching the format -------------------------------------------------------------


def test_changing_the_format_swaps_the_sections_and_keeps_the_shared_ones(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    open_new_note(page)
    mark_window(page)
    for label in ("Data", "Assessment", "Plan"):
        expect(section(page, label)).to_be_visible()
    expect(section(page, "Subjective")).to_have_count(0)
    section(page, "Data").fill("Format check: data in DAP.")
    section(page, "Assessment").fill("Format check: steadier this week.")
    section(page, "Plan").fill("Format check: next visit Thursday.")
    expect(save_status(page)).to_contain_text(SAVED, timeout=AUTOSAVE_TIMEOUT)
    expect(page).to_have_url(EDIT_URL)

    page.get_by_label("Note format").select_option(value="soap")
    expect(section(page, "Subjective")).to_be_visible()
    expect(section(page, "Objective")).to_be_visible()
    expect(section(page, "Data")).to_have_count(0)
    expect(section(page, "Assessment")).to_have_value("Format check: steadier this week.")
    expect(section(page, "Plan")).to_have_value("Format check: next visit Thursday.")
    labels = page.locator("#note-sections .field__label").all_inner_texts()
    assert [label.strip() for label in labels] == ["Subjective", "Objective", "Assessment", "Plan"]

    # Typing in the new sections saves the note as SOAP, shared sections and all.
    type_and_wait_for_save(page, "Subjective", "Format check: “better”, they said.")
    saved = stored_sections(live_server, note_id_of(page.url))
    assert saved["subjective"] == "Format check: “better”, they said."
    assert saved["assessment"] == "Format check: steadier this week."
    assert saved["plan"] == "Format check: next visit Thursday."

    # Back to DAP and the Data typed at first is still there.
    page.get_by_label("Note format").select_option(value="dap")
    expect(section(page, "Data")).to_be_visible()
    expect(section(page, "Subjective")).to_have_count(0)
    expect(section(page, "Assessment")).to_have_value("Format check: steadier this week.")
    expect(section(page, "Data")).to_have_value("Format check: data in DAP.")
    assert_not_reloaded(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_changing_the_format_while_a_save_is_on_its_way_still_swaps_the_sections(
    new_page, live_server
):
    """The autosave that the change sets off may not crowd out the sections' request: else
    the select says SOAP over DAP's fields, and signing keeps only SOAP's sections."""
    page = new_page(user=CASE_MANAGER)
    start_draft(page, "Slow save check: data.")
    held: list[Any] = []
    released = False

    def keep_back(route: Any) -> None:
        if released:
            route.continue_()
        else:
            held.append(route)

    page.route("**/notes/save", keep_back)
    with page.expect_request(is_autosave):
        section(page, "Plan").fill("Slow save check: plan.")
    page.get_by_label("Note format").select_option(value="soap")
    expect(section(page, "Subjective")).to_be_visible()
    expect(section(page, "Plan")).to_have_value("Slow save check: plan.")

    # Let the saves through: the last one (queued meanwhile) saves the note as SOAP.
    with page.expect_response(
        lambda response: is_autosave(response) and "format=soap" in response.request.post_data
    ) as answer:
        released = True
        for route in held:
            route.continue_()
    assert answer.value.status == 200
    saved = stored_sections(live_server, note_id_of(page.url))
    assert (saved["data"], saved["plan"]) == ("Slow save check: data.", "Slow save check: plan.")
    assert page.log.csp_violations == []
    assert console_errors(page) == []


# --- 5. signing, addenda, and no way back into the editor -------------------------------------


def test_signing_with_the_password_freezes_the_note_and_takes_addenda(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    edit_path = start_draft(page, "Signing check: reviewed the budget together.")
    page.get_by_label("Duration (minutes)").fill("45")
    section(page, "Assessment").fill("Signing check: on track.")
    section(page, "Plan").fill("Signing check: bring the lease next time.")
    page.get_by_label("Your password, to sign").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign note").click()

    note_path = edit_path.removesuffix("/edit")
    expect(page).to_have_url(live_server(note_path))
    expect(page.locator("#flash-region")).to_contain_text("Note signed.")
    note = page.locator("article.note")
    expect(note.locator(".badge", has_text="Signed")).to_be_visible()
    expect(note.locator("dt", has_text="Signed")).to_be_visible()
    expect(note).to_contain_text("Signing check: reviewed the budget together.")
    expect(note).to_contain_text("Signing check: bring the lease next time.")
    expect(note).to_contain_text("Signed content verified")
    expect(page.get_by_role("button", name="Sign note")).to_have_count(0)

    page.get_by_label("Addendum").fill("Signing check: the lease is due on the first.")
    with page.expect_navigation():
        page.get_by_role("button", name="Add addendum").click()
    expect(page).to_have_url(live_server(note_path))
    expect(page.locator("#flash-region")).to_contain_text("Addendum added.")
    addenda = page.get_by_role("region", name="Addenda")
    expect(addenda).to_contain_text("Signing check: the lease is due on the first.")
    expect(note).not_to_contain_text("the lease is due")

    # The editor is gone for good: its address opens the signed note.
    page.goto(edit_path)
    expect(page).to_have_url(live_server(note_path))
    expect(page.locator("#note-form")).to_have_count(0)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_signing_straight_after_typing_in_a_section_waits_for_that_save(new_page, live_server):
    """Leaving a section for the button sets off an autosave; the signing may not race it
    (it would carry the version from before that save and be refused as a stale edit)."""
    page = new_page(user=CASE_MANAGER)
    edit_path = start_draft(page, "Race check: met at the library.")
    page.get_by_label("Duration (minutes)").fill("20")
    page.get_by_label("Your password, to sign").fill(DEMO_PASSWORD)
    section(page, "Plan").fill("Race check: typed last, then straight to the button.")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign note").click()
    expect(page).to_have_url(live_server(edit_path.removesuffix("/edit")))
    expect(page.locator("#flash-region")).to_contain_text("Note signed.")
    expect(page.locator("article.note")).to_contain_text("Race check: typed last")
    assert console_errors(page) == []


def test_an_autosave_while_sign_note_has_focus_only_saves(new_page, live_server):
    """htmx sends a form's request to the formaction of the button that has focus. An
    autosave issued then (one queued behind the save on leaving a field, or one timed to
    follow typing) may not go to the signing address: without the password it counts as a
    wrong one towards the lock-out and swaps a whole error page into the status line."""
    page = new_page(user=CASE_MANAGER)
    edit_path = start_draft(page, "Focus check: met at the clinic.")
    failures = password_failures(live_server)
    with page.expect_response(is_autosave):  # leaving Data saves it once more
        page.get_by_label("Your password, to sign").focus()
    page.keyboard.press("Tab")
    sign = page.get_by_role("button", name="Sign note")
    expect(sign).to_be_focused()

    words = "Focus check: this text came in while the button had focus."

    def carries_the_words(response: Any) -> bool:
        sent = parse_qs(response.request.post_data or "")
        return response.request.method == "POST" and sent.get("plan") == [words]

    with page.expect_response(carries_the_words, timeout=AUTOSAVE_TIMEOUT) as answer:
        # Text arriving without moving focus (dictation, a paste from another window).
        section(page, "Plan").evaluate(
            "(el, words) => { el.value = words;"
            " el.dispatchEvent(new Event('input', { bubbles: true })); }",
            words,
        )
    expect(sign).to_be_focused()
    assert (answer.value.url.rsplit("/", 1)[-1], answer.value.status) == ("save", 200)
    expect(save_status(page)).to_contain_text(SAVED)
    expect(page.locator("#save-status form, #save-status h1")).to_have_count(0)
    expect(page).to_have_url(live_server(edit_path))
    assert password_failures(live_server) == failures
    assert stored_sections(live_server, note_id_of(edit_path))["plan"] == words
    assert console_errors(page) == []


# --- 6. axe-core, the Content Security Policy, phones --------------------------------------


def _first_note(page: Any, badge: str) -> None:
    """Open the first note in Alex's list that carries ``badge`` (Signed or Draft)."""
    page.goto(NOTES)
    row = page.locator("#note-results .note-row").filter(
        has=page.locator(".badge", has_text=re.compile(rf"^{badge}$"))
    )
    row.first.get_by_role("link").click()


def _open(page: Any, which: str) -> None:
    if which == "new":
        open_new_note(page)
    elif which == "new-with-errors":
        open_new_note(page)
        # The right password on an empty note: the reasons it cannot be signed yet.
        page.get_by_label("Your password, to sign").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign note").click()
        expect(page.locator("#error-summary")).to_contain_text("Write the note before signing")
    elif which == "draft":
        _first_note(page, "Draft")
        expect(page).to_have_url(EDIT_URL)
        expect(page.get_by_role("heading", name="Draft note")).to_be_visible()
    elif which == "list":
        page.goto(NOTES)
        expect(page.locator("#note-results .note-row").first).to_be_visible()
    elif which == "mine":
        page.goto("/staff/notes")
        expect(page.get_by_role("heading", name="My notes")).to_be_visible()
        expect(page.locator("#note-results .note-row").first).to_be_visible()
    elif which == "signed":
        _first_note(page, "Signed")
        expect(page).to_have_url(DETAIL_URL)
        expect(page.get_by_role("heading", name="Addenda")).to_be_visible()
    wait_for_htmx(page)


PAGES = ["new", "new-with-errors", "draft", "list", "mine", "signed"]


@pytest.mark.parametrize("which", PAGES)
def test_note_pages_have_no_axe_or_csp_violations(new_page, which):
    page = new_page(user=CASE_MANAGER)
    _open(page, which)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


@pytest.fixture
def conflicted(new_page) -> Any:
    """Tab B's editor showing the "changed in another tab" line."""
    tab_a = new_page(user=CASE_MANAGER)
    edit_path = start_draft(tab_a, "Axe conflict: tab A.")
    tab_b = new_page(user=CASE_MANAGER)
    tab_b.goto(edit_path)
    wait_for_htmx(tab_b)
    type_and_wait_for_save(tab_a, "Data", "Axe conflict: tab A again.")
    type_and_wait_for_save(tab_b, "Data", "Axe conflict: tab B.", status=409)
    expect(save_status(tab_b)).to_contain_text(CONFLICT)
    return tab_b


def test_the_conflict_line_has_no_axe_violations(conflicted):
    assert_no_axe_violations(conflicted)
    assert conflicted.log.csp_violations == []


@pytest.mark.parametrize("which", ["new", "draft", "signed", "list"])
def test_phone_layout_of_note_pages_has_no_sideways_scrolling(new_page, which):
    page = new_page(user=CASE_MANAGER, **PHONE)
    _open(page, which)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the {which} note page is {width}px wide on a 390px phone"
    assert page.log.csp_violations == []


# --- 7. the list's search as you type ----------------------------------------------------------


def test_search_as_you_type_narrows_the_notes_in_place_and_announces_the_count(new_page):
    page = new_page(user=CASE_MANAGER)
    page.goto(NOTES)
    wait_for_htmx(page)
    rows = page.locator("#note-results .note-row")
    count = page.locator("#note-count")
    expect(count).to_have_attribute("role", "status")
    expect(count).to_have_attribute("aria-live", "polite")
    before = rows.count()
    assert before > 4
    expect(count).to_have_text(re.compile(r"^\d+ notes$"))

    mark_window(page)
    page.evaluate("() => { window.__liveRegion = document.querySelector('#note-count'); }")
    search = page.get_by_label("Search the notes")
    search.press_sequentially("bus pass", delay=40)  # typing, no Enter

    expect(page).to_have_url(re.compile(r"[?&]q=bus(\+|%20)pass(&|$)"))
    expect(rows.filter(has_not_text="bus pass")).to_have_count(0)
    found = rows.count()
    assert 0 < found < before
    expect(count).to_have_text(f"{found} notes" if found != 1 else "1 note")
    expect(search).to_be_focused()
    expect(search).to_have_value("bus pass")
    assert_not_reloaded(page)
    # The count changes inside the live region a screen reader already knows; a region
    # swapped in whole, text and all, is usually not read out.
    same = page.evaluate("() => document.querySelector('#note-count') === window.__liveRegion")
    assert same, "the live region #note-count was replaced instead of updated"

    search.fill("")
    search.press_sequentially("nothing-like-this", delay=20)
    expect(count).to_have_text("0 notes")
    expect(page.locator("#note-results")).to_contain_text("No note matches")
    assert_not_reloaded(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []
