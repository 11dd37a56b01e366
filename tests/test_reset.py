"""Password reset and emailed sign-in links, delivered to a real local SMTP server."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from urllib.parse import urlsplit

import pytest
import time_machine
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Role, User
from portal.services import tokens

from .factories import PASSWORD, make_user
from .helpers import csrf_token, login, text

T0 = datetime(2025, 5, 6, 15, 0, tzinfo=UTC)
NEW_PASSWORD = "a brand new passphrase for spring"
RESET_SUBJECT = "Reset your Waypoint password"
LINK_SUBJECT = "Your Waypoint sign-in link"
GONE = "This link no longer works"
HOMES = {Role.CLIENT: "/client/", Role.FAMILY: "/family/"}


@pytest.fixture
def app_config(mail_sink):
    return {"MAIL_SERVER": mail_sink.host, "MAIL_PORT": mail_sink.port, "MAIL_BACKEND": "smtp"}


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def subject_of(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body_of(message: Message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def link_path(message: Message, prefix: str) -> str:
    """The path of the link in the email, e.g. ``/reset/<token>``."""
    match = re.search(r"https?://\S+", body_of(message))
    assert match, "no link in the email"
    path = urlsplit(match.group(0)).path
    assert re.fullmatch(rf"{re.escape(prefix)}/[A-Za-z0-9_-]{{20,}}", path), path
    return path


def without_csrf(page: str) -> str:
    page = re.sub(r'(name="csrf_token" (?:type="hidden" )?value=")[^"]+"', r'\1…"', page)
    return re.sub(r'("X-CSRFToken": ")[^"]+"', r'\1…"', page)


def ask(client, path: str, email: str):
    return client.post(path, data={"email": email, "csrf_token": csrf_token(client, path)})


def choose_password(client, path: str, password: str, confirm: str | None = None):
    token = csrf_token(client, path)
    data = {"password": password, "confirm": password if confirm is None else confirm}
    return client.post(path, data={**data, "csrf_token": token})


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def spanish(message: str) -> str:
    with force_locale("es"):
        return str(_(message))


# Password reset: asking for the link


def test_reset_request_emails_one_link_to_an_existing_account(client, mail_sink):
    user = make_user(Role.CASE_MANAGER, email="robin@example.org")
    response = ask(client, "/reset", "  Robin@Example.org ")
    assert response.status_code == 200
    assert "Check your email" in text(response)

    assert len(mail_sink.messages) == 1
    message = mail_sink.messages[0]
    assert message["To"] == "robin@example.org"
    assert subject_of(message) == RESET_SUBJECT
    assert "30 minutes" in body_of(message)
    link_path(message, "/reset")
    events = audit_events("password_reset_request")
    assert len(events) == 1 and events[0].object_id == str(user.id) and events[0].detail is None
    assert PASSWORD not in body_of(message)


def test_reset_email_subject_is_in_the_users_saved_language(client, mail_sink):
    make_user(Role.CLIENT, email="sofia@example.org", locale="es")
    ask(client, "/reset", "sofia@example.org")  # asked from an English browser
    subject = subject_of(mail_sink.messages[0])
    assert subject == spanish(RESET_SUBJECT)
    assert subject != RESET_SUBJECT


def test_reset_email_text_is_in_the_users_saved_language(client, mail_sink):
    user = make_user(Role.CLIENT, email="sofia@example.org", locale="es")
    ask(client, "/reset", user.email)
    body = body_of(mail_sink.messages[0])
    link_path(mail_sink.messages[0], "/reset")
    with force_locale("es"):
        greeting = str(_("Hello %(name)s,", name=user.display_name))
    assert body.splitlines()[0] == greeting != f"Hello {user.display_name},"
    assert "Someone asked to reset the password" not in body


@pytest.mark.parametrize("who", ["unknown", "inactive"])
def test_no_account_gets_the_same_page_and_no_email(client, make_client, mail_sink, who):
    make_user(email="real@example.org")
    if who == "inactive":
        make_user(email="gone@example.org", active=False)
    known = ask(client, "/reset", "real@example.org")
    address = "nobody@example.org" if who == "unknown" else "gone@example.org"
    other = ask(make_client(), "/reset", address)
    assert known.status_code == other.status_code == 200
    assert without_csrf(text(other)) == without_csrf(text(known))
    assert [m["To"] for m in mail_sink.messages] == ["real@example.org"]
    events = audit_events("password_reset_request")
    assert events[-1].detail == "no active account"


# Password reset: using the link


def test_the_link_shows_the_form(client, make_client, mail_sink):
    user = make_user()
    ask(client, "/reset", user.email)
    path = link_path(mail_sink.messages[0], "/reset")
    page = make_client().get(path)
    assert page.status_code == 200
    assert "Choose a new password" in text(page)
    assert 'name="password"' in text(page) and 'name="confirm"' in text(page)


def test_a_bad_new_password_is_refused_at_the_field_and_the_link_keeps_working(
    client, make_client, mail_sink
):
    user = make_user()
    ask(client, "/reset", user.email)
    path = link_path(mail_sink.messages[0], "/reset")
    browser = make_client()

    short = choose_password(browser, path, "too short")
    assert short.status_code == 422
    assert 'id="password-error"' in text(short) and "Use at least 12 characters" in text(short)
    common = choose_password(browser, path, "qwerty123456")
    assert common.status_code == 422 and "too common" in text(common)
    mismatch = choose_password(browser, path, NEW_PASSWORD, "something else entirely")
    assert mismatch.status_code == 422
    assert 'id="confirm-error"' in text(mismatch)
    assert "The two passwords are not the same." in text(mismatch)

    assert browser.get(path).status_code == 200
    assert audit_events("password_reset") == []
    assert login(make_client(), user.email).status_code == 303  # the old password still works


def test_a_good_new_password_replaces_the_old_one_and_signs_out_everywhere(
    client, make_client, mail_sink
):
    user = make_user()
    signed_in = make_client()
    login(signed_in, user.email)
    assert signed_in.get("/staff/").status_code == 200

    ask(client, "/reset", user.email)
    path = link_path(mail_sink.messages[0], "/reset")
    done = choose_password(client, path, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    assert "Your password has been changed." in text(client.get("/login"))

    assert signed_in.get("/staff/").status_code == 302
    assert login(make_client(), user.email, PASSWORD).status_code == 422
    assert login(make_client(), user.email, NEW_PASSWORD).headers["Location"] == "/staff/"
    events = audit_events("password_reset")
    assert len(events) == 1 and events[0].actor_id == user.id

    again = make_client().get(path)
    assert again.status_code == 410 and GONE in text(again)
    reuse = choose_password(make_client(), path, "yet another passphrase here")
    assert reuse.status_code == 410
    assert login(make_client(), user.email, NEW_PASSWORD).status_code == 303


def test_a_reset_lifts_a_lock_out(client, make_client, mail_sink):
    user = make_user()
    for _attempt in range(5):
        login(client, user.email, "a wrong password")
    assert "Too many attempts" in text(login(make_client(), user.email))

    ask(client, "/reset", user.email)
    choose_password(client, link_path(mail_sink.messages[0], "/reset"), NEW_PASSWORD)
    assert login(make_client(), user.email, NEW_PASSWORD).status_code == 303


def test_the_link_expires_after_thirty_minutes(client, make_client, mail_sink, frozen):
    user = make_user()
    ask(client, "/reset", user.email)
    path = link_path(mail_sink.messages[0], "/reset")
    frozen.shift(timedelta(minutes=29))
    assert make_client().get(path).status_code == 200
    frozen.shift(timedelta(minutes=2))
    expired = make_client().get(path)
    assert expired.status_code == 410 and GONE in text(expired)
    assert choose_password(make_client(), path, NEW_PASSWORD).status_code == 410
    assert db.session.get(User, user.id).password_changed_at is None


def test_a_second_link_makes_the_first_stop_working(client, make_client, mail_sink):
    user = make_user()
    ask(client, "/reset", user.email)
    ask(client, "/reset", user.email)
    assert len(mail_sink.messages) == 2
    first = link_path(mail_sink.messages[0], "/reset")
    second = link_path(mail_sink.messages[1], "/reset")
    assert first != second
    assert make_client().get(first).status_code == 410
    assert make_client().get(second).status_code == 200
    assert len(audit_events("password_reset_request")) == 2


# Sign-in links


@pytest.mark.parametrize("role", [Role.CLIENT, Role.FAMILY])
def test_sign_in_link_is_emailed_and_signs_in_only_when_confirmed(
    client, make_client, mail_sink, role
):
    user = make_user(role, display_name="Alex Rivera")
    response = ask(client, "/login/link", user.email.upper())
    assert response.status_code == 200 and "Check your email" in text(response)
    assert len(mail_sink.messages) == 1
    message = mail_sink.messages[0]
    assert message["To"] == user.email and subject_of(message) == LINK_SUBJECT
    assert "15 minutes" in body_of(message)
    path = link_path(message, "/login/link")

    # A mail scanner opens the link: it sees a button, nobody is signed in, the link survives.
    scanner = make_client()
    for _visit in range(2):
        page = scanner.get(path)
        assert page.status_code == 200 and "Sign in as Alex Rivera?" in text(page)
    assert scanner.get(HOMES[role]).status_code == 302
    assert audit_events("login") == []

    browser = make_client()
    page = browser.get(path)
    assert browser.get(HOMES[role]).status_code == 302
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', text(page))
    signed_in = browser.post(path, data={"csrf_token": token.group(1)})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == HOMES[role]
    assert browser.get(HOMES[role]).status_code == 200
    logins = audit_events("login")
    assert len(logins) == 1 and logins[0].actor_id == user.id
    assert logins[0].detail == "email_link"
    assert audit_events("sign_in_link_request")[0].object_id == str(user.id)

    # Single use.
    used = make_client().get(path)
    assert used.status_code == 410 and GONE in text(used)
    other = make_client()
    replay = other.post(path, data={"csrf_token": csrf_token(other)})
    assert replay.status_code == 410
    assert other.get(HOMES[role]).status_code == 302


def test_pressing_the_button_without_the_csrf_token_does_not_sign_in(
    client, make_client, mail_sink
):
    user = make_user(Role.CLIENT)
    ask(client, "/login/link", user.email)
    path = link_path(mail_sink.messages[0], "/login/link")
    browser = make_client()
    browser.get(path)
    assert browser.post(path).status_code == 400
    assert browser.get("/client/").status_code == 302
    assert browser.get(path).status_code == 200  # still usable


def test_sign_in_link_expires_after_fifteen_minutes(client, make_client, mail_sink, frozen):
    user = make_user(Role.CLIENT)
    ask(client, "/login/link", user.email)
    path = link_path(mail_sink.messages[0], "/login/link")
    frozen.shift(timedelta(minutes=14))
    assert make_client().get(path).status_code == 200
    frozen.shift(timedelta(minutes=2))
    browser = make_client()
    expired = browser.get(path)
    assert expired.status_code == 410 and GONE in text(expired)
    assert browser.post(path, data={"csrf_token": csrf_token(browser)}).status_code == 410
    assert browser.get("/client/").status_code == 302


def test_a_new_sign_in_link_makes_the_earlier_one_stop_working(client, make_client, mail_sink):
    user = make_user(Role.FAMILY)
    ask(client, "/login/link", user.email)
    ask(client, "/login/link", user.email)
    first = link_path(mail_sink.messages[0], "/login/link")
    second = link_path(mail_sink.messages[1], "/login/link")
    assert make_client().get(first).status_code == 410
    assert make_client().get(second).status_code == 200


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER, Role.CARE_TEAM])
def test_staff_get_no_sign_in_link_but_the_same_page(client, make_client, mail_sink, role):
    person = make_user(Role.CLIENT)
    staff = make_user(role)
    for_client = ask(client, "/login/link", person.email)
    for_staff = ask(make_client(), "/login/link", staff.email)
    for_nobody = ask(make_client(), "/login/link", "nobody@example.org")
    assert for_client.status_code == for_staff.status_code == for_nobody.status_code == 200
    assert without_csrf(text(for_staff)) == without_csrf(text(for_client))
    assert without_csrf(text(for_nobody)) == without_csrf(text(for_client))
    assert [m["To"] for m in mail_sink.messages] == [person.email]
    assert audit_events("sign_in_link_request")[1].detail == "not eligible"


def test_a_sign_in_link_cannot_be_used_by_staff(client, make_client):
    """Even a token that exists for a staff account (issued by mistake) does not sign in."""
    staff = make_user(Role.CASE_MANAGER)
    raw = tokens.issue(staff, "sign_in", minutes=15)
    browser = make_client()
    assert browser.get(f"/login/link/{raw}").status_code == 410
    response = browser.post(f"/login/link/{raw}", data={"csrf_token": csrf_token(browser)})
    assert response.status_code == 410
    assert browser.get("/staff/").status_code == 302


def test_sign_in_link_email_is_in_the_users_saved_language(client, mail_sink):
    make_user(Role.CLIENT, email="sofia@example.org", locale="es")
    ask(client, "/login/link", "sofia@example.org")
    subject = subject_of(mail_sink.messages[0])
    assert subject == spanish(LINK_SUBJECT)
    assert subject != LINK_SUBJECT


@pytest.mark.parametrize("app_config", [{"SIGN_IN_LINKS_ENABLED": False}])
def test_sign_in_links_can_be_turned_off(client, make_client, app_config):
    user = make_user(Role.CLIENT)
    raw = tokens.issue(user, "sign_in", minutes=15)
    login_page = text(client.get("/login"))
    assert "/login/link" not in login_page
    assert "email me a sign-in link" not in login_page
    assert client.get("/login/link").status_code == 404
    token = csrf_token(client)
    asked = client.post("/login/link", data={"email": user.email, "csrf_token": token})
    assert asked.status_code == 404
    assert client.get(f"/login/link/{raw}").status_code == 404
    assert client.post(f"/login/link/{raw}", data={"csrf_token": token}).status_code == 404
    assert client.get("/client/").status_code == 302
    assert audit_events("sign_in_link_request") == []
