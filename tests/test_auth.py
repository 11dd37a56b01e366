"""Signing in and out through the real form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, Role

from .factories import PASSWORD, make_user
from .helpers import csrf_token, login, text

HOMES = {
    Role.ADMIN: "/staff/",
    Role.SUPERVISOR: "/staff/",
    Role.CASE_MANAGER: "/staff/",
    Role.CARE_TEAM: "/staff/",
    Role.CLIENT: "/client/",
    Role.FAMILY: "/family/",
}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_and_lands_on_its_home(client, role):
    user = make_user(role, display_name="Robin Tester")
    response = login(client, user.email)
    assert response.status_code == 303
    assert response.headers["Location"] == HOMES[role]
    home = client.get(HOMES[role])
    assert home.status_code == 200
    assert "Hello, Robin Tester" in text(home)
    assert client.get("/").headers["Location"] == HOMES[role]


def test_email_is_matched_whatever_its_case(client):
    make_user(Role.CLIENT, email="Mixed.Case@Example.org")
    response = login(client, "  MIXED.case@example.ORG ")
    assert response.headers["Location"] == "/client/"


def test_wrong_password_and_unknown_email_get_the_same_answer(client, make_client):
    user = make_user()
    wrong = login(client, user.email, "not the password at all")
    unknown = login(make_client(), "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 422
    assert text(wrong) == text(unknown).replace(
        'value="nobody@example.org"', f'value="{user.email}"'
    ).replace(csrf_of(unknown), csrf_of(wrong))
    assert "The email or password is not right" in text(wrong)
    assert client.get("/staff/").status_code == 302


def csrf_of(response):
    import re

    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text(response)).group(1)


def test_rejected_sign_in_keeps_the_email_and_clears_the_password(client):
    response = login(client, "someone@example.org", "wrong password here")
    page = text(response)
    assert 'value="someone@example.org"' in page
    assert "wrong password here" not in page


def test_empty_fields_get_messages_at_the_fields(client):
    response = client.post(
        "/login", data={"email": "", "password": "", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 422
    page = text(response)
    assert 'id="email-error"' in page and "Enter your email address." in page
    assert 'aria-describedby="email-error"' in page
    assert "Enter your password." in page


def test_inactive_account_cannot_sign_in(client):
    user = make_user(active=False)
    response = login(client, user.email)
    assert response.status_code == 422
    assert "The email or password is not right" in text(response)


def test_sign_in_and_failures_are_audited(client, app):
    user = make_user()
    login(client, user.email, "a wrong password")
    login(client, "ghost@example.org", "a wrong password")
    login(client, user.email)
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.outcome) for e in events] == [
        ("login_failed", "failure"),
        ("login_failed", "failure"),
        ("login", "success"),
    ]
    assert events[0].object_id == str(user.id)
    assert events[1].object_id is None
    assert events[2].actor_id == user.id
    assert events[2].ip == "127.0.0.1"
    assert all(PASSWORD not in (e.detail or "") for e in events)


def test_session_is_renewed_at_sign_in(client):
    user = make_user()
    client.get("/login")
    client.set_cookie("waypoint_session", "planted-by-an-attacker")
    login(client, user.email)
    cookie = client.get_cookie("waypoint_session")
    assert cookie is not None and cookie.value != "planted-by-an-attacker"
    # The token handed out before sign-in belongs to the old session and no longer works.
    before = csrf_token(client.application.test_client())
    response = client.post("/language", data={"locale": "es", "csrf_token": before})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example.com/",
        "//evil.example.com/",
        "/\\evil.example.com",
        "http:/evil.example.com",
        "javascript:alert(1)",
        "staff/",
    ],
)
def test_next_only_accepts_local_paths(client, target):
    user = make_user()
    response = login(client, user.email, next=target)
    assert response.headers["Location"] == "/staff/"


def test_next_takes_a_local_path(client):
    user = make_user(Role.CLIENT)
    response = client.get("/client/?tab=1")
    assert response.status_code == 302
    assert (
        "next=/client/?tab%3D1" in response.headers["Location"]
        or "next=" in response.headers["Location"]
    )
    response = login(client, user.email, next="/client/?tab=1")
    assert response.headers["Location"] == "/client/?tab=1"


def test_signed_in_user_visiting_login_goes_home(client):
    user = make_user(Role.FAMILY)
    login(client, user.email)
    assert client.get("/login").headers["Location"] == "/family/"


def test_sign_out_needs_a_post_and_ends_the_session(client):
    user = make_user()
    login(client, user.email)
    confirm = client.get("/logout")
    assert confirm.status_code == 200 and "Sign out?" in text(confirm)
    assert client.get("/staff/").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert response.status_code == 303
    assert client.get("/staff/").status_code == 302
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-1] == "logout"


def test_anonymous_htmx_request_gets_401_with_hx_redirect(client):
    response = client.get("/staff/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=/staff/")
