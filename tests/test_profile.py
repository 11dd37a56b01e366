# ruff: noqa: F811  (the test functions take the imported `agency` fixture)
"""What a person changes about themselves on /account: a client's phone and email for their
care team (audited, and their case manager gets a task to check them), and everyone's
language and email choices (the language applies from the next page on)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.i18n import agency_today
from portal.models import AuditEvent, Client, Role, Task, User

from .factories import make_client as make_record
from .factories import make_user
from .helpers import csrf_token
from .staff.conftest import agency  # noqa: F401  (the small agency of the staff tests)
from .staff.support import ROLES, field_error, field_value, page, post, section, sign_in, sign_in_as

CONTACT = "/account/contact"
PREFERENCES = "/account/preferences"
TASK_TITLE = "The client changed their contact details in the portal"


def flashes(body: str) -> str:
    return " ".join(re.findall(r'class="flash[^"]*"[^>]*>(.*?)</', body, re.S))


def record(person: Client) -> Client:
    db.session.expire_all()
    found = db.session.get(Client, person.id)
    assert found is not None
    return found


def user(person: User) -> User:
    db.session.expire_all()
    found = db.session.get(User, person.id)
    assert found is not None
    return found


def contact_tasks(person: Client) -> list[Task]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Task)
            .where(Task.client_id == person.id, Task.title.in_([TASK_TITLE, SPANISH_TITLE]))
            .order_by(Task.id)
        )
    )


SPANISH_TITLE = "El cliente cambió sus datos de contacto en el portal"


def contact_events(person: Client) -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "update",
                AuditEvent.object_type == "client",
                AuditEvent.client_id == person.id,
            )
            .order_by(AuditEvent.id)
        )
    )


def selected(body: str, name: str) -> str | None:
    match = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', body, re.S)
    assert match, f"no select {name!r}"
    chosen = re.search(
        r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', match[1]
    )
    return (chosen.group(1) or chosen.group(2)) if chosen else None


def is_checked(body: str, name: str) -> bool:
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', body)
    assert match, f"no input {name!r}"
    return re.search(r"\schecked\b", match.group(0)) is not None


# ---- A client's contact details ----------------------------------------------------------------


def test_the_account_page_offers_a_client_their_contact_details(client, agency):
    agency.own.phone = "555-0100"
    agency.own.email = "olive.home@example.net"
    sign_in(client, agency.client_user)

    body = page(client.get("/account/"))

    shown = section(body, "contact-title")
    assert f'action="{CONTACT}"' in shown
    assert field_value(shown, "phone") == "555-0100"
    assert field_value(shown, "contact_email") == "olive.home@example.net"


@pytest.mark.parametrize("role", ["cm", "supervisor", "admin", "family"])
def test_others_have_no_contact_section(client, agency, role):
    sign_in(client, getattr(agency, role))

    body = page(client.get("/account/"))

    assert 'aria-labelledby="contact-title"' not in body
    assert f'action="{CONTACT}"' not in body


def test_a_client_changes_their_phone_and_email_and_the_case_manager_is_told(
    client, make_client, agency
):
    agency.own.phone = "555-0100"
    sign_in(client, agency.client_user)

    response = post(
        client, CONTACT, {"phone": " 555-0199 ", "contact_email": " Olive.New@Example.NET "}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"
    stored = record(agency.own)
    assert (stored.phone, stored.email) == ("555-0199", "olive.new@example.net")
    [event] = contact_events(agency.own)
    assert event.actor_id == agency.client_user.id
    assert event.object_id == str(agency.own.id)
    assert event.detail == "contact by client: phone,email"
    [task] = contact_tasks(agency.own)
    assert task.title == TASK_TITLE
    assert task.assignee_id == agency.cm.id
    assert task.status == "open" and task.due_on == agency_today()
    assert task.created_by_id == agency.client_user.id
    body = page(client.get("/account/"))
    assert "Saved. Your case manager has been told." in flashes(body)
    assert field_value(section(body, "contact-title"), "phone") == "555-0199"
    # The case manager sees the new details on the record and the task on the dashboard.
    casey = sign_in(make_client(), agency.cm)
    assert "555-0199" in page(casey.get(f"/staff/clients/{agency.own.id}"))
    assert TASK_TITLE in page(casey.get("/staff/"))


def test_clearing_a_detail_is_a_change_too(client, agency):
    agency.own.phone = "555-0100"
    agency.own.email = "olive.home@example.net"
    sign_in(client, agency.client_user)

    response = post(client, CONTACT, {"phone": "", "contact_email": "olive.home@example.net"})

    assert response.status_code == 303
    stored = record(agency.own)
    assert (stored.phone, stored.email) == (None, "olive.home@example.net")
    [event] = contact_events(agency.own)
    assert event.detail == "contact by client: phone"
    assert len(contact_tasks(agency.own)) == 1


def test_saving_the_same_details_changes_nothing_and_tells_nobody(client, agency):
    agency.own.phone = "555-0100"
    agency.own.email = "olive.home@example.net"
    sign_in(client, agency.client_user)

    response = post(
        client, CONTACT, {"phone": "555-0100", "contact_email": "Olive.Home@example.net"}
    )

    assert response.status_code == 303
    assert contact_events(agency.own) == []
    assert contact_tasks(agency.own) == []
    assert "Nothing changed." in flashes(page(client.get("/account/")))


def test_the_task_is_in_the_case_managers_language(client, agency):
    agency.cm.locale = "es"
    sign_in(client, agency.client_user)  # Olive reads English; Casey reads Spanish

    post(client, CONTACT, {"phone": "555-0123", "contact_email": ""})

    [task] = contact_tasks(agency.own)
    assert task.title == SPANISH_TITLE


def test_a_client_without_a_case_manager_still_saves(client):
    account = make_user(Role.CLIENT, display_name="Ned Nomanager")
    person = make_record(legal_name="Ned Nomanager", portal_user=account)
    sign_in(client, account)

    response = post(client, CONTACT, {"phone": "555-0177", "contact_email": ""})

    assert response.status_code == 303
    assert record(person).phone == "555-0177"
    assert len(contact_events(person)) == 1
    assert contact_tasks(person) == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"phone": "555-0199", "contact_email": "olive-at-example"},
            "contact_email",
            "Enter an email address like name@example.org.",
        ),
        ({"phone": "5" * 41, "contact_email": "olive@example.net"}, "phone", None),
    ],
    ids=["bad email", "long phone"],
)
def test_bad_contact_details_are_refused_at_the_field_and_kept(
    client, agency, data, field, message
):
    agency.own.phone = "555-0100"
    sign_in(client, agency.client_user)

    response = post(client, CONTACT, data)

    assert response.status_code == 422
    body = page(response)
    error = field_error(body, field)
    if message is not None:
        assert error == message
    shown = section(body, "contact-title")
    assert "There is a problem" in shown
    assert field_value(shown, "phone") == data["phone"]
    assert field_value(shown, "contact_email") == data["contact_email"]
    # The rest of the page is drawn as usual: the profile keeps the person's own details.
    details = section(body, "details-title")
    assert field_value(details, "display_name") == "Olive Portal"
    assert field_value(details, "email") == agency.client_user.email
    assert record(agency.own).phone == "555-0100"
    assert contact_events(agency.own) == [] and contact_tasks(agency.own) == []


# Only a client has a record of their own to change; for everyone else the page is missing.
CONTACT_TABLE = dict(zip(ROLES, (404, 404, 404, 404, 404, 404, 404, 303, 404, 302), strict=True))


@pytest.mark.parametrize("role", ROLES)
def test_who_may_change_contact_details(client, agency, role):
    agency.own.phone = "555-0100"
    sign_in_as(client, agency, role)

    response = post(client, CONTACT, {"phone": "555-0999", "contact_email": ""})

    assert response.status_code == CONTACT_TABLE[role]
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
    changed = role == "client_user"
    assert record(agency.own).phone == ("555-0999" if changed else "555-0100")
    assert record(agency.theirs).phone is None
    assert len(contact_tasks(agency.own)) == (1 if changed else 0)


def test_a_client_changes_only_their_own_record(client, agency):
    other_account = make_user(Role.CLIENT, display_name="Otto Portal")
    otto = make_record(legal_name="Otto Other", portal_user=other_account, phone="555-0300")
    sign_in(client, agency.client_user)

    post(client, CONTACT, {"phone": "555-0111", "contact_email": "", "client_id": str(otto.id)})

    assert record(otto).phone == "555-0300"
    assert record(agency.own).phone == "555-0111"


# ---- Language and emails ---------------------------------------------------------------------


def preferences(locale: str = "en", **ticks: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"locale": locale}
    data.update({name: "y" for name, on in ticks.items() if on})
    return data


@pytest.mark.parametrize("role", ["client_user", "family", "cm"])
def test_choosing_spanish_applies_from_the_next_page_on(client, agency, role):
    person = getattr(agency, role)
    sign_in(client, person)

    response = post(
        client, PREFERENCES, preferences("es", notify_messages=True, notify_reminders=True)
    )

    assert response.status_code == 303 and response.headers["Location"] == "/account/"
    assert user(person).locale == "es"
    body = page(client.get("/account/"))
    assert '<html lang="es"' in body
    assert "Tu cuenta" in body and "Idioma y correos" in body
    assert "Se guardaron tus preferencias." in flashes(body)
    assert selected(section(body, "preferences-title"), "locale") == "es"
    [event] = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "locale_change")
    ).all()
    assert (event.actor_id, event.detail) == (person.id, "es")


def test_the_saved_language_follows_the_person_to_a_new_browser(client, make_client, agency):
    sign_in(client, agency.client_user)
    post(client, PREFERENCES, preferences("es"))

    other = sign_in(make_client(), agency.client_user)

    assert "Mis metas" in page(other.get("/client/goals"))


def test_back_to_english(client, agency):
    agency.client_user.locale = "es"
    sign_in(client, agency.client_user)
    assert "Tu cuenta" in page(client.get("/account/"))

    post(client, PREFERENCES, preferences("en"))

    assert user(agency.client_user).locale == "en"
    body = page(client.get("/account/"))
    assert "Your account" in body and "Your choices are saved." in flashes(body)


@pytest.mark.parametrize(
    ("messages", "reminders"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_the_email_choices_are_saved(client, agency, messages, reminders):
    sign_in(client, agency.client_user)

    response = post(
        client,
        PREFERENCES,
        preferences("en", notify_messages=messages, notify_reminders=reminders),
    )

    assert response.status_code == 303
    stored = user(agency.client_user)
    assert (stored.notify_messages, stored.notify_reminders) == (messages, reminders)
    body = page(client.get("/account/"))
    assert is_checked(body, "notify_messages") is messages
    assert is_checked(body, "notify_reminders") is reminders
    changes = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "update",
            AuditEvent.object_type == "user",
            AuditEvent.object_id == str(agency.client_user.id),
        )
    ).all()
    assert len(changes) == (0 if messages and reminders else 1)  # both were on before


def test_an_unknown_language_is_refused_and_nothing_changes(client, agency):
    sign_in(client, agency.client_user)

    response = post(client, PREFERENCES, preferences("xx", notify_messages=False))

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "locale")
    stored = user(agency.client_user)
    assert stored.locale is None
    assert (stored.notify_messages, stored.notify_reminders) == (True, True)
    assert not is_checked(section(body, "preferences-title"), "notify_messages")


def test_anonymous_visitors_are_sent_to_sign_in(client, agency):
    token = csrf_token(client, "/login")

    for url, data in [
        (CONTACT, {"phone": "555-0999"}),
        (PREFERENCES, preferences("es")),
    ]:
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code in (302, 303)
        assert "/login" in response.headers["Location"]
    assert record(agency.own).phone is None
    assert user(agency.client_user).locale is None


def test_saving_staff_preferences_keeps_their_reminder_choice(client, agency):
    sign_in(client, agency.cm)
    assert user(agency.cm).notify_reminders is True

    response = post(client, PREFERENCES, {"locale": "en", "notify_messages": "y"})

    assert response.status_code == 303
    assert user(agency.cm).notify_reminders is True
    assert user(agency.cm).notify_messages is True
