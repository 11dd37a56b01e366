"""The client and family portal in real Chromium, on a phone: what a family member is shown (and
not shown), every portal page under axe-core with no sideways scroll and a clean console, and
a client's round of "how close am I", a message to the team, a reading and ending someone's
access.

pytest runs a file in order and the module's server keeps its database across the tests: the
family member's test and the page checks come before the client's round, which ends Jamie's
access at its close. Ids, titles and figures are read from the pages, never assumed.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .helpers import assert_no_axe_violations, console_errors, sign_in, wait_for_htmx

CLIENT = "client@example.org"  # Alex Example, who shares materials and appointments with Jamie
CLIENT_ES = "client2@example.org"  # Sofía Ejemplo, who reads Waypoint in Spanish
FAMILY = "family@example.org"  # Jamie Example, Alex's sibling
ALEX = "Alex"  # Alexander Example's preferred name
JAMIE = "Jamie Example"
AGENCY_ZONE = ZoneInfo("America/Chicago")  # Config.TIMEZONE
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}

PROGRESS = re.compile(r"^Progress: (\d+)%$")
GOAL_ID = re.compile(r"^goal-(\d+)$")
RATED_TODAY = re.compile(r"^You rated it on [A-Z][a-z]{2} \d{1,2}, \d{4}\.$")


def assert_no_sideways_scroll(page: Any) -> None:
    """Compared with the viewport asked for: on a phone the layout viewport (and with it
    ``window.innerWidth``) grows to fit content that is too wide."""
    allowed = page.viewport_size["width"]
    width = page.evaluate("() => document.documentElement.scrollWidth")
    inner = page.evaluate("() => window.innerWidth")
    assert width <= allowed, f"{page.url} is {width}px wide on a {allowed}px phone"
    assert width <= inner, f"{page.url} is {width}px wide in a {inner}px window"


def assert_targets_big_enough(page: Any) -> None:
    """axe-core's WCAG 2.2 ``target-size`` rule (24 px, or that much space around), which the
    WCAG 2.1 run of ``assert_no_axe_violations`` leaves out: on a phone everything is tapped."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "rule", "values": ["target-size"]},
            "resultTypes": ["violations"],
        },
    )
    small = [
        f"{', '.join(map(str, node['target']))}: {node['html'][:120]}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]
    assert small == [], f"too small to tap on {page.url}:\n" + "\n".join(small)


def assert_console_clean(page: Any) -> None:
    assert page.log.csp_violations == [], page.url
    assert console_errors(page) == [], page.url


def flash(page: Any) -> Any:
    return page.locator("#flash-region")


def goal_progress(goal: Any) -> int:
    """The progress a goal card shows, read from its label and checked against its bar."""
    label = goal.locator(".goal-card__progress label").inner_text().strip()
    match = PROGRESS.match(label)
    assert match is not None, label
    bar = goal.locator("progress")
    expect(bar).to_have_attribute("max", "100")
    expect(bar).to_have_attribute("value", match.group(1))
    return int(match.group(1))


def appointment_start(title: str) -> datetime:
    """An appointment card's title, ``Wednesday, November 25, 2026 at 10:00 AM`` (CLDR puts a
    narrow no-break space before AM), as an aware datetime in the agency's zone."""
    words = " ".join(title.split())
    return datetime.strptime(words, "%A, %B %d, %Y at %I:%M %p").replace(tzinfo=AGENCY_ZONE)


def shared_people(page: Any) -> Any:
    """The people listed under "People you share with" on /client/family."""
    return page.get_by_role("region", name="People you share with").get_by_role("article")


# --- 1. what a family member sees -----------------------------------------------------------


def test_family_member_sees_shared_appointments_and_readings_but_not_goals(new_page, live_server):
    page = new_page(user=FAMILY, **PHONE)
    page.goto("/family/")
    expect(page).to_have_url(live_server("/family/"))
    main = page.get_by_role("main")
    expect(main).to_contain_text(ALEX)

    # Alex's upcoming appointments: every one in the future, in date order.
    page.goto("/family/appointments")
    expect(page.get_by_role("heading", level=1)).to_have_text("Appointments")
    section = main.get_by_role("region", name=f"{ALEX}'s upcoming appointments")
    expect(section).to_be_visible()
    titles = section.locator("article.appointment-card h3")
    expect(titles.first).to_be_visible()
    starts = [appointment_start(t) for t in titles.all_inner_texts()]
    assert starts == sorted(starts)
    assert starts[0] > datetime.now(AGENCY_ZONE)
    expect(section.get_by_text("Nothing booked right now.")).to_have_count(0)
    expect(section).to_contain_text("Casey Manager")
    expect(section.get_by_role("link", name="Add to my calendar").first).to_be_visible()
    # A family member looks; they do not change or cancel Alex's appointments.
    expect(section.get_by_role("link", name="Cancel")).to_have_count(0)
    expect(section.get_by_role("link", name="Ask to change")).to_have_count(0)
    assert_console_clean(page)

    # The readings Alex's team gave Alex, marked as shared by Alex, then those for everyone.
    page.goto("/family/materials")
    shared = main.get_by_role("region", name="Shared with you")
    cards = shared.locator("li.material-card")
    expect(cards).to_have_count(2)
    for card in cards.all():
        expect(card).to_contain_text(f"Shared by {ALEX}")
    titles = [t.strip() for t in shared.locator(".material-card__title a").all_inner_texts()]
    assert titles == ["Preparing for an appointment", "What a care plan is"]
    expect(main.get_by_role("region", name="For every family")).to_be_visible()

    # A shared reading opens for Jamie.
    shared.get_by_role("link", name=titles[0]).click()
    expect(page).to_have_url(re.compile(r"/family/materials/[\w-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(titles[0])

    # Alex does not share goals with Jamie: the page says so and shows none.
    page.goto("/family/goals")
    expect(page.get_by_role("heading", level=1)).to_have_text("Goals")
    expect(main.get_by_text("Nobody shares their goals with you at the moment.")).to_be_visible()
    expect(main.locator("article.goal-card")).to_have_count(0)
    expect(main.locator("progress")).to_have_count(0)
    assert_console_clean(page)

    # The client's own pages are closed to a family member.
    response = page.goto("/client/goals")
    assert response is not None
    assert response.status == 403
    expect(main.locator("article.goal-card")).to_have_count(0)
    expect(main.get_by_text("I want my own apartment")).to_have_count(0)
    # Chromium logs the 403 itself on the console; nothing else may be there.
    assert page.log.csp_violations == []
    errors = console_errors(page, also_allowed=re.compile(r"status of 403"))
    assert errors == []


# --- 2. every portal page on a phone: axe-core, no sideways scroll, a clean console -------------
# Detail pages (a reading, a conversation) are opened from their list, as a person would, so
# that no database id is assumed.


PAGES = [
    # (id, user, path, the list a detail page is opened from)
    ("client-home", CLIENT, "/client/", None),
    ("client-goals", CLIENT, "/client/goals", None),
    ("client-appointments", CLIENT, "/client/appointments", None),
    ("client-messages", CLIENT, "/client/messages", None),
    ("client-message-new", CLIENT, "/client/messages/new", None),
    ("client-thread", CLIENT, "/client/messages", "ul.threads li.thread a"),
    ("client-check-ins", CLIENT, "/client/check-ins", None),
    ("client-materials", CLIENT, "/client/materials", None),
    ("client-reading", CLIENT, "/client/materials", ".material-card__title a"),
    ("client-family", CLIENT, "/client/family", None),
    ("client-safety-plan", CLIENT, "/client/safety-plan", None),
    ("client-account", CLIENT, "/account/", None),
    ("client-goals-es", CLIENT_ES, "/client/goals", None),
    ("family-home", FAMILY, "/family/", None),
    ("family-appointments", FAMILY, "/family/appointments", None),
    ("family-goals", FAMILY, "/family/goals", None),
    ("family-materials", FAMILY, "/family/materials", None),
    ("family-reading", FAMILY, "/family/materials", ".material-card__title a"),
    ("family-messages", FAMILY, "/family/messages", None),
    ("family-thread", FAMILY, "/family/messages", "ul.threads li.thread a"),
    ("family-account", FAMILY, "/account/", None),
]


@pytest.mark.parametrize(
    ("user", "path", "links"),
    [pytest.param(user, path, links, id=name) for name, user, path, links in PAGES],
)
def test_portal_pages_are_accessible_on_a_phone(new_page, live_server, user, path, links):
    locale = "es-ES" if user == CLIENT_ES else "en-US"
    page = new_page(user=user, locale=locale, **PHONE)
    if links is None:
        response = page.goto(path)
        assert response is not None
        assert response.status == 200, f"{path} answered {response.status}"
        expect(page).to_have_url(live_server(path))
    else:
        page.goto(path)
        link = page.locator(links).first
        expect(link).to_be_visible()
        href = link.get_attribute("href") or ""
        with page.expect_navigation():
            link.click()
        expect(page).to_have_url(live_server(href))
    if user == CLIENT_ES:
        expect(page.locator("html")).to_have_attribute("lang", "es")
        expect(page.get_by_role("heading", level=1)).to_have_text("Mis metas")
    wait_for_htmx(page)
    assert_no_sideways_scroll(page)
    assert_no_axe_violations(page)
    assert_targets_big_enough(page)
    details = page.locator("main details")
    if details.count():
        # Every "Change what they see" (and the like) open at once: it must fit and pass too.
        page.evaluate(
            "() => document.querySelectorAll('main details').forEach(d => { d.open = true; })"
        )
        assert_no_sideways_scroll(page)
        assert_no_axe_violations(page)
        assert_targets_big_enough(page)
    assert_console_clean(page)


# --- 3. the client's round: how close am I, a message, a reading, ending someone's access -------


def test_client_rates_a_goal_writes_to_the_team_reads_and_stops_sharing(new_page, live_server):
    """Last in the file: it ends Jamie's access, which the tests above rely on."""
    page = new_page(**PHONE)
    sign_in(page, CLIENT)
    expect(page).to_have_url(live_server("/client/"))
    main = page.get_by_role("main")

    # My goals: a goal whose progress is not already 70%.
    main.get_by_role("link", name="My goals").click()
    expect(page).to_have_url(live_server("/client/goals"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My goals")
    goals = page.locator("article.goal-card")
    expect(goals.first).to_be_visible()
    goal = None
    before = -1
    for card in goals.all():
        before = goal_progress(card)
        if before != 70:
            goal = card
            break
    assert goal is not None, "every goal is at 70% already"
    goal_id = GOAL_ID.match(goal.get_attribute("id") or "")
    assert goal_id is not None
    title = goal.get_by_role("heading", level=3).inner_text().strip()

    rating = goal.get_by_role("group", name=re.compile(r"^How close am I\?"))
    rating.get_by_label("7", exact=True).check()
    expect(rating.get_by_label("7", exact=True)).to_be_checked()
    goal.get_by_label("Anything you want to add? (optional)").fill(
        "Saw two flats this week, one was quiet."
    )
    with page.expect_navigation():
        goal.get_by_role("button", name="Save how close I am").click()

    expect(page).to_have_url(live_server(f"/client/goals#goal-{goal_id.group(1)}"))
    expect(flash(page)).to_contain_text("Thank you. Your case manager will see how close you feel.")
    goal = page.locator(f"#goal-{goal_id.group(1)}")
    expect(goal.get_by_role("heading", level=3)).to_have_text(title)
    expect(goal.locator(".goal-card__progress label")).to_have_text("Progress: 70%")
    assert goal_progress(goal) == 70 != before
    expect(goal.locator(".goal-card__progress p")).to_have_text(RATED_TODAY)
    # The form is ready for next time: nothing left checked, the comment empty.
    expect(goal.locator("input[name=rating]:checked")).to_have_count(0)
    expect(goal.get_by_label("Anything you want to add? (optional)")).to_have_value("")
    # The home page's bar for the goal moved with it.
    page.goto("/client/")
    expect(page.locator(f"#home-goal-{goal_id.group(1)}")).to_have_attribute("value", "70")
    assert_no_sideways_scroll(page)

    # A new conversation with the care team lands on its thread, the message shown.
    page.goto("/client/messages")
    main.get_by_role("link", name="Write to my care team").click()
    expect(page).to_have_url(live_server("/client/messages/new"))
    subject = "Moving house next month"
    body = "I may move in December. Can we talk about the bus route to the office?"
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Your message").fill(body)
    with page.expect_navigation():
        main.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(r"/client/messages/\d+$"))
    thread_path = page.url.removeprefix(live_server.url)
    expect(flash(page)).to_contain_text("Sent. Someone from your care team will answer here.")
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    conversation = page.get_by_role("list", name="Messages")
    mine = conversation.locator("li.message").last
    expect(mine.locator(".message__body")).to_have_text(body)
    expect(mine.locator(".message__meta strong")).to_have_text("You")
    expect(conversation.locator("li.message")).to_have_count(1)
    expect(page.get_by_label("Your answer")).to_be_visible()
    assert_no_sideways_scroll(page)
    # It is listed with the others.
    page.goto("/client/messages")
    expect(main.get_by_role("link", name=subject)).to_have_attribute("href", thread_path)

    # A reading marked "New": opening it is reading it, and the mark is gone on the list.
    page.goto("/client/materials")
    new_card = main.locator("li.material-card", has=page.locator(".badge--new")).first
    expect(new_card).to_be_visible()
    card_id = new_card.get_attribute("id")
    assert card_id
    link = new_card.locator(".material-card__title a")
    reading = link.inner_text().strip()
    expect(new_card.locator(".badge--new")).to_have_text("New")
    link.click()
    expect(page).to_have_url(re.compile(r"/client/materials/[\w-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(reading)
    expect(page.locator(".material-body")).not_to_be_empty()
    assert_no_sideways_scroll(page)
    # Back, as a person would: portal pages are sent ``Cache-Control: no-store``, so the list
    # comes fresh from the server rather than from the back/forward cache.
    page.go_back()
    expect(page).to_have_url(live_server("/client/materials"))
    card = page.locator(f"#{card_id}")
    expect(card.locator(".material-card__title a")).to_have_text(reading)
    expect(card.locator(".badge--new")).to_have_count(0)
    expect(card).not_to_have_class(re.compile(r"material-card--new"))
    expect(card).to_contain_text("You opened this on")

    # Stop sharing with Jamie: the flash says so and Jamie is no longer listed.
    page.goto("/client/family")
    expect(shared_people(page).filter(has_text=JAMIE)).to_have_count(1)
    with page.expect_navigation():
        main.get_by_role("button", name=f"Stop sharing with {JAMIE} now").click()
    expect(page).to_have_url(live_server("/client/family"))
    expect(flash(page)).to_contain_text(f"{JAMIE} can no longer see anything of yours.")
    people = page.get_by_role("region", name="People you share with")
    expect(people.get_by_role("article")).to_have_count(0)
    expect(people).not_to_contain_text(JAMIE)
    expect(people.get_by_text("You do not share anything with anyone.")).to_be_visible()
    expect(main.get_by_role("button", name=f"Stop sharing with {JAMIE} now")).to_have_count(0)
    # …and moved under "Ended".
    expect(page.get_by_role("region", name="Ended")).to_contain_text(JAMIE)
    assert_no_sideways_scroll(page)
    assert_console_clean(page)

    # It takes effect at once: Jamie, on their own phone, sees nothing of Alex's any more.
    jamie = new_page(user=FAMILY, **PHONE)
    jamie.goto("/family/appointments")
    jamie_main = jamie.get_by_role("main")
    expect(
        jamie_main.get_by_text("Nobody shares their appointments with you at the moment.")
    ).to_be_visible()
    expect(jamie_main.locator("article.appointment-card")).to_have_count(0)
    jamie.goto("/family/materials")
    expect(jamie_main.get_by_role("region", name="Shared with you")).to_have_count(0)
    expect(jamie_main).not_to_contain_text(f"Shared by {ALEX}")
    assert_console_clean(jamie)
