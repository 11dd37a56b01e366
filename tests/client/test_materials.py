# ruff: noqa: F811  (the test functions take the imported `agency` fixture)
"""Education materials in the client portal and the family view: each reader sees only what
is theirs (another client's material answers 404, as a missing one does), family see the
client's materials only while a consent shares them, opening a material records the first
read, unsafe Markdown arrives inert, Spanish readers read Spanish (or English with a note),
who may open which page, and a query budget that does not grow with the materials."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import FamilyAccess, MaterialRead, Role, utcnow
from portal.services import materials

from ..factories import grant_family_access, make_user
from ..staff.conftest import agency  # noqa: F401  (the small agency of the staff tests)
from ..staff.support import ROLES, events, page, sign_in, sign_in_as, without_csrf
from ..staff.test_materials import EVIL, make_material

CLIENT = "/client/materials"
FAMILY = "/family/materials"


@pytest.fixture
def shelf(agency):
    """The materials every test reads from:

    - ``for_clients``: general, written for clients;
    - ``for_families``: general, written for families;
    - ``for_both``: general, for both, with a Spanish text;
    - ``mine``: not general, given to ``own`` (Olive);
    - ``theirs``: not general, given to ``theirs`` (another client);
    - ``archived``: general for both, archived.
    """
    admin = agency.admin
    shelf = {
        "for_clients": make_material(admin, "Getting ready for a visit", audience="client"),
        "for_families": make_material(admin, "Supporting someone", audience="family"),
        "for_both": make_material(
            admin, "Understanding worry", es_title="Entender la preocupación"
        ),
        "mine": make_material(admin, "Your plan explained", audience="client", general=False),
        "theirs": make_material(admin, "Private reading", audience="both", general=False),
        "archived": make_material(admin, "Old leaflet"),
    }
    materials.assign(shelf["mine"], agency.own, note="For Friday", actor=agency.cm, ip=None)
    materials.assign(shelf["theirs"], agency.theirs, note=None, actor=agency.cm_other, ip=None)
    materials.set_active(shelf["archived"], False, actor=admin, ip=None)
    return shelf


def listed(response: Any) -> list[str]:
    """The titles a reader's list shows, in order."""
    return re.findall(
        r'class="material-card__title"><a href="[^"]+"[^>]*>([^<]+)</a>', page(response)
    )


def card(body: str, material_id: int) -> str:
    start = body.index(f'id="material-{material_id}"')
    return body[start : body.index("</li>", start)]


def same_page(one: Any, one_path: str, other: Any, other_path: str) -> bool:
    first = without_csrf(page(one)).replace(one_path, "PATH")
    return first == without_csrf(page(other)).replace(other_path, "PATH")


# ---- The client -----------------------------------------------------------------------------


def test_a_client_sees_their_own_and_the_general_materials_only(client, agency, shelf):
    sign_in(client, agency.client_user)
    response = client.get(CLIENT)
    assert response.status_code == 200
    body = page(response)
    assigned = body[body.index('id="assigned-title"') : body.index('id="general-title"')]
    assert "Your plan explained" in assigned and "From your team: “For Friday”" in assigned
    assert sorted(listed(response)) == [
        "Getting ready for a visit",
        "Understanding worry",
        "Your plan explained",
    ]
    for hidden in ("Supporting someone", "Private reading", "Old leaflet"):
        assert hidden not in body

    assert client.get(f"{CLIENT}/{shelf['mine'].slug}").status_code == 200
    assert client.get(f"{CLIENT}/{shelf['for_clients'].slug}").status_code == 200
    missing_path = f"{CLIENT}/no-such-material"
    missing = client.get(missing_path)
    assert missing.status_code == 404
    for name in ("theirs", "for_families", "archived"):
        path = f"{CLIENT}/{shelf[name].slug}"
        refused = client.get(path)
        assert refused.status_code == 404, name
        # another client's material answers exactly as one that does not exist
        assert same_page(refused, path, missing, missing_path), name
        assert "Private reading" not in page(refused)


def test_opening_a_material_records_the_first_read_and_the_view(client, make_client, agency, shelf):
    sign_in(client, agency.client_user)
    mine = shelf["mine"]
    before = page(client.get(CLIENT))
    assert "New" in card(before, mine.id)

    first = client.get(f"{CLIENT}/{mine.slug}")
    assert first.status_code == 200
    read = db.session.scalar(select(MaterialRead).where(MaterialRead.material_id == mine.id))
    assert read is not None and read.user_id == agency.client_user.id
    first_read_at = read.read_at
    client.get(f"{CLIENT}/{mine.slug}")
    reads = db.session.scalars(select(MaterialRead).where(MaterialRead.material_id == mine.id))
    assert [r.read_at for r in reads] == [first_read_at]  # the first read is the one kept

    after = page(client.get(CLIENT))
    assert "New" not in card(after, mine.id) and "You opened this on" in card(after, mine.id)
    assert "New" in card(after, shelf["for_clients"].id)
    views = [e for e in events("view", agency.own.id) if e.object_type == "material"]
    assert [e.object_id for e in views] == [str(mine.id), str(mine.id)]
    assert materials.unread_count(agency.own) == 0  # the one reading the team gave is read

    # the case manager sees it on the record
    staff = make_client()
    sign_in(staff, agency.cm)
    assert "Read on" in page(staff.get(f"/staff/clients/{agency.own.id}/materials"))


def test_unsafe_markdown_arrives_inert(client, agency):
    evil = make_material(agency.admin, "Tricky", body=EVIL, audience="both")
    sign_in(client, agency.client_user)
    response = client.get(f"{CLIENT}/{evil.slug}")
    assert response.status_code == 200
    raw = response.get_data(as_text=True)
    article = raw[raw.index('class="material-body"') : raw.index("</article>")]
    lowered = article.lower()
    for bad in ("<script", "onerror", "onclick", "javascript", "<img", "<iframe", "style="):
        assert bad not in lowered, bad
    assert '<a href="https://example.org" rel="noopener noreferrer">good</a>' in article
    # and no script anywhere on the page but the two files every page loads
    assert len(re.findall(r"<script", raw)) == 2


# ---- Family ---------------------------------------------------------------------------------


def test_family_see_general_family_materials_and_shared_ones_while_consent_holds(
    client, agency, shelf
):
    sign_in(client, agency.family)
    response = client.get(FAMILY)
    assert response.status_code == 200
    body = page(response)
    assert sorted(listed(response)) == [
        "Supporting someone",
        "Understanding worry",
        "Your plan explained",
    ]
    assert "Shared by Olive" in card(body, shelf["mine"].id)
    assert "For Friday" not in body  # the team's note is for the client
    assert client.get(f"{FAMILY}/{shelf['mine'].slug}").status_code == 200
    for name in ("theirs", "for_clients", "archived"):
        assert client.get(f"{FAMILY}/{shelf[name].slug}").status_code == 404, name
    shared_views = [e for e in events("view", agency.own.id) if e.object_type == "material_list"]
    assert len(shared_views) == 1

    # revoked: the client's materials are gone at once; the general ones stay
    consent = db.session.get(FamilyAccess, agency.ids["consent"])
    consent.revoked_at = utcnow() - timedelta(seconds=1)
    after = client.get(FAMILY)
    assert "Your plan explained" not in page(after)
    assert sorted(listed(after)) == ["Supporting someone", "Understanding worry"]
    assert client.get(f"{FAMILY}/{shelf['mine'].slug}").status_code == 404
    assert client.get(f"{FAMILY}/{shelf['for_families'].slug}").status_code == 200


def test_an_expired_consent_or_one_without_materials_shares_nothing(
    client, make_client, agency, shelf
):
    consent = db.session.get(FamilyAccess, agency.ids["consent"])
    consent.expires_at = utcnow() - timedelta(minutes=1)
    other = make_user(Role.FAMILY, display_name="Gus Guardian")
    grant_family_access(agency.own, other, scopes=("appointments", "goals"))
    mine = f"{FAMILY}/{shelf['mine'].slug}"

    sign_in(client, agency.family)
    assert "Your plan explained" not in page(client.get(FAMILY))
    assert client.get(mine).status_code == 404

    guardian = make_client()
    sign_in(guardian, other)
    assert "Your plan explained" not in page(guardian.get(FAMILY))
    assert guardian.get(mine).status_code == 404
    assert guardian.get(f"{FAMILY}/{shelf['for_families'].slug}").status_code == 200

    # the same person with materials in force again sees it
    grant_family_access(agency.own, other, scopes=("materials",))
    assert guardian.get(mine).status_code == 200


def test_family_reads_are_their_own(client, agency, shelf):
    sign_in(client, agency.family)
    client.get(f"{FAMILY}/{shelf['for_families'].slug}")
    read = db.session.scalar(select(MaterialRead))
    assert read is not None and read.user_id == agency.family.id
    assert "New" not in card(page(client.get(FAMILY)), shelf["for_families"].id)


# ---- In Spanish -----------------------------------------------------------------------------


def test_a_spanish_reader_reads_spanish_or_english_with_a_note(client, agency, shelf):
    agency.client_user.locale = "es"
    sign_in(client, agency.client_user)
    response = client.get(CLIENT)
    body = page(response)
    assert '<html lang="es"' in body
    assert "Entender la preocupación" in listed(response)
    assert "material-note" not in card(body, shelf["for_both"].id)
    assert "material-note" in card(body, shelf["mine"].id)  # English only

    spanish = page(client.get(f"{CLIENT}/{shelf['for_both'].slug}"))
    assert 'id="material-fallback"' not in spanish
    assert '<div lang="es">' in spanish and "<h2>Qué ayuda</h2>" in spanish

    english = page(client.get(f"{CLIENT}/{shelf['mine'].slug}"))
    assert 'id="material-fallback"' in english
    assert '<div lang="en">' in english and "<h2>What helps</h2>" in english


def test_a_spanish_family_member_gets_the_note_too(client, agency, shelf):
    agency.family.locale = "es"
    sign_in(client, agency.family)
    assert "Entender la preocupación" in listed(client.get(FAMILY))
    english = page(client.get(f"{FAMILY}/{shelf['for_families'].slug}"))
    assert 'id="material-fallback"' in english and '<div lang="en">' in english


# ---- Who may open which page ----------------------------------------------------------------

PAGES = {
    # page:                    cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "client_list": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "client_material": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "family_list": (403, 403, 403, 403, 403, 403, 403, 403, 200, 302),
    "family_material": (403, 403, 403, 403, 403, 403, 403, 403, 200, 302),
}


def _paths(shelf: dict[str, Any]) -> dict[str, str]:
    return {
        "client_list": CLIENT,
        "client_material": f"{CLIENT}/{shelf['for_both'].slug}",
        "family_list": FAMILY,
        "family_material": f"{FAMILY}/{shelf['for_both'].slug}",
    }


def test_the_table_covers_every_reader_route(app):
    endpoints = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.endpoint.split(".")[0] in ("client", "family") and "material" in r.endpoint
    }
    assert endpoints == {
        "client.materials",
        "client.material",
        "family.materials",
        "family.material",
    }


@pytest.mark.parametrize("role", ROLES)
def test_role_page_truth_table(client, agency, shelf, role):
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers = {name: client.get(path).status_code for name, path in _paths(shelf).items()}
    assert answers == {name: statuses[column] for name, statuses in PAGES.items()}


# ---- Query budget ---------------------------------------------------------------------------


def test_the_client_list_costs_the_same_queries_for_one_material_or_fifteen(
    client, agency, count_queries
):
    make_material(agency.admin, "Material 0", audience="client", es_title="Material cero")
    sign_in(client, agency.client_user)
    client.get(CLIENT)
    with count_queries() as one:
        assert client.get(CLIENT).status_code == 200
    for n in range(1, 15):
        material = make_material(
            agency.admin, f"Material {n}", general=n % 2 == 0, es_title=f"Material {n} es"
        )
        if n % 2:
            materials.assign(material, agency.own, note=None, actor=agency.cm, ip=None)
        if n % 3 == 0:
            materials.mark_read(material, agency.client_user)
    with count_queries() as fifteen:
        response = client.get(CLIENT)
    assert len(listed(response)) == 15
    assert fifteen.count == one.count, fifteen.statements


def test_the_family_list_costs_the_same_queries_for_one_material_or_fifteen(
    client, agency, count_queries
):
    first = make_material(agency.admin, "Material 0", general=False)
    materials.assign(first, agency.own, note=None, actor=agency.cm, ip=None)
    sign_in(client, agency.family)
    client.get(FAMILY)
    with count_queries() as one:
        assert client.get(FAMILY).status_code == 200
    for n in range(1, 15):
        material = make_material(agency.admin, f"Material {n}", general=n % 2 == 0)
        if n % 2:
            materials.assign(material, agency.own, note=None, actor=agency.cm, ip=None)
    with count_queries() as fifteen:
        response = client.get(FAMILY)
    assert len(listed(response)) == 15
    assert fifteen.count == one.count, fifteen.statements
