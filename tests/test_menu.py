"""The menus of signed-in pages: what each role's main menu offers, in order, which link is
the current page's, a client record's tabs, and both in the reader's language."""

from __future__ import annotations

import re

import flask
import pytest

from portal import addresses
from portal.extensions import db
from portal.models import Role

from .factories import grant_family_access, make_client, make_user
from .helpers import login, portal_modules_matching, text

MAIN_MENU = re.compile(r'<nav class="site-nav"[^>]*>(.*?)</nav>', re.S)
RECORD_TABS = re.compile(r'<nav class="tabs" aria-label="Client record">(.*?)</nav>', re.S)
LINK = re.compile(r'<a href="([^"]*)"([^>]*)>([^<]*)</a>')

STAFF_COMMON = [("/staff/", "Dashboard")]
CLINICAL = [
    ("/staff/clients", "Clients"),
    ("/staff/notes", "My notes"),
    ("/staff/messages", "Messages"),
    ("/staff/appointments", "Appointments"),
    ("/staff/tasks", "Tasks"),
]
MATERIALS = [("/staff/materials", "Materials")]
REPORTS = [("/staff/reports", "Reports")]
AUDIT = [("/staff/admin/audit", "Audit log")]
USERS = [("/staff/admin/users", "Users")]
RESOURCES = [("/staff/resources", "Resources")]
EVERYONE = [("/account/", "Account"), ("/help", "Get help now")]

MENUS = {
    Role.ADMIN: STAFF_COMMON + MATERIALS + REPORTS + AUDIT + USERS + RESOURCES + EVERYONE,
    Role.SUPERVISOR: STAFF_COMMON + CLINICAL + MATERIALS + REPORTS + AUDIT + RESOURCES + EVERYONE,
    Role.CASE_MANAGER: STAFF_COMMON + CLINICAL + MATERIALS + REPORTS + RESOURCES + EVERYONE,
    Role.CARE_TEAM: STAFF_COMMON + CLINICAL + MATERIALS + RESOURCES + EVERYONE,
    Role.CLIENT: [
        ("/client/", "Home"),
        ("/client/messages", "Messages"),
        ("/client/check-ins", "Check-ins"),
        ("/client/goals", "My goals"),
        ("/client/appointments", "My appointments"),
        ("/client/safety-plan", "My safety plan"),
        ("/client/materials", "Learn"),
        ("/client/family", "Family access"),
        ("/client/resources", "My resources"),
        *EVERYONE,
    ],
    Role.FAMILY: [
        ("/family/", "Home"),
        ("/family/materials", "Learn"),
        ("/family/messages", "Messages"),
        ("/family/goals", "Goals"),
        ("/family/appointments", "Appointments"),
        *EVERYONE,
    ],
}


def links(page: str, pattern: re.Pattern[str]) -> list[tuple[str, str, bool]]:
    """(address, label, whether it is marked as the current page) for each link of a menu."""
    found = pattern.search(page)
    assert found, "the page has no such menu"
    return [
        (href, label, 'aria-current="page"' in attributes)
        for href, attributes, label in LINK.findall(found.group(1))
    ]


def signed_in(client, role: Role):
    user = make_user(role)
    if role == Role.CLIENT:
        make_client(portal_user=user)
    elif role == Role.FAMILY:
        grant_family_access(make_client(), user, scopes=("materials",))
    db.session.commit()
    login(client, user.email)
    return user


@pytest.mark.parametrize("role", list(MENUS))
def test_each_role_is_offered_its_own_places_in_order_with_its_home_marked(client, role):
    signed_in(client, role)
    home = MENUS[role][0][0]
    menu = links(text(client.get(home)), MAIN_MENU)
    assert [(href, label) for href, label, _ in menu] == MENUS[role]
    assert [label for _, label, current in menu if current] == [MENUS[role][0][1]]


@pytest.mark.parametrize(
    ("role", "path", "current"),
    [
        (Role.CASE_MANAGER, "/staff/clients", "Clients"),
        (Role.CASE_MANAGER, "/staff/notes/cosign", "My notes"),
        (Role.SUPERVISOR, "/staff/admin/audit", "Audit log"),
        (Role.ADMIN, "/staff/admin/users", "Users"),
        (Role.CLIENT, "/client/appointments", "My appointments"),
        (Role.CLIENT, "/help", "Get help now"),
        (Role.FAMILY, "/account/", "Account"),
    ],
)
def test_the_page_being_read_is_the_one_link_marked_current(client, role, path, current):
    signed_in(client, role)
    menu = links(text(client.get(path)), MAIN_MENU)
    assert [label for _, label, marked in menu if marked] == [current]


def test_the_menu_is_in_the_readers_language_whoever_read_it_before(app, client):
    user = signed_in(client, Role.CASE_MANAGER)
    english = links(text(client.get("/staff/")), MAIN_MENU)
    reader = app.test_client()
    login(reader, user.email)
    spanish = links(text(reader.get("/staff/", headers={"Accept-Language": "es"})), MAIN_MENU)
    assert [label for _, label, _ in spanish][:3] == ["Panel principal", "Clientes", "Mis notas"]
    assert [href for href, _, _ in spanish] == [href for href, _, _ in english]
    # The first reader still reads English: each language keeps its own labels.
    again = links(text(client.get("/staff/")), MAIN_MENU)
    assert again == english


def test_signed_out_pages_have_no_main_menu(client):
    assert 'class="site-nav"' not in text(client.get("/login"))


def test_a_record_has_its_own_tabs_with_the_page_being_read_marked(client):
    cm = signed_in(client, Role.CASE_MANAGER)
    first = make_client(primary_case_manager=cm)
    second = make_client(primary_case_manager=cm)
    db.session.commit()
    tabs = links(text(client.get(f"/staff/clients/{second.id}/plan")), RECORD_TABS)
    assert [label for _, label, _ in tabs] == [
        "Overview",
        "Assessments",
        "Care plan",
        "Notes",
        "Appointments",
        "Messages",
        "Status and risk",
        "Crisis and safety plan",
        "Referrals",
        "Materials",
        "Tasks",
        "Documents",
        "Portal and family access",
    ]
    assert [href for href, _, _ in tabs][:4] == [
        f"/staff/clients/{second.id}",
        f"/staff/clients/{second.id}/assessments",
        f"/staff/clients/{second.id}/plan",
        f"/staff/clients/{second.id}/notes",
    ]
    assert [label for _, label, current in tabs if current] == ["Care plan"]
    # Every tab leads to a page of this record that opens.
    for href, label, _ in tabs:
        assert client.get(href).status_code == 200, (label, href)
    # Another record's tabs lead to that record.
    other = links(text(client.get(f"/staff/clients/{first.id}/notes")), RECORD_TABS)
    assert all(f"/staff/clients/{first.id}" in href for href, _, _ in other)
    assert [label for _, label, current in other if current] == ["Notes"]


def test_addresses_follow_the_mount_point_the_page_is_served_under(client):
    signed_in(client, Role.CASE_MANAGER)
    plain = text(client.get("/staff/"))
    mounted = text(client.get("/staff/", base_url="http://localhost/agency"))
    assert [href for href, _, _ in links(mounted, MAIN_MENU)][:2] == [
        "/agency/staff/",
        "/agency/staff/clients",
    ]
    assert 'href="/agency/static/css/app.css"' in mounted
    # Served at the root again, the addresses are the root's.
    assert text(client.get("/staff/")).count('href="/agency/') == 0
    assert 'href="/static/css/app.css"' in plain


def test_every_page_address_written_from_its_shape_is_flasks_own(app):
    """The templates' ``url_for`` keeps the shape of addresses with whole numbers: for every
    page of the app, under the root and under a mount point, it writes what Flask writes."""
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        and all(
            type(rule._converters[name]).__name__ == "IntegerConverter"  # noqa: SLF001
            for name in rule.arguments
        )
    ]
    assert len(rules) > 100
    url_for = app.jinja_env.globals["url_for"]
    for base in ("http://localhost", "http://localhost/agency"):
        with app.test_request_context("/", base_url=base):
            app.preprocess_request()  # as a request starts: its addresses are bound
            for rule in rules:
                for numbers in ((1,), (42,), (7, 3), (123456, 9)):
                    values = dict(zip(sorted(rule.arguments), numbers * 3, strict=False))
                    expected = flask.url_for(rule.endpoint, **values)
                    assert url_for(rule.endpoint, **values) == expected
                    # A value that is not a whole number, and a query value, as Flask does.
                    assert url_for(rule.endpoint, **values, page=3) == flask.url_for(
                        rule.endpoint, **values, page=3
                    )
                    assert url_for(rule.endpoint, **values, q="a b") == flask.url_for(
                        rule.endpoint, **values, q="a b"
                    )
    # And the addresses were written from shapes, not built by Flask each time.
    shapes = app.extensions["waypoint_addresses"].values()
    assert sum(shape != ((), ()) for shape in shapes) >= 2 * len(rules)


def test_addresses_with_words_written_from_their_shape_are_flasks_own(app):
    """An address with words in it (``kind="objective"``, ``view="week"``) keeps its shape
    with the words written in: for every page whose address takes a word, under the root and
    under a mount point, the templates' ``url_for`` writes what Flask writes, each word where
    it belongs, with the numbers changing."""
    url_for = app.jinja_env.globals["url_for"]
    written = 0
    for base in ("http://localhost", "http://localhost/agency"):
        with app.test_request_context("/", base_url=base):
            app.preprocess_request()
            for rule in app.url_map.iter_rules():
                if rule.endpoint == "static":
                    continue
                for words in _word_choices(rule):
                    for number in (1, 42, 123456):
                        values = {name: words.get(name, number) for name in rule.arguments}
                        expected = flask.url_for(rule.endpoint, **values, view="week")
                        assert url_for(rule.endpoint, **values, view="week") == expected
                        written += 1
    assert written > 100
    # The plan's part addresses were written from a shape for each of their words.
    shapes = app.extensions["waypoint_addresses"]
    kinds = {
        value
        for key, shape in shapes.items()
        if key[0] == "staff.part_move" and shape[0]
        for name, value in key[3:]
        if name == "kind"
    }
    assert kinds == {"goal", "objective", "intervention"}


def _word_choices(rule):
    """Words for a rule's arguments that are not numbers: each choice of an ``any()``, and
    three words (one that is not ASCII) for a free one; none for a rule of numbers only."""
    converters = rule._converters  # noqa: SLF001
    free = [n for n, c in converters.items() if type(c).__name__ == "UnicodeConverter"]
    chosen = [(n, sorted(c.items)) for n, c in converters.items() if hasattr(c, "items")]
    choices = [{name: items[i % len(items)] for name, items in chosen} for i in range(3)]
    if free or chosen:
        words = ("phq9", "caseload", "café")
        return [
            {**choice, **dict.fromkeys(free, word)}
            for choice, word in zip(choices, words, strict=True)
        ]
    return []


def test_a_value_too_long_or_not_a_word_is_built_by_flask_each_time(app):
    """A token in an address is longer than any word, and a value with a space or a dash, or
    that starts with a figure, is not one: Flask builds those addresses each time, and none of
    them is kept."""
    url_for = app.jinja_env.globals["url_for"]
    with app.test_request_context("/"):
        app.preprocess_request()
        kept = app.extensions["waypoint_addresses"]
        before = len(kept)
        for value in ("x" * 25, "two words", "a-b", "9lives"):
            feed = url_for("main.calendar_feed", token=value)
            assert feed == flask.url_for("main.calendar_feed", token=value)
            listing = url_for("staff.client_index", q=value)
            assert listing == flask.url_for("staff.client_index", q=value)
        assert len(kept) == before


def test_no_more_shapes_are_kept_than_the_most_allowed(app, monkeypatch):
    """Words from a query string could grow the kept shapes without end: past the most kept,
    addresses are still right, built by Flask, and no more are kept."""
    url_for = app.jinja_env.globals["url_for"]
    with app.test_request_context("/"):
        app.preprocess_request()
        kept = app.extensions["waypoint_addresses"]
        monkeypatch.setattr(addresses, "_MOST_KEPT", len(kept) + 3)
        for n in range(10):
            word = f"status{n}"
            address = url_for("staff.client_index", status=word)
            assert address == flask.url_for("staff.client_index", status=word)
        assert len(kept) == addresses._MOST_KEPT  # noqa: SLF001


def test_the_portal_writes_addresses_only_through_its_own_url_for():
    """Every address the portal writes, in Python as in templates, goes through
    ``portal.addresses.url_for`` (Flask's own, faster for the addresses written most): a
    module that imports Flask's would quietly build each address the slow way."""
    callers = portal_modules_matching(
        r"^\s*from flask import[^\n]*\burl_for\b|\bflask\.url_for\b", besides="addresses.py"
    )
    assert callers == []
