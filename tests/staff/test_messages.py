"""The team's side of secure messages: one inbox for everyone who works with the client, so the
case manager or anyone on the care team answers; the conversations on the client's record,
family notes included; writing to a client; emails without content; a conversation left
waiting past the working hours allowed is late in the inbox and raised to the supervisor;
the timeline; who may open which page; a query budget that does not grow with the threads."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message as Email
from typing import Any

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import Message, MessageThread, Role
from portal.services import messages

from ..factories import add_to_care_team, make_client, make_user
from .support import ROLES, events, field_error, page, post, section, sign_in, sign_in_as

SUBJECT = "Housing letter for the landlord"
BODY = "My landlord says the eviction hearing is on the 14th; can you write the letter?"
ANSWER = "Yes, I will have the letter ready on Thursday."
FAMILY_SUBJECT = "She stopped taking her medication"
FAMILY_BODY = "Since Tuesday she sleeps all day and says the pills make her dizzy."
INBOX = "/staff/messages"
LATE = "Late: raised to the supervisor"
RAISED = "Raised to you: unanswered for more than 8 working hours"
# Thursday 17 January 2030, 11:00 in Chicago (CST, UTC-6).
NOW = datetime(2030, 1, 17, 17, 0, tzinfo=UTC)
THREE_WORKING_DAYS_AGO = datetime(2030, 1, 14, 17, 0, tzinfo=UTC)  # Monday 11:00 in Chicago
AN_HOUR_AGO = datetime(2030, 1, 17, 16, 0, tzinfo=UTC)


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


def record_tab(client_id: int) -> str:
    return f"/staff/clients/{client_id}/messages"


def client_thread(agency: Any, subject: str = SUBJECT, body: str = BODY) -> MessageThread:
    return messages.start_thread(
        agency.own, subject=subject, body=body, actor=agency.client_user, ip=None
    )


def family_thread(agency: Any) -> MessageThread:
    return messages.start_thread(
        agency.own, subject=FAMILY_SUBJECT, body=FAMILY_BODY, actor=agency.family, ip=None
    )


def stored(thread_id: int) -> MessageThread:
    db.session.expire_all()
    thread = db.session.get(MessageThread, thread_id)
    assert thread is not None
    return thread


def messages_in(thread_id: int) -> list[Message]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Message).where(Message.thread_id == thread_id).order_by(Message.id)
        )
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


def row(body: str, thread: MessageThread) -> str:
    """The inbox row of one conversation."""
    link = body.index(f'href="/staff/messages/{thread.id}"')
    start = body.rindex("<tr", 0, link)
    return body[start : body.index("</tr>", link)]


def assert_no_content(mail: Email, *secrets: str) -> None:
    text = subject_of(mail) + "\n" + body_of(mail)
    for secret in (*secrets, "Olivia", "Olive", "Quince", "WP-000501"):
        assert secret not in text, secret


# ---- Who may open which page ---------------------------------------------------------------

ROUTES: list[tuple[str, str, str]] = [
    ("message_inbox", "get", INBOX),
    ("message_detail", "get", INBOX + "/{thread}"),
    ("message_detail", "post", INBOX + "/{thread}"),
    ("client_messages", "get", "/staff/clients/{client}/messages"),
    ("client_messages", "post", "/staff/clients/{client}/messages"),
]
TABLE: dict[tuple[str, str], tuple[int, ...]] = {
    # route:                     cm   cm_o team nott  sup  osup adm  cli  fam  anon
    ("message_inbox", "get"): (200, 200, 200, 200, 200, 200, 403, 403, 403, 302),
    ("message_detail", "get"): (200, 404, 200, 404, 200, 404, 403, 403, 403, 302),
    ("message_detail", "post"): (303, 404, 303, 404, 303, 404, 403, 403, 403, 302),
    ("client_messages", "get"): (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    ("client_messages", "post"): (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
}


def test_the_table_covers_every_staff_message_route(app):
    endpoints = {e.endpoint for e in app.url_map.iter_rules()}
    ours = {e for e in endpoints if e.startswith("staff.message")} | {"staff.client_messages"}
    assert ours == {f"staff.{name}" for name, _method, _path in ROUTES}
    assert [(name, method) for name, method, _path in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, role):
    thread = client_thread(agency)
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    seen = {}
    for name, method, path in ROUTES:
        url = path.format(thread=thread.id, client=agency.own.id)
        if method == "get":
            response = client.get(url)
        else:
            response = post(client, url, {"subject": "Bus pass", "body": "Shall I order one?"})
        seen[(name, method)] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if response.status_code != 303 and TABLE[(name, method)][column] != 200:
            assert SUBJECT not in page(response)
            assert "Olivia Quince" not in page(response)
    assert seen == {key: statuses[column] for key, statuses in TABLE.items()}
    allowed = TABLE[("message_detail", "post")][column] == 303
    assert len(messages_in(thread.id)) == (2 if allowed else 1)
    assert len(threads_of(agency.own.id)) == (2 if allowed else 1)
    assert stored(thread.id).awaiting_team is not allowed


def test_an_htmx_request_without_a_session_is_told_where_to_sign_in(client, agency):
    response = client.get(INBOX, headers={"HX-Request": "true"})

    assert response.status_code == 401
    assert "/login" in response.headers["HX-Redirect"]
    assert "<html" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["cm", "team", "supervisor"])
def test_the_inbox_lists_the_conversations_of_whoever_works_with_the_client(client, agency, role):
    thread = client_thread(agency)
    theirs = messages.start_thread(
        agency.theirs, subject="Someone else's", body="x", actor=agency.cm_other, ip=None
    )
    sign_in(client, getattr(agency, role))

    body = page(client.get(INBOX))

    assert SUBJECT in row(body, thread) and "Olive" in row(body, thread)
    assert "Someone else's" not in body
    assert f"/staff/messages/{theirs.id}" not in body


@pytest.mark.parametrize("role", ["not_team", "cm_other", "other_supervisor"])
def test_staff_outside_the_team_find_no_conversation_and_the_attempt_is_logged(
    client, agency, role
):
    thread = client_thread(agency)
    note = family_thread(agency)
    sign_in(client, getattr(agency, role))

    inbox = page(client.get(INBOX))
    responses = [
        client.get(f"{INBOX}/{thread.id}"),
        post(client, f"{INBOX}/{thread.id}", {"body": "Hello"}),
        client.get(f"{INBOX}/{note.id}"),
    ]

    assert SUBJECT not in inbox and FAMILY_SUBJECT not in inbox
    for response in responses:
        assert response.status_code == 404
        assert SUBJECT not in page(response) and BODY not in page(response)
    assert len(messages_in(thread.id)) == 1
    denied = [
        e for e in events("access_denied", agency.own.id) if e.object_type == "message_thread"
    ]
    assert [(e.actor_id, e.object_id) for e in denied] == [
        (getattr(agency, role).id, str(thread.id)),
        (getattr(agency, role).id, str(thread.id)),
        (getattr(agency, role).id, str(note.id)),
    ]
    assert client.get(f"{INBOX}/999999").status_code == 404


def test_an_administrator_is_refused_the_inbox_and_every_conversation(client, agency):
    thread = client_thread(agency)
    sign_in(client, agency.admin)

    assert client.get(INBOX).status_code == 403
    assert client.get(f"{INBOX}?show=waiting").status_code == 403
    assert client.get(f"{INBOX}/{thread.id}").status_code == 403
    assert post(client, f"{INBOX}/{thread.id}", {"body": "Hi"}).status_code == 403
    assert "Messages waiting for the team" not in page(client.get("/staff/"))


# ---- Anyone on the team answers ------------------------------------------------------------


@pytest.mark.parametrize("answerer", ["cm", "team"])
def test_a_client_message_reaches_the_case_manager_and_the_care_team_and_either_answers(
    client, make_client, agency, mail_sink, answerer
):
    portal = sign_in(make_client(), agency.client_user)
    sent = post(portal, "/client/messages/new", {"subject": SUBJECT, "body": BODY})
    assert sent.status_code == 303
    [thread] = threads_of(agency.own.id)
    casey = sign_in(client, agency.cm)
    pat = sign_in(make_client(), agency.team)
    for browser in (casey, pat):
        inbox = page(browser.get(INBOX))
        assert "Waiting for an answer" in row(inbox, thread)
        assert "The client" in row(inbox, thread)
        assert "row--unread" in row(inbox, thread)
        assert f"/staff/messages/{thread.id}" in page(browser.get(f"{INBOX}?show=waiting"))
        assert SUBJECT in section(page(browser.get("/staff/")), "messages-title")
    mail_sink.messages.clear()

    browser = casey if answerer == "cm" else pat
    shown = page(browser.get(f"{INBOX}/{thread.id}"))
    assert BODY in shown and "Olive Portal" in shown
    response = post(browser, f"{INBOX}/{thread.id}", {"body": ANSWER})

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/messages/{thread.id}")
    assert stored(thread.id).awaiting_team is False
    last = messages_in(thread.id)[-1]
    assert (last.body, last.from_team, last.author_id) == (
        ANSWER,
        True,
        getattr(agency, answerer).id,
    )
    for other in (casey, pat):
        inbox = page(other.get(INBOX))
        assert "Answered" in row(inbox, thread)
        assert f"/staff/messages/{thread.id}" not in page(other.get(f"{INBOX}?show=waiting"))
        panel = section(page(other.get("/staff/")), "messages-title")
        assert SUBJECT not in panel and "Every message has an answer." in panel
    # The client hears that a message is waiting, and nothing else.
    [mail] = mail_sink.messages
    assert mail["To"] == agency.client_user.email
    assert_no_content(mail, ANSWER, "Thursday", SUBJECT, "Housing", "Casey", "Pat")
    assert "http://localhost/client/messages" in body_of(mail)
    assert "You have 1 conversation with a new message." in page(portal.get("/client/"))
    assert ANSWER in page(portal.get(f"/client/messages/{thread.id}"))


def test_a_conversation_is_new_in_the_inbox_until_each_reader_opens_it(client, make_client, agency):
    thread = client_thread(agency)
    casey = sign_in(client, agency.cm)
    pat = sign_in(make_client(), agency.team)
    assert "badge--new" in row(page(casey.get(INBOX)), thread)

    casey.get(f"{INBOX}/{thread.id}")

    assert "row--unread" not in row(page(casey.get(INBOX)), thread)
    assert "badge--new" not in row(page(casey.get(INBOX)), thread)
    assert "row--unread" in row(page(pat.get(INBOX)), thread)  # Pat has not read it yet
    messages.reply(
        thread, body="One more thing: the hearing moved.", actor=agency.client_user, ip=None
    )
    assert "row--unread" in row(page(casey.get(INBOX)), thread)
    pat.get(f"{INBOX}/{thread.id}")
    assert "row--unread" not in row(page(pat.get(INBOX)), thread)
    record = page(pat.get(record_tab(agency.own.id)))
    assert "badge--new" not in section(record, "threads-title")


def test_a_team_answer_is_not_emailed_to_a_client_who_turned_emails_off(client, agency, mail_sink):
    thread = client_thread(agency)
    agency.client_user.notify_messages = False
    sign_in(client, agency.cm)

    response = post(client, f"{INBOX}/{thread.id}", {"body": ANSWER})

    assert response.status_code == 303
    assert mail_sink.messages == []
    assert stored(thread.id).awaiting_team is False


def test_a_spanish_speaking_client_hears_of_an_answer_in_spanish(client, agency, mail_sink):
    thread = client_thread(agency)
    agency.client_user.locale = "es"
    sign_in(client, agency.cm)

    post(client, f"{INBOX}/{thread.id}", {"body": ANSWER})

    [mail] = mail_sink.messages
    assert subject_of(mail) == "Tienes un mensaje nuevo en Waypoint"
    assert "Tu equipo de atención te envió un mensaje." in body_of(mail)
    assert "http://localhost/client/messages" in body_of(mail)
    assert_no_content(mail, ANSWER, SUBJECT)


def test_an_empty_answer_is_refused_at_its_field(client, agency):
    thread = client_thread(agency)
    sign_in(client, agency.team)

    response = post(client, f"{INBOX}/{thread.id}", {"body": "   "})

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "body") == "Write your message."
    assert BODY in body
    assert len(messages_in(thread.id)) == 1
    assert stored(thread.id).awaiting_team is True


# ---- The record tab ------------------------------------------------------------------------


def test_family_notes_are_on_the_record_tab_and_in_the_inbox_for_the_team(
    client, agency, mail_sink
):
    thread = client_thread(agency)
    note = family_thread(agency)
    sign_in(client, agency.team)

    record = section(page(client.get(record_tab(agency.own.id))), "threads-title")
    inbox = page(client.get(INBOX))
    shown = page(client.get(f"{INBOX}/{note.id}"))

    assert SUBJECT in record and FAMILY_SUBJECT in record
    assert "Family: Fay Family" in record
    assert "Family: Fay Family" in row(inbox, note)
    assert "Family: Fay Family" not in row(inbox, thread)
    assert FAMILY_BODY in shown
    assert (
        "A note from Fay Family, family of Olive. The client does not see this conversation."
        in (shown)
    )
    assert (
        post(client, f"{INBOX}/{note.id}", {"body": "Thank you for telling us."}).status_code == 303
    )
    assert stored(note.id).awaiting_team is False
    [mail] = mail_sink.messages
    assert mail["To"] == agency.family.email
    assert_no_content(mail, "Thank you for telling us", FAMILY_SUBJECT, "Fay")
    assert "http://localhost/family/messages" in body_of(mail)


def test_the_team_writes_to_the_client_from_the_record(client, make_client, agency, mail_sink):
    sign_in(client, agency.cm)
    assert "Write to the client" in page(client.get(record_tab(agency.own.id)))

    response = post(
        client,
        record_tab(agency.own.id),
        {"subject": "Your housing appointment", "body": "Please bring your lease on Monday."},
    )

    assert response.status_code == 303
    [thread] = threads_of(agency.own.id)
    assert response.headers["Location"].endswith(f"/staff/messages/{thread.id}")
    assert (thread.kind, thread.awaiting_team, thread.created_by_id) == (
        "client",
        False,
        agency.cm.id,
    )
    assert "Message sent to the client." in page(client.get(response.headers["Location"]))
    [mail] = mail_sink.messages
    assert mail["To"] == agency.client_user.email
    assert_no_content(mail, "housing", "lease", "Monday", "Casey")
    assert "http://localhost/client/messages" in body_of(mail)
    portal = sign_in(make_client(), agency.client_user)
    assert "You have 1 conversation with a new message." in page(portal.get("/client/"))
    assert "Please bring your lease on Monday." in page(portal.get(f"/client/messages/{thread.id}"))


def test_writing_to_a_client_without_a_portal_account_is_refused_with_a_form_error(
    client, agency, mail_sink
):
    sign_in(client, agency.cm_other)
    shown = page(client.get(record_tab(agency.theirs.id)))
    assert "The client has no portal account, so they cannot read messages." in shown

    response = post(
        client, record_tab(agency.theirs.id), {"subject": "Hello", "body": "Are you there?"}
    )

    assert response.status_code == 422
    assert "The client has no portal account to read messages." in page(response)
    assert threads_of(agency.theirs.id) == []
    assert mail_sink.messages == []


@pytest.mark.parametrize(
    ("data", "at", "message"),
    [
        ({"subject": "", "body": BODY}, "subject", "Write a few words about what it is about."),
        ({"subject": SUBJECT, "body": ""}, "body", "Write your message."),
    ],
)
def test_a_message_to_the_client_without_a_subject_or_words_is_refused_keeping_the_text(
    client, agency, data, at, message
):
    sign_in(client, agency.cm)

    response = post(client, record_tab(agency.own.id), data)

    assert response.status_code == 422
    body = page(response)
    assert field_error(body, at) == message
    assert "There is a problem" in body
    assert (input_value(body, "subject") or "") == data["subject"]
    assert textarea(body, "body") == data["body"]
    assert threads_of(agency.own.id) == []


# ---- Late conversations --------------------------------------------------------------------


def test_a_conversation_waiting_three_working_days_is_late_and_raised_to_the_supervisor(
    client, make_client, agency, time_machine
):
    time_machine.move_to(THREE_WORKING_DAYS_AGO, tick=False)
    late = client_thread(agency, subject="Waiting since Monday")
    answered = client_thread(agency, subject="Answered on Monday")
    messages.reply(answered, body="Done.", actor=agency.cm, ip=None)
    time_machine.move_to(AN_HOUR_AGO, tick=False)
    fresh = client_thread(agency, subject="Sent this morning")
    time_machine.move_to(NOW, tick=False)

    casey = sign_in(client, agency.cm)
    inbox = page(casey.get(INBOX))
    assert LATE in row(inbox, late)
    assert LATE not in row(inbox, fresh) and "Waiting for an answer" in row(inbox, fresh)
    assert LATE not in row(inbox, answered) and "Answered" in row(inbox, answered)
    assert LATE in row(page(casey.get(f"{INBOX}?show=waiting")), late)

    # The case manager's dashboard shows both waiting, the late one marked, raised to nobody.
    panel = section(page(casey.get("/staff/")), "messages-title")
    assert "Waiting since Monday" in panel and "Sent this morning" in panel
    assert "Answered on Monday" not in panel
    assert panel.count(">Late<") == 1
    assert RAISED not in panel

    # The supervisor of the case manager has it raised; the other supervisor does not.
    sam = sign_in(make_client(), agency.supervisor)
    panel = section(page(sam.get("/staff/")), "messages-title")
    assert RAISED in panel
    raised = panel[panel.index(RAISED) :]
    assert f"/staff/messages/{late.id}" in raised and "Waiting since Monday" in raised
    assert f"/staff/messages/{fresh.id}" not in raised
    assert f"/staff/messages/{answered.id}" not in raised
    tess = sign_in(make_client(), agency.other_supervisor)
    assert RAISED not in page(tess.get("/staff/"))
    pat = sign_in(make_client(), agency.team)
    assert RAISED not in page(pat.get("/staff/"))

    # Once someone answers, it is neither late nor raised.
    post(sam, f"{INBOX}/{late.id}", {"body": "Sorry for the wait; Casey will call you today."})
    assert RAISED not in page(sam.get("/staff/"))
    assert LATE not in page(casey.get(INBOX))


def test_a_message_sent_late_on_friday_is_late_only_at_the_end_of_monday(
    client, agency, time_machine
):
    # Friday 18 January 2030 at 16:30 in Chicago: half a working hour on Friday, so eight
    # working hours are up on Monday at 16:30, not at any time over the weekend.
    time_machine.move_to(datetime(2030, 1, 18, 22, 30, tzinfo=UTC), tick=False)
    thread = client_thread(agency)
    time_machine.move_to(datetime(2030, 1, 21, 22, 29, tzinfo=UTC), tick=False)
    sign_in(client, agency.supervisor)

    assert LATE not in row(page(client.get(INBOX)), thread)
    assert RAISED not in page(client.get("/staff/"))

    time_machine.move_to(datetime(2030, 1, 21, 22, 31, tzinfo=UTC), tick=False)
    assert LATE in row(page(client.get(INBOX)), thread)
    assert RAISED in page(client.get("/staff/"))


# ---- Timeline ------------------------------------------------------------------------------

LINE = re.compile(r'<li><time datetime="[^"]+">[^<]*</time>\s*<a href="([^"]+)">([^<]+)</a>')


def test_the_timeline_names_each_message_and_links_to_its_conversation(client, make_client, agency):
    portal = sign_in(make_client(), agency.client_user)
    post(portal, "/client/messages/new", {"subject": SUBJECT, "body": BODY})
    [thread] = threads_of(agency.own.id)
    family = sign_in(make_client(), agency.family)
    post(
        family,
        "/family/messages/new",
        {"client_id": str(agency.own.id), "subject": FAMILY_SUBJECT, "body": FAMILY_BODY},
    )
    note = threads_of(agency.own.id)[-1]
    sign_in(client, agency.cm)
    post(client, f"{INBOX}/{thread.id}", {"body": ANSWER})

    body = page(client.get(f"/staff/clients/{agency.own.id}/timeline"))

    assert LINE.findall(body) == [
        (f"/staff/messages/{thread.id}", "Message sent to the client"),
        (f"/staff/messages/{note.id}", "Note from a family member"),
        (f"/staff/messages/{thread.id}", "Message from the client"),
    ]
    assert BODY not in body and ANSWER not in body and FAMILY_BODY not in body


# ---- Query budget --------------------------------------------------------------------------


def _many_threads(agency: Any) -> None:
    """Eleven more conversations: the client's, the family's, another client's on the caseload,
    some answered, some late."""
    second_account = make_user(Role.CLIENT, display_name="Sol Second")
    second = make_client(
        legal_name="Solomon Second", primary_case_manager=agency.cm, portal_user=second_account
    )
    add_to_care_team(second, agency.team)
    for n in range(11):
        if n % 3 == 0:
            thread = family_thread(agency)
        elif n % 3 == 1:
            thread = messages.start_thread(
                second, subject=f"Second {n}", body="x", actor=second_account, ip=None
            )
        else:
            thread = client_thread(agency, subject=f"Question {n}")
        if n % 2:
            messages.reply(
                thread, body="Answer", actor=(agency.cm, agency.team)[n % 4 // 2], ip=None
            )


@pytest.mark.parametrize("role", ["cm", "supervisor"])
def test_the_inbox_makes_as_many_queries_for_twelve_as_for_one(
    client, agency, count_queries, time_machine, role
):
    # The one conversation is a late family note, so every kind of row is drawn once.
    time_machine.move_to(THREE_WORKING_DAYS_AGO, tick=False)
    family_thread(agency)
    time_machine.move_to(NOW, tick=False)
    sign_in(client, getattr(agency, role))
    client.get(INBOX)
    with count_queries() as one:
        assert client.get(INBOX).status_code == 200

    time_machine.move_to(THREE_WORKING_DAYS_AGO, tick=False)
    _many_threads(agency)
    time_machine.move_to(NOW, tick=False)
    with count_queries() as many:
        response = client.get(INBOX)

    body = page(response)
    assert body.count('href="/staff/messages/') == 12
    assert LATE in body and "Family: Fay Family" in body and "Sol" in body
    assert many.count == one.count, "\n".join(many.statements)


def test_the_record_tab_makes_as_many_queries_for_twelve_as_for_one(client, agency, count_queries):
    client_thread(agency)
    sign_in(client, agency.cm)
    client.get(record_tab(agency.own.id))
    with count_queries() as one:
        assert client.get(record_tab(agency.own.id)).status_code == 200

    for n in range(11):
        thread = family_thread(agency) if n % 2 else client_thread(agency, subject=f"Q {n}")
        if n % 3 == 0:
            messages.reply(thread, body="Answer", actor=agency.team, ip=None)
    with count_queries() as many:
        response = client.get(record_tab(agency.own.id))

    panel = section(page(response), "threads-title")
    assert panel.count('href="/staff/messages/') == 12
    assert many.count == one.count, "\n".join(many.statements)


def test_the_inbox_records_which_clients_were_shown(client, agency):
    client_thread(agency)
    sign_in(client, agency.cm)

    client.get(INBOX)

    [event] = [e for e in events("view") if e.object_id == "messages"]
    assert (event.object_type, event.actor_id, event.detail) == (
        "client_list",
        agency.cm.id,
        str(agency.own.id),
    )
