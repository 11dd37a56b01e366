"""Staff two-step sign-in: enrolment, the second step, recovery codes, lock-out, reset.

Time is frozen (the app's clock is ``datetime.now(UTC)``) and codes are computed
with pyotp for that moment, so every test is deterministic: each 30-second step
is accepted once per user, and enrolment uses up the step of its code.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
import time_machine
from sqlalchemy import select

from portal.extensions import db
from portal.models import STAFF_ROLES, AuditEvent, RecoveryCode, Role, User

from .factories import PASSWORD, make_user
from .helpers import csrf_token, login, text

# On a whole minute, so also on a 30-second step boundary.
T0 = datetime(2025, 5, 6, 15, 0, tzinfo=UTC)
STEP = timedelta(seconds=30)

SECRET = re.compile(r'<code[^>]*id="mfa-secret"[^>]*>([A-Z2-7]+)</code>')
CODE_LIST = re.compile(r'<ul[^>]*id="recovery-codes"[^>]*>(.*?)</ul>', re.S)
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def now() -> datetime:
    return datetime.now(UTC)


def code_at(secret: str, when: datetime) -> str:
    return str(pyotp.TOTP(secret).at(when))


def wrong_code(secret: str, when: datetime) -> str:
    """Six digits that no accepted step (previous, current, next) would produce."""
    valid = {code_at(secret, when + k * STEP) for k in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)


def csrf_of(response) -> str:
    match = CSRF.search(text(response))
    assert match, "no CSRF token on the page"
    return match.group(1)


def enrol(client) -> tuple[str, list[str]]:
    """Set up two-step sign-in on the signed-in client with a code for the frozen moment."""
    page = client.get("/account/mfa")
    assert page.status_code == 200, page.headers.get("Location")
    secret = SECRET.search(text(page)).group(1)
    response = client.post(
        "/account/mfa", data={"code": code_at(secret, now()), "csrf_token": csrf_of(page)}
    )
    assert response.status_code == 200
    return secret, recovery_codes(response)


def recovery_codes(response) -> list[str]:
    listing = CODE_LIST.search(text(response))
    assert listing, "no recovery code list on the page"
    return re.findall(r"<code>([^<]+)</code>", listing.group(1))


def second_step(client, code: str):
    return client.post("/mfa", data={"code": code, "csrf_token": csrf_token(client, "/mfa")})


def sign_out(client) -> None:
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/account/")})
    assert response.status_code == 303


def staff_with_mfa(client, role: Role = Role.CASE_MANAGER) -> tuple[User, str, list[str]]:
    """A staff member who has set up two-step sign-in (in frozen time) and signed out."""
    user = make_user(role)
    login(client, user.email)
    secret, codes = enrol(client)
    sign_out(client)
    return user, secret, codes


def audit_events(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def refreshed(user: User) -> User:
    db.session.expire_all()
    return db.session.get(User, user.id)


# Enrolment


def test_enrolment_asks_for_the_password_again_once_the_session_is_older_than_five_minutes(
    client, frozen
):
    user = make_user()
    login(client, user.email)
    assert client.get("/account/mfa").status_code == 200  # just signed in: fresh enough

    frozen.shift(timedelta(minutes=6))
    response = client.get("/account/mfa")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/reauth"
    assert parse_qs(location.query)["next"] == ["/account/mfa"]

    page = client.get(response.headers["Location"])
    wrong = client.post(
        "/account/reauth",
        data={"password": "not my password", "next": "/account/mfa", "csrf_token": csrf_of(page)},
    )
    assert wrong.status_code == 422
    assert 'id="password-error"' in text(wrong) and "That is not your password." in text(wrong)
    assert client.get("/account/mfa").status_code == 302

    right = client.post(
        "/account/reauth",
        data={"password": PASSWORD, "next": "/account/mfa", "csrf_token": csrf_of(page)},
    )
    assert right.status_code == 303 and right.headers["Location"] == "/account/mfa"
    assert client.get("/account/mfa").status_code == 200


def test_enrolment_page_shows_a_qr_code_and_the_key_to_type(client, frozen):
    login(client, make_user().email)
    page = text(client.get("/account/mfa"))
    qr = re.search(r'<figure class="qr"[^>]*>(.*?)</figure>', page, re.S)
    assert qr and "<svg" in qr.group(1) and "<path" in qr.group(1)
    assert 'role="img"' in page and "aria-label=" in page
    secret = SECRET.search(page).group(1)
    assert len(secret) >= 16
    # The key stays the same while the person types it into the app.
    assert SECRET.search(text(client.get("/account/mfa"))).group(1) == secret


def test_a_wrong_code_is_refused_at_the_field_and_nothing_is_enabled(client, frozen):
    user = make_user()
    login(client, user.email)
    page = client.get("/account/mfa")
    secret = SECRET.search(text(page)).group(1)
    response = client.post(
        "/account/mfa", data={"code": wrong_code(secret, now()), "csrf_token": csrf_of(page)}
    )
    assert response.status_code == 422
    body = text(response)
    assert 'id="code-error"' in body and "That code did not work" in body
    assert 'aria-invalid="true"' in body
    assert 'id="recovery-codes"' not in body
    assert SECRET.search(body).group(1) == secret  # the same key, to try again
    assert not refreshed(user).has_mfa
    assert db.session.scalars(select(RecoveryCode)).all() == []
    assert audit_events("mfa_enable") == []

    empty = client.post("/account/mfa", data={"code": "", "csrf_token": csrf_of(page)})
    assert empty.status_code == 422
    assert "Enter the 6-digit code your app shows." in text(empty)
    assert not refreshed(user).has_mfa


def test_a_real_code_turns_it_on_and_shows_ten_recovery_codes_once(client, frozen):
    user = make_user()
    login(client, user.email)
    secret, codes = enrol(client)

    assert len(codes) == 10 and len(set(codes)) == 10
    user = refreshed(user)
    assert user.has_mfa and user.totp_secret == secret
    events = audit_events("mfa_enable")
    assert len(events) == 1 and events[0].actor_id == user.id

    account = text(client.get("/account/"))
    assert "10 recovery codes left" in account
    assert not any(code in account for code in codes)
    # Enrolment is over: the page does not offer a new key or show the codes again.
    again = client.get("/account/mfa")
    assert again.status_code == 302 and again.headers["Location"] == "/account/"


# The second step


def test_sign_in_then_asks_for_a_code_and_a_valid_one_lands_on_the_dashboard(
    client, make_client, frozen
):
    user, secret, _codes = staff_with_mfa(client)
    browser = make_client()
    response = login(browser, user.email)
    assert response.status_code == 303 and response.headers["Location"] == "/mfa"
    assert browser.get("/staff/").status_code == 302  # not signed in yet
    page = browser.get("/mfa")
    assert page.status_code == 200 and 'name="code"' in text(page)

    # Enrolment used the current step; the next one is within the accepted drift.
    done = second_step(browser, code_at(secret, now() + STEP))
    assert done.status_code == 303 and done.headers["Location"] == "/staff/"
    assert browser.get("/staff/").status_code == 200
    logins = audit_events("login")
    assert logins[-1].actor_id == user.id and logins[-1].detail == "password+totp"


def test_a_code_is_accepted_only_once(client, frozen):
    user, secret, _codes = staff_with_mfa(client)
    frozen.shift(STEP)
    code = code_at(secret, now())
    login(client, user.email)
    assert second_step(client, code).status_code == 303
    sign_out(client)

    login(client, user.email)  # the same 30 seconds: someone who saw the code
    replay = second_step(client, code)
    assert replay.status_code == 422
    assert 'id="code-error"' in text(replay) and "That code did not work" in text(replay)
    assert client.get("/staff/").status_code == 302
    failed = audit_events("mfa_failed")
    assert len(failed) == 1 and failed[0].object_id == str(user.id)
    assert failed[0].outcome == "failure"

    frozen.shift(STEP)  # the next code works
    assert second_step(client, code_at(secret, now())).status_code == 303


def test_a_recovery_code_works_once(client, make_client, frozen):
    user, _secret, codes = staff_with_mfa(client)
    login(client, user.email)
    used = second_step(client, codes[3].upper())  # as typed from paper: case does not matter
    assert used.status_code == 303 and used.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert "9 recovery codes left" in text(client.get("/account/"))
    assert [e.actor_id for e in audit_events("recovery_code_used")] == [user.id]
    assert audit_events("login")[-1].detail == "password+recovery_code"

    other = make_client()
    login(other, user.email)
    again = second_step(other, codes[3])
    assert again.status_code == 422 and "That code did not work" in text(again)
    assert other.get("/staff/").status_code == 302
    assert len(audit_events("recovery_code_used")) == 1


def test_signing_in_with_a_recovery_code_says_how_many_are_left(client, frozen):
    user, _secret, codes = staff_with_mfa(client)
    login(client, user.email)
    assert second_step(client, codes[0]).status_code == 303
    assert "You used a recovery code. You have 9 left." in text(client.get("/staff/"))


def test_five_wrong_codes_lock_the_account(client, make_client, frozen):
    user, secret, _codes = staff_with_mfa(client)
    login(client, user.email)
    for _ in range(5):
        response = second_step(client, wrong_code(secret, now()))
        assert response.status_code == 422
    assert len(audit_events("mfa_failed")) == 5
    locked = audit_events("account_locked")
    assert len(locked) == 1 and locked[0].object_id == str(user.id)

    # Even the right code is refused now, and so is the right password.
    refused = second_step(client, code_at(secret, now() + STEP))
    assert refused.status_code == 422 and "Too many attempts" in text(refused)
    assert client.get("/staff/").status_code == 302
    elsewhere = login(make_client(), user.email)
    assert elsewhere.status_code == 422 and "Too many attempts" in text(elsewhere)

    frozen.shift(timedelta(minutes=16))  # the lock-out ends
    browser = make_client()
    assert login(browser, user.email).headers["Location"] == "/mfa"
    assert second_step(browser, code_at(secret, now())).status_code == 303


def test_the_pending_second_step_expires_after_five_minutes(client, frozen):
    user, secret, _codes = staff_with_mfa(client)
    login(client, user.email)
    frozen.shift(timedelta(minutes=4, seconds=59))
    assert client.get("/mfa").status_code == 200
    token = csrf_token(client, "/mfa")

    frozen.shift(timedelta(seconds=2))
    late = client.post("/mfa", data={"code": code_at(secret, now()), "csrf_token": token})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert client.get("/mfa").headers["Location"] == "/login"
    assert client.get("/staff/").status_code == 302
    assert refreshed(user).totp_last_step is not None
    assert [e.actor_id for e in audit_events("login")].count(user.id) == 1  # enrolment only


# Required for staff


REQUIRED = pytest.mark.parametrize("app_config", [{"MFA_REQUIRED_FOR_STAFF": True}])


@REQUIRED
@pytest.mark.parametrize("role", sorted(STAFF_ROLES))
def test_required_mfa_keeps_staff_out_until_they_set_it_up(client, frozen, role):
    user = make_user(role)
    assert login(client, user.email).headers["Location"] == "/staff/"
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/mfa"
    # An htmx request is sent there too, as a navigation rather than a swapped-in page.
    partial = client.get("/staff/clients?q=a", headers={"HX-Request": "true"})
    assert partial.status_code == 204 and partial.headers["HX-Location"] == "/account/mfa"
    page = client.get("/account/mfa")
    assert "Your agency asks every staff member to use two-step sign-in." in text(page)

    enrol(client)
    assert client.get("/staff/").status_code == 200


@REQUIRED
@pytest.mark.parametrize(("role", "home"), [(Role.CLIENT, "/client/"), (Role.FAMILY, "/family/")])
def test_required_mfa_does_not_apply_to_clients_and_families(client, frozen, role, home):
    user = make_user(role)
    assert login(client, user.email).headers["Location"] == home
    assert client.get(home).status_code == 200


@REQUIRED
def test_required_mfa_cannot_be_turned_off(client, frozen):
    user = make_user()
    login(client, user.email)
    enrol(client)
    account = text(client.get("/account/"))
    assert "Turn off two-step sign-in" not in account
    response = client.post("/account/mfa/disable", data={"csrf_token": csrf_of_page(client)})
    assert response.status_code == 303
    assert "Your agency requires two-step sign-in for staff." in text(client.get("/account/"))
    assert refreshed(user).has_mfa
    assert audit_events("mfa_disable") == []


def csrf_of_page(client, path: str = "/account/") -> str:
    return csrf_token(client, path)


# Turning it off


def test_it_can_be_turned_off_after_entering_password_and_code_again(client, make_client, frozen):
    user = make_user()
    login(client, user.email)
    secret, _codes = enrol(client)
    assert "Turn off two-step sign-in" in text(client.get("/account/"))

    frozen.shift(timedelta(minutes=6))
    token = csrf_of_page(client)
    response = client.post("/account/mfa/disable", data={"csrf_token": token})
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/account/reauth"
    assert refreshed(user).has_mfa

    page = client.get(response.headers["Location"])
    assert 'name="code"' in text(page)  # with two-step sign-in, a code too
    no_code = client.post(
        "/account/reauth", data={"password": PASSWORD, "code": "", "csrf_token": csrf_of(page)}
    )
    assert no_code.status_code == 422 and 'id="code-error"' in text(no_code)
    ok = client.post(
        "/account/reauth",
        data={"password": PASSWORD, "code": code_at(secret, now()), "csrf_token": csrf_of(page)},
    )
    assert ok.status_code == 303

    off = client.post("/account/mfa/disable", data={"csrf_token": token})
    assert off.status_code == 303 and off.headers["Location"] == "/account/"
    user = refreshed(user)
    assert not user.has_mfa and user.totp_secret is None
    assert db.session.scalars(select(RecoveryCode)).all() == []
    assert [e.actor_id for e in audit_events("mfa_disable")] == [user.id]
    assert "Two-step sign-in is off." in text(client.get("/account/"))

    browser = make_client()
    assert login(browser, user.email).headers["Location"] == "/staff/"  # no second step


def test_confirming_it_is_you_before_turning_it_off_leads_to_a_page_that_answers(client, frozen):
    """The re-authentication for a POST-only action must not send the browser to a 405."""
    user = make_user()
    login(client, user.email)
    secret, _codes = enrol(client)
    frozen.shift(timedelta(minutes=6))
    response = client.post("/account/mfa/disable", data={"csrf_token": csrf_of_page(client)})
    page = client.get(response.headers["Location"])
    done = client.post(
        "/account/reauth",
        data={
            "password": PASSWORD,
            "code": code_at(secret, now()),
            "next": parse_qs(urlsplit(response.headers["Location"]).query)["next"][0],
            "csrf_token": csrf_of(page),
        },
    )
    assert done.status_code == 303
    landing = client.get(done.headers["Location"], follow_redirects=True)
    assert landing.status_code == 200
    assert refreshed(user).has_mfa  # a GET never turns it off


def test_without_requirement_turning_off_needs_the_csrf_token(client, frozen):
    user = make_user()
    login(client, user.email)
    enrol(client)
    response = client.post("/account/mfa/disable")
    assert response.status_code == 400
    assert refreshed(user).has_mfa


# The administrator's reset


def test_reset_mfa_command_turns_it_off_ends_sessions_and_is_audited(
    app, client, make_client, frozen
):
    user, secret, _codes = staff_with_mfa(client)
    browsers = [client, make_client()]
    for offset, browser in enumerate(browsers, start=1):
        login(browser, user.email)
        assert second_step(browser, code_at(secret, T0 + offset * STEP)).status_code == 303
        frozen.shift(STEP)
        assert browser.get("/staff/").status_code == 200

    result = app.test_cli_runner().invoke(args=["reset-mfa", user.email.upper()])
    assert result.exit_code == 0, result.output
    assert "two-step sign-in reset" in result.output

    user = refreshed(user)
    assert not user.has_mfa and user.totp_secret is None
    assert db.session.scalars(select(RecoveryCode)).all() == []
    for browser in browsers:
        assert browser.get("/staff/").status_code == 302
    reset = audit_events("mfa_reset")
    assert len(reset) == 1 and reset[0].object_id == str(user.id) and reset[0].actor_id is None
    assert audit_events("session_end")[-1].detail == "mfa_reset: 2 session(s)"

    fresh = make_client()
    assert login(fresh, user.email).headers["Location"] == "/staff/"


def test_reset_mfa_command_names_an_unknown_email(app):
    result = app.test_cli_runner().invoke(args=["reset-mfa", "nobody@example.org"])
    assert result.exit_code != 0 and "no account" in result.output
    assert audit_events("mfa_reset") == []
