"""The resource directory: search as you type, re-verification, keeping it (add, edit,
retire), CSV import and export, and a query budget that does not grow with the page."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from portal import i18n
from portal.extensions import db
from portal.models import AuditEvent, Referral, Resource, User
from portal.services import resources
from portal.services.errors import DomainError
from portal.services.resources import ImportRow

from .support import HTMX, events, field_error, field_value, page, post, sign_in

INDEX = "/staff/resources"
IMPORT = "/staff/resources/import"
CONFIRM = "/staff/resources/import/confirm"


def make_resource(actor: User, **overrides: Any) -> Resource:
    """A directory entry through the service, so that it is indexed for search."""
    data: dict[str, Any] = {
        "name": "Harbor House",
        "category": "housing",
        "description": "Emergency shelter and help finding an apartment.",
        "address": "12 Pier Road, Springfield",
        "phone": "555-0100",
        "website": "https://harbor.example.org",
        "hours": "Mon-Fri 9-5",
        "languages": ["en"],
        "last_verified_on": i18n.agency_today(),
    }
    data.update(overrides)
    resource = resources.create(data, actor=actor, ip=None)
    db.session.flush()
    return resource


def resource_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Resource)) or 0)


def names(response: Any) -> list[str]:
    """The entries a directory page lists, in order."""
    return re.findall(r'class="resource__name"><a href="[^"]+">([^<]+)</a>', page(response))


def results(browser: Any, **args: Any) -> list[str]:
    response = browser.get(INDEX, query_string=args, headers=HTMX)
    assert response.status_code == 200
    return names(response)


def stored(resource_id: int) -> Resource:
    db.session.expire_all()
    resource = db.session.get(Resource, resource_id)
    assert resource is not None
    return resource


# ---- The directory: one URL, two renderings ----------------------------------------------


def test_the_directory_is_a_page_and_its_results_a_partial(client, agency):
    make_resource(agency.admin, name="Harbor House")
    make_resource(agency.admin, name="Oak Street Food Pantry", category="food")
    sign_in(client, agency.cm)

    full = client.get(INDEX, query_string={"q": "harbor"})
    assert full.status_code == 200
    body = page(full)
    assert "<html" in body and 'id="resource-q"' in body and 'value="harbor"' in body
    assert 'id="resource-results"' in body
    assert names(full) == ["Harbor House"]
    assert "HX-Request" in full.headers["Vary"]

    partial = client.get(INDEX, query_string={"q": "harbor"}, headers=HTMX)
    assert partial.status_code == 200
    fragment = page(partial)
    assert "<html" not in fragment and "<form" not in fragment
    assert fragment.lstrip().startswith('<section id="resource-results"')
    assert names(partial) == ["Harbor House"]
    assert "1 resource" in fragment
    assert "HX-Request" in partial.headers["Vary"]

    # a boosted request or a history restore wants the whole page again
    boosted = client.get(INDEX, headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in page(boosted)


def test_search_ignores_accents_and_case(client, agency):
    make_resource(
        agency.admin,
        name="Casa Esperanza",
        description="VIVIENDA de transición para familias. Pregunte por José.",
        languages=["es"],
    )
    make_resource(agency.admin, name="Jose Marti Clinic", category="primary_care")
    make_resource(agency.admin, name="Oak Street Food Pantry", category="food")
    sign_in(client, agency.cm)

    assert results(client, q="vivienda") == ["Casa Esperanza"]
    assert results(client, q="Vivíenda") == ["Casa Esperanza"]
    assert results(client, q="TRANSICION") == ["Casa Esperanza"]
    assert results(client, q="jose") == ["Casa Esperanza", "Jose Marti Clinic"]
    assert results(client, q="José") == ["Casa Esperanza", "Jose Marti Clinic"]
    assert results(client, q="  MARTÍ  ") == ["Jose Marti Clinic"]


def test_every_word_of_a_search_must_match_somewhere(client, agency):
    make_resource(agency.admin, name="Casa Esperanza", description="Vivienda para familias")
    make_resource(
        agency.admin, name="Casa del Pueblo", description="Clases de inglés", category="education"
    )
    make_resource(agency.admin, name="Oak Street Food Pantry", category="food")
    sign_in(client, agency.cm)

    assert results(client, q="casa") == ["Casa del Pueblo", "Casa Esperanza"]
    assert results(client, q="casa familias") == ["Casa Esperanza"]
    assert results(client, q="familias casa") == ["Casa Esperanza"]
    assert results(client, q="casa empleo") == []
    # the category is searched too, in its stored words
    assert results(client, q="food") == ["Oak Street Food Pantry"]
    assert results(client, q="education casa") == ["Casa del Pueblo"]
    # like-wildcards are searched for as themselves
    assert results(client, q="c%sa") == []
    assert results(client, q="c_sa") == []
    empty = client.get(INDEX, query_string={"q": "zzzz"}, headers=HTMX)
    assert "No resource matches" in page(empty)
    assert "0 resources" in page(empty)


def test_filters_narrow_the_directory(client, agency):
    make_resource(agency.admin, name="Harbor House", languages=["en", "es"], walk_ins=True)
    make_resource(agency.admin, name="Hillside Apartments", languages=["en"])
    make_resource(agency.admin, name="Oak Street Food Pantry", category="food", languages=["es"])
    make_resource(agency.admin, name="Saigon Support", category="support_group", languages=["vi"])
    sign_in(client, agency.cm)

    assert results(client, category="housing") == ["Harbor House", "Hillside Apartments"]
    assert results(client, language="es") == ["Harbor House", "Oak Street Food Pantry"]
    assert results(client, language="vi") == ["Saigon Support"]
    assert results(client, walk_ins="1") == ["Harbor House"]
    assert results(client, category="housing", language="es", walk_ins="1") == ["Harbor House"]
    assert results(client, q="pantry", category="housing") == []
    # unknown values are ignored rather than failing the page
    everything = ["Harbor House", "Hillside Apartments", "Oak Street Food Pantry", "Saigon Support"]
    assert results(client, category="spaceships", language="xx", sort="rank") == everything
    # the full page shows the filters as chosen
    body = page(client.get(INDEX, query_string={"category": "food", "language": "es"}))
    assert '<option value="food" selected>' in body
    assert '<option value="es" selected>' in body


def test_the_directory_pages_by_25_and_the_pager_keeps_the_filters(client, agency):
    for n in range(30):
        make_resource(agency.admin, name=f"Shelter {n:02d}")
    make_resource(agency.admin, name="Oak Street Food Pantry", category="food", description="")
    sign_in(client, agency.cm)

    first = client.get(INDEX, query_string={"q": "shelter"}, headers=HTMX)
    assert names(first) == [f"Shelter {n:02d}" for n in range(25)]
    assert "30 resources" in page(first) and "Page 1 of 2" in page(first)
    assert re.search(r'href="/staff/resources\?[^"]*q=shelter[^"]*page=2"', page(first))

    second = client.get(INDEX, query_string={"q": "shelter", "page": 2}, headers=HTMX)
    assert names(second) == [f"Shelter {n:02d}" for n in range(25, 30)]
    assert "Page 2 of 2" in page(second)

    # past the end, the last page; nonsense, the first
    assert names(
        client.get(INDEX, query_string={"q": "shelter", "page": 9}, headers=HTMX)
    ) == names(second)
    assert names(
        client.get(INDEX, query_string={"q": "shelter", "page": "x"}, headers=HTMX)
    ) == names(first)
    # one page of results has no pager
    assert "Page 1 of" not in page(client.get(INDEX, query_string={"q": "pantry"}, headers=HTMX))


def test_the_directory_sorts_by_name_category_or_last_check(client, agency):
    today = i18n.agency_today()
    make_resource(agency.admin, name="banyan legal aid", category="legal", last_verified_on=None)
    make_resource(
        agency.admin,
        name="Acorn Food Bank",
        category="food",
        last_verified_on=today - timedelta(days=90),
    )
    make_resource(
        agency.admin, name="Cedar Clinic", category="primary_care", last_verified_on=today
    )
    make_resource(
        agency.admin,
        name="Aspen Shelter",
        category="housing",
        last_verified_on=today - timedelta(days=9),
    )
    make_resource(agency.admin, name="Ámbar House", category="housing", last_verified_on=None)
    sign_in(client, agency.cm)

    by_name = [
        "Acorn Food Bank",
        "Ámbar House",  # accents aside, on SQLite as on PostgreSQL
        "Aspen Shelter",
        "banyan legal aid",
        "Cedar Clinic",
    ]
    assert results(client) == by_name  # case-blind: "banyan" sorts between A and C
    assert results(client, sort="name") == by_name
    assert results(client, sort="category") == [
        "Acorn Food Bank",  # food
        "Ámbar House",  # housing
        "Aspen Shelter",  # housing
        "banyan legal aid",  # legal
        "Cedar Clinic",  # primary_care
    ]
    # most recently checked first; never checked last
    assert results(client, sort="verified") == [
        "Cedar Clinic",
        "Aspen Shelter",
        "Acorn Food Bank",
        "banyan legal aid",
        "Ámbar House",
    ]


# ---- Re-verification ---------------------------------------------------------------------


def months_ago(today: date, months: int) -> date:
    year, month = divmod(today.month - 1 - months, 12)
    return date(today.year + year, month + 1, min(today.day, 28))


def badge_for(response: Any, resource: Resource) -> bool:
    body = page(response)
    start = body.index(f'id="resource-{resource.id}"')
    card = body[start : body.index("</li>", start)]
    return "Needs re-verification" in card


def test_entries_not_checked_within_a_year_are_flagged(client, agency):
    today = i18n.agency_today()
    fresh = make_resource(agency.admin, name="Fresh", last_verified_on=months_ago(today, 11))
    stale = make_resource(agency.admin, name="Stale", last_verified_on=months_ago(today, 13))
    never = make_resource(agency.admin, name="Never", last_verified_on=None)
    sign_in(client, agency.cm)

    listing = client.get(INDEX)
    assert not badge_for(listing, fresh)
    assert badge_for(listing, stale)
    assert badge_for(listing, never)
    assert "Needs re-verification" in page(client.get(f"{INDEX}/{stale.id}"))
    assert "Needs re-verification" not in page(client.get(f"{INDEX}/{fresh.id}"))


@pytest.mark.parametrize("app_config", [{"RESOURCE_VERIFY_MONTHS": 6}])
def test_the_agency_sets_how_many_months_an_entry_stays_current(client, agency):
    today = i18n.agency_today()
    fresh = make_resource(agency.admin, name="Fresh", last_verified_on=months_ago(today, 5))
    stale = make_resource(agency.admin, name="Stale", last_verified_on=months_ago(today, 7))
    sign_in(client, agency.cm)

    listing = client.get(INDEX, headers=HTMX)
    assert not badge_for(listing, fresh)
    assert badge_for(listing, stale)  # within the default year, but not within six months


@pytest.mark.parametrize(
    ("today", "checked", "months", "flagged"),
    [
        (date(2026, 3, 31), None, 12, True),
        (date(2026, 3, 31), date(2025, 3, 31), 12, False),  # exactly a year ago
        (date(2026, 3, 31), date(2025, 3, 30), 12, True),  # a year and a day
        (date(2026, 3, 31), date(2026, 2, 28), 1, False),  # a month before March 31st
        (date(2026, 3, 31), date(2026, 2, 27), 1, True),
        (date(2024, 2, 29), date(2023, 2, 28), 12, False),  # leap day
        (date(2024, 2, 29), date(2023, 2, 27), 12, True),
        (date(2026, 1, 15), date(2025, 1, 15), 12, False),
        (date(2026, 1, 15), date(2025, 1, 14), 12, True),
        (date(2026, 1, 15), date(2025, 7, 16), 6, False),
        (date(2026, 1, 15), date(2025, 7, 14), 6, True),
        (date(2026, 1, 15), date(2026, 1, 15), 0, False),
    ],
)
def test_needs_verification_counts_calendar_months(today, checked, months, flagged):
    entry = Resource(name="X", category="food", last_verified_on=checked)
    assert resources.needs_verification(entry, today, months) is flagged


# ---- Keeping the directory: add, edit, retire --------------------------------------------


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Riverside Food Bank",
        "category": "food",
        "description": "Groceries every week, no questions asked.",
        "address": "4 Mill Lane",
        "phone": "555-0188",
        "website": "https://riverside.example.org",
        "hours": "Tue and Thu 10-2",
        "languages": ["en", "es"],
        "eligibility": "Anyone in the county",
        "cost": "Free",
        "walk_ins": "y",
        "last_verified_on": "2026-01-05",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("manager", ["admin", "supervisor"])
def test_a_manager_adds_an_entry(client, make_client, agency, manager):
    sign_in(client, getattr(agency, manager))
    assert client.get(f"{INDEX}/new").status_code == 200
    response = post(client, f"{INDEX}/new", form_data())
    assert response.status_code == 303
    entry = db.session.scalar(select(Resource).where(Resource.name == "Riverside Food Bank"))
    assert entry is not None
    assert response.headers["Location"] == f"/staff/resources/{entry.id}"
    assert (entry.category, entry.languages, entry.walk_ins, entry.active) == (
        "food",
        ["en", "es"],
        True,
        True,
    )
    assert entry.last_verified_on == date(2026, 1, 5)
    assert entry.eligibility == "Anyone in the county" and entry.cost == "Free"
    [event] = [e for e in events("create") if e.object_type == "resource"]
    assert (event.actor_id, event.object_id) == (getattr(agency, manager).id, str(entry.id))
    # findable at once, by any word
    assert results(sign_in(make_client(), agency.cm), q="groceries") == ["Riverside Food Bank"]


def test_a_rejected_entry_keeps_what_was_typed_and_says_why(client, agency):
    sign_in(client, agency.admin)
    response = post(
        client,
        f"{INDEX}/new",
        form_data(website="riverside dot org", phone="555-0199", address="4 Mill Lane, Unit 2"),
    )
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "website") == "Enter a web address like https://example.org."
    assert field_value(body, "website") == "riverside dot org"
    assert field_value(body, "name") == "Riverside Food Bank"
    assert field_value(body, "phone") == "555-0199"
    assert field_value(body, "address") == "4 Mill Lane, Unit 2"
    assert "Groceries every week, no questions asked." in body
    assert re.search(r'value="es"[^>]*checked|checked[^>]*value="es"', body)
    assert 'class="error-summary"' in body
    assert resource_count() == 0

    response = post(client, f"{INDEX}/new", form_data(name="  "))
    assert response.status_code == 422
    assert field_error(page(response), "name") == "Enter the name."
    assert resource_count() == 0


def test_a_manager_edits_an_entry(client, agency):
    entry = make_resource(agency.admin, name="Harbor House", phone="555-0100")
    sign_in(client, agency.supervisor)
    form = client.get(f"{INDEX}/{entry.id}/edit")
    assert form.status_code == 200
    assert field_value(page(form), "version") == str(entry.version)
    response = post(
        client,
        f"{INDEX}/{entry.id}/edit",
        form_data(name="Harbor House Shelter", category="housing", version=entry.version),
    )
    assert response.status_code == 303
    saved = stored(entry.id)
    assert (saved.name, saved.phone, saved.version) == ("Harbor House Shelter", "555-0188", 2)
    assert "shelter" in saved.search_text
    assert [e.object_id for e in events("update") if e.object_type == "resource"] == [str(entry.id)]


def test_a_stale_edit_is_refused_with_a_conflict_and_the_typed_text(client, make_client, agency):
    entry = make_resource(agency.admin, name="Harbor House", phone="555-0100")
    sam = sign_in(client, agency.supervisor)
    ada = sign_in(make_client(), agency.admin)
    read = field_value(page(sam.get(f"{INDEX}/{entry.id}/edit")), "version")

    first = post(ada, f"{INDEX}/{entry.id}/edit", form_data(phone="555-0111", version=read))
    assert first.status_code == 303
    second = post(
        sam,
        f"{INDEX}/{entry.id}/edit",
        form_data(name="Sam's Harbor", phone="555-0222", version=read),
    )
    assert second.status_code == 409
    body = page(second)
    assert "Someone saved this entry while you were editing" in body
    assert field_value(body, "name") == "Sam's Harbor"
    assert field_value(body, "phone") == "555-0222"
    fresh = field_value(body, "version")
    assert fresh == str(stored(entry.id).version) and fresh != read
    assert stored(entry.id).phone == "555-0111"  # Ada's save stands

    # knowingly saving again from the conflict form works
    third = post(sam, f"{INDEX}/{entry.id}/edit", form_data(phone="555-0222", version=fresh))
    assert third.status_code == 303
    assert stored(entry.id).phone == "555-0222"


def test_an_edit_with_bad_input_is_422_not_a_conflict(client, agency):
    entry = make_resource(agency.admin)
    sign_in(client, agency.admin)
    response = post(
        client, f"{INDEX}/{entry.id}/edit", form_data(website="ftp:/nope", version=entry.version)
    )
    assert response.status_code == 422
    assert field_value(page(response), "website") == "ftp:/nope"
    assert stored(entry.id).website == "https://harbor.example.org"


def test_a_retired_entry_leaves_the_directory_and_can_come_back(client, make_client, agency):
    entry = make_resource(agency.admin, name="Harbor House")
    make_resource(agency.admin, name="Hillside Apartments")
    sign_in(client, agency.supervisor)
    casey = sign_in(make_client(), agency.cm)

    response = post(client, f"{INDEX}/{entry.id}/active", {"active": "0"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/resources/{entry.id}"
    assert stored(entry.id).active is False

    assert results(casey) == ["Hillside Apartments"]
    assert results(casey, q="harbor") == []
    assert results(casey, retired="1") == ["Hillside Apartments"]  # only managers see retired
    assert results(client, retired="1") == ["Harbor House", "Hillside Apartments"]
    listing = client.get(INDEX, query_string={"retired": "1"}, headers=HTMX)
    assert "Retired" in page(listing)

    # the entry itself stays readable (referrals name it), marked, with no referral form
    detail = casey.get(f"{INDEX}/{entry.id}")
    assert detail.status_code == 200
    assert "Retired" in page(detail) and "Refer a client" not in page(detail)

    assert post(client, f"{INDEX}/{entry.id}/active", {"active": "1"}).status_code == 303
    assert stored(entry.id).active is True
    assert results(casey) == ["Harbor House", "Hillside Apartments"]


def test_retiring_needs_the_form_token(client, agency):
    entry = make_resource(agency.admin)
    sign_in(client, agency.admin)
    response = client.post(f"{INDEX}/{entry.id}/active", data={"active": "0"})
    assert response.status_code == 400
    assert stored(entry.id).active is True


@pytest.mark.parametrize("role", ["cm", "team", "not_team", "cm_other"])
def test_only_managers_keep_the_directory(client, agency, role):
    entry = make_resource(agency.admin, name="Harbor House")
    csv_file = b"name,category\nNew Place,food\n"
    sign_in(client, getattr(agency, role))
    assert client.get(f"{INDEX}/new").status_code == 403
    assert post(client, f"{INDEX}/new", form_data()).status_code == 403
    assert client.get(f"{INDEX}/{entry.id}/edit").status_code == 403
    edit = form_data(name="Hacked", version=entry.version)
    assert post(client, f"{INDEX}/{entry.id}/edit", edit).status_code == 403
    assert post(client, f"{INDEX}/{entry.id}/active", {"active": "0"}).status_code == 403
    assert client.get(IMPORT).status_code == 403
    upload = {"file": (io.BytesIO(csv_file), "r.csv")}
    assert post(client, IMPORT, upload).status_code == 403
    assert post(client, CONFIRM, {"token": "a" * 32}).status_code == 403
    saved = stored(entry.id)
    assert (saved.name, saved.active, resource_count()) == ("Harbor House", True, 1)
    # reading is for everyone on staff, without the managers' buttons
    listing = page(client.get(INDEX))
    assert "Add a resource" not in listing and "Import CSV" not in listing
    assert "Include retired entries" not in listing
    detail = page(client.get(f"{INDEX}/{entry.id}"))
    assert "Retire this entry" not in detail and f"/staff/resources/{entry.id}/edit" not in detail
    assert client.get(f"{INDEX}/export.csv").status_code == 200


def test_missing_entries_are_404(client, agency):
    sign_in(client, agency.admin)
    assert client.get(f"{INDEX}/999").status_code == 404
    assert client.get(f"{INDEX}/999/edit").status_code == 404
    assert post(client, f"{INDEX}/999/active", {"active": "0"}).status_code == 404


# ---- The entry's page: history and "refer a client" --------------------------------------


def test_the_entry_page_shows_contact_details_and_referral_history(client, agency):
    entry = make_resource(agency.admin, name="Harbor House", languages=["en", "es"])
    for status in ("proposed", "proposed", "sent", "completed"):
        db.session.add(
            Referral(
                client_id=agency.own.id,
                resource_id=entry.id,
                reason="Needs a bed",
                status=status,
                created_by_id=agency.cm.id,
            )
        )
    db.session.flush()
    sign_in(client, agency.cm)
    body = page(client.get(f"{INDEX}/{entry.id}"))
    for text in ("12 Pier Road, Springfield", "555-0100", "https://harbor.example.org"):
        assert text in body, text
    assert "English, Spanish" in body
    history = re.findall(r'<span class="stat-list__number">(\d+)</span>\s*(\w+)', body)
    assert dict((label, int(n)) for n, label in history) == {
        "Proposed": 2,
        "Sent": 1,
        "Accepted": 0,
        "Completed": 1,
        "Declined": 0,
        "Cancelled": 0,
    }


def test_the_refer_form_offers_only_my_clients(client, agency):
    entry = make_resource(agency.admin, name="Harbor House")
    sign_in(client, agency.cm)
    body = page(client.get(f"{INDEX}/{entry.id}"))
    assert "Refer a client" in body
    assert "Olive" in body and "Theodora" not in body

    response = post(
        client,
        f"{INDEX}/{entry.id}/refer",
        {"client_id": agency.own.id, "reason": "Needs a bed tonight", "follow_up_on": ""},
    )
    assert response.status_code == 303
    referral = db.session.scalar(select(Referral))
    assert referral is not None
    assert response.headers["Location"] == (
        f"/staff/clients/{agency.own.id}/referrals/{referral.id}"
    )
    assert (referral.status, referral.reason, referral.created_by_id) == (
        "proposed",
        "Needs a bed tonight",
        agency.cm.id,
    )
    assert referral.follow_up_on == i18n.agency_today() + timedelta(days=14)

    # someone else's client is missing, as far as Casey can tell
    other = post(
        client, f"{INDEX}/{entry.id}/refer", {"client_id": agency.theirs.id, "reason": "x"}
    )
    assert other.status_code == 404
    # no reason: back to the page with a message, nothing saved
    empty = post(client, f"{INDEX}/{entry.id}/refer", {"client_id": agency.own.id, "reason": ""})
    assert empty.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 1


def test_admins_read_the_directory_but_refer_no_one(client, agency):
    entry = make_resource(agency.admin)
    sign_in(client, agency.admin)
    body = page(client.get(f"{INDEX}/{entry.id}"))
    assert "Refer a client" not in body and "Retire this entry" in body
    response = post(
        client, f"{INDEX}/{entry.id}/refer", {"client_id": agency.own.id, "reason": "x"}
    )
    assert response.status_code == 403


# ---- CSV import and export -----------------------------------------------------------------


def csv_bytes(
    rows: list[dict[str, Any]], columns: tuple[str, ...] = resources.CSV_COLUMNS
) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def upload(browser: Any, data: bytes, filename: str = "resources.csv") -> Any:
    return post(browser, IMPORT, {"file": (io.BytesIO(data), filename)})


def preview_line(body: str, line: int) -> str:
    match = re.search(
        rf'<tr id="line-{line}" class="import-row import-row--(\w+)">(.*?)</tr>', body, re.S
    )
    assert match, f"no preview row for line {line}"
    cells = re.sub(r"<[^>]+>", " ", match.group(2))
    return f"{match.group(1)}: " + " ".join(cells.split())


def token_of(body: str) -> str:
    match = re.search(r'name="token" value="([0-9a-f]{32})"', body)
    assert match, "no confirm form"
    return match.group(1)


def test_the_preview_lists_each_line_and_saves_nothing(client, agency):
    existing = make_resource(agency.admin, name="Harbor House", phone="555-0100")
    db.session.commit()
    before = resource_count()
    logged = (
        select(func.count()).select_from(AuditEvent).where(AuditEvent.object_type == "resource")
    )
    audit_before = db.session.scalar(logged)
    sign_in(client, agency.admin)
    assert client.get(IMPORT).status_code == 200

    data = csv_bytes(
        [
            {
                "name": "Riverside Food Bank",
                "category": "food",
                "languages": "en|es",
                "walk_ins": "yes",
            },
            {"id": existing.id, "name": "Harbor House", "category": "housing", "phone": "555-0199"},
            {"name": "Moon Base", "category": "spaceships"},
            {"id": 9999, "name": "Ghost Entry", "category": "food"},
            {"name": "Late Clinic", "category": "primary_care", "last_verified_on": "31/03/2026"},
            {"name": "", "category": "food"},
            {"name": "Babel Center", "category": "education", "languages": "en|klingon"},
            {"name": "Maybe Place", "category": "food", "walk_ins": "sometimes"},
        ]
    )
    response = upload(client, data)
    assert response.status_code == 200
    body = page(response)
    assert "Preview: 1 to add, 1 to update, 6 rejected" in body
    assert "Nothing has been saved yet" in body
    assert preview_line(body, 2).startswith("create: 2 Riverside Food Bank Added")
    assert preview_line(body, 3).startswith("update: 3 Harbor House Updated")
    assert "the category is not one of the directory's" in preview_line(body, 4)
    assert preview_line(body, 4).startswith("reject: 4 Moon Base Rejected :")
    assert "the id matches no entry" in preview_line(body, 5)
    assert "the verification date is not a date like 2026-03-31" in preview_line(body, 6)
    assert "the name is empty" in preview_line(body, 7)
    assert "a language code is not one the app knows" in preview_line(body, 8)
    assert "walk_ins is not yes or no" in preview_line(body, 9)
    assert "Confirm the import" in body

    # nothing saved, nothing changed, nothing logged
    assert resource_count() == before
    assert stored(existing.id).phone == "555-0100"
    assert db.session.scalar(logged) == audit_before


def test_confirming_saves_the_accepted_lines_in_one_go(client, agency):
    existing = make_resource(agency.admin, name="Harbor House", phone="555-0100")
    db.session.commit()
    sign_in(client, agency.supervisor)
    data = csv_bytes(
        [
            {
                "name": "Riverside Food Bank",
                "category": "food",
                "languages": "en|es",
                "walk_ins": "yes",
            },
            {"id": existing.id, "name": "Harbor House", "category": "housing", "phone": "555-0199"},
            {"name": "Moon Base", "category": "spaceships"},
            {"name": "Cedar Clinic", "category": "primary_care", "last_verified_on": "2026-02-01"},
        ]
    )
    token = token_of(page(upload(client, data)))
    assert resource_count() == 1

    response = post(client, CONFIRM, {"token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/resources"
    assert "Import done: 2 added, 1 updated." in page(client.get(INDEX))
    assert resource_count() == 3
    names_now = set(db.session.scalars(select(Resource.name)))
    assert names_now == {"Harbor House", "Riverside Food Bank", "Cedar Clinic"}
    riverside = db.session.scalar(select(Resource).where(Resource.name == "Riverside Food Bank"))
    assert riverside is not None
    assert (riverside.languages, riverside.walk_ins, riverside.active) == (["en", "es"], True, True)
    assert stored(existing.id).phone == "555-0199"
    cedar = db.session.scalar(select(Resource).where(Resource.name == "Cedar Clinic"))
    assert cedar is not None and cedar.last_verified_on == date(2026, 2, 1)
    # searchable straight away
    assert results(client, q="riverside") == ["Riverside Food Bank"]

    # the preview is used once: confirming again adds nothing
    again = post(client, CONFIRM, {"token": token})
    assert again.status_code == 303 and again.headers["Location"] == IMPORT
    assert "That preview has expired" in page(client.get(IMPORT))
    assert resource_count() == 3


def test_an_import_is_all_or_nothing(app, agency):
    before = resource_count()
    rows = [
        ImportRow(2, "create", "Good", data={"name": "Good", "category": "food"}),
        ImportRow(3, "create", "Bad", data={"name": "Bad", "category": "spaceships"}),
    ]
    with pytest.raises(DomainError):
        resources.apply_import(rows, actor=agency.admin, ip=None)
    db.session.rollback()
    assert resource_count() == before


def test_a_confirm_needs_a_well_formed_token(client, agency):
    sign_in(client, agency.admin)
    assert post(client, CONFIRM, {"token": "../../etc/passwd"}).status_code == 400
    assert post(client, CONFIRM, {"token": ""}).status_code == 400
    missing = post(client, CONFIRM, {"token": "0" * 32})
    assert missing.status_code == 303 and missing.headers["Location"] == IMPORT


def test_an_exported_file_imported_again_creates_nothing_new(client, agency):
    today = i18n.agency_today()
    make_resource(
        agency.admin,
        name="Casa Esperanza",
        description='Vivienda, con "comillas", comas\ny una línea nueva',
        languages=["en", "es"],
        walk_ins=True,
        last_verified_on=today,
    )
    harbor = make_resource(agency.admin, name="Harbor House", languages=[], last_verified_on=None)
    retired = make_resource(agency.admin, name="Old Shelter", active=False)
    db.session.commit()
    sign_in(client, agency.admin)

    exported = client.get(f"{INDEX}/export.csv")
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    assert 'filename="resources.csv"' in exported.headers["Content-Disposition"]
    text = exported.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(resources.CSV_COLUMNS)
    assert "Old Shelter" in text  # the export is the whole directory, retired entries included

    body = page(upload(client, exported.data))
    assert "Preview: 0 to add, 3 to update, 0 rejected" in body
    assert post(client, CONFIRM, {"token": token_of(body)}).status_code == 303
    assert resource_count() == 3
    casa = db.session.scalar(select(Resource).where(Resource.name == "Casa Esperanza"))
    assert casa is not None
    assert casa.description == 'Vivienda, con "comillas", comas\ny una línea nueva'
    assert (casa.languages, casa.walk_ins, casa.last_verified_on) == (["en", "es"], True, today)
    assert stored(retired.id).active is False
    assert stored(harbor.id).last_verified_on is None

    # edit the exported file as a spreadsheet would, and import it again: updates, no duplicates
    rows = list(csv.DictReader(io.StringIO(text)))
    for row in rows:
        if row["name"] == "Harbor House":
            row["phone"] = "555-0777"
            row["languages"] = "es"
    rows.append({"name": "Brand New Place", "category": "legal"})
    body = page(upload(client, csv_bytes(rows)))
    assert "Preview: 1 to add, 3 to update, 0 rejected" in body
    assert post(client, CONFIRM, {"token": token_of(body)}).status_code == 303
    assert resource_count() == 4
    saved = stored(harbor.id)
    assert (saved.phone, saved.languages) == ("555-0777", ["es"])


def test_a_file_that_is_not_utf8_is_refused_clearly(client, agency):
    sign_in(client, agency.admin)
    latin1 = "name,category\nCafé Esperanza,food\n".encode("latin-1")
    response = upload(client, latin1)
    assert response.status_code == 422
    assert "The file is not UTF-8 text" in page(response)
    assert 'name="token"' not in page(response)
    assert resource_count() == 0


def test_a_utf8_file_from_a_spreadsheet_with_a_bom_is_read(client, agency):
    sign_in(client, agency.admin)
    response = upload(client, "name,category\nCafé Esperanza,food\n".encode("utf-8-sig"))
    assert response.status_code == 200
    assert "Preview: 1 to add, 0 to update, 0 rejected" in page(response)


@pytest.mark.parametrize(
    ("content", "missing"),
    [
        (b"title,kind\nHarbor,housing\n", "category,name"),
        (b"name,description\nHarbor,beds\n", "category"),
        (b"", "category,name"),
    ],
)
def test_a_file_without_the_needed_columns_is_refused_clearly(client, agency, content, missing):
    sign_in(client, agency.admin)
    response = upload(client, content)
    assert response.status_code == 422
    body = page(response)
    assert "It needs at least the columns name and category." in body
    assert missing in body
    assert resource_count() == 0


def test_no_file_is_a_field_error(client, agency):
    sign_in(client, agency.admin)
    response = post(client, IMPORT, {})
    assert response.status_code == 422
    assert field_error(page(response), "file") == "Choose a CSV file."


def test_imported_values_are_checked_like_the_form_checks_them(client, agency):
    sign_in(client, agency.admin)
    data = csv_bytes(
        [
            {"name": "Trick", "category": "food", "website": "javascript:alert(1)"},
            {"name": "N" * 201, "category": "food"},
            {"name": "Long Phone", "category": "food", "phone": "5" * 41},
            {"name": "Fine", "category": "food", "website": "https://fine.example.org"},
        ]
    )
    body = page(upload(client, data))
    assert "Preview: 1 to add, 0 to update, 3 rejected" in body
    assert preview_line(body, 2).startswith("reject:")
    assert "https://" in preview_line(body, 2)  # the reason shows what a web address looks like
    assert preview_line(body, 3).startswith("reject:")
    assert "name is too long" in preview_line(body, 3)
    assert preview_line(body, 4).startswith("reject:")
    assert "phone is too long" in preview_line(body, 4)
    assert post(client, CONFIRM, {"token": token_of(body)}).status_code == 303
    assert list(db.session.scalars(select(Resource.name))) == ["Fine"]


# ---- The query budget ----------------------------------------------------------------------


def test_the_directory_costs_the_same_for_5_and_25_entries(client, agency, count_queries):
    for n in range(5):
        make_resource(agency.admin, name=f"Shelter {n:02d}", languages=["en", "es"])
    sign_in(client, agency.cm)
    client.get(INDEX)  # warm up whatever is loaded once per process
    with count_queries() as few:
        assert len(names(client.get(INDEX))) == 5
    for n in range(5, 25):
        make_resource(agency.admin, name=f"Shelter {n:02d}", languages=["en", "es"])
    db.session.commit()
    with count_queries() as many:
        assert len(names(client.get(INDEX))) == 25
    assert many.count == few.count, many.statements
    with count_queries() as partial:
        client.get(INDEX, headers=HTMX, query_string={"q": "shelter"})
    assert partial.count <= many.count
