"""The caseload list (search, filters, sorting, paging), intake, and the staff dashboard."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import render_template_string
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Client, Episode, Role, StatusChange

from ..factories import add_to_care_team, make_appointment, make_client, make_user
from .support import HTMX, events, field_error, field_value, page, post, section, sign_in

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)


def shown(body: str) -> list[int]:
    """The ids of the clients in the results, in the order shown."""
    return [int(i) for i in re.findall(r'<tr id="client-(\d+)"', body)]


@pytest.fixture
def caseload(app):
    """Casey's caseload, one client on Casey's care team, and one Casey may not see."""
    cm = make_user(Role.CASE_MANAGER, display_name="Casey Manager")
    other = make_user(Role.CASE_MANAGER, display_name="Cleo Other")
    people = {
        "alice": make_client(
            legal_name="Alice Zephyr",
            preferred_name="Ally",
            date_of_birth=date(1984, 3, 15),
            record_number="WP-000777",
            primary_case_manager=cm,
            created_at=T0,
        ),
        "bruno": make_client(
            legal_name="Bruno Yates",
            date_of_birth=date(1990, 6, 1),
            status="on_hold",
            risk_level="high",
            preferred_language="es",
            primary_case_manager=cm,
            created_at=T0 + timedelta(days=2),
        ),
        "carla": make_client(
            legal_name="Carla Xu",
            date_of_birth=date(1970, 12, 24),
            status="intake",
            risk_level="moderate",
            preferred_language="vi",
            primary_case_manager=cm,
            created_at=T0 + timedelta(days=1),
        ),
        "dmitri": make_client(
            legal_name="Dmitri Wells",
            date_of_birth=date(2001, 2, 2),
            status="referred",
            primary_case_manager=other,
            created_at=T0 + timedelta(days=3),
        ),
    }
    add_to_care_team(people["dmitri"], cm, "case_manager")
    hidden = make_client(
        legal_name="Zephyr Hidden",
        preferred_name="Ally",
        date_of_birth=date(1984, 3, 15),
        record_number="WP-000778",
        primary_case_manager=other,
    )
    ids = {name: person.id for name, person in people.items()}
    return cm, other, ids, hidden.id


# ---- Search: one URL, two renderings -------------------------------------------------------


def test_search_is_a_full_page_or_an_htmx_partial(client, caseload):
    cm, _other, ids, _hidden = caseload
    sign_in(client, cm)
    full = client.get("/staff/clients?q=zeph")
    assert full.status_code == 200
    assert "<html" in page(full) and 'id="client-results"' in page(full)
    assert shown(page(full)) == [ids["alice"]]
    partial = client.get("/staff/clients?q=zeph", headers=HTMX)
    assert partial.status_code == 200
    body = page(partial)
    assert "<html" not in body and "<form" not in body
    assert body.lstrip().startswith('<section id="client-results"')
    assert shown(body) == [ids["alice"]]
    assert "1 client" in body
    for response in (full, partial):
        assert "HX-Request" in response.headers["Vary"]


def test_search_by_name_preferred_name_record_number_and_birth_date(client, caseload):
    cm, _other, ids, _hidden = caseload
    sign_in(client, cm)
    searches = {
        "zephyr": ["alice"],  # legal name, any case; the hidden Zephyr stays hidden
        "ALLY": ["alice"],  # preferred name
        "wp-000777": ["alice"],  # record number
        "WP-00077": ["alice"],
        "1984-03-15": ["alice"],  # date of birth as ISO
        "03/15/1984": ["alice"],  # and as the US write it
        "yates": ["bruno"],
        "a": ["alice", "bruno", "carla"],  # several matches, in name order (Dmitri has no a)
        "wells": ["dmitri"],  # on Casey's care team
    }
    found = {
        q: shown(page(client.get("/staff/clients", query_string={"q": q}, headers=HTMX)))
        for q in searches
    }
    assert found == {q: [ids[name] for name in names] for q, names in searches.items()}


def test_search_finds_names_whatever_their_case_and_accents(client, caseload):
    """The same clients on SQLite, whose lower() folds ASCII only, as on PostgreSQL."""
    cm, _other, ids, _hidden = caseload
    alvaro = make_client(legal_name="ÁLVARO MUÑOZ", preferred_name="Ángel", primary_case_manager=cm)
    sign_in(client, cm)
    searches = {
        "alvaro": [alvaro.id],
        "Álvaro": [alvaro.id],
        "muñoz": [alvaro.id],
        "munoz alv": [alvaro.id],  # every word, in any order, a word's start is enough
        "angel": [alvaro.id],  # preferred name
        "ángel munoz": [alvaro.id],
        "munoz zephyr": [],  # one client must have every word
        "%": [],  # typed, not a wildcard
        "_": [],
    }
    found = {
        q: shown(page(client.get("/staff/clients", query_string={"q": q}, headers=HTMX)))
        for q in searches
    }
    assert found == searches


def test_a_renamed_client_is_found_by_the_new_name_only(client, caseload):
    cm, _other, ids, _hidden = caseload
    sign_in(client, cm)
    url = f"/staff/clients/{ids['alice']}/edit"
    version = field_value(page(client.get(url)), "version")
    renamed = {**INTAKE, "legal_name": "Alicia Zúñiga", "preferred_name": "", "version": version}
    assert post(client, url, renamed).status_code == 303
    for q, expected in {"zuniga": [ids["alice"]], "zephyr": [], "ally": []}.items():
        assert shown(page(client.get("/staff/clients", query_string={"q": q}))) == expected, q


def test_filters_by_status_risk_case_manager_language_and_scope(client, caseload):
    cm, other, ids, _hidden = caseload
    sign_in(client, cm)
    filters = {
        "status=on_hold": ["bruno"],
        "status=referred": ["dmitri"],
        "risk=high": ["bruno"],
        "risk=moderate": ["carla"],
        f"cm={other.id}": ["dmitri"],
        f"cm={cm.id}": ["alice", "bruno", "carla"],
        "language=es": ["bruno"],
        "language=vi": ["carla"],
        "scope=mine": ["alice", "bruno", "carla"],
        "scope=team": ["dmitri"],
        "scope=all": ["alice", "bruno", "carla", "dmitri"],
        "scope=mine&risk=high&status=on_hold": ["bruno"],
        "scope=mine&status=referred": [],
    }
    found = {f: shown(page(client.get(f"/staff/clients?{f}", headers=HTMX))) for f in filters}
    assert found == {f: [ids[n] for n in names] for f, names in filters.items()}
    # The filters stay chosen on the full page.
    body = page(client.get("/staff/clients?status=on_hold&language=es&scope=mine"))
    assert '<option value="on_hold" selected>' in body
    assert '<option value="es" selected>' in body
    assert '<option value="mine" selected>' in body


def test_the_case_manager_filter_offers_only_case_managers_of_clients_i_see(client, caseload):
    cm, other, _ids, _hidden = caseload
    stranger = make_user(Role.CASE_MANAGER, display_name="Stella Stranger")  # no client of mine
    sign_in(client, cm)
    body = page(client.get("/staff/clients"))
    offered = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', body)
    assert (str(cm.id), "Casey Manager") in offered
    assert (str(other.id), "Cleo Other") in offered  # Dmitri's, on Casey's care team
    assert str(stranger.id) not in [value for value, _name in offered]


def test_sort_by_name_birth_date_and_newest(client, caseload):
    cm, _other, ids, _hidden = caseload
    sign_in(client, cm)
    orders = {
        "name": ["alice", "bruno", "carla", "dmitri"],  # Ally, Bruno, Carla, Dmitri
        "dob": ["carla", "alice", "bruno", "dmitri"],
        "newest": ["dmitri", "bruno", "carla", "alice"],
    }
    found = {s: shown(page(client.get(f"/staff/clients?sort={s}", headers=HTMX))) for s in orders}
    assert found == {s: [ids[n] for n in names] for s, names in orders.items()}


def test_names_with_accents_sort_among_their_letters(client):
    """Not after "Z", as SQLite's ``lower()`` (ASCII only) would put them: the same order on
    both databases, in the caseload and in the booking form's list of clients."""
    cm = make_user(Role.CASE_MANAGER, display_name="Casey Manager")
    names = {
        "zoe": make_client(legal_name="Zoe Zamora", primary_case_manager=cm),
        "oscar": make_client(
            legal_name="Oscar Legal", preferred_name="Óscar", primary_case_manager=cm
        ),
        "angela": make_client(legal_name="ÁNGELA RUIZ", primary_case_manager=cm),
        "emile": make_client(legal_name="émile Brun", primary_case_manager=cm),
        "bea": make_client(legal_name="bea Lowe", preferred_name="", primary_case_manager=cm),
    }
    db.session.commit()
    sign_in(client, cm)
    expected = ["angela", "bea", "emile", "oscar", "zoe"]
    listed = shown(page(client.get("/staff/clients?sort=name", headers=HTMX)))
    assert listed == [names[n].id for n in expected]
    booking = page(client.get("/staff/appointments/new"))
    field = re.search(r'<select [^>]*id="client_id"[^>]*>(.*?)</select>', booking, re.S)
    assert field
    offered = [int(i) for i in re.findall(r'<option [^>]*value="(\d+)"', field.group(1))]
    assert offered == [names[n].id for n in expected]
    # An edit keeps the order's key with the name.
    names["zoe"].preferred_name = "Aba"
    db.session.commit()
    listed = shown(page(client.get("/staff/clients?sort=name", headers=HTMX)))
    assert listed[0] == names["zoe"].id


def test_sort_by_risk_and_status_follows_their_meaning_not_their_spelling(client, caseload):
    cm, _other, ids, _hidden = caseload
    sign_in(client, cm)
    orders = {
        # highest risk first (alphabetical codes would give high, low, moderate)
        "risk": ["bruno", "carla", "alice", "dmitri"],
        # the lifecycle: referred, intake, active, on hold (not active, intake, on_hold, ...)
        "status": ["dmitri", "carla", "alice", "bruno"],
    }
    found = {s: shown(page(client.get(f"/staff/clients?sort={s}", headers=HTMX))) for s in orders}
    assert found == {s: [ids[n] for n in names] for s, names in orders.items()}


def test_clients_without_a_birth_date_sort_last_on_every_database(client, caseload):
    cm, _other, ids, _hidden = caseload
    unknown = make_client(legal_name="Una Known", primary_case_manager=cm)
    sign_in(client, cm)
    found = shown(page(client.get("/staff/clients?sort=dob", headers=HTMX)))
    assert found == [ids["carla"], ids["alice"], ids["bruno"], ids["dmitri"], unknown.id]


def test_paging_shows_the_rest_on_page_two(client):
    cm = make_user(Role.CASE_MANAGER)
    everyone = {
        make_client(legal_name=f"Person {n:02d}", primary_case_manager=cm).id for n in range(30)
    }
    sign_in(client, cm)
    first = page(client.get("/staff/clients"))
    second = page(client.get("/staff/clients?page=2", headers=HTMX))
    assert len(shown(first)) == 25 and len(shown(second)) == 5
    assert set(shown(first)) | set(shown(second)) == everyone
    assert "30 clients" in first and "Page 1 of 2" in first and 'rel="next"' in first
    assert "Page 2 of 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    assert "<html" not in second
    # Paging keeps the search and filters.
    searched = page(client.get("/staff/clients?q=person&status=active"))
    next_link = re.search(r'<a href="([^"]+)"[^>]*rel="next"', searched).group(1)
    assert "q=person" in next_link and "status=active" in next_link and "page=2" in next_link


def test_empty_caseload_and_no_match_say_different_things(client):
    cm = make_user(Role.CASE_MANAGER)
    sign_in(client, cm)
    empty = page(client.get("/staff/clients"))
    assert "No clients yet." in empty and "No client matches" not in empty
    make_client(legal_name="Someone Real", primary_case_manager=cm)
    no_match = page(client.get("/staff/clients?q=nobody-like-this", headers=HTMX))
    assert "No client matches" in no_match and "No clients yet." not in no_match
    assert "Clear search and filters" in no_match
    filtered = page(client.get("/staff/clients?status=discharged", headers=HTMX))
    assert "No client matches" in filtered


# ---- Intake ---------------------------------------------------------------------------------

INTAKE = {
    "legal_name": "Maria Lopez",
    "preferred_name": "Mari",
    "pronouns": "she/her",
    "date_of_birth": "1992-07-04",
    "preferred_language": "es",
    "phone": "555-0199",
    "email": "mari@example.org",
    "referral_source": "County hospital",
    "presenting_needs": "Housing and sleep",
}


def count_clients() -> int:
    return db.session.scalar(select(func.count()).select_from(Client)) or 0


def test_intake_creates_the_record_with_a_number_an_episode_and_a_status(client):
    cm = make_user(Role.CASE_MANAGER)
    sign_in(client, cm)
    response = post(client, "/staff/clients/new", {**INTAKE, "status": "intake"})
    assert response.status_code == 303
    person = db.session.scalar(select(Client).where(Client.legal_name == "Maria Lopez"))
    assert response.headers["Location"] == f"/staff/clients/{person.id}"
    assert re.fullmatch(r"WP-\d{6}", person.record_number)
    assert person.record_number == f"WP-{person.id:06d}"
    assert (person.status, person.risk_level, person.primary_case_manager_id) == (
        "intake",
        "low",
        cm.id,
    )
    assert (person.preferred_name, person.preferred_language, person.phone) == (
        "Mari",
        "es",
        "555-0199",
    )
    [episode] = db.session.scalars(select(Episode).where(Episode.client_id == person.id)).all()
    assert episode.is_open and episode.admitted_on is not None
    [change] = db.session.scalars(
        select(StatusChange).where(StatusChange.client_id == person.id)
    ).all()
    assert (change.from_status, change.to_status, change.changed_by_id) == (None, "intake", cm.id)
    [created] = events("create", person.id)
    assert (created.actor_id, created.object_type) == (cm.id, "client")
    record = page(client.get(response.headers["Location"]))
    assert re.search(r'<p class="flash flash--success">[^<]*Mari[^<]*</p>', record)
    assert person.record_number in record and "Intake" in record

    # Without a choice, a new client starts as referred.
    data = {**INTAKE, "legal_name": "Rafa Ortiz", "date_of_birth": ""}
    assert post(client, "/staff/clients/new", data).status_code == 303
    rafa = db.session.scalar(select(Client).where(Client.legal_name == "Rafa Ortiz"))
    assert rafa.status == "referred" and rafa.record_number == f"WP-{rafa.id:06d}"


def test_intake_shows_a_possible_duplicate_and_creates_nothing_until_confirmed(client):
    cm = make_user(Role.CASE_MANAGER)
    other = make_user(Role.CASE_MANAGER, display_name="Cleo Other")
    mine = make_client(
        legal_name="Maria Lopez", date_of_birth=date(1992, 7, 4), primary_case_manager=cm
    )
    mine.record_number = "WP-000041"
    theirs = make_client(
        legal_name="MARIA LOPEZ",
        date_of_birth=date(1992, 7, 4),
        record_number="WP-000042",
        primary_case_manager=other,
    )
    sign_in(client, cm)
    before = count_clients()
    response = post(client, "/staff/clients/new", {**INTAKE, "legal_name": "maria lopez"})
    assert response.status_code == 422
    # The name as typed without its accent finds the same people with it, and the reverse.
    accented = post(client, "/staff/clients/new", {**INTAKE, "legal_name": "MARÍA LÓPEZ"})
    assert accented.status_code == 422
    assert section_of_duplicates(page(accented)).count("WP-00004") == 2
    body = page(response)
    listed = section_of_duplicates(body)
    assert "WP-000041" in listed and f'href="/staff/clients/{mine.id}"' in listed
    assert "WP-000042" in listed and "Cleo Other" in listed  # whose it is
    assert f'href="/staff/clients/{theirs.id}"' not in listed  # no link to a record Casey can't see
    assert 'name="confirm_duplicate"' in body
    assert field_value(body, "preferred_name") == "Mari"  # nothing typed is lost
    assert count_clients() == before

    confirmed = post(
        client,
        "/staff/clients/new",
        {**INTAKE, "legal_name": "maria lopez", "confirm_duplicate": "y"},
    )
    assert confirmed.status_code == 303
    assert count_clients() == before + 1


def section_of_duplicates(body: str) -> str:
    start = body.index('id="duplicates"')
    return body[start : body.index("</div>", start)]


def test_fields_a_form_does_not_offer_are_ignored(client):
    cm = make_user(Role.CASE_MANAGER)
    other = make_user(Role.CASE_MANAGER)
    sign_in(client, cm)
    forged = {
        "id": "4242",
        "primary_case_manager_id": str(other.id),
        "version": "9",
        "risk_level": "high",
        "record_number": "WP-999999",
        "portal_user_id": str(other.id),
    }
    assert post(client, "/staff/clients/new", {**INTAKE, **forged}).status_code == 303
    person = db.session.scalar(select(Client).where(Client.legal_name == "Maria Lopez"))
    assert person.id != 4242
    assert (person.primary_case_manager_id, person.risk_level) == (cm.id, "low")
    assert person.version != 9
    assert person.record_number == f"WP-{person.id:06d}" and person.portal_user_id is None

    version = field_value(page(client.get(f"/staff/clients/{person.id}/edit")), "version")
    edit = {**INTAKE, "phone": "555-0111", "version": version, "status": "discharged"}
    forged.pop("version")
    response = post(client, f"/staff/clients/{person.id}/edit", {**edit, **forged})
    assert response.status_code == 303
    db.session.refresh(person)
    assert person.phone == "555-0111"
    assert (person.status, person.primary_case_manager_id, person.risk_level) == (
        "referred",
        cm.id,
        "low",
    )
    assert person.record_number == f"WP-{person.id:06d}" and person.portal_user_id is None


def test_bad_intake_input_is_shown_at_each_field_and_keeps_what_was_typed(client):
    cm = make_user(Role.CASE_MANAGER)
    sign_in(client, cm)
    before = count_clients()
    typed = {
        **INTAKE,
        "legal_name": "",
        "date_of_birth": (date.today() + timedelta(days=30)).isoformat(),
        "email": "not-an-email",
    }
    response = post(client, "/staff/clients/new", typed)
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "legal_name") == "Enter the legal name."
    assert field_error(body, "date_of_birth") == "The date of birth cannot be in the future."
    assert field_error(body, "email") == "Enter an email address like name@example.org."
    assert 'aria-describedby="legal_name-error"' in body and 'id="error-summary"' in body
    for name in ("preferred_name", "pronouns", "date_of_birth", "email", "phone"):
        assert field_value(body, name) == typed[name], name
    assert "Housing and sleep" in body
    assert count_clients() == before


# ---- The dashboard -------------------------------------------------------------------------


def stat(body: str, label: str) -> int:
    match = re.search(rf'stat-list__number">(\d+)</span> {label}<', body)
    assert match, label
    return int(match.group(1))


def test_dashboard_shows_caseload_high_risk_recent_views_tasks_and_activity(client):
    cm = make_user(Role.CASE_MANAGER)
    people = [
        make_client(legal_name="Ann Active", primary_case_manager=cm),
        make_client(legal_name="Hugo High", risk_level="high", primary_case_manager=cm),
        make_client(legal_name="Ida Intake", status="intake", primary_case_manager=cm),
        make_client(legal_name="Otto Hold", status="on_hold", primary_case_manager=cm),
    ]
    make_client(legal_name="Nobody Mine", risk_level="high")  # on nobody's caseload
    sign_in(client, cm)
    home = page(client.get("/staff/"))
    caseload = section(home, "caseload-title")
    assert [
        stat(caseload, s) for s in ("Referred", "Intake", "Active", "On hold", "Discharged")
    ] == [
        0,
        1,
        2,
        1,
        0,
    ]
    assert "See all 4 clients" in caseload
    high = section(home, "risk-title")
    assert "Hugo High" in high and "Ann Active" not in high and "Nobody Mine" not in high
    assert "Records you open will be listed here." in section(home, "recent-title")

    client.get(f"/staff/clients/{people[2].id}")
    client.get(f"/staff/clients/{people[0].id}")
    post(client, f"/staff/clients/{people[3].id}/contacts", {"name": "Rosa Hold"})
    home = page(client.get("/staff/"))
    recent = section(home, "recent-title")
    assert recent.index("Ann Active") < recent.index("Ida Intake")  # newest first
    assert "Hugo High" not in recent
    activity = section(home, "activity-title")
    assert "Emergency contact added · Otto Hold" in activity
    assert "Rosa Hold" not in activity  # the timeline names the client, not the details


def test_admin_dashboard_counts_accounts_and_names_no_client(client):
    admin = make_user(Role.ADMIN)
    make_user(Role.CASE_MANAGER)
    make_user(Role.CASE_MANAGER)
    cm = make_user(Role.CASE_MANAGER)
    make_client(legal_name="Secret Person", risk_level="high", primary_case_manager=cm)
    sign_in(client, admin)
    home = page(client.get("/staff/"))
    accounts = section(home, "accounts-title")
    assert re.search(r"<td>Case manager</td><td class=\"num\">3</td>", accounts)
    assert re.search(r"<td>Administrator</td><td class=\"num\">1</td>", accounts)
    assert "Secret Person" not in home and "My caseload" not in home and "High risk" not in home


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "search partial"])
def test_the_caseload_costs_the_same_statements_for_one_client_or_a_full_page(
    app, count_queries, htmx
):
    few, many = make_user(Role.CASE_MANAGER), make_user(Role.CASE_MANAGER)
    make_client(legal_name="Single Client", primary_case_manager=few)
    for n in range(25):
        person = make_client(legal_name=f"Many Client{n}", primary_case_manager=many)
        make_appointment(person, many)
    counts = {}
    for user in (few, many):
        client = sign_in(app.test_client(), user)
        query = {"q": "client"} if htmx else {}
        client.get("/staff/clients", query_string=query, headers=HTMX if htmx else None)
        with count_queries() as counted:
            response = client.get(
                "/staff/clients", query_string=query, headers=HTMX if htmx else None
            )
        assert response.status_code == 200
        counts[user.id] = counted.count
    assert page(response).count('<tr id="client-') == 25  # a full page of the second
    assert counts[few.id] == counts[many.id] <= 12


def test_the_caseload_shows_each_clients_next_scheduled_appointment(app, client):
    cm = make_user(Role.CASE_MANAGER)
    busy = make_client(legal_name="Busy Person", primary_case_manager=cm)
    idle = make_client(legal_name="Idle Person", primary_case_manager=cm)
    soon = datetime.now(UTC).replace(second=0, microsecond=0)
    make_appointment(busy, cm, starts_at=soon - timedelta(days=1))  # past
    make_appointment(busy, cm, starts_at=soon + timedelta(days=2), status="cancelled")
    next_one = make_appointment(busy, cm, starts_at=soon + timedelta(days=5))
    make_appointment(busy, cm, starts_at=soon + timedelta(days=9))
    db.session.commit()
    sign_in(client, cm)
    body = page(client.get("/staff/clients"))
    with app.test_request_context():
        expected = render_template_string(
            "{{ at|format_datetime('short') }}", at=next_one.starts_at
        )
    cells = {
        int(n): re.findall(r"<td>(.*?)</td>", row)[-1]
        for n, row in re.findall(r'<tr id="client-(\d+)"(.*?)</tr>', body, re.S)
    }
    assert cells == {busy.id: expected, idle.id: "—"}


def test_a_page_past_the_end_shows_the_last_page(client):
    cm = make_user(Role.CASE_MANAGER)
    for n in range(30):
        make_client(legal_name=f"Person {n:02d}", primary_case_manager=cm)
    db.session.commit()
    sign_in(client, cm)
    last = page(client.get("/staff/clients?page=9"))
    assert len(shown(last)) == 5 and "Page 2 of 2" in last and "30 clients" in last
    nobody = page(client.get("/staff/clients?page=3&q=nobody-like-this", headers=HTMX))
    assert shown(nobody) == [] and "No client matches" in nobody and "Page 3" not in nobody
