"""The client record: edits and conflicts, contacts, lifecycle, risk, care team, portal and
family access, tasks, and the audit of every view."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email.header import decode_header, make_header
from email.message import Message
from functools import partial
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.models import (
    CareTeamMember,
    Client,
    EmergencyContact,
    Episode,
    FamilyAccess,
    RiskChange,
    Role,
    StatusChange,
    Task,
    User,
    utcnow,
)
from portal.services import clients as client_service
from portal.services.errors import StaleEdit

from ..factories import grant_family_access, make_user
from ..factories import make_client as new_client_record
from .support import HTMX, events, field_error, field_value, page, post, section, sign_in

NEW_PASSWORD = "a long and quiet river in spring"


def record_url(agency, tail: str = "") -> str:
    return f"/staff/clients/{agency.own.id}{tail}"


# ---- Editing the details: a conflict shows both versions and loses nothing ----------------


def edit_data(body: str, **changes: str) -> dict[str, str]:
    """What the edit form would post, as rendered, with the person's changes."""
    names = ["legal_name", "preferred_name", "pronouns", "date_of_birth", "phone", "email"]
    names += ["address", "referral_source", "version"]
    data = {name: field_value(body, name) or "" for name in names}
    data["preferred_language"] = "en"
    return {**data, **changes}


def test_second_save_of_a_stale_form_gets_the_conflict_with_both_versions(make_client, agency):
    first, second = sign_in(make_client(), agency.cm), sign_in(make_client(), agency.supervisor)
    url = record_url(agency, "/edit")
    form_a, form_b = page(first.get(url)), page(second.get(url))
    assert field_value(form_a, "version") == field_value(form_b, "version")

    saved = post(first, url, edit_data(form_a, phone="555-0101", address="1 First Street"))
    assert saved.status_code == 303
    conflict = post(second, url, edit_data(form_b, phone="555-0202", pronouns="she/her"))
    assert conflict.status_code == 409
    body = page(conflict)
    assert "Someone else saved this record while you were editing" in body
    # Their input stays in the form ...
    assert field_value(body, "phone") == "555-0202" and field_value(body, "pronouns") == "she/her"
    # ... and the record as saved now is shown beside it.
    saved_values = body[
        body.index('id="conflict"') : body.index("</dl>", body.index('id="conflict"'))
    ]
    assert "555-0101" in saved_values and "1 First Street" in saved_values
    person = db.session.get(Client, agency.own.id)
    assert (person.phone, person.address, person.pronouns) == ("555-0101", "1 First Street", None)

    # Saving again from the conflict page (it carries the new version) works.
    again = edit_data(body, address="1 First Street")
    assert again["version"] == str(person.version)
    assert post(second, url, again).status_code == 303
    db.session.refresh(person)
    assert (person.phone, person.address, person.pronouns) == (
        "555-0202",
        "1 First Street",
        "she/her",
    )
    assert [e.actor_id for e in events("update", agency.own.id)] == [
        agency.cm.id,
        agency.supervisor.id,
    ]


def contact_fields(contact_id: int, **values: str) -> dict[str, str]:
    """The inline edit form's fields carry the contact's prefix (the add form shares names)."""
    return {f"contact-{contact_id}-{name}": value for name, value in values.items()}


def test_contact_inline_edit_conflict_swaps_in_both_versions(make_client, agency):
    first, second = sign_in(make_client(), agency.cm), sign_in(make_client(), agency.supervisor)
    cid = agency.ids["contact"]
    url = record_url(agency, f"/contacts/{cid}/edit")
    form_a = page(first.get(url, headers=HTMX))
    form_b = page(second.get(url, headers=HTMX))
    assert "<html" not in form_a and form_a.lstrip().startswith("<li")
    version = field_value(form_a, f"contact-{cid}-version")
    assert version == field_value(form_b, f"contact-{cid}-version")

    saved = contact_fields(cid, name="Ana Saved", phone="555-0303", version=version)
    row = post(first, url, saved, htmx=True)
    assert row.status_code == 200
    assert "Ana Saved" in page(row) and "<html" not in page(row)

    typed = contact_fields(cid, name="Ana Typed", relationship_label="Sister", version=version)
    conflict = post(second, url, typed, htmx=True)
    assert conflict.status_code == 409
    fragment = page(conflict)
    assert "<html" not in fragment
    assert fragment.lstrip().startswith(f'<li class="contact contact--editing" id="contact-{cid}"')
    assert field_value(fragment, f"contact-{cid}-name") == "Ana Typed"  # what they typed
    assert "Ana Saved" in fragment and "555-0303" in fragment  # what is saved
    contact = db.session.get(EmergencyContact, cid)
    assert (contact.name, contact.phone) == ("Ana Saved", "555-0303")

    retry = {
        **typed,
        **contact_fields(
            cid, phone="555-0303", version=field_value(fragment, f"contact-{cid}-version")
        ),
    }
    assert post(second, url, retry, htmx=True).status_code == 200
    db.session.refresh(contact)
    assert (contact.name, contact.phone) == ("Ana Typed", "555-0303")
    assert [e.actor_id for e in events("update", agency.own.id)] == [
        agency.cm.id,
        agency.supervisor.id,
    ]


@pytest.mark.parametrize("kind", ["client", "contact"])
def test_a_save_racing_another_in_flight_gets_the_conflict_not_an_error(app, agency, kind):
    """The version read before the save matches, but another writer commits first: the
    database's own version check must end in the same conflict (decision 21)."""
    if kind == "client":
        record, table = db.session.get(Client, agency.own.id), "client"
    else:
        record, table = db.session.get(EmergencyContact, agency.ids["contact"]), "emergency_contact"
    read_at = record.version
    db.session.commit()
    with db.engine.begin() as other_writer:
        other_writer.execute(
            sa.text(f"UPDATE {table} SET version = version + 1 WHERE id = :id"),  # noqa: S608
            {"id": record.id},
        )
    if kind == "client":
        save = partial(client_service.update_client, record, {"phone": "555-0404"})
    else:
        save = partial(client_service.update_contact, record, {"name": "Racer"})
    with pytest.raises(StaleEdit):
        save(expected_version=read_at, actor=agency.cm, ip=None)
    db.session.rollback()


def test_contacts_work_without_javascript(client, agency):
    sign_in(client, agency.cm)
    cid = agency.ids["contact"]
    url = record_url(agency, f"/contacts/{cid}/edit")
    form = client.get(url)  # the "Edit" link's href, followed without htmx
    assert form.status_code == 200
    assert "<html" in page(form) and field_value(page(form), f"contact-{cid}-name") == "Ana Quince"
    version = field_value(page(form), f"contact-{cid}-version")
    empty = post(client, url, contact_fields(cid, name="", phone="555-0808", version=version))
    assert empty.status_code == 422 and "<html" in page(empty)
    assert field_error(page(empty), f"contact-{cid}-name") == "Enter a name."
    assert field_value(page(empty), f"contact-{cid}-phone") == "555-0808"
    saved = post(client, url, contact_fields(cid, name="Ana Q", version=version))
    assert saved.status_code == 303
    assert db.session.get(EmergencyContact, cid).name == "Ana Q"
    bad_new = post(client, record_url(agency, "/contacts"), {"name": "", "phone": "555-0909"})
    assert bad_new.status_code == 422
    assert "<html" in page(bad_new) and field_value(page(bad_new), "phone") == "555-0909"


def test_a_contacts_row_address_opened_in_a_tab_leads_to_the_contact_on_the_overview(
    client, agency
):
    """The row's address is htmx's "cancel" of an inline edit; opened without htmx it answers
    with the overview at that contact, not with a bare list item."""
    sign_in(client, agency.cm)
    cid = agency.ids["contact"]
    url = record_url(agency, f"/contacts/{cid}")
    answer = client.get(url)
    assert answer.status_code == 303 and "HX-Request" in answer.headers["Vary"]
    assert answer.headers["Location"] == record_url(agency, f"#contact-{cid}")
    row = client.get(url, headers=HTMX)
    assert row.status_code == 200 and "HX-Request" in row.headers["Vary"]
    assert page(row).lstrip().startswith(f'<li class="contact" id="contact-{cid}">')
    assert f'id="contact-{cid}"' in page(client.get(answer.headers["Location"]))


def test_the_add_contact_form_is_drawn_when_opened_or_on_a_page_of_its_own(client, agency):
    sign_in(client, agency.cm)
    new = record_url(agency, "/contacts/new")
    overview = page(client.get(record_url(agency)))
    assert f'hx-get="{new}" hx-trigger="toggle once"' in overview
    assert f'<a href="{new}">Open the form</a>' in overview  # without JavaScript
    assert 'id="contact-new"' not in overview and 'name="relationship_label"' not in overview

    partial = client.get(new, headers=HTMX)
    assert partial.status_code == 200 and "HX-Request" in partial.headers["Vary"]
    fragment = page(partial)
    assert fragment.lstrip().startswith('<form id="contact-new"')
    assert re.search(r'<input [^>]*autofocus[^>]*name="name"', fragment)

    views = len(events("view", agency.own.id))
    full = page(client.get(new))
    assert "<html" in full and 'id="contact-new"' in full and "Olivia Quince" in full
    assert len(events("view", agency.own.id)) == views + 1


def test_contacts_are_added_changed_and_removed_inline(client, agency):
    sign_in(client, agency.cm)
    added = post(
        client,
        record_url(agency, "/contacts"),
        {"name": "Lee Quince", "phone": "555-0700"},
        htmx=True,
    )
    assert added.status_code == 200
    fragment = page(added)
    assert "<html" not in fragment and 'hx-swap-oob="beforeend:#contact-list"' in fragment
    contact_id = db.session.scalar(
        select(EmergencyContact.id).where(EmergencyContact.name == "Lee Quince")
    )
    assert f'id="contact-{contact_id}"' in fragment and 'id="contact-new"' in fragment
    shown = client.get(record_url(agency, f"/contacts/{contact_id}"), headers=HTMX)
    assert page(shown).lstrip().startswith(f'<li class="contact" id="contact-{contact_id}"')
    removed = post(client, record_url(agency, f"/contacts/{contact_id}/delete"), htmx=True)
    assert removed.status_code == 200 and page(removed) == ""
    assert db.session.get(EmergencyContact, contact_id) is None
    bad = post(client, record_url(agency, "/contacts"), {"name": " "}, htmx=True)
    assert bad.status_code == 422 and "<html" not in page(bad)
    assert field_error(page(bad), "name") == "Enter a name."
    assert [(e.action, e.object_type) for e in events("create", agency.own.id)] == [
        ("create", "emergency_contact")
    ]
    assert [e.object_id for e in events("delete", agency.own.id)] == [str(contact_id)]


# ---- Status lifecycle ------------------------------------------------------------------------

ILLEGAL = "That change of status is not possible from here."
NEED_REASON = "Give a reason for this change."


def change(browser, person_id, to_status, on, reason="", **aftercare):
    data = {"to_status": to_status, "effective_on": on, "reason": reason, **aftercare}
    return post(browser, f"/staff/clients/{person_id}/status", data)


def test_status_lifecycle_with_history_discharge_and_readmission(client):
    cm = make_user(Role.CASE_MANAGER, display_name="Casey Manager")
    sign_in(client, cm)
    created = post(
        client, "/staff/clients/new", {"legal_name": "Lena Cycle", "preferred_language": "en"}
    )
    person_id = int(created.headers["Location"].rsplit("/", 1)[1])

    refused = change(client, person_id, "active", "2030-01-02")
    assert refused.status_code == 422
    assert field_error(page(refused), "to_status") == ILLEGAL
    assert change(client, person_id, "intake", "2030-01-03").status_code == 303
    assert change(client, person_id, "active", "2030-01-10").status_code == 303
    no_reason = change(client, person_id, "on_hold", "2030-02-01")
    assert no_reason.status_code == 422 and field_error(page(no_reason), "reason") == NEED_REASON
    assert change(client, person_id, "on_hold", "2030-02-01", "Inpatient stay").status_code == 303
    assert change(client, person_id, "active", "2030-03-01").status_code == 303
    assert change(client, person_id, "discharged", "2030-06-30").status_code == 422
    discharged = change(
        client,
        person_id,
        "discharged",
        "2030-06-30",
        "Goals met",
        followups="Psychiatry in 2 weeks",
        resources="Peer support group on Tuesdays",
        crisis_contact="988, or the agency line",
    )
    assert discharged.status_code == 303
    stays = page(client.get(f"/staff/clients/{person_id}/status"))  # the record stays readable
    assert "Goals met" in stays and "Peer support group on Tuesdays" in stays
    assert client.get(f"/staff/clients/{person_id}").status_code == 200
    back = change(client, person_id, "on_hold", "2030-07-01", "Wants a break")
    assert back.status_code == 422 and field_error(page(back), "to_status") == ILLEGAL
    assert change(client, person_id, "intake", "2031-01-05", "Came back").status_code == 303

    person = db.session.get(Client, person_id)
    assert person.status == "intake"
    history = db.session.scalars(
        select(StatusChange).where(StatusChange.client_id == person_id).order_by(StatusChange.id)
    ).all()
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, "referred"),
        ("referred", "intake"),
        ("intake", "active"),
        ("active", "on_hold"),
        ("on_hold", "active"),
        ("active", "discharged"),
        ("discharged", "intake"),
    ]
    assert {h.changed_by_id for h in history} == {cm.id}
    assert (history[3].effective_on, history[3].reason) == (date(2030, 2, 1), "Inpatient stay")
    old, new = db.session.scalars(
        select(Episode).where(Episode.client_id == person_id).order_by(Episode.id)
    ).all()
    assert (old.discharged_on, old.discharge_reason) == (date(2030, 6, 30), "Goals met")
    assert (old.aftercare_followups, old.aftercare_resources, old.aftercare_crisis_contact) == (
        "Psychiatry in 2 weeks",
        "Peer support group on Tuesdays",
        "988, or the agency line",
    )
    assert new.is_open and new.admitted_on == date(2031, 1, 5)
    assert [e.detail for e in events("status_change", person_id)] == [
        "referred->intake",
        "intake->active",
        "active->on_hold",
        "on_hold->active",
        "active->discharged",
        "discharged->intake",
    ]
    status_page = page(client.get(f"/staff/clients/{person_id}/status"))
    assert "Inpatient stay" in status_page and "Casey Manager" in status_page


# ---- Risk flag --------------------------------------------------------------------------------


def test_risk_flag_keeps_its_history_and_shows_who_set_it_and_why(client, agency):
    sign_in(client, agency.cm)
    url = record_url(agency, "/risk")
    high = post(client, url, {"level": "high", "reason": "Said they have a plan"})
    assert high.status_code == 303
    header = page(client.get(record_url(agency)))
    assert "Risk: High" in header and "Said they have a plan (set by Casey Manager)" in header
    caseload = page(client.get("/staff/clients?q=olivia", headers=HTMX))
    row = caseload[caseload.index(f'id="client-{agency.own.id}"') :]
    assert "Risk: High" in row[: row.index("</tr>")]
    assert (
        post(client, url, {"level": "moderate", "reason": "Safety plan in place"}).status_code
        == 303
    )
    person = db.session.get(Client, agency.own.id)
    assert (person.risk_level, person.risk_reason, person.risk_set_by_id) == (
        "moderate",
        "Safety plan in place",
        agency.cm.id,
    )
    changes = db.session.scalars(
        select(RiskChange).where(RiskChange.client_id == agency.own.id).order_by(RiskChange.id)
    ).all()
    assert [(c.level, c.reason, c.set_by_id) for c in changes] == [
        ("high", "Said they have a plan", agency.cm.id),
        ("moderate", "Safety plan in place", agency.cm.id),
    ]
    history = page(client.get(record_url(agency, "/status")))
    assert "Said they have a plan" in history and "Safety plan in place" in history
    assert [e.detail for e in events("risk_change", agency.own.id)] == ["high", "moderate"]


def test_risk_without_a_reason_is_refused_at_the_field(client, agency):
    sign_in(client, agency.cm)
    refused = post(client, record_url(agency, "/risk"), {"level": "high", "reason": "  "})
    assert refused.status_code == 422
    body = page(refused)
    assert field_error(body, "risk-reason") == "Say why the risk level is set."
    assert 'value="high" checked' in body or re.search(r'checked[^>]*value="high"', body)
    assert db.session.get(Client, agency.own.id).risk_level == "low"
    assert db.session.scalar(select(RiskChange)) is None and events("risk_change") == []


# ---- Care team ----------------------------------------------------------------------------


def test_care_team_changes_decide_who_sees_the_record(make_client, agency):
    cm = sign_in(make_client(), agency.cm)
    therapist = sign_in(make_client(), agency.extra)
    url = record_url(agency)
    assert therapist.get(url).status_code == 404

    added = post(
        cm,
        record_url(agency, "/care-team"),
        {"user_id": agency.extra.id, "role_label": "therapist"},
    )
    assert added.status_code == 303
    assert "Theo Therapist</strong> · Therapist" in page(cm.get(url))
    assert therapist.get(url).status_code == 200
    assert f'id="client-{agency.own.id}"' in page(therapist.get("/staff/clients"))

    member = db.session.scalar(
        select(CareTeamMember).where(CareTeamMember.user_id == agency.extra.id)
    )
    assert post(cm, record_url(agency, f"/care-team/{member.id}/remove")).status_code == 303
    assert therapist.get(url).status_code == 404
    assert f'id="client-{agency.own.id}"' not in page(therapist.get("/staff/clients"))
    assert [e.detail for e in events("care_team_change", agency.own.id)] == [
        f"add user {agency.extra.id}",
        f"remove user {agency.extra.id}",
    ]
    assert "Theo Therapist" not in page(cm.get(url)).split('id="care-team"')[1].split("<form")[0]


def test_only_a_supervisor_reassigns_the_primary_case_manager(make_client, agency):
    successor = make_user(
        Role.CASE_MANAGER, display_name="Rae Successor", supervisor=agency.supervisor
    )
    cm = sign_in(make_client(), agency.cm)
    assert (
        post(cm, record_url(agency, "/primary"), {"case_manager_id": successor.id}).status_code
        == 403
    )
    supervisor = sign_in(make_client(), agency.supervisor)
    detail = page(supervisor.get(record_url(agency)))
    assert 'name="case_manager_id"' in detail and 'name="case_manager_id"' not in page(
        cm.get(record_url(agency))
    )
    moved = post(supervisor, record_url(agency, "/primary"), {"case_manager_id": successor.id})
    assert moved.status_code == 303
    assert "Case manager: Rae Successor" in page(supervisor.get(record_url(agency)))
    assert db.session.get(Client, agency.own.id).primary_case_manager_id == successor.id
    assert cm.get(record_url(agency)).status_code == 404  # Casey is not on the care team
    [event] = events("care_team_change", agency.own.id)
    assert (event.actor_id, event.detail) == (agency.supervisor.id, f"primary {successor.id}")


# ---- Portal account ---------------------------------------------------------------------


@pytest.fixture
def app_config(mail_sink):
    return {"MAIL_SERVER": mail_sink.host, "MAIL_PORT": mail_sink.port, "MAIL_BACKEND": "smtp"}


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def link_in(message: Message, prefix: str) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    body = part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    match = re.search(r"https?://\S+", body)
    assert match, "no link in the email"
    path = urlsplit(match.group(0)).path
    assert path.startswith(prefix + "/"), path
    return path


def choose_password(browser, path: str, password: str):
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page(browser.get(path)))
    data = {"password": password, "confirm": password, "csrf_token": token.group(1)}
    return browser.post(path, data=data)


def test_portal_invitation_in_the_clients_language_then_disable(make_client, agency, mail_sink):
    person = make_client_record(preferred_language="es")
    staff = sign_in(make_client(), agency.cm)
    url = f"/staff/clients/{person.id}"
    invited = post(staff, url + "/portal/invite", {"email": "Rosa.Rio@example.org"})
    assert invited.status_code == 303 and invited.headers["Location"] == url + "/access"
    [message] = mail_sink.messages
    assert message["To"] == "rosa.rio@example.org"
    with force_locale("es"):
        spanish = str(_("You are invited to Waypoint"))
    assert subject_of(message) == spanish != "You are invited to Waypoint"
    link = link_in(message, "/welcome")
    [event] = events("portal_invite", person.id)
    assert event.actor_id == agency.cm.id

    rosa = make_client()
    assert rosa.get(link).status_code == 200
    weak = choose_password(rosa, link, "short")  # the password rules apply
    assert weak.status_code == 422
    assert field_error(page(weak), "password")
    done = choose_password(rosa, link, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["Location"] == "/client/"
    home = rosa.get("/client/")
    assert home.status_code == 200 and "Rosa" in page(home)
    assert make_client().get(link).status_code == 410  # the link works once
    assert "rosa.rio@example.org" in page(staff.get(url + "/access"))

    assert post(staff, url + "/portal/disable").status_code == 303
    refused = rosa.get("/client/")
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")
    portal_user = db.session.get(Client, person.id).portal_user
    assert portal_user.active is False
    assert [e.object_id for e in events("portal_disable", person.id)] == [str(portal_user.id)]


def make_client_record(**overrides):
    cm = db.session.scalar(select(User).where(User.display_name == "Casey Manager"))
    return new_client_record(legal_name="Rosa Rio", primary_case_manager=cm, **overrides)


# ---- Family access --------------------------------------------------------------------------


def consent_data(email: str, **changes: str) -> dict:
    data = {
        "family_name": "Fran Familia",
        "family_email": email,
        "relationship_label": "Brother",
        "scopes": ["appointments", "goals"],
        "purpose": "Help with appointments",
        "expires_on": (date.today() + timedelta(days=30)).isoformat(),
    }
    return {**data, **changes}


def test_family_consent_opens_the_family_page_until_it_is_revoked(make_client, agency, mail_sink):
    staff = sign_in(make_client(), agency.cm)
    recorded = post(staff, record_url(agency, "/family"), consent_data("fran@example.org"))
    assert recorded.status_code == 303
    fran = db.session.scalar(select(User).where(User.email == "fran@example.org"))
    assert fran.role == Role.FAMILY
    consent = db.session.scalar(select(FamilyAccess).where(FamilyAccess.family_user_id == fran.id))
    assert consent.scopes == {"appointments", "goals"} and consent.expires_at is not None
    assert consent.granted_by_id == agency.cm.id
    [message] = mail_sink.messages
    assert message["To"] == "fran@example.org"

    family = make_client()
    assert choose_password(family, link_in(message, "/welcome"), NEW_PASSWORD).status_code == 303
    shared = page(family.get("/family/"))
    assert "Olive" in shared and "Goals" in shared

    assert post(staff, record_url(agency, f"/family/{consent.id}/revoke")).status_code == 303
    assert "Olive" not in page(family.get("/family/"))
    history = page(staff.get(record_url(agency, "/access")))
    card = history[history.index(f'id="consent-{consent.id}"') :]
    card = card[: card.index("</li>")]
    assert "Fran Familia" in card and "ended" in card.lower()
    assert "End access for Fran Familia" not in card
    assert [e.detail for e in events("consent_change", agency.own.id)] == [
        "grant appointments,goals",
        "revoke",
    ]


def test_only_a_consent_in_force_shows_anything_to_family(make_client, agency):
    other = make_client_record()
    grant_family_access(
        other, agency.family, scopes=("goals",), expires_at=utcnow() - timedelta(days=1)
    )
    family = sign_in(make_client(), agency.family)
    home = page(family.get("/family/"))
    assert "Olive" in home and "Rosa Rio" not in home


def test_consent_for_a_non_family_account_is_refused_at_the_field(client, agency):
    sign_in(client, agency.cm)
    before = db.session.scalar(select(sa.func.count()).select_from(FamilyAccess))
    refused = post(client, record_url(agency, "/family"), consent_data(agency.cm_other.email))
    assert refused.status_code == 422
    body = page(refused)
    assert "not a family account" in field_error(body, "family_email")
    assert field_value(body, "family_name") == "Fran Familia"
    assert db.session.scalar(select(sa.func.count()).select_from(FamilyAccess)) == before
    assert events("consent_change") == []


def test_a_consent_ending_in_the_past_is_refused_at_the_date(client, agency):
    sign_in(client, agency.cm)
    past = (date.today() - timedelta(days=2)).isoformat()
    refused = post(
        client, record_url(agency, "/family"), consent_data(agency.family.email, expires_on=past)
    )
    assert refused.status_code == 422
    body = page(refused)
    assert field_error(body, "expires_on")
    assert 'id="family_email-error"' not in body  # the email is fine


# ---- Tasks ----------------------------------------------------------------------------------


def test_task_shows_on_the_record_and_the_dashboard_and_is_marked_done(make_client, agency):
    cm = sign_in(make_client(), agency.cm)
    url = record_url(agency, "/tasks")
    added = post(cm, url, {"title": "Send the SSI application", "due_on": "2030-05-01"})
    assert added.status_code == 303 and added.headers["Location"] == url
    task = db.session.scalar(select(Task).where(Task.title == "Send the SSI application"))
    assert task.assignee_id == agency.cm.id and task.status == "open"
    assert "Send the SSI application" in page(cm.get(url))
    mine = section(page(cm.get("/staff/")), "tasks-title")
    assert "Send the SSI application" in mine and "Olive" in mine

    stranger = sign_in(make_client(), agency.cm_other)
    assert post(stranger, f"/staff/tasks/{task.id}/done").status_code == 404
    assert db.session.get(Task, task.id).status == "open"

    done = post(cm, f"/staff/tasks/{task.id}/done", {"next": url})
    assert done.status_code == 303 and done.headers["Location"] == url
    assert db.session.get(Task, task.id).status == "done"
    assert "Send the SSI application" not in section(page(cm.get("/staff/")), "tasks-title")
    item = page(cm.get(url))
    item = item[item.index(f'id="task-{task.id}"') :]
    assert "Done" in item[: item.index("</li>")] and "Mark" not in item[: item.index("</li>")]
    assert [(e.action, e.detail) for e in events("update", agency.own.id)] == [("update", "done")]
    assert [e.object_id for e in events("create", agency.own.id)] == [str(task.id)]
    bad = post(cm, url, {"title": ""})
    assert bad.status_code == 422 and field_error(page(bad), "title") == "Describe the task."


# ---- Audit: every view of a record ------------------------------------------------------


def test_every_view_of_a_record_is_audited_with_the_client(make_client, agency):
    team = sign_in(make_client(), agency.team)
    for tail in ("", "/status", "/access", "/tasks"):
        assert team.get(record_url(agency, tail)).status_code == 200
    cm = sign_in(make_client(), agency.cm)
    assert cm.get(record_url(agency, "/edit")).status_code == 200
    views = [e for e in events("view", agency.own.id) if e.object_type == "client"]
    assert [(e.actor_id, e.detail) for e in views] == [
        (agency.team.id, "record"),
        (agency.team.id, "status"),
        (agency.team.id, "access"),
        (agency.team.id, "tasks"),
        (agency.cm.id, "edit form"),
    ]
    assert {e.object_id for e in views} == {str(agency.own.id)}
    # A list is audited too, with the clients it showed.
    team.get("/staff/clients")
    [listed] = [e for e in events("view") if e.object_type == "client_list"]
    assert (listed.actor_id, listed.detail) == (agency.team.id, str(agency.own.id))
