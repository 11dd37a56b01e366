"""The education materials library: Markdown made safe, writing and translating with a version
check, archiving, giving materials to a client from the record, who may do which, a query
budget that does not grow with the library, and the starter library the demo loads."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from markupsafe import Markup
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    Material,
    MaterialAssignment,
    MaterialRead,
    MaterialTranslation,
    User,
    utcnow,
)
from portal.services import materials
from portal.services.demo_materials import load_demo_materials

from ..factories import make_client, make_user
from .support import (
    HTMX,
    ROLES,
    events,
    field_error,
    page,
    post,
    section,
    sign_in,
    sign_in_as,
)

INDEX = "/staff/materials"
BODY = "## What helps\n\n- Sleep\n- A short walk\n\nCall or text 988 any time."
EVIL = (
    "# Title\n\n"
    "<script>alert('script')</script>\n\n"
    '<img src="x" onerror="alert(\'img\')">\n\n'
    '<p onclick="alert(\'click\')" style="color:red">Styled</p>\n\n'
    "[bad](javascript:void) [sneaky](JaVaScRiPt:alert(1)) "
    "[data](data:text/html;base64,PHNjcmlwdD4=) [rel](/staff/) [proto](//evil.example)\n\n"
    "[good](https://example.org) [mail](mailto:help@example.org) [phone](tel:988)\n\n"
    '<a href="java&#x09;script:alert(2)" title="t">tabbed</a> '
    '<iframe src="https://evil.example"></iframe>'
)


def make_material(
    actor: User,
    title: str = "Understanding worry",
    *,
    body: str = BODY,
    es_title: str | None = None,
    es_body: str = "## Qué ayuda\n\nLlame o envíe un texto al 988.",
    topic: str = "condition",
    audience: str = "both",
    general: bool = True,
    summary: str | None = None,
) -> Material:
    """A material through the service (English first), with a Spanish text if asked."""
    data = {
        "title": title,
        "summary": summary,
        "body": body,
        "topic": topic,
        "audience": audience,
        "general": general,
    }
    material = materials.create(data, locale="en", actor=actor, ip=None)
    if es_title:
        materials.update(
            material,
            {**data, "title": es_title, "body": es_body},
            locale="es",
            expected_version=material.version,
            actor=actor,
            ip=None,
        )
    db.session.flush()
    return material


def stored(material_id: int) -> Material:
    db.session.expire_all()
    material = db.session.get(Material, material_id)
    assert material is not None
    return material


def titles(response: Any) -> list[str]:
    """The materials a library page lists, in order."""
    return re.findall(r'class="material-row__title"><a href="[^"]+">([^<]+)</a>', page(response))


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Sleep and mood",
        "summary": "Why sleep matters.",
        "body": BODY,
        "topic": "wellbeing",
        "audience": "both",
        "general": "y",
    }
    data.update(overrides)
    return data


# ---- Markdown is rendered, then sanitised with an allow-list ------------------------------


def test_markdown_renders_to_safe_markup():
    html = materials.render(EVIL)
    assert isinstance(html, Markup)
    text = str(html)
    lowered = text.lower()
    for bad in ("<script", "alert('script')", "onerror", "onclick", "style=", "<img", "<iframe"):
        assert bad not in lowered, bad
    assert "javascript" not in lowered and "data:text" not in lowered
    assert 'href="/staff/"' not in text and "evil.example" not in text
    assert '<a href="https://example.org" rel="noopener noreferrer">good</a>' in text
    assert '<a href="mailto:help@example.org" rel="noopener noreferrer">mail</a>' in text
    assert '<a href="tel:988" rel="noopener noreferrer">phone</a>' in text
    # links that lost their address keep their words, and nothing else
    assert '<a rel="noopener noreferrer">bad</a>' in text
    # the page's <h1> is the material's title: a heading in the body starts at <h2>
    assert "<h1" not in text and "<h2>Title</h2>" in text
    assert "<p>Styled</p>" in text
    assert "title=" not in text and "lang=" not in text  # no attribute beyond the allow-list


def test_markdown_keeps_the_structure_writers_need():
    text = str(
        materials.render(
            "## Heading\n\nSome **bold** and *soft* words.\n\n1. one\n2. two\n\n"
            "> a quote\n\n---\n\n`code`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
        )
    )
    for tag in ("<h2>", "<strong>", "<em>", "<ol>", "<li>", "<blockquote>", "<hr>", "<code>"):
        assert tag in text, tag
    assert "<table>" in text and "<th>a</th>" in text and "<td>2</td>" in text


# ---- The library: one URL, two renderings ------------------------------------------------


def test_the_library_pages_by_25_and_a_page_past_the_end_shows_the_last(client, agency):
    for n in range(27):
        make_material(agency.admin, f"Leaflet {n:02d}")
    sign_in(client, agency.team)

    first = client.get(INDEX, query_string={"q": "Leaflet"}, headers=HTMX)
    assert titles(first) == [f"Leaflet {n:02d}" for n in range(25)]
    assert "27 materials" in page(first) and "Page 1 of 2" in page(first)
    second = client.get(INDEX, query_string={"q": "Leaflet", "page": 2}, headers=HTMX)
    assert titles(second) == ["Leaflet 25", "Leaflet 26"]
    assert "27 materials" in page(second) and "Page 2 of 2" in page(second)
    past = client.get(INDEX, query_string={"q": "Leaflet", "page": 9}, headers=HTMX)
    assert titles(past) == titles(second) and "Page 2 of 2" in page(past)
    nothing = client.get(INDEX, query_string={"q": "no such leaflet", "page": 3}, headers=HTMX)
    assert "0 materials" in page(nothing) and "No material matches." in page(nothing)
    empty = client.get(INDEX, query_string={"q": "no such leaflet"}, headers=HTMX)
    assert "0 materials" in page(empty) and "Page 1 of" not in page(empty)


def test_the_library_lists_searches_and_filters(client, agency):
    make_material(agency.admin, "Understanding worry", es_title="Entender la preocupación")
    make_material(agency.admin, "Caring for a carer", topic="wellbeing", audience="family")
    old = make_material(agency.admin, "An old leaflet")
    materials.set_active(old, False, actor=agency.admin, ip=None)
    sign_in(client, agency.team)

    full = client.get(INDEX)
    assert full.status_code == 200
    body = page(full)
    assert "<html" in body and 'id="material-q"' in body
    assert titles(full) == ["Caring for a carer", "Understanding worry"]
    assert "HX-Request" in full.headers["Vary"]
    row = body[body.index('id="material-', body.index("material-matches")) :]
    assert "English" in row and "Spanish" in row  # the languages each material has
    assert "Write a material" not in body  # the care team reads the library, never writes it

    partial = client.get(INDEX, query_string={"q": "preocupa"}, headers=HTMX)
    assert "<html" not in page(partial)
    assert titles(partial) == ["Understanding worry"]  # a title in any language is found
    assert titles(client.get(INDEX, query_string={"topic": "wellbeing"})) == ["Caring for a carer"]
    assert titles(client.get(INDEX, query_string={"audience": "family"})) == ["Caring for a carer"]
    assert "An old leaflet" in titles(client.get(INDEX, query_string={"archived": "1"}))
    assert titles(client.get(INDEX, query_string={"q": "100%_"})) == []


def test_the_library_costs_the_same_queries_for_one_material_or_fifteen(
    client, agency, count_queries
):
    make_material(agency.admin, "Material 0", es_title="Material cero")
    sign_in(client, agency.cm)
    client.get(INDEX)
    with count_queries() as one:
        assert client.get(INDEX).status_code == 200
    for n in range(1, 15):
        material = make_material(agency.admin, f"Material {n}", es_title=f"Material {n} es")
        if n % 3 == 0:
            materials.assign(material, agency.own, note=None, actor=agency.cm, ip=None)
    with count_queries() as fifteen:
        response = client.get(INDEX)
    assert len(titles(response)) == 15
    assert fifteen.count == one.count, fifteen.statements


# ---- Writing and translating --------------------------------------------------------------


def test_writing_a_material_saves_its_english_text_and_audits(client, agency):
    sign_in(client, agency.cm)
    assert client.get(INDEX + "/new").status_code == 200
    response = post(client, INDEX + "/new", {**form_data(), "locale": "en"})
    assert response.status_code == 303
    material = db.session.scalar(select(Material).where(Material.slug == "sleep-and-mood"))
    assert material is not None
    assert response.headers["Location"] == f"{INDEX}/{material.id}"
    assert (material.topic, material.audience, material.general, material.active) == (
        "wellbeing",
        "both",
        True,
        True,
    )
    assert [(t.locale, t.title, t.summary) for t in material.translations] == [
        ("en", "Sleep and mood", "Why sleep matters.")
    ]
    assert [e.object_id for e in events("create") if e.object_type == "material"] == [
        str(material.id)
    ]
    detail = page(client.get(response.headers["Location"]))
    assert "<h2>What helps</h2>" in detail and "<li>A short walk</li>" in detail
    # a second material of the same title gets its own address
    post(client, INDEX + "/new", {**form_data(), "locale": "en"})
    assert db.session.scalar(select(func.count()).select_from(Material)) == 2
    assert db.session.scalar(select(Material.slug).where(Material.slug == "sleep-and-mood-2"))


def test_a_rejected_material_keeps_what_was_typed(client, agency):
    sign_in(client, agency.supervisor)
    response = post(
        client, INDEX + "/new", {**form_data(title="", body="My **draft**"), "locale": "en"}
    )
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "title") == "Enter a title."
    assert "My **draft**" in body and "Why sleep matters." in body
    assert 'class="error-summary"' in body
    assert db.session.scalar(select(func.count()).select_from(Material)) == 0


def test_preview_renders_the_typed_text_without_saving(client, agency):
    material = make_material(agency.admin)
    sign_in(client, agency.cm)
    response = post(
        client,
        f"{INDEX}/{material.id}/edit?lang=en",
        {
            **form_data(body="## Fresh\n\n<script>alert(1)</script>"),
            "version": material.version,
            "preview": "1",
        },
    )
    assert response.status_code == 200
    preview = section(response.get_data(as_text=True), "preview-title")
    assert "<h2>Fresh</h2>" in preview and "script" not in preview
    assert "## Fresh" in page(response)  # the text stays in the form
    assert stored(material.id).translations[0].body == BODY


def test_saving_another_language_adds_a_translation(client, agency):
    material = make_material(agency.admin)
    sign_in(client, agency.cm)
    form = client.get(f"{INDEX}/{material.id}/edit?lang=es")
    assert form.status_code == 200
    assert "The English text, to translate from" in page(form)
    response = post(
        client,
        f"{INDEX}/{material.id}/edit?lang=es",
        form_data(title="Entender la preocupación", body="## Qué ayuda", version=material.version),
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"{INDEX}/{material.id}?lang=es"
    again = stored(material.id)
    assert sorted((t.locale, t.title) for t in again.translations) == [
        ("en", "Understanding worry"),
        ("es", "Entender la preocupación"),
    ]
    detail = page(client.get(response.headers["Location"]))
    assert "Entender la preocupación" in detail and "<h2>Qué ayuda</h2>" in detail
    assert client.get(f"{INDEX}/{material.id}/edit?lang=xx").status_code == 404


def test_a_stale_save_shows_both_texts_and_loses_neither(client, agency, make_client):
    material = make_material(agency.admin)
    version = stored(material.id).version
    other = make_client()
    sign_in(client, agency.cm)
    sign_in(other, agency.supervisor)
    first = post(
        other,
        f"{INDEX}/{material.id}/edit?lang=en",
        form_data(title="Their title", body="Their text", version=version),
    )
    assert first.status_code == 303
    second = post(
        client,
        f"{INDEX}/{material.id}/edit?lang=en",
        form_data(title="My title", body="My text", version=version),
    )
    assert second.status_code == 409
    body = page(second)
    assert 'id="conflict"' in body
    assert "Their text" in body and "My text" in body and 'value="My title"' in body
    assert stored(material.id).translations[0].title == "Their title"
    # the form now carries the saved version: saving again keeps mine
    fresh = stored(material.id).version
    assert f'name="version" type="hidden" value="{fresh}"' in body
    third = post(
        client,
        f"{INDEX}/{material.id}/edit?lang=en",
        form_data(title="My title", body="My text", version=fresh),
    )
    assert third.status_code == 303
    assert stored(material.id).translations[0].title == "My title"


def test_archiving_hides_a_material_from_readers_and_can_be_undone(client, agency):
    material = make_material(agency.admin, audience="client")
    sign_in(client, agency.cm)
    assert post(client, f"{INDEX}/{material.id}/archive").status_code == 303
    assert stored(material.id).active is False
    assert materials.entry_for_client(agency.own, material.slug, "en") is None
    assert "Archived" in page(client.get(f"{INDEX}/{material.id}"))
    assert post(client, f"{INDEX}/{material.id}/archive", {"active": "1"}).status_code == 303
    assert stored(material.id).active is True
    details = [e.detail for e in events("update") if e.object_type == "material"]
    assert details == ["archived", "restored"]


# ---- Giving materials to a client from the record ---------------------------------------


def test_giving_and_taking_back_a_material_from_the_record(client, agency):
    material = make_material(agency.admin, "Understanding worry", general=False)
    sign_in(client, agency.team)
    record = client.get(f"/staff/clients/{agency.own.id}/materials")
    assert record.status_code == 200
    body = page(record)
    assert 'aria-current="page">Materials</a>' in body
    assert "Understanding worry (Clients and families)" in body

    url = f"/staff/clients/{agency.own.id}/materials"
    response = post(client, url, {"material_id": material.id, "note": "For Friday"})
    assert response.status_code == 303
    assignment = db.session.scalar(select(MaterialAssignment))
    assert assignment is not None
    assert (assignment.client_id, assignment.assigned_by_id, assignment.note) == (
        agency.own.id,
        agency.team.id,
        "For Friday",
    )
    created = [e for e in events("create") if e.object_type == "material_assignment"]
    assert [(e.client_id, e.object_id) for e in created] == [(agency.own.id, str(assignment.id))]
    listed = page(client.get(url))
    assert "Not read yet" in listed and "Note: For Friday" in listed

    # once given, it is not offered again; asking for it anyway is refused at the field
    again = post(client, url, {"material_id": material.id})
    assert again.status_code == 422
    assert field_error(page(again), "material_id") == "The client already has this material."
    nothing = post(client, url, {"material_id": ""})
    assert nothing.status_code == 422
    assert field_error(page(nothing), "material_id") == "Choose a material."

    gone = post(client, f"{url}/{material.id}/unassign")
    assert gone.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(MaterialAssignment)) == 0
    deleted = [e for e in events("delete") if e.object_type == "material_assignment"]
    assert [e.client_id for e in deleted] == [agency.own.id]
    assert post(client, f"{url}/{material.id}/unassign").status_code == 404


def test_the_record_shows_when_the_client_read_each_material(client, agency):
    material = make_material(agency.admin, "Understanding worry", general=False)
    materials.assign(material, agency.own, note=None, actor=agency.cm, ip=None)
    read = MaterialRead(material_id=material.id, user_id=agency.client_user.id, read_at=utcnow())
    db.session.add(read)
    sign_in(client, agency.cm)
    body = page(client.get(f"/staff/clients/{agency.own.id}/materials"))
    assert "Read on" in body and "Not read yet" not in body


def test_another_clients_record_and_an_archived_material_cannot_be_used(client, agency):
    material = make_material(agency.admin)
    archived = make_material(agency.admin, "Old")
    materials.set_active(archived, False, actor=agency.admin, ip=None)
    sign_in(client, agency.cm)
    theirs = f"/staff/clients/{agency.theirs.id}/materials"
    assert client.get(theirs).status_code == 404
    assert post(client, theirs, {"material_id": material.id}).status_code == 404
    mine = f"/staff/clients/{agency.own.id}/materials"
    refused = post(client, mine, {"material_id": archived.id})
    assert refused.status_code == 422
    assert field_error(page(refused), "material_id") == "Choose a material from the library."
    assert post(client, mine, {"material_id": 99999}).status_code == 422


# ---- Who may do what ---------------------------------------------------------------------

Route = tuple[str, str, Callable[[Any], str], Callable[[Any], dict[str, Any]] | None]
M = INDEX + "/{material}"
R = "/staff/clients/{client}/materials"


def _version(a: Any) -> dict[str, Any]:
    return form_data(version=stored(a.ids["material"]).version)


ROUTES: list[Route] = [
    ("material_index", "GET", lambda a: INDEX, None),
    ("material_new", "GET", lambda a: INDEX + "/new", None),
    ("material_new (save)", "POST", lambda a: INDEX + "/new", lambda a: form_data(locale="en")),
    ("material_detail", "GET", lambda a: M, None),
    ("material_edit", "GET", lambda a: M + "/edit?lang=es", None),
    ("material_edit (save)", "POST", lambda a: M + "/edit?lang=es", _version),
    ("material_archive", "POST", lambda a: INDEX + "/{spare_material}/archive", lambda a: {}),
    ("client_materials", "GET", lambda a: R, None),
    ("client_materials (give)", "POST", lambda a: R, lambda a: {"material_id": a.ids["material"]}),
    ("client_material_unassign", "POST", lambda a: R + "/{given}/unassign", lambda a: {}),
]

TABLE: dict[str, tuple[int, ...]] = {
    # route:                       cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "material_index": (200, 200, 200, 200, 200, 200, 200, 403, 403, 302),
    "material_new": (200, 200, 403, 403, 200, 200, 200, 403, 403, 302),
    "material_new (save)": (303, 303, 403, 403, 303, 303, 303, 403, 403, 302),
    "material_detail": (200, 200, 200, 200, 200, 200, 200, 403, 403, 302),
    "material_edit": (200, 200, 403, 403, 200, 200, 200, 403, 403, 302),
    "material_edit (save)": (303, 303, 403, 403, 303, 303, 303, 403, 403, 302),
    "material_archive": (303, 303, 403, 403, 303, 303, 303, 403, 403, 302),
    "client_materials": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "client_materials (give)": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "client_material_unassign": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
}


@pytest.fixture
def library(agency):
    """A material to read and give, a spare to archive, and one already given to ``own``."""
    material = make_material(agency.admin, "Understanding worry", general=False)
    spare = make_material(agency.admin, "Spare leaflet")
    given = make_material(agency.admin, "Given leaflet", general=False)
    materials.assign(given, agency.own, note=None, actor=agency.cm, ip=None)
    agency.ids.update(material=material.id, spare_material=spare.id, given=given.id)
    return agency


def test_the_table_covers_every_materials_route(app):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if "material" in r.endpoint}
    assert {f"staff.{name.split(' ')[0]}" for name in TABLE} == {
        e for e in endpoints if e.startswith("staff.")
    }
    assert [name for name, *_ in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, library, role):
    agency = library
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers = {}
    for name, method, path, data in ROUTES:
        url = path(agency).format(**agency.ids)
        if method == "GET":
            response = client.get(url)
        else:
            response = post(client, url, data(agency) if data else {})
        answers[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if response.status_code in (403, 404):
            assert "Olivia Quince" not in page(response)
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}


def test_anonymous_htmx_requests_get_401(client, library):
    sign_in_as(client, library, "anonymous")
    for _name, method, path, data in ROUTES:
        url = path(library).format(**library.ids)
        response = (
            client.get(url, headers=HTMX)
            if method == "GET"
            else post(client, url, data(library) if data else {}, htmx=True)
        )
        assert response.status_code == 401, url
        assert response.headers["HX-Redirect"] == f"/login?next={quote(url, safe='/?')}", url


# ---- In Spanish ---------------------------------------------------------------------------


def test_a_spanish_speaking_staff_member_reads_the_spanish_text(client, agency):
    material = make_material(
        agency.admin, "Understanding worry", es_title="Entender la preocupación"
    )
    english_only = make_material(agency.admin, "Only in English")
    spanish = make_user("case_manager", locale="es")
    sign_in(client, spanish)
    assert "Entender la preocupación" in titles(client.get(INDEX))
    detail = page(client.get(f"{INDEX}/{material.id}"))
    assert 'lang="es"' in detail and "<h2>Qué ayuda</h2>" in detail
    fallback = page(client.get(f"{INDEX}/{english_only.id}"))
    assert 'class="material-note"' in fallback and "<h2>What helps</h2>" in fallback


# ---- The starter library ------------------------------------------------------------------


def test_the_demo_loads_twelve_materials_in_english_and_spanish(app):
    alex = make_client(legal_name="Alexander Example")
    make_user("case_manager", email="cm@example.org")
    created = load_demo_materials()
    assert created == 12 + 2
    assert db.session.scalar(select(func.count()).select_from(Material)) == 12
    rows = db.session.execute(
        select(MaterialTranslation.locale, func.count()).group_by(MaterialTranslation.locale)
    ).all()
    assert dict(rows) == {"en": 12, "es": 12}
    given = db.session.scalars(
        select(Material.slug)
        .join(MaterialAssignment, MaterialAssignment.material_id == Material.id)
        .where(MaterialAssignment.client_id == alex.id)
    ).all()
    assert sorted(given) == ["preparing-for-an-appointment", "what-a-care-plan-is"]
    for material in db.session.scalars(select(Material)):
        assert material.general and material.active
        for translation in material.translations:
            words = len(translation.body.split())
            assert 250 <= words <= 450, (material.slug, translation.locale, words)
            html = str(materials.render(translation.body))
            assert 'href="tel:988"' in html, (material.slug, translation.locale)
            assert "<script" not in html and "<h1" not in html
    assert load_demo_materials() == 0  # idempotent
    assert db.session.scalar(select(func.count()).select_from(Material)) == 12


def test_the_client_home_counts_unread_readings_the_team_gave(agency):
    """The home says "new readings from your care team": general ones on the shelf are not."""
    make_material(agency.admin, "One", audience="client")
    make_material(agency.admin, "Two", audience="family")
    given = make_material(agency.admin, "Three", general=False)
    assert materials.unread_count(agency.own) == 0
    materials.assign(given, agency.own, note=None, actor=agency.cm, ip=None)
    assert materials.unread_count(agency.own) == 1
    first = materials.mark_read(given, agency.client_user)
    assert materials.unread_count(agency.own) == 0
    again = materials.mark_read(given, agency.client_user)
    assert again.id == first.id and again.read_at == first.read_at
