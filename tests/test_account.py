"""The account pages: profile, email change after re-authentication, password, sign-outs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Role, User

from .factories import PASSWORD, make_user
from .helpers import csrf_token, login, text

T0 = datetime(2025, 5, 6, 15, 0, tzinfo=UTC)
NEW_PASSWORD = "a brand new passphrase for spring"


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def refreshed(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


def save_profile(client, *, display_name: str, email: str):
    token = csrf_token(client, "/account/")
    return client.post(
        "/account/", data={"display_name": display_name, "email": email, "csrf_token": token}
    )


def change_password(client, current: str, new: str, confirm: str | None = None):
    token = csrf_token(client, "/account/password")
    data = {"current": current, "password": new, "confirm": new if confirm is None else confirm}
    return client.post("/account/password", data={**data, "csrf_token": token})


# The page


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_an_account_page(client, role):
    user = make_user(role, display_name="Robin Tester", email="robin@example.org")
    login(client, user.email)
    response = client.get("/account/")
    assert response.status_code == 200
    page = text(response)
    assert 'value="Robin Tester"' in page and 'value="robin@example.org"' in page
    assert "Change your password" in page and "Sign out everywhere" in page
    assert ("Two-step sign-in" in page) == user.is_staff


@pytest.mark.parametrize(
    "path", ["/account/", "/account/password", "/account/mfa", "/account/reauth"]
)
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [path]
    htmx = client.get(path, headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login?next=")


# Name and email


def test_changing_the_display_name(client):
    user = make_user(Role.CLIENT, display_name="Old Name")
    login(client, user.email)
    response = save_profile(client, display_name="  Alex Rivera ", email=user.email)
    assert response.status_code == 303 and response.headers["Location"] == "/account/"
    page = text(client.get("/account/"))
    assert "Your details are saved." in page
    assert 'class="signed-in-as">Alex Rivera<' in page
    assert refreshed(user).display_name == "Alex Rivera"
    assert audit_events("email_change") == []


def test_an_empty_display_name_is_refused_at_the_field(client):
    user = make_user(display_name="Kept Name")
    login(client, user.email)
    response = save_profile(client, display_name="   ", email=user.email)
    assert response.status_code == 422
    assert 'id="display_name-error"' in text(response) and "Enter your name." in text(response)
    assert refreshed(user).display_name == "Kept Name"


def test_changing_the_email_right_after_sign_in_needs_no_second_password(client, make_client):
    user = make_user(Role.FAMILY, email="before@example.org")
    login(client, user.email)
    response = save_profile(client, display_name=user.display_name, email="After@Example.org")
    assert response.status_code == 303 and response.headers["Location"] == "/account/"
    assert refreshed(user).email == "after@example.org"
    assert [e.actor_id for e in audit_events("email_change")] == [user.id]


def test_changing_the_email_asks_for_the_password_when_the_session_is_older_than_five_minutes(
    client, make_client, frozen
):
    user = make_user(email="before@example.org")
    login(client, user.email)
    frozen.shift(timedelta(minutes=6))

    asked = save_profile(client, display_name=user.display_name, email="after@example.org")
    assert asked.status_code == 302
    location = urlsplit(asked.headers["Location"])
    assert location.path == "/account/reauth"
    assert parse_qs(location.query)["next"] == ["/account/"]
    assert refreshed(user).email == "before@example.org"
    assert audit_events("email_change") == []

    page = client.get(asked.headers["Location"])
    assert "To change your email, enter your password again first." in text(page)
    token = csrf_token(client, "/account/reauth")
    wrong = client.post(
        "/account/reauth",
        data={"password": "not it at all", "next": "/account/", "csrf_token": token},
    )
    assert wrong.status_code == 422 and 'id="password-error"' in text(wrong)
    confirmed = client.post(
        "/account/reauth", data={"password": PASSWORD, "next": "/account/", "csrf_token": token}
    )
    assert confirmed.status_code == 303 and confirmed.headers["Location"] == "/account/"
    # Nothing typed before the password prompt is lost: the form comes back filled in.
    back = text(client.get("/account/"))
    assert 'value="after@example.org"' in back
    assert "Check your changes and save them again." in back

    saved = save_profile(client, display_name=user.display_name, email="after@example.org")
    assert saved.status_code == 303
    assert refreshed(user).email == "after@example.org"
    events = audit_events("email_change")
    assert len(events) == 1 and events[0].actor_id == user.id

    assert login(make_client(), "after@example.org").status_code == 303
    assert login(make_client(), "before@example.org").status_code == 422


def test_an_email_another_account_uses_is_refused_whatever_its_case(client):
    make_user(Role.CLIENT, email="Taken@Example.org")
    user = make_user(Role.CLIENT, email="mine@example.org", display_name="Kept Name")
    login(client, user.email)
    response = save_profile(client, display_name="New Name", email="TAKEN@example.ORG")
    assert response.status_code == 422
    page = text(response)
    assert 'id="email-error"' in page and "Another account uses this email." in page
    user = refreshed(user)
    assert user.email == "mine@example.org" and user.display_name == "Kept Name"
    assert audit_events("email_change") == []


def test_an_email_that_is_not_an_address_is_refused_at_the_field(client):
    user = make_user(Role.CLIENT, email="mine@example.org")
    login(client, user.email)
    response = save_profile(client, display_name=user.display_name, email="not an address")
    assert response.status_code == 422
    assert 'id="email-error"' in text(response)
    assert refreshed(user).email == "mine@example.org"


# Password


def test_changing_the_password_needs_the_current_one(client):
    user = make_user()
    login(client, user.email)
    response = change_password(client, "this is not it", NEW_PASSWORD)
    assert response.status_code == 422
    page = text(response)
    assert 'id="current-error"' in page and "That is not your current password." in page
    assert refreshed(user).password_changed_at is None
    assert audit_events("password_change") == []


def test_a_weak_new_password_is_refused_at_the_field(client):
    user = make_user()
    login(client, user.email)
    short = change_password(client, PASSWORD, "short")
    assert short.status_code == 422
    assert 'id="password-error"' in text(short) and "Use at least 12 characters" in text(short)
    same_as_email = change_password(client, PASSWORD, user.email)
    assert same_as_email.status_code == 422
    assert "Do not use your email address as your password." in text(same_as_email)
    mismatch = change_password(client, PASSWORD, NEW_PASSWORD, "a different passphrase")
    assert mismatch.status_code == 422 and 'id="confirm-error"' in text(mismatch)
    assert refreshed(user).password_changed_at is None


def test_a_new_password_replaces_the_old_one_and_ends_other_sessions(client, make_client):
    user = make_user()
    elsewhere = make_client()
    login(elsewhere, user.email)
    login(client, user.email)

    response = change_password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/account/"
    page = client.get("/account/")
    assert page.status_code == 200  # this browser stays signed in
    assert "You were signed out everywhere else." in text(page)
    assert elsewhere.get("/staff/").status_code == 302
    assert [e.actor_id for e in audit_events("password_change")] == [user.id]

    assert login(make_client(), user.email, PASSWORD).status_code == 422
    assert login(make_client(), user.email, NEW_PASSWORD).headers["Location"] == "/staff/"


# Sign out everywhere


def test_sign_out_everywhere_needs_a_post_with_the_csrf_token(client, make_client):
    user = make_user(Role.CLIENT)
    other = make_client()
    login(other, user.email)
    login(client, user.email)

    assert client.get("/account/sign-out-everywhere").status_code == 405
    refused = client.post("/account/sign-out-everywhere")
    assert refused.status_code == 400
    assert client.get("/client/").status_code == 200
    assert other.get("/client/").status_code == 200

    done = client.post(
        "/account/sign-out-everywhere", data={"csrf_token": csrf_token(client, "/account/")}
    )
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    assert "You are signed out everywhere (2 sessions ended)." in text(client.get("/login"))
    assert client.get("/client/").status_code == 302
    assert other.get("/client/").status_code == 302
    assert audit_events("session_end")[-1].detail == "everywhere: 2 session(s)"
