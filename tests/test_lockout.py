"""Lock-out after repeated failures, rate limits on sign-in and email requests, password rules."""

from __future__ import annotations

import gc
import os
import re
from datetime import UTC, datetime, timedelta

import argon2
import pytest
import time_machine
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import AuditEvent, Role, User, utcnow
from portal.services import mfa, tokens

from .factories import PASSWORD, make_user
from .helpers import csrf_token, login, text

START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
WRONG = "The email or password is not right. Please try again."
LOCKED = (
    "Too many attempts. For your safety, sign-in with this email is paused for 15 minutes. "
    "You can reset your password in the meantime."
)
REDIS_URL = "redis://127.0.0.1:6379/15"
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def attempt(make_client, email, password, ip="127.0.0.1"):
    """One sign-in from a browser with no cookies yet, from the given address."""
    browser = make_client()
    browser.environ_base["REMOTE_ADDR"] = ip
    return login(browser, email, password)


def audit(action):
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


def fail(make_client, email, times, *, ip="127.0.0.1"):
    """Wrong passwords, each from a new browser; returns the pages they got."""
    return [attempt(make_client, email, f"wrong guess number {n}", ip) for n in range(times)]


# ---- Lock-out --------------------------------------------------------------------------


def test_five_failures_lock_the_account_with_a_clear_message(make_client):
    user = make_user()
    pages = fail(make_client, user.email, 4)
    assert [page.status_code for page in pages] == [422] * 4
    assert all(WRONG in text(page) and LOCKED not in text(page) for page in pages)

    fifth = attempt(make_client, user.email, "wrong guess number 5")
    assert fifth.status_code == 422
    assert LOCKED in text(fifth)

    browser = make_client()
    refused = login(browser, user.email, PASSWORD)
    assert refused.status_code == 422
    assert LOCKED in text(refused)
    assert browser.get("/staff/").status_code == 302
    [locked] = audit("account_locked")
    assert locked.object_id == str(user.id)
    assert locked.outcome == "denied"
    assert locked.detail == "5 failures; 15 minutes"
    assert audit("login") == []


def test_locked_page_does_not_reveal_whether_the_email_exists(make_client):
    user = make_user()
    fail(make_client, user.email, 5, ip="10.0.0.1")
    fail(make_client, "nobody@example.org", 5, ip="10.0.0.2")

    known = attempt(make_client, user.email, PASSWORD, ip="10.0.0.3")
    unknown = attempt(make_client, "nobody@example.org", PASSWORD, ip="10.0.0.3")
    assert known.status_code == unknown.status_code == 422
    assert LOCKED in text(known)

    def normalized(response, email):
        page = text(response).replace(f'value="{email}"', 'value="EMAIL"')
        return page.replace(_CSRF.search(page).group(1), "TOKEN")

    assert normalized(known, user.email) == normalized(unknown, "nobody@example.org")
    [locked_known, locked_unknown] = audit("account_locked")
    assert locked_known.object_id == str(user.id)
    assert locked_unknown.object_id is None


def test_lock_holds_for_fresh_browsers_from_other_addresses(make_client):
    user = make_user()
    for n in range(5):
        attempt(make_client, user.email, f"wrong guess number {n}", ip=f"10.1.2.{n + 1}")

    refused = attempt(make_client, user.email, PASSWORD, ip="10.9.9.9")
    assert refused.status_code == 422
    assert LOCKED in text(refused)
    failures = audit("login_failed")
    assert [event.ip for event in failures] == [
        "10.1.2.1",
        "10.1.2.2",
        "10.1.2.3",
        "10.1.2.4",
        "10.1.2.5",
        "10.9.9.9",
    ]
    assert failures[-1].detail == "locked"


def test_lock_lifts_after_fifteen_minutes(make_client):
    user = make_user()
    with time_machine.travel(START, tick=False) as traveller:
        fail(make_client, user.email, 5)
        traveller.shift(timedelta(minutes=14, seconds=59))
        refused = attempt(make_client, user.email, PASSWORD)
        assert LOCKED in text(refused)
        traveller.shift(timedelta(seconds=1))
        response = attempt(make_client, user.email, PASSWORD)
        assert response.status_code == 303
        assert response.headers["Location"] == "/staff/"
    assert len(audit("account_locked")) == 1
    assert audit("login")[-1].actor_id == user.id


def test_unlock_command_lifts_the_lock_at_once(app, make_client):
    user = make_user(email="locked.out@example.org")
    fail(make_client, user.email, 5)
    assert LOCKED in text(attempt(make_client, user.email, PASSWORD))

    result = app.test_cli_runner().invoke(args=["unlock", "Locked.Out@example.org"])
    assert result.exit_code == 0, result.output
    assert "unlocked" in result.output

    response = attempt(make_client, user.email, PASSWORD)
    assert response.status_code == 303
    [unlocked] = audit("account_unlocked")
    assert unlocked.object_id == str(user.id)
    assert unlocked.actor_id is None
    assert unlocked.detail == "was locked"


def test_unlock_command_on_an_account_that_is_not_locked(app):
    user = make_user()
    result = app.test_cli_runner().invoke(args=["unlock", user.email])
    assert result.exit_code == 0
    assert "was not locked" in result.output
    assert audit("account_unlocked")[0].detail == "was not locked"


def test_a_successful_sign_in_resets_the_counter(make_client):
    user = make_user()
    fail(make_client, user.email, 4, ip="10.0.0.1")
    assert attempt(make_client, user.email, PASSWORD, ip="10.0.0.2").status_code == 303
    pages = fail(make_client, user.email, 4, ip="10.0.0.3")
    assert all(LOCKED not in text(page) for page in pages)
    assert attempt(make_client, user.email, PASSWORD, ip="10.0.0.4").status_code == 303
    assert audit("account_locked") == []


# ---- Rate limits -----------------------------------------------------------------------


def burst(browser, times, *, path="/login", data=None):
    """POSTs from one browser (one address), each with a valid token; returns the responses."""
    responses = []
    for n in range(times):
        form = data or {"email": f"guess{n}@example.org", "password": "a wrong password"}
        form = {**form, "csrf_token": csrf_token(browser, path)}
        responses.append(browser.post(path, data=form))
    return responses


def assert_too_many(response):
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    page = text(response)
    assert page.startswith("<!doctype html>") and "</html>" in page
    assert 'class="site-header"' in page  # inside the layout, not a bare error
    assert "Too many tries" in page
    assert "Please wait a minute and try again." in page


def test_a_burst_of_sign_ins_from_one_address_gets_429(client):
    user = make_user()
    responses = burst(client, 10)
    assert [r.status_code for r in responses] == [422] * 10
    assert_too_many(burst(client, 1)[0])
    # Even the right password waits: the limit is not a hint about the guesses.
    response = login(client, user.email)
    assert_too_many(response)
    assert client.get("/staff/").status_code == 302


def test_sign_in_page_gets_are_not_limited(client):
    burst(client, 11)
    for _ in range(30):
        assert client.get("/login").status_code == 200


def test_another_address_is_not_affected(client, make_client):
    user = make_user()
    burst(client, 11)
    other = make_client()
    other.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    response = login(other, user.email)
    assert response.status_code == 303


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": False}])
def test_limits_can_be_switched_off(client):
    gc.collect()  # a server that runs for a while collects its garbage
    assert client.get("/login").status_code == 200
    responses = burst(client, 15)
    assert [r.status_code for r in responses] == [422] * 15


@pytest.mark.parametrize("path", ["/reset", "/login/link"])
def test_email_requests_are_limited(client, path):
    responses = burst(client, 5, path=path, data={"email": "nobody@example.org"})
    assert [r.status_code for r in responses] == [200] * 5
    assert "nobody@example.org" not in "".join(text(r) for r in responses)
    assert_too_many(burst(client, 1, path=path, data={"email": "nobody@example.org"})[0])
    assert client.get(path).status_code == 200


def test_two_step_codes_are_limited_like_sign_in(client):
    user = make_user(totp_secret=mfa.new_secret(), mfa_enabled_at=utcnow())
    response = login(client, user.email)
    assert response.headers["Location"] == "/mfa"
    responses = burst(client, 11, path="/mfa", data={"code": "not-a-code"})
    assert responses[0].status_code == 422
    assert_too_many(responses[-1])


@pytest.fixture
def redis_store():
    """Database 15 of the local Redis, emptied before and after; skipped only outside CI."""
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.exceptions.ConnectionError as error:
        store.close()
        if os.environ.get("WAYPOINT_REQUIRE_REDIS") == "1":
            pytest.fail(
                f"WAYPOINT_REQUIRE_REDIS=1 but Redis at {REDIS_URL} is unreachable: {error}"
            )
        pytest.skip(f"Redis at {REDIS_URL} is unreachable (run redis-server; CI requires it)")
    store.flushdb()
    yield store
    store.flushdb()
    store.close()


@pytest.mark.parametrize("app_config", [{"RATELIMIT_STORAGE_URI": REDIS_URL}])
def test_two_workers_share_the_count_in_redis(redis_store, app, app_config, database_url):
    worker_two = create_app({"SQLALCHEMY_DATABASE_URI": database_url, **app_config})
    worker_two.instance_path = app.instance_path
    worker_two.test_client_class = app.test_client_class
    try:
        one, two = app.test_client(), worker_two.test_client()
        statuses = [r.status_code for r in burst(one, 5) + burst(two, 5)]
        assert statuses == [422] * 10
        assert redis_store.keys("*"), "the count should live in Redis"
        assert_too_many(burst(one, 1)[0])
        assert_too_many(burst(two, 1)[0])
        redis_store.flushdb()
        assert burst(two, 1)[0].status_code == 422  # nothing was counted in the process
    finally:
        with worker_two.app_context():
            db.session.remove()
            db.engine.dispose()


# ---- Password rules --------------------------------------------------------------------


def long_passphrase(length):
    words = ["maple", "river", "lantern", "quiet", "orbit", "tundra", "velvet", "harbor", "ember"]
    phrase = " ".join(f"{words[n % len(words)]}{n}" for n in range(length))
    return phrase[:length]


def change_password(make_client, user, new_password):
    """Through /account/password, signed in, with the current password."""
    browser = make_client()
    login(browser, user.email)
    return browser.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": new_password,
            "confirm": new_password,
            "csrf_token": csrf_token(browser, "/account/password"),
        },
    )


def reset_password(make_client, user, new_password):
    """Through an emailed reset link."""
    raw = tokens.issue(user, "reset", minutes=30)
    browser = make_client()
    path = f"/reset/{raw}"
    return browser.post(
        path,
        data={
            "password": new_password,
            "confirm": new_password,
            "csrf_token": csrf_token(browser, path),
        },
    )


CHANGES = {"change": change_password, "reset": reset_password}
SUCCESS = {"change": "/account/", "reset": "/login"}


def field_error(response, field="password"):
    match = re.search(rf'<p class="field__error" id="{field}-error">([^<]*)</p>', text(response))
    return match.group(1) if match else None


@pytest.mark.parametrize("page", list(CHANGES))
@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("seven77", "Use at least 12 characters."),
        ("qwerty123456", "This password is too common and easy to guess. Choose another."),
        ("QWERTY123456", "This password is too common and easy to guess. Choose another."),
    ],
)
def test_weak_passwords_are_refused_at_the_field(make_client, page, new_password, message):
    user = make_user()
    response = CHANGES[page](make_client, user, new_password)
    assert response.status_code == 422
    error = field_error(response)
    assert error is not None and message in error
    assert 'aria-describedby="password-hint password-error"' in text(response)
    assert attempt(make_client, user.email, new_password).status_code == 422
    assert attempt(make_client, user.email, PASSWORD).status_code == 303


@pytest.mark.parametrize("page", list(CHANGES))
def test_a_64_character_passphrase_is_accepted(make_client, page):
    user = make_user()
    passphrase = long_passphrase(64)
    assert len(passphrase) == 64
    response = CHANGES[page](make_client, user, passphrase)
    assert response.status_code == 303
    assert response.headers["Location"] == SUCCESS[page]
    assert attempt(make_client, user.email, passphrase).status_code == 303
    assert attempt(make_client, user.email, PASSWORD).status_code == 422


@pytest.mark.parametrize("page", list(CHANGES))
def test_a_200_character_passphrase_counts_in_full(make_client, page):
    user = make_user()
    passphrase = long_passphrase(200)
    assert len(passphrase) == 200
    assert CHANGES[page](make_client, user, passphrase).status_code == 303
    stored = db.session.get(User, user.id).password_hash
    assert stored.startswith("$argon2id$")
    assert attempt(make_client, user.email, passphrase).status_code == 303
    # bcrypt would have stopped reading at 72 bytes; argon2 reads the whole passphrase.
    assert attempt(make_client, user.email, passphrase[:72]).status_code == 422
    assert attempt(make_client, user.email, passphrase[:199]).status_code == 422


def test_a_weaker_hash_is_upgraded_at_the_next_sign_in(client):
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user = make_user(Role.CLIENT, password_hash=weak)
    response = login(client, user.email)
    assert response.status_code == 303
    stored = db.session.get(User, user.id).password_hash
    assert stored != weak
    assert stored.startswith("$argon2id$")
    assert not argon2.PasswordHasher().check_needs_rehash(stored)
    assert argon2.PasswordHasher().verify(stored, PASSWORD)


def test_a_wrong_password_does_not_rehash(client):
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    user = make_user(password_hash=weak)
    assert login(client, user.email, "not the password").status_code == 422
    assert db.session.get(User, user.id).password_hash == weak
