# ruff: noqa: F811  (the test functions take the imported `agency` fixture)
"""Safety plans: every save a version; the client adds where staff opened the plan, pins
steps to the help screen and prints it; 988 and the crisis line are always there; family
see it only with consent; who may open which route."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.extensions import db
from portal.labels import SAFETY_SECTION_LABELS
from portal.models import (
    SAFETY_SECTIONS,
    Client,
    FamilyAccess,
    Role,
    SafetyPlanVersion,
    User,
    utcnow,
)
from portal.services import safety_plans

from .factories import grant_family_access, make_client, make_user
from .helpers import csrf_token
from .staff.conftest import agency  # noqa: F401  (the small agency of the staff tests)
from .staff.support import (
    HTMX,
    ROLES,
    events,
    field_error,
    field_value,
    page,
    post,
    section,
    sign_in,
    sign_in_as,
)

LIFELINE = "988 Suicide & Crisis Lifeline"
T = TypeVar("T")
CONFLICT = "Someone saved the plan while you were working on it."

# A plan with every section filled, as the client and Casey wrote it together.
FULL_PLAN: dict[str, list[tuple[str, str | None]]] = {
    "warning_signs": [("No dormir y quedarme en la cama", None)],
    "coping": [("Escuchar música con audífonos", None), ("Caminar con el perro", None)],
    "distraction": [("Café de la esquina", None)],
    "help_people": [("Mi hermana Ana", "555-0142"), ("Mi vecino Luis", "555-0177")],
    "professionals": [("Dra. Patricia, psiquiatra", "555-0123")],
    "safe_environment": [("Dejar las pastillas con Ana", None)],
    "reasons": [("Mi sobrina Lucía", None)],
}


def fetch(model: type[T], ident: Any) -> T:
    """A row as stored now (the test's session forgets what requests changed)."""
    row = db.session.get(model, ident)
    assert row is not None
    return row


def plan_url(client: Client, tail: str = "") -> str:
    return f"/staff/clients/{client.id}/safety-plan{tail}"


def versions_of(client: Client) -> list[SafetyPlanVersion]:
    return list(
        db.session.scalars(
            select(SafetyPlanVersion)
            .where(SafetyPlanVersion.client_id == client.id)
            .order_by(SafetyPlanVersion.number)
        )
    )


def count_versions() -> int:
    return int(db.session.scalar(select(func.count()).select_from(SafetyPlanVersion)) or 0)


def number(client: Client) -> int:
    plan = safety_plans.current(client)
    return plan.number if plan else 0


def build(client: Client, actor: User, plan: dict[str, list[tuple[str, str | None]]]) -> None:
    """Write a plan through the service, one version per item."""
    for section_name, items in plan.items():
        for text, phone in items:
            safety_plans.add_item(
                client, section_name, text, phone, expected=number(client), actor=actor, ip=None
            )
    db.session.commit()


def key_of(client: Client, text: str) -> str:
    plan = safety_plans.current(client)
    assert plan is not None
    return next(i["key"] for s in SAFETY_SECTIONS for i in plan.items(s) if i["text"] == text)


def open_sections(client: Client, actor: User, sections: list[str]) -> None:
    safety_plans.set_client_sections(
        client, sections, expected=number(client), actor=actor, ip=None
    )
    db.session.commit()


def staff_add(
    browser: Any,
    client: Client,
    section_name: str,
    text: str,
    version: int,
    *,
    phone: str = "",
    htmx: bool = False,
) -> Any:
    """The "Add to this section" form, as the page posts it (its fields carry a prefix)."""
    data = {
        "section": section_name,
        "version": version,
        f"new-{section_name}-text": text,
        f"new-{section_name}-phone": phone,
        f"new-{section_name}-csrf_token": browser.csrf,
    }
    return post(browser, plan_url(client, "/items"), data, htmx=htmx)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def footer(body: str) -> str:
    start = body.index('<footer class="site-footer">')
    return body[start : body.index("</footer>", start)]


# ---- Every staff save is a new, complete version ------------------------------------------


def test_each_staff_save_makes_a_new_complete_version(make_client, agency):
    started = utcnow()
    saves = [
        (agency.cm, "coping", "Walk the dog", ""),
        (agency.supervisor, "help_people", "My sister Ana", "555-0142"),
        (agency.team, "warning_signs", "Staying in bed all day", ""),
    ]
    for version, (user, section_name, text, phone) in enumerate(saves):
        browser = sign_in(make_client(), user)
        response = staff_add(browser, agency.own, section_name, text, version, phone=phone)
        assert response.status_code == 303, user.display_name
        assert response.headers["Location"] == plan_url(agency.own)
        assert "Safety plan saved." in page(browser.get(plan_url(agency.own)))
    rows = versions_of(agency.own)
    assert [v.number for v in rows] == [1, 2, 3]
    assert [v.saved_by_id for v in rows] == [agency.cm.id, agency.supervisor.id, agency.team.id]
    assert all(started - timedelta(seconds=1) <= v.saved_at <= utcnow() for v in rows)
    assert rows[0].saved_at <= rows[1].saved_at <= rows[2].saved_at
    assert not any(v.by_client for v in rows)
    # Each version is whole: the third has all three items, the first still only its own.
    assert [i["text"] for i in rows[0].items("coping")] == ["Walk the dog"]
    assert rows[0].items("help_people") == [] and rows[1].items("warning_signs") == []
    last = rows[2]
    assert [i["text"] for i in last.items("coping")] == ["Walk the dog"]
    assert [(i["text"], i["phone"]) for i in last.items("help_people")] == [
        ("My sister Ana", "555-0142")
    ]
    assert [i["text"] for i in last.items("warning_signs")] == ["Staying in bed all day"]
    # Keys stay the same from version to version.
    assert rows[0].items("coping")[0]["key"] == last.items("coping")[0]["key"]
    audit = events("create", agency.own.id) + events("update", agency.own.id)
    plan_events = sorted((e.id, e.action) for e in audit if e.object_type == "safety_plan")
    assert [action for _id, action in plan_events] == ["create", "update", "update"]

    browser = sign_in(make_client(), agency.cm)
    body = page(browser.get(plan_url(agency.own)))
    assert "Version 3, saved by Dr Pat Psychiatrist" in body
    history = page(browser.get(plan_url(agency.own, "/versions")))
    table = history[history.index("<tbody>") : history.index("</tbody>")]
    rows_shown = re.findall(r"<tr><td>(\d+)</td><td>[^<]+</td>\s*<td>([^<]+)", table)
    assert rows_shown == [
        ("3", "Dr Pat Psychiatrist"),
        ("2", "Sam Supervisor"),
        ("1", "Casey Manager"),
    ]


def test_edit_move_and_remove_each_make_a_version_and_keep_the_old_ones(client, agency):
    build(agency.own, agency.cm, {"coping": [("Walk", None), ("Music", None), ("Bath", None)]})
    walk, bath = key_of(agency.own, "Walk"), key_of(agency.own, "Bath")
    sign_in(client, agency.cm)
    edited = post(
        client, plan_url(agency.own, f"/items/{walk}/edit"), {"text": "Walk the dog", "version": 3}
    )
    assert edited.status_code == 303
    moved = post(
        client, plan_url(agency.own, f"/items/{bath}/move"), {"direction": "up", "version": 4}
    )
    assert moved.status_code == 303
    removed = post(client, plan_url(agency.own, f"/items/{walk}/remove"), {"version": 5})
    assert removed.status_code == 303
    rows = versions_of(agency.own)
    texts = [[i["text"] for i in v.items("coping")] for v in rows]
    assert texts == [
        ["Walk"],
        ["Walk", "Music"],
        ["Walk", "Music", "Bath"],
        ["Walk the dog", "Music", "Bath"],
        ["Walk the dog", "Bath", "Music"],
        ["Bath", "Music"],
    ]
    cannot = post(
        client, plan_url(agency.own, f"/items/{bath}/move"), {"direction": "up", "version": 6}
    )
    assert cannot.status_code == 422
    assert "That change could not be made." in page(cannot)
    assert count_versions() == 6


def test_an_htmx_save_answers_the_whole_plan(client, agency):
    build(agency.own, agency.cm, {"coping": [("Walk the dog", None)]})
    sign_in(client, agency.cm)
    response = staff_add(client, agency.own, "reasons", "My niece Lucia", 1, htmx=True)
    assert response.status_code == 200
    body = page(response)
    assert "<html" not in body
    assert body.lstrip().startswith('<section class="panel" id="safety-plan"')
    assert "Walk the dog" in body and "My niece Lucia" in body
    assert "Version 2, saved by Casey Manager" in body
    assert set(re.findall(r'name="version" value="(\d+)"', body)) == {"2"}
    assert "Safety plan saved." in body and 'hx-swap-oob="innerHTML"' in body


def test_an_item_needs_words(client, agency):
    sign_in(client, agency.cm)
    refused = staff_add(client, agency.own, "coping", "   ", 0)
    assert refused.status_code == 422
    assert field_error(page(refused), "new-coping-text") == "Write the item."
    partial = staff_add(client, agency.own, "coping", "", 0, htmx=True)
    assert partial.status_code == 422 and "<html" not in page(partial)
    assert field_error(page(partial), "new-coping-text") == "Write the item."
    assert count_versions() == 0


def _stale_change(agency: Any, key: str, version: int) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "add": (plan_url(agency.own, "/items"), {"section": "reasons", "version": version}),
        "edit": (plan_url(agency.own, f"/items/{key}/edit"), {"text": "Bath", "version": version}),
        "move": (
            plan_url(agency.own, f"/items/{key}/move"),
            {"direction": "down", "version": version},
        ),
        "remove": (plan_url(agency.own, f"/items/{key}/remove"), {"version": version}),
        "sections": (
            plan_url(agency.own, "/client-sections"),
            {"client_sections": ["coping"], "version": version},
        ),
    }


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("change", ["add", "edit", "move", "remove", "sections"])
def test_a_stale_version_gets_409_and_saves_nothing(make_client, agency, change, htmx):
    build(agency.own, agency.cm, {"coping": [("Walk", None), ("Music", None)]})
    casey, sam = sign_in(make_client(), agency.cm), sign_in(make_client(), agency.supervisor)
    read_by_casey = field_value(page(casey.get(plan_url(agency.own))), "version")
    read_by_sam = field_value(page(sam.get(plan_url(agency.own))), "version")
    assert read_by_casey == read_by_sam == "2"
    assert staff_add(casey, agency.own, "help_people", "My sister Ana", 2).status_code == 303
    saved = [(v.number, v.sections, v.client_sections) for v in versions_of(agency.own)]

    url, data = _stale_change(agency, key_of(agency.own, "Walk"), 2)[change]
    if change == "add":
        data |= {"new-reasons-text": "My niece", "new-reasons-csrf_token": sam.csrf}  # type: ignore[attr-defined]
    response = post(sam, url, data, htmx=htmx)
    assert response.status_code == 409
    body = page(response)
    assert CONFLICT in body
    assert "My sister Ana" in body  # the plan as it is now
    assert ("<html" in body) is not htmx
    assert [(v.number, v.sections, v.client_sections) for v in versions_of(agency.own)] == saved
    if change == "add":  # the new item's words wait in its form, to add to the plan as it is
        assert field_value(section(body, "section-reasons"), "new-reasons-text") == "My niece"
        assert set(re.findall(r'name="version" value="(\d+)"', body)) == {"3"}


# ---- The client adds to the sections staff opened -----------------------------------------


def test_the_client_adds_to_an_opened_section_marked_as_theirs(make_client, agency):
    build(agency.own, agency.cm, {"coping": [("Walk the dog", None)]})
    staff = sign_in(make_client(), agency.cm)
    opened = post(
        staff,
        plan_url(agency.own, "/client-sections"),
        {"client_sections": ["coping", "reasons"], "version": 1},
    )
    assert opened.status_code == 303
    assert versions_of(agency.own)[-1].client_sections == ["coping", "reasons"]

    portal = sign_in(make_client(), agency.client_user)
    body = page(portal.get("/client/safety-plan"))
    assert 'id="add-coping"' in body and 'id="add-reasons"' in body
    assert 'id="add-warning_signs"' not in body and 'id="add-help_people"' not in body
    added = post(
        portal, "/client/safety-plan/items", {"section": "coping", "text": "Draw", "version": 2}
    )
    assert added.status_code == 303
    assert added.headers["Location"] == "/client/safety-plan#section-coping"
    assert "Added to your safety plan." in page(portal.get("/client/safety-plan"))
    latest = versions_of(agency.own)[-1]
    assert (latest.number, latest.by_client, latest.saved_by_id) == (3, True, agency.client_user.id)
    assert [(i["text"], i["by_client"]) for i in latest.items("coping")] == [
        ("Walk the dog", False),
        ("Draw", True),
    ]

    staff_page = page(staff.get(plan_url(agency.own)))
    draw = staff_page[staff_page.index(f'id="item-{key_of(agency.own, "Draw")}"') :]
    assert draw[: draw.index("</li>")].count("Added by the client") == 1
    walk = staff_page[staff_page.index(f'id="item-{key_of(agency.own, "Walk the dog")}"') :]
    assert "Added by the client" not in walk[: walk.index("</li>")]
    assert "The client" in page(staff.get(plan_url(agency.own, "/versions")))


def test_the_client_cannot_add_to_a_closed_section(client, agency):
    build(agency.own, agency.cm, {"coping": [("Walk the dog", None)]})
    open_sections(agency.own, agency.cm, ["reasons"])
    sign_in(client, agency.client_user)
    for section_name in ("coping", "warning_signs", "professionals", "nonsense"):
        refused = post(
            client,
            "/client/safety-plan/items",
            {"section": section_name, "text": "Sneaked in", "version": 2},
        )
        assert refused.status_code == 422, section_name
    assert count_versions() == 2
    assert "Sneaked in" not in str(versions_of(agency.own)[-1].sections)


def test_the_client_cannot_add_before_there_is_a_plan(client, agency):
    sign_in(client, agency.client_user)
    refused = post(
        client, "/client/safety-plan/items", {"section": "coping", "text": "Draw", "version": 0}
    )
    assert refused.status_code == 422
    assert count_versions() == 0


def test_an_empty_addition_is_refused_at_the_field(client, agency):
    build(agency.own, agency.cm, {"coping": [("Walk the dog", None)]})
    open_sections(agency.own, agency.cm, ["coping"])
    sign_in(client, agency.client_user)
    refused = post(
        client, "/client/safety-plan/items", {"section": "coping", "text": "  ", "version": 2}
    )
    assert refused.status_code == 422
    assert field_error(page(refused), "add-coping") == "Write something to add."
    assert count_versions() == 2


def test_a_client_addition_on_a_stale_plan_is_not_saved_and_keeps_the_words(client, agency):
    build(agency.own, agency.cm, {"coping": [("Walk the dog", None)]})
    open_sections(agency.own, agency.cm, ["coping"])
    sign_in(client, agency.client_user)
    stale = post(
        client, "/client/safety-plan/items", {"section": "coping", "text": "Draw", "version": 1}
    )
    assert stale.status_code == 409
    body = page(stale)
    assert field_error(body, "add-coping").startswith("Your plan changed while you were writing.")
    assert 'value="Draw"' in body  # their words wait in the box
    assert 'name="version" value="2"' in body  # ready to add to the plan as it is now
    assert count_versions() == 2


# ---- Pins on the help screen --------------------------------------------------------------


@pytest.fixture
def pinnable(agency) -> dict[str, str]:
    build(
        agency.own,
        agency.cm,
        {
            "coping": [("Walk the dog", None), ("Music on headphones", None)],
            "distraction": [("The corner cafe", None)],
            "help_people": [("My sister Ana", "555-0142")],
            "reasons": [("My niece Lucia", None)],
        },
    )
    texts = ["Walk the dog", "Music on headphones", "The corner cafe", "My sister Ana"]
    return {text: key_of(agency.own, text) for text in [*texts, "My niece Lucia"]}


def help_pins(browser) -> str:
    body = page(browser.get("/help"))
    if 'aria-labelledby="pinned-title"' not in body:
        return ""
    return section(body, "pinned-title")


def test_the_client_pins_up_to_three_steps_to_their_help_screen(make_client, agency, pinnable):
    portal = sign_in(make_client(), agency.client_user)
    chosen = ["Walk the dog", "The corner cafe", "My sister Ana"]
    response = post(
        portal,
        "/client/safety-plan/pins",
        {"pinned": [pinnable[t] for t in chosen], "version": 5},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/help"
    latest = versions_of(agency.own)[-1]
    assert (latest.number, latest.by_client) == (6, True)
    assert latest.pinned == [pinnable[t] for t in chosen]
    pins = help_pins(portal)
    for text in chosen:
        assert text in pins
    assert "555-0142" in pins and "Music on headphones" not in pins
    # Only for that client: another client, staff and a passer-by see no pins.
    rosa = make_user(Role.CLIENT, display_name="Rosa Portal")
    rosas_record = make_client_for(rosa, agency)
    build(rosas_record, agency.cm, {"coping": [("Paint", None)]})
    for browser in (
        sign_in(make_client(), rosa),
        sign_in(make_client(), agency.cm),
        make_client(),
    ):
        assert help_pins(browser) == ""
        assert "Walk the dog" not in page(browser.get("/help"))


def make_client_for(user: User, agency: Any) -> Client:
    return make_client(legal_name="Rosa Vale", primary_case_manager=agency.cm, portal_user=user)


def test_a_fourth_pin_is_refused_and_nothing_changes(client, agency, pinnable):
    sign_in(client, agency.client_user)
    three = [pinnable["Walk the dog"], pinnable["The corner cafe"], pinnable["My sister Ana"]]
    assert (
        post(client, "/client/safety-plan/pins", {"pinned": three, "version": 5}).status_code == 303
    )
    four = [*three, pinnable["Music on headphones"]]
    refused = post(client, "/client/safety-plan/pins", {"pinned": four, "version": 6})
    assert refused.status_code == 422
    assert "Choose up to three." in page(refused)
    assert count_versions() == 6
    assert versions_of(agency.own)[-1].pinned == three
    assert "Music on headphones" not in help_pins(client)


def test_only_steps_and_people_can_be_pinned(client, agency, pinnable):
    sign_in(client, agency.client_user)
    chosen = [pinnable["My niece Lucia"], pinnable["Walk the dog"], "no-such-key"]
    assert (
        post(client, "/client/safety-plan/pins", {"pinned": chosen, "version": 5}).status_code
        == 303
    )
    assert versions_of(agency.own)[-1].pinned == [pinnable["Walk the dog"]]


def test_removing_a_pinned_item_unpins_it(make_client, agency, pinnable):
    safety_plans.set_pinned(
        agency.own, [pinnable["Walk the dog"]], expected=5, actor=agency.client_user, ip=None
    )
    db.session.commit()
    staff = sign_in(make_client(), agency.cm)
    url = plan_url(agency.own, f"/items/{pinnable['Walk the dog']}/remove")
    assert post(staff, url, {"version": 6}).status_code == 303
    assert versions_of(agency.own)[-1].pinned == []
    assert help_pins(sign_in(make_client(), agency.client_user)) == ""


# ---- 988 and the agency's crisis line, everywhere -----------------------------------------

LINES = pytest.mark.parametrize(
    "app_config",
    [{}, {"CRISIS_LINE_PHONE": "555-0999", "CRISIS_LINE_NAME": "Test line"}],
    ids=["default", "configured"],
)


def has_both_lines(body: str, name: str, phone: str) -> bool:
    return (
        LIFELINE in body
        and 'href="tel:988"' in body
        and name in body
        and f'href="tel:{phone}"' in body
    )


def footer_lines(body: str, phone: str) -> bool:
    bottom = footer(body)
    return 'href="tel:988"' in bottom and f'href="tel:{phone}"' in bottom


@LINES
def test_every_version_on_the_staff_page_lists_988_and_the_crisis_line(app, client, agency):
    name, phone = app.config["CRISIS_LINE_NAME"], app.config["CRISIS_LINE_PHONE"]
    sign_in(client, agency.cm)
    body = page(client.get(plan_url(agency.own)))  # no plan yet: still listed
    assert has_both_lines(section(body, "section-professionals"), name, phone)
    for version, text in enumerate(["Walk the dog", "Music", "Bath"]):
        assert staff_add(client, agency.own, "coping", text, version).status_code == 303
        body = page(client.get(plan_url(agency.own)))
        assert f"Version {version + 1}," in body
        assert has_both_lines(section(body, "section-professionals"), name, phone)
        assert footer_lines(body, phone)
    partial = page(staff_add(client, agency.own, "coping", "Tea", 3, htmx=True))
    assert has_both_lines(section(partial, "section-professionals"), name, phone)
    # Rendered, never stored: no save can drop them.
    stored = " ".join(
        f"{item['text']} {item['phone']}"
        for v in versions_of(agency.own)
        for items in v.sections.values()
        for item in items
    )
    assert "988" not in stored and phone not in stored and name not in stored
    assert all(v.items("professionals") == [] for v in versions_of(agency.own))
    if phone != "555-0100":
        assert "555-0100" not in body and "Waypoint crisis line" not in body


@LINES
def test_every_portal_page_and_the_sign_in_page_offer_988_and_the_crisis_line(
    app, make_client, agency
):
    name, phone = app.config["CRISIS_LINE_NAME"], app.config["CRISIS_LINE_PHONE"]
    grant_family_access(agency.own, agency.family, scopes=("safety_plan",))
    anonymous = make_client()
    login_page = page(anonymous.get("/login"))
    assert footer_lines(login_page, phone)
    assert 'href="/help"' in login_page
    help_page = page(anonymous.get("/help"))
    assert has_both_lines(help_page, name, phone)

    portal = sign_in(make_client(), agency.client_user)
    family = sign_in(make_client(), agency.family)
    no_plan = {
        "/client/": page(portal.get("/client/")),
        "/client/safety-plan": page(portal.get("/client/safety-plan")),
        "/family/": page(family.get("/family/")),
        "family plan": page(family.get(f"/family/clients/{agency.own.id}/safety-plan")),
    }
    for where, body in no_plan.items():
        assert footer_lines(body, phone), where
        assert 'href="/help"' in body, where
    assert has_both_lines(no_plan["/client/safety-plan"], name, phone)
    assert has_both_lines(no_plan["family plan"], name, phone)

    build(agency.own, agency.cm, {"coping": [("Walk the dog", None)]})
    for body in (
        page(portal.get("/client/safety-plan")),
        page(family.get(f"/family/clients/{agency.own.id}/safety-plan")),
    ):
        assert "Walk the dog" in body
        assert has_both_lines(body, name, phone) and footer_lines(body, phone)
        if phone != "555-0100":
            assert "555-0100" not in body and "Waypoint crisis line" not in body


# ---- The printed plan and the wallet card -------------------------------------------------


def spanish_plan(agency: Any) -> Client:
    person = fetch(Client, agency.own.id)
    person.preferred_language = "es"
    build(person, agency.cm, FULL_PLAN)
    return person


def spanish_headings() -> dict[str, str]:
    english = {s: str(SAFETY_SECTION_LABELS[s][0]) for s in SAFETY_SECTIONS}
    with force_locale("es"):
        return {s: _(text) for s, text in english.items()}


def test_the_plan_pdf_is_in_the_clients_language_with_every_item_and_988(client, agency):
    person = spanish_plan(agency)
    sign_in(client, agency.cm)  # Casey works in English; the printout follows the client
    response = client.get(plan_url(person, ".pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename="safety-plan.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    for number_, heading in enumerate(spanish_headings().values(), start=1):
        assert f"{number_}. {heading}" in text
    for items in FULL_PLAN.values():
        for item, phone in items:
            assert item in text
            if phone:
                assert phone in text
    with force_locale("es"):
        lifeline = _(LIFELINE)
    assert lifeline == "Línea de Prevención del Suicidio y Crisis 988"
    assert f"{lifeline}: 988" in text
    assert "Waypoint crisis line: 555-0100" in text
    [printed] = events("print", person.id)
    assert printed.actor_id == agency.cm.id
    assert printed.detail == f"version {number(person)} pdf es"


def test_the_plan_pdf_section_headings_are_spanish(client, agency):
    """Depends on the Spanish catalog having the safety-plan section headings."""
    spanish_plan(agency)
    sign_in(client, agency.client_user)
    text = pdf_text(client.get("/client/safety-plan.pdf").data)
    for section_name, heading in spanish_headings().items():
        english = str(SAFETY_SECTION_LABELS[section_name][0])
        assert heading != english, f"no Spanish for {english!r}"
        assert heading in text and english not in text


def test_the_clients_own_pdf_and_wallet_card(client, agency):
    build(agency.own, agency.cm, FULL_PLAN)
    sign_in(client, agency.client_user)
    plan = client.get("/client/safety-plan.pdf")
    assert plan.status_code == 200 and plan.mimetype == "application/pdf"
    assert "Mi hermana Ana" in pdf_text(plan.data)
    card = client.get("/client/safety-plan/wallet-card.pdf")
    assert card.status_code == 200 and card.mimetype == "application/pdf"
    assert 'filename="safety-plan-wallet-card.pdf"' in card.headers["Content-Disposition"]
    text = pdf_text(card.data)
    assert f"{LIFELINE}: 988" in text
    assert "Waypoint crisis line: 555-0100" in text
    assert "Mi hermana Ana: 555-0142" in text and "Caminar con el perro" in text
    printed = [e.detail for e in events("print", agency.own.id)]
    last = number(agency.own)
    assert printed == [f"version {last} pdf en", f"version {last} wallet card en"]


@pytest.mark.parametrize(
    "app_config", [{"CRISIS_LINE_PHONE": "555-0999", "CRISIS_LINE_NAME": "Test line"}]
)
def test_the_printouts_carry_the_configured_crisis_line(client, agency):
    build(agency.own, agency.cm, {"coping": [("Walk the dog", None)]})
    sign_in(client, agency.client_user)
    for url in ("/client/safety-plan.pdf", "/client/safety-plan/wallet-card.pdf"):
        text = pdf_text(client.get(url).data)
        assert "Test line: 555-0999" in text and "988" in text
        assert "555-0100" not in text and "Waypoint crisis line" not in text


# ---- The client sees their own plan, and only theirs --------------------------------------


def test_each_client_sees_only_their_own_plan(make_client, agency):
    rosa = make_user(Role.CLIENT, display_name="Rosa Portal")
    other = make_client_for(rosa, agency)
    build(agency.own, agency.cm, {"coping": [("Walk the dog", None)]})
    build(other, agency.cm, {"coping": [("Paint by the window", None)]})
    olive, rosas = sign_in(make_client(), agency.client_user), sign_in(make_client(), rosa)
    for browser, mine, theirs in (
        (olive, "Walk the dog", "Paint by the window"),
        (rosas, "Paint by the window", "Walk the dog"),
    ):
        for url in ("/client/safety-plan", f"/client/safety-plan?client_id={agency.own.id}"):
            body = page(browser.get(url))
            assert mine in body and theirs not in body
        text = pdf_text(browser.get("/client/safety-plan.pdf").data)
        assert mine in text and theirs not in text
    # Client addresses never name a client: there is no id to change.
    portal_rules = [
        r
        for r in olive.application.url_map.iter_rules()
        if r.rule.startswith("/client/safety-plan")
    ]
    assert portal_rules and all(not r.arguments for r in portal_rules)


def test_a_client_without_a_plan_sees_the_numbers(client, agency):
    sign_in(client, agency.client_user)
    response = client.get("/client/safety-plan")
    assert response.status_code == 200
    body = page(response)
    assert "You and your case manager have not written your safety plan yet." in body
    assert has_both_lines(body, "Waypoint crisis line", "555-0100")
    assert "Save my pins" not in body and "Wallet card" not in body
    assert client.get("/client/safety-plan.pdf").status_code == 404
    assert client.get("/client/safety-plan/wallet-card.pdf").status_code == 404


def test_a_client_without_a_record_gets_404(client):
    loner = make_user(Role.CLIENT)
    sign_in(client, loner)
    assert client.get("/client/safety-plan").status_code == 404
    assert client.get("/client/safety-plan.pdf").status_code == 404


# ---- Family: only with the safety-plan scope, in force ------------------------------------


def family_plan(browser, client_id: int) -> Any:
    return browser.get(f"/family/clients/{client_id}/safety-plan")


def test_family_see_the_plan_only_with_the_safety_plan_scope(make_client, agency):
    build(agency.own, agency.cm, {"coping": [("Walk the dog", None)]})
    open_sections(agency.own, agency.cm, ["coping"])
    # Fay's consent covers materials and appointments, not the safety plan.
    fay = sign_in(make_client(), agency.family)
    assert family_plan(fay, agency.own.id).status_code == 404
    assert "safety-plan" not in page(fay.get("/family/"))

    gus = make_user(Role.FAMILY, display_name="Gus Guardian")
    grant_family_access(agency.own, gus, scopes=("safety_plan",))
    browser = sign_in(make_client(), gus)
    response = family_plan(browser, agency.own.id)
    assert response.status_code == 200
    body = page(response)
    assert "Olive's safety plan" in body and "Walk the dog" in body
    assert "Add your own" not in body and "Save my pins" not in body  # reading only
    assert f'href="/family/clients/{agency.own.id}/safety-plan"' in page(browser.get("/family/"))
    assert family_plan(browser, agency.theirs.id).status_code == 404
    assert family_plan(browser, agency.own.id + 1000).status_code == 404


@pytest.mark.parametrize("ended", ["revoked", "expired"])
def test_family_lose_the_plan_when_the_consent_ends(client, agency, ended):
    build(agency.own, agency.cm, {"coping": [("Walk the dog", None)]})
    gus = make_user(Role.FAMILY, display_name="Gus Guardian")
    consent = grant_family_access(agency.own, gus, scopes=("safety_plan",))
    sign_in(client, gus)
    assert family_plan(client, agency.own.id).status_code == 200
    consent = fetch(FamilyAccess, consent.id)
    if ended == "revoked":
        consent.revoked_at = utcnow() - timedelta(minutes=1)
    else:
        consent.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    response = family_plan(client, agency.own.id)
    assert response.status_code == 404
    assert "Walk the dog" not in page(response)
    assert "safety-plan" not in page(client.get("/family/"))


# ---- Who may open which route --------------------------------------------------------------

Route = tuple[str, str, Callable[[Any], str], Callable[[Any], dict[str, Any]] | None]


def _v(a: Any) -> int:
    return number(a.own)


def _key(a: Any, text: str) -> str:
    return key_of(a.own, text)


STAFF_ROUTES: list[Route] = [
    ("safety_plan", "GET", lambda a: plan_url(a.own), None),
    (
        "safety_item_add",
        "POST",
        lambda a: plan_url(a.own, "/items"),
        lambda a: {"section": "reasons", "version": _v(a), "new-reasons-text": "My niece"},
    ),
    (
        "safety_item_edit",
        "POST",
        lambda a: plan_url(a.own, f"/items/{_key(a, 'Walk')}/edit"),
        lambda a: {"text": "Walk the dog", "version": _v(a)},
    ),
    (
        "safety_item_move",
        "POST",
        lambda a: plan_url(a.own, f"/items/{_key(a, 'Music')}/move"),
        lambda a: {"direction": "up", "version": _v(a)},
    ),
    (
        "safety_client_sections",
        "POST",
        lambda a: plan_url(a.own, "/client-sections"),
        lambda a: {"client_sections": ["coping"], "version": _v(a)},
    ),
    (
        "safety_item_remove",
        "POST",
        lambda a: plan_url(a.own, f"/items/{_key(a, 'Music')}/remove"),
        lambda a: {"version": _v(a)},
    ),
    ("safety_versions", "GET", lambda a: plan_url(a.own, "/versions"), None),
    ("safety_plan_pdf", "GET", lambda a: plan_url(a.own, ".pdf"), None),
]

STAFF_TABLE: dict[str, tuple[int, ...]] = {
    # route:                     cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "safety_plan": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "safety_item_add": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "safety_item_edit": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "safety_item_move": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "safety_client_sections": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "safety_item_remove": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "safety_versions": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "safety_plan_pdf": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
}

PORTAL_ROUTES: list[Route] = [
    ("client.safety_plan", "GET", lambda a: "/client/safety-plan", None),
    (
        "client.safety_plan_add",
        "POST",
        lambda a: "/client/safety-plan/items",
        lambda a: {"section": "coping", "text": "Draw", "version": _v(a)},
    ),
    (
        "client.safety_plan_pins",
        "POST",
        lambda a: "/client/safety-plan/pins",
        lambda a: {"pinned": [_key(a, "Walk")], "version": _v(a)},
    ),
    ("client.safety_plan_pdf", "GET", lambda a: "/client/safety-plan.pdf", None),
    ("client.safety_plan_wallet", "GET", lambda a: "/client/safety-plan/wallet-card.pdf", None),
    (
        "family.family_safety_plan",
        "GET",
        lambda a: f"/family/clients/{a.own.id}/safety-plan",
        None,
    ),
]

PORTAL_TABLE: dict[str, tuple[int, ...]] = {
    # route:                        cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "client.safety_plan": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "client.safety_plan_add": (403, 403, 403, 403, 403, 403, 403, 303, 403, 302),
    "client.safety_plan_pins": (403, 403, 403, 403, 403, 403, 403, 303, 403, 302),
    "client.safety_plan_pdf": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "client.safety_plan_wallet": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "family.family_safety_plan": (403, 403, 403, 403, 403, 403, 403, 403, 200, 302),
}


def test_the_tables_cover_every_safety_plan_route(app):
    rules = [r for r in app.url_map.iter_rules() if "safety-plan" in r.rule]
    assert {r.endpoint for r in rules if r.endpoint.startswith("staff.")} == {
        f"staff.{name}" for name in STAFF_TABLE
    }
    assert {r.endpoint for r in rules if not r.endpoint.startswith("staff.")} == set(PORTAL_TABLE)
    assert [name for name, *_ in STAFF_ROUTES] == list(STAFF_TABLE)
    assert [name for name, *_ in PORTAL_ROUTES] == list(PORTAL_TABLE)


@pytest.fixture
def with_plan(agency):
    """Olive's plan, open to her in "coping"; Fay's consent covers it."""
    build(agency.own, agency.cm, {"coping": [("Walk", None), ("Music", None)]})
    open_sections(agency.own, agency.cm, ["coping"])
    consent = fetch(FamilyAccess, agency.ids["consent"])
    consent.scope_safety_plan = True
    db.session.commit()
    return agency


def _ask(browser: Any, agency: Any, route: Route) -> tuple[str, Any]:
    _name, method, path, data = route
    url = path(agency)
    if method == "GET":
        return url, browser.get(url)
    assert data is not None
    values = data(agency)
    if "new-reasons-text" in values:
        values["new-reasons-csrf_token"] = getattr(browser, "csrf", "")
    return url, post(browser, url, values)


def _check_table(browser: Any, agency: Any, role: str, routes: list[Route], table: dict) -> None:
    column = ROLES.index(role)
    answers, leaks = {}, []
    for route in routes:
        url, response = _ask(browser, agency, route)
        answers[route[0]] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if response.status_code in (403, 404) and "Walk" in page(response):
            leaks.append(url)
    assert answers == {name: statuses[column] for name, statuses in table.items()}
    assert leaks == []  # a refusal never shows any of the plan


@pytest.mark.parametrize("role", ROLES)
def test_staff_route_truth_table(client, with_plan, role):
    sign_in_as(client, with_plan, role)
    _check_table(client, with_plan, role, STAFF_ROUTES, STAFF_TABLE)
    changes = 5 if STAFF_TABLE["safety_item_add"][ROLES.index(role)] == 303 else 0
    assert count_versions() == 3 + changes


@pytest.mark.parametrize("role", ROLES)
def test_portal_route_truth_table(client, with_plan, role):
    sign_in_as(client, with_plan, role)
    _check_table(client, with_plan, role, PORTAL_ROUTES, PORTAL_TABLE)
    changes = 2 if role == "client_user" else 0
    assert count_versions() == 3 + changes


def test_anonymous_htmx_requests_to_staff_routes_get_401(client, with_plan):
    client.csrf = csrf_token(client, "/login")
    for route in STAFF_ROUTES:
        _name, method, path, data = route
        url = path(with_plan)
        if method == "GET":
            response = client.get(url, headers=HTMX)
        else:
            response = post(client, url, data(with_plan) if data else {}, htmx=True)
        assert response.status_code == 401, url
        assert response.headers["HX-Redirect"] == f"/login?next={url}", url
