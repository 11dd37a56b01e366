# ruff: noqa: F811  (the test functions take the imported `agency` fixture)
"""Secure messages in the portal: the client writes to their care team and reads the answers,
a family member tells a team something (even with no consent in force) and sees only their own
notes; who may open which page; the crisis notice on every page; emails that say only that a
message is waiting; refused forms that keep what was typed; Spanish; a query budget."""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message as Email
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Message, MessageThread, Role, User, utcnow
from portal.services import messages

from ..factories import grant_family_access, make_client, make_user
from ..helpers import csrf_token
from ..staff.conftest import agency  # noqa: F401  (the small agency of the staff tests)
from ..staff.support import ROLES, events, field_error, page, post, sign_in, sign_in_as

SUBJECT = "Housing letter for the landlord"
BODY = "My landlord says the eviction hearing is on the 14th; can you write the letter?"
FAMILY_SUBJECT = "She stopped taking her medication"
FAMILY_BODY = "Since Tuesday she sleeps all day and says the pills make her dizzy."
CRISIS_PHONE = "555-0100"  # CRISIS_LINE_PHONE of the testing configuration


@pytest.fixture
def app_config(mail_sink):
    return {"MAIL_SERVER": mail_sink.host, "MAIL_PORT": mail_sink.port, "MAIL_BACKEND": "smtp"}


def subject_of(message: Email) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: Email) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def textarea(body: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', body, re.S)
    assert match, f"no textarea {name!r}"
    return match.group(1).strip()


def input_value(body: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
    assert match, f"no input {name!r}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def client_thread(agency: Any, subject: str = SUBJECT, body: str = BODY) -> MessageThread:
    """A conversation the client started, as the portal starts it."""
    return messages.start_thread(
        agency.own, subject=subject, body=body, actor=agency.client_user, ip=None
    )


def family_thread(agency: Any, family: User | None = None) -> MessageThread:
    return messages.start_thread(
        agency.own,
        subject=FAMILY_SUBJECT,
        body=FAMILY_BODY,
        actor=family or agency.family,
        ip=None,
    )


def threads_of(client_id: int) -> list[MessageThread]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(MessageThread)
            .where(MessageThread.client_id == client_id)
            .order_by(MessageThread.id)
        )
    )


def messages_in(thread_id: int) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Message).where(Message.thread_id == thread_id).order_by(Message.id)
        )
    )


def assert_no_content(mail: Email, *secrets: str) -> None:
    """An email about a message says only that one is waiting: no words of it, no name."""
    text = subject_of(mail) + "\n" + body_of(mail)
    for secret in (*secrets, "Olivia", "Olive", "Quince", "WP-000501"):
        assert secret not in text, secret
    assert "eviction" not in text and "landlord" not in text


# ---- Who may open which page ---------------------------------------------------------------

CLIENT_ROUTES: list[tuple[str, str, str]] = [
    ("client.messages", "get", "/client/messages"),
    ("client.message_new", "get", "/client/messages/new"),
    ("client.message_new", "post", "/client/messages/new"),
    ("client.message_thread", "get", "/client/messages/{thread}"),
    ("client.message_thread", "post", "/client/messages/{thread}"),
]
FAMILY_ROUTES: list[tuple[str, str, str]] = [
    ("family.messages", "get", "/family/messages"),
    ("family.message_new", "get", "/family/messages/new"),
    ("family.message_new", "post", "/family/messages/new"),
    ("family.message_thread", "get", "/family/messages/{thread}"),
    ("family.message_thread", "post", "/family/messages/{thread}"),
]
#                       cm   cm_o team nott  sup  osup adm  cli  fam  anon
CLIENT_OK = (403, 403, 403, 403, 403, 403, 403, 200, 403, 302)
FAMILY_OK = (403, 403, 403, 403, 403, 403, 403, 403, 200, 302)


def test_the_tables_cover_every_portal_message_route(app):
    endpoints = {e.endpoint for e in app.url_map.iter_rules()}
    portal = {
        e for e in endpoints if e.startswith(("client.message", "family.message")) and "." in e
    }
    assert portal == {name for name, _m, _p in CLIENT_ROUTES + FAMILY_ROUTES}


def _status(expected: int, method: str) -> int:
    return 303 if (expected == 200 and method == "post") else expected


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table_of_the_client_pages(client, agency, role):
    thread = client_thread(agency)
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    for name, method, path in CLIENT_ROUTES:
        url = path.format(thread=thread.id)
        if method == "get":
            response = client.get(url)
        else:
            response = post(client, url, {"subject": "Bus pass", "body": "Need a new one"})
        expected = _status(CLIENT_OK[column], method)
        assert response.status_code == expected, (name, method, response.status_code)
        if expected == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if expected == 403:
            assert SUBJECT not in page(response)
    allowed = CLIENT_OK[column] == 200
    assert len(threads_of(agency.own.id)) == (2 if allowed else 1)
    assert len(messages_in(thread.id)) == (2 if allowed else 1)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table_of_the_family_pages(client, agency, role):
    thread = family_thread(agency)
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    for name, method, path in FAMILY_ROUTES:
        url = path.format(thread=thread.id)
        if method == "get":
            response = client.get(url)
        else:
            response = post(
                client,
                url,
                {"client_id": str(agency.own.id), "subject": "Hello", "body": "A word"},
            )
        expected = _status(FAMILY_OK[column], method)
        assert response.status_code == expected, (name, method, response.status_code)
        if expected == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if expected == 403:
            assert FAMILY_SUBJECT not in page(response)
    allowed = FAMILY_OK[column] == 200
    assert len(threads_of(agency.own.id)) == (2 if allowed else 1)
    assert len(messages_in(thread.id)) == (2 if allowed else 1)


def test_an_htmx_request_without_a_session_is_told_where_to_sign_in(client, agency):
    response = client.get("/client/messages", headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]
    assert "<html" not in response.get_data(as_text=True)


def test_another_clients_conversation_is_not_found_and_the_attempt_is_logged(client, agency):
    other_account = make_user(Role.CLIENT, display_name="Otto Other")
    other = make_client(legal_name="Otto Other", portal_user=other_account)
    theirs = messages.start_thread(
        other, subject="Private matter", body="Only mine", actor=other_account, ip=None
    )
    sign_in(client, agency.client_user)

    seen = client.get(f"/client/messages/{theirs.id}")
    answered = post(client, f"/client/messages/{theirs.id}", {"body": "Snooping"})

    assert seen.status_code == 404
    assert answered.status_code == 404
    assert "Private matter" not in page(seen)
    assert len(messages_in(theirs.id)) == 1
    assert client.get("/client/messages/999999").status_code == 404
    denied = [e for e in events("access_denied", other.id) if e.object_type == "message_thread"]
    assert denied and denied[0].actor_id == agency.client_user.id
    assert "Private matter" not in page(client.get("/client/messages"))


def test_the_client_never_sees_a_family_note_about_them(client, agency):
    note = family_thread(agency)
    sign_in(client, agency.client_user)

    listing = page(client.get("/client/messages"))
    response = client.get(f"/client/messages/{note.id}")

    assert FAMILY_SUBJECT not in listing
    assert response.status_code == 404
    assert FAMILY_BODY not in page(response)
    assert "No new messages." in page(client.get("/client/"))


def test_family_cannot_open_the_clients_conversation_or_another_family_members(client, agency):
    mine = client_thread(agency)
    cousin = make_user(Role.FAMILY, display_name="Cyd Cousin")
    grant_family_access(agency.own, cousin)
    cousins = messages.start_thread(
        agency.own, subject="Cousin's worry", body="Call me", actor=cousin, ip=None
    )
    sign_in(client, agency.family)

    for thread in (mine, cousins):
        assert client.get(f"/family/messages/{thread.id}").status_code == 404
        assert post(client, f"/family/messages/{thread.id}", {"body": "Me too"}).status_code == 404
        assert len(messages_in(thread.id)) == 1
    listing = page(client.get("/family/messages"))
    assert SUBJECT not in listing and "Cousin's worry" not in listing
    assert client.get("/client/messages").status_code == 403


# ---- The client writes and reads -----------------------------------------------------------


def test_a_client_message_waits_for_the_team_and_tells_the_case_manager_nothing_private(
    client, agency, mail_sink
):
    sign_in(client, agency.client_user)

    response = post(client, "/client/messages/new", {"subject": SUBJECT, "body": BODY})

    assert response.status_code == 303
    [thread] = threads_of(agency.own.id)
    assert response.headers["Location"].endswith(f"/client/messages/{thread.id}")
    assert (thread.kind, thread.subject, thread.awaiting_team) == ("client", SUBJECT, True)
    assert thread.family_user_id is None
    [message] = messages_in(thread.id)
    assert (message.body, message.from_team, message.author_id) == (
        BODY,
        False,
        agency.client_user.id,
    )
    shown = page(client.get(response.headers["Location"]))
    assert SUBJECT in shown and BODY in shown
    assert "Sent. Someone from your care team will answer here." in shown
    # The email goes to the case manager and says only that something is waiting, and where.
    [mail] = mail_sink.messages
    assert mail["To"] == agency.cm.email
    assert_no_content(mail, SUBJECT, BODY, "Housing", "Olive Portal")
    assert "http://localhost/staff/messages" in body_of(mail)


def test_the_client_answers_in_the_conversation_and_it_waits_again(client, agency, mail_sink):
    thread = client_thread(agency)
    messages.reply(thread, body="We can write it this week.", actor=agency.team, ip=None)
    sign_in(client, agency.client_user)

    response = post(client, f"/client/messages/{thread.id}", {"body": "Thank you, Friday?"})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/client/messages/{thread.id}")
    assert [m.body for m in messages_in(thread.id)] == [
        BODY,
        "We can write it this week.",
        "Thank you, Friday?",
    ]
    assert threads_of(agency.own.id)[0].awaiting_team is True
    body = page(client.get(f"/client/messages/{thread.id}"))
    assert "Dr Pat Psychiatrist" in body and "We can write it this week." in body
    [mail] = mail_sink.messages
    assert mail["To"] == agency.cm.email
    assert_no_content(mail, "Friday", SUBJECT)


def test_an_answer_from_the_team_is_new_on_the_home_page_until_it_is_read(client, agency):
    thread = client_thread(agency)
    second = client_thread(agency, subject="Bus pass", body="Can I get a new bus pass?")
    sign_in(client, agency.client_user)
    assert "No new messages." in page(client.get("/client/"))

    messages.reply(thread, body="Yes, come on Monday.", actor=agency.cm, ip=None)
    messages.reply(second, body="Ask at the front desk.", actor=agency.team, ip=None)
    home = page(client.get("/client/"))
    listing = page(client.get("/client/messages"))

    assert "You have 2 conversations with new messages." in home
    assert listing.count("thread--unread") == 2

    client.get(f"/client/messages/{thread.id}")
    assert "You have 1 conversation with a new message." in page(client.get("/client/"))
    client.get(f"/client/messages/{second.id}")
    home = page(client.get("/client/"))
    listing = page(client.get("/client/messages"))
    assert "No new messages." in home
    assert "thread--unread" not in listing


@pytest.mark.parametrize("who", ["client", "case_manager"])
def test_nobody_who_turned_message_emails_off_gets_one(client, agency, mail_sink, who):
    thread = client_thread(agency)
    (agency.client_user if who == "client" else agency.cm).notify_messages = False
    sign_in(client, agency.client_user)

    post(client, "/client/messages/new", {"subject": "Bus pass", "body": "A new one please"})
    post(client, f"/client/messages/{thread.id}", {"body": "Any news?"})
    messages.reply(thread, body="Yes.", actor=agency.cm, ip=None)
    db.session.commit()
    messages.notify_new_message(
        thread, messages.load_messages(thread)[-1], link_for=lambda _u: "http://localhost/x"
    )

    received = [m["To"] for m in mail_sink.messages]
    if who == "client":
        assert received == [agency.cm.email, agency.cm.email]
    else:
        assert received == [agency.client_user.email]


def test_an_inactive_case_manager_gets_no_email(client, agency, mail_sink):
    agency.cm.active = False
    sign_in(client, agency.client_user)

    response = post(client, "/client/messages/new", {"subject": SUBJECT, "body": BODY})

    assert response.status_code == 303
    assert mail_sink.messages == []


# ---- Refused forms -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "at", "kept"),
    [
        ({"subject": "", "body": BODY}, "subject", ("body", BODY)),
        ({"subject": SUBJECT, "body": "   "}, "body", ("subject", SUBJECT)),
    ],
)
def test_a_message_without_a_subject_or_words_is_refused_keeping_what_was_typed(
    client, agency, data, at, kept
):
    sign_in(client, agency.client_user)

    response = post(client, "/client/messages/new", data)

    assert response.status_code == 422
    body = page(response)
    expected = (
        "Write a few words about what it is about." if at == "subject" else "Write your message."
    )
    assert field_error(body, at) == expected
    assert "There is a problem" in body
    name, value = kept
    assert (textarea(body, "body") if name == "body" else input_value(body, "subject")) == value
    assert "Messages are not for emergencies" in body
    assert threads_of(agency.own.id) == []


def test_an_empty_answer_is_refused_at_its_field(client, agency):
    thread = client_thread(agency)
    sign_in(client, agency.client_user)

    response = post(client, f"/client/messages/{thread.id}", {"body": "  "})

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "body") == "Write your message."
    assert BODY in body  # the conversation is still there above the form
    assert "Messages are not for emergencies" in body
    assert len(messages_in(thread.id)) == 1


def test_a_family_note_without_words_is_refused_keeping_the_subject(client, agency):
    sign_in(client, agency.family)

    response = post(
        client,
        "/family/messages/new",
        {"client_id": str(agency.own.id), "subject": FAMILY_SUBJECT, "body": ""},
    )

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "body") == "Write your message."
    assert input_value(body, "subject") == FAMILY_SUBJECT
    assert f'<option selected value="{agency.own.id}">' in body
    assert threads_of(agency.own.id) == []


def test_a_family_note_about_a_client_who_never_named_them_is_refused(client, agency):
    sign_in(client, agency.family)

    response = post(
        client,
        "/family/messages/new",
        {"client_id": str(agency.theirs.id), "subject": "Hello", "body": "About Theodora"},
    )

    assert response.status_code == 422
    assert field_error(page(response), "client_id")
    assert "Quill" not in page(response)  # the other client's name is never offered
    assert threads_of(agency.theirs.id) == []


# ---- The crisis notice ---------------------------------------------------------------------


def test_every_client_and_family_message_page_says_it_is_not_for_emergencies(client, agency):
    mine = client_thread(agency)
    note = family_thread(agency)
    sign_in(client, agency.client_user)
    client_pages = [
        client.get("/client/messages"),
        client.get("/client/messages/new"),
        client.get(f"/client/messages/{mine.id}"),
        post(client, "/client/messages/new", {"subject": "", "body": ""}),
        post(client, f"/client/messages/{mine.id}", {"body": ""}),
    ]
    family = sign_in(client.application.test_client(), agency.family)
    family_pages = [
        family.get("/family/messages"),
        family.get("/family/messages/new"),
        family.get(f"/family/messages/{note.id}"),
        post(family, "/family/messages/new", {"client_id": str(agency.own.id)}),
        post(family, f"/family/messages/{note.id}", {"body": ""}),
    ]

    for response in client_pages + family_pages:
        assert response.status_code in (200, 422)
        body = page(response)
        assert "Messages are not for emergencies" in body
        assert '<a href="tel:988">988</a>' in body
        assert f'<a href="tel:{CRISIS_PHONE}">{CRISIS_PHONE}</a>' in body
        assert "Waypoint crisis line" in body


# ---- Family: tell the team something -------------------------------------------------------


def test_a_family_member_whose_consent_was_revoked_can_still_tell_the_team(
    client, agency, mail_sink
):
    aunt = make_user(Role.FAMILY, display_name="Ada Aunt")
    grant_family_access(agency.own, aunt, revoked_at=utcnow())
    client_thread(agency)
    family_thread(agency)  # Fay's note: not Ada's to read
    sign_in(client, aunt)

    form = page(client.get("/family/messages/new"))
    assert f'value="{agency.own.id}"' in form and "Olive" in form
    assert f'value="{agency.theirs.id}"' not in form
    response = post(
        client,
        "/family/messages/new",
        {"client_id": str(agency.own.id), "subject": "Worried", "body": "She called me at 3am."},
    )

    assert response.status_code == 303
    mine = [t for t in threads_of(agency.own.id) if t.family_user_id == aunt.id]
    [thread] = mine
    assert (thread.kind, thread.awaiting_team) == ("family", True)
    assert response.headers["Location"].endswith(f"/family/messages/{thread.id}")
    listing = page(client.get("/family/messages"))
    assert "Worried" in listing
    assert FAMILY_SUBJECT not in listing and SUBJECT not in listing
    shown = page(client.get(f"/family/messages/{thread.id}"))
    assert "She called me at 3am." in shown
    assert BODY not in shown
    [mail] = mail_sink.messages
    assert mail["To"] == agency.cm.email
    assert_no_content(mail, "Worried", "3am", "Ada Aunt")
    # Writing opened nothing: the client's record stays closed to her.
    assert "Olive" not in page(client.get("/family/"))


def test_a_family_member_nobody_named_is_told_how_writing_becomes_possible(client, agency):
    stranger = make_user(Role.FAMILY, display_name="Sid Stranger")
    sign_in(client, stranger)

    listing = page(client.get("/family/messages"))
    shown = client.get("/family/messages/new")
    sent = post(
        client,
        "/family/messages/new",
        {"client_id": str(agency.own.id), "subject": "Hi", "body": "Let me in"},
    )

    assert "/family/messages/new" not in listing  # no button to a form that cannot be used
    assert shown.status_code == 303 and sent.status_code == 303
    assert shown.headers["Location"].endswith("/family/messages")
    followed = page(client.get("/family/messages"))
    assert "You can write to a care team once someone has added you as family." in followed
    assert threads_of(agency.own.id) == []


def test_the_team_answer_reaches_the_family_member_without_content(client, agency, mail_sink):
    note = family_thread(agency)
    messages.reply(note, body="Thank you, we will call her today.", actor=agency.cm, ip=None)
    db.session.commit()
    messages.notify_new_message(
        note,
        messages.load_messages(note)[-1],
        link_for=lambda user: f"http://localhost/{user.role}/messages",
    )
    sign_in(client, agency.family)

    listing = page(client.get("/family/messages"))
    assert "thread--unread" in listing and "Olive" in listing
    body = page(client.get(f"/family/messages/{note.id}"))
    assert "Thank you, we will call her today." in body
    assert "thread--unread" not in page(client.get("/family/messages"))
    [mail] = mail_sink.messages
    assert mail["To"] == agency.family.email
    assert_no_content(mail, "call her today", FAMILY_SUBJECT)
    assert "http://localhost/family/messages" in body_of(mail)


# ---- Language and cost ---------------------------------------------------------------------


def test_a_spanish_speaking_client_reads_the_messages_page_in_spanish(client, agency):
    agency.client_user.locale = "es"
    sign_in(client, agency.client_user)

    body = page(client.get("/client/messages"))

    assert '<html lang="es"' in body
    assert "Mensajes" in body
    assert "Los mensajes no son para emergencias" in body
    assert "Escribirle a mi equipo de atención" in body
    assert "Todavía no tienes mensajes." in body
    assert "Alguien te responde en un plazo de un día hábil." in body
    assert "Messages are not for emergencies" not in body
    assert "Write to my care team" not in body


def test_the_messages_page_makes_as_many_queries_for_twelve_as_for_one(
    client, agency, count_queries
):
    client_thread(agency)
    family_thread(agency)
    sign_in(client, agency.client_user)
    client.get("/client/messages")
    with count_queries() as one:
        assert client.get("/client/messages").status_code == 200

    for n in range(11):
        thread = client_thread(agency, subject=f"Question {n}", body=f"Body {n}")
        messages.reply(thread, body="An answer", actor=(agency.cm, agency.team)[n % 2], ip=None)
    other = make_client(portal_user=make_user(Role.CLIENT))
    messages.start_thread(other, subject="Not yours", body="x", actor=other.portal_user, ip=None)
    with count_queries() as many:
        response = client.get("/client/messages")

    body = page(response)
    assert body.count('class="thread') == 12
    assert "Not yours" not in body and FAMILY_SUBJECT not in body
    assert many.count == one.count, "\n".join(many.statements)


def test_the_family_messages_page_makes_as_many_queries_for_twelve_as_for_one(
    client, agency, count_queries
):
    other = make_client(legal_name="Second Sibling")
    grant_family_access(other, agency.family, revoked_at=utcnow())
    family_thread(agency)
    sign_in(client, agency.family)
    client.get("/family/messages")
    with count_queries() as one:
        assert client.get("/family/messages").status_code == 200

    for n in range(11):
        about = agency.own if n % 2 else other
        thread = messages.start_thread(
            about, subject=f"Note {n}", body="x", actor=agency.family, ip=None
        )
        messages.reply(thread, body="Thanks", actor=agency.cm, ip=None)
    with count_queries() as many:
        response = client.get("/family/messages")

    body = page(response)
    assert body.count('class="thread') == 12
    assert "Second Sibling" in body
    assert many.count == one.count, "\n".join(many.statements)


def test_the_new_message_form_sends_its_csrf_token(client, agency):
    sign_in(client, agency.client_user)

    body = page(client.get("/client/messages/new"))

    assert 'name="csrf_token"' in body
    assert 'action="/client/messages/new"' in body
    assert csrf_token(client, "/client/messages/new")
