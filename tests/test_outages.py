"""When a service the app leans on is down, people can still sign in and nothing is revealed."""

from __future__ import annotations

import pytest

from portal.models import Role

from .factories import make_user
from .helpers import csrf_token, login, text


@pytest.fixture
def app_config():
    # Nothing listens on port 1: every SMTP connection is refused.
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": 1, "MAIL_BACKEND": "smtp"}


def test_reset_page_is_the_same_when_mail_is_down(client, make_client):
    user = make_user(Role.CLIENT)
    known = client.post(
        "/reset", data={"email": user.email, "csrf_token": csrf_token(client, "/reset")}
    )
    other = make_client()
    unknown = other.post(
        "/reset", data={"email": "nobody@example.org", "csrf_token": csrf_token(other, "/reset")}
    )
    assert known.status_code == unknown.status_code == 200
    assert "Check your email" in text(known)
    strip = lambda page: page.replace(csrf_of(page), "")  # noqa: E731
    assert strip(text(known)) == strip(text(unknown))


def csrf_of(page: str) -> str:
    import re

    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    return match.group(1) if match else ""


@pytest.mark.parametrize(
    "app_config",
    [
        {
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",
            "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.2},
        }
    ],
)
def test_sign_in_works_when_the_rate_limit_store_is_down(client):
    user = make_user(Role.CASE_MANAGER)
    response = login(client, user.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/"
