"""Sessions the server can end: sign-out, password change, deactivation, everywhere, timeouts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask import request
from sqlalchemy import select

from portal.auth.web import note_activity
from portal.extensions import db
from portal.models import AuditEvent, AuthToken, Role, UserSession
from portal.services import sessions, tokens, users

from .factories import PASSWORD, make_user
from .helpers import csrf_token, login, text

COOKIE = "waypoint_session"
START = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
BACKGROUND = {"HX-Request": "true", "X-Waypoint-Background": "1"}
NEW_PASSWORD = "a brand new passphrase nobody else knows"
AWAY = "You were signed out because you were away for a while."
TWELVE_HOURS = "For your safety, sessions last at most 12 hours."
HOMES = {Role.CASE_MANAGER: "/staff/", Role.CLIENT: "/client/", Role.FAMILY: "/family/"}


def signed_in(browser, home="/staff/"):
    """Whether this browser gets its home page (a normal request: it counts as activity)."""
    response = browser.get(home)
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login")
    return response.status_code == 200


def cookie_of(browser):
    cookie = browser.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def replay(make_client, value):
    """A browser that never signed in, presenting a copied session cookie."""
    thief = make_client()
    thief.set_cookie(COOKIE, value)
    return thief


def events(action):
    return db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    ).all()


# ---- Ending a session ends it on the server ---------------------------------------------


def test_old_cookie_is_refused_after_sign_out(client, make_client):
    user = make_user()
    login(client, user.email)
    assert signed_in(client)
    stolen = cookie_of(client)
    assert signed_in(replay(make_client, stolen))  # the copy works while the session is open

    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert response.status_code == 303

    response = replay(make_client, stolen).get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    [event] = events("logout")
    assert event.actor_id == user.id and event.detail == "signed_out"
    record = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert record.ended_at is not None and record.end_reason == "signed_out"


def test_password_change_ends_other_browsers_but_not_this_one(make_client):
    user = make_user()
    here, other = make_client(), make_client()
    login(here, user.email)
    login(other, user.email)
    before_change = cookie_of(here)

    response = here.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(here, "/account/password"),
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/"

    assert "You were signed out everywhere else." in text(here.get("/account/"))
    assert signed_in(here)
    assert not signed_in(other)
    # The cookie this browser had before the change belongs to the ended session.
    assert not signed_in(replay(make_client, before_change))
    [event] = events("session_end")
    assert event.actor_id == user.id
    assert event.detail == "password_changed: 2 session(s)"


def test_deactivation_ends_open_sessions(client, make_client):
    user = make_user()
    login(client, user.email)
    stolen = cookie_of(client)

    users.deactivate(user, actor=None, ip=None)
    db.session.commit()

    assert not signed_in(client)
    # Even if the account is opened again, the sessions it had stay ended.
    user.active = True
    db.session.commit()
    assert not signed_in(replay(make_client, stolen))
    [event] = events("session_end")
    assert event.object_id == str(user.id)
    assert event.detail == "deactivated: 1 session(s)"


def test_sign_out_everywhere_ends_every_browser(make_client):
    user = make_user(Role.CLIENT)
    here, laptop, phone = make_client(), make_client(), make_client()
    for browser in (here, laptop, phone):
        login(browser, user.email)
        assert signed_in(browser, "/client/")

    response = here.post(
        "/account/sign-out-everywhere", data={"csrf_token": csrf_token(here, "/account/")}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert "3 sessions ended" in text(here.get("/login"))

    for browser in (here, laptop, phone):
        assert not signed_in(browser, "/client/")
    [event] = events("session_end")
    assert event.actor_id == user.id
    assert event.detail == "everywhere: 3 session(s)"


def test_sign_out_everywhere_needs_the_csrf_token(client):
    user = make_user()
    login(client, user.email)
    response = client.post("/account/sign-out-everywhere", data={})
    assert response.status_code == 400
    assert signed_in(client)
    assert events("session_end") == []


# ---- Timeouts (frozen time) ----------------------------------------------------------


@pytest.mark.parametrize(("idle_minutes", "still_in"), [(14, True), (15, False)])
def test_staff_are_signed_out_after_fifteen_idle_minutes(client, idle_minutes, still_in):
    user = make_user(Role.CASE_MANAGER)
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        assert signed_in(client)
        traveller.shift(timedelta(minutes=idle_minutes))
        response = client.get("/staff/")
        if still_in:
            assert response.status_code == 200
            assert events("session_end") == []
            return
        assert response.status_code == 302
        assert response.headers["Location"] == "/login?next=/staff/"
        page = client.get(response.headers["Location"])
        assert page.status_code == 200
        assert AWAY in text(page)
    [event] = events("session_end")
    assert event.actor_id == user.id and event.detail == "idle"


@pytest.mark.parametrize("role", [Role.CLIENT, Role.FAMILY])
@pytest.mark.parametrize(("idle_minutes", "still_in"), [(29, True), (31, False)])
def test_clients_and_family_are_signed_out_after_thirty_idle_minutes(
    client, role, idle_minutes, still_in
):
    user = make_user(role)
    home = HOMES[role]
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        assert signed_in(client, home)
        traveller.shift(timedelta(minutes=idle_minutes))
        assert signed_in(client, home) is still_in
        if not still_in:
            assert AWAY in text(client.get("/login"))


def test_sessions_end_after_twelve_hours_however_active(client):
    user = make_user(Role.CASE_MANAGER)
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        for step in range(1, 72):  # active every 10 minutes until 11 h 50 min
            traveller.shift(timedelta(minutes=10))
            assert signed_in(client), f"signed out after {step * 10} minutes"
        traveller.shift(timedelta(minutes=10))
        assert not signed_in(client)
        assert TWELVE_HOURS in text(client.get("/login"))
    [event] = events("session_end")
    assert event.detail == "absolute"


def test_a_normal_request_restarts_the_idle_clock(client):
    user = make_user(Role.CASE_MANAGER)
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        traveller.shift(timedelta(minutes=10))
        assert signed_in(client)
        traveller.shift(timedelta(minutes=14))  # 24 minutes after sign-in
        assert signed_in(client)


def test_htmx_polling_does_not_keep_a_session_alive(client):
    user = make_user(Role.CASE_MANAGER)
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        for _ in range(14):  # a poll every minute: the page is open, nobody is there
            traveller.shift(timedelta(minutes=1))
            assert client.get("/session/status", headers=BACKGROUND).status_code == 200
            assert client.get("/staff/", headers=BACKGROUND).status_code == 200
        traveller.shift(timedelta(minutes=1))
        response = client.get("/staff/", headers=BACKGROUND)
        assert response.status_code == 401
        assert response.headers["HX-Redirect"] == "/login?next=/staff/"


def test_session_status_tells_the_seconds_left_without_extending(client):
    user = make_user(Role.CASE_MANAGER)
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        traveller.shift(timedelta(minutes=5))
        response = client.get("/session/status")  # not even marked as background
        assert response.status_code == 200
        assert response.get_json() == {"signed_in": True, "seconds_left": 10 * 60}
        traveller.shift(timedelta(minutes=5))
        assert client.get("/session/status").get_json()["seconds_left"] == 5 * 60
        traveller.shift(timedelta(minutes=5))
        response = client.get("/session/status")
        assert response.status_code == 401
        assert response.get_json() == {"signed_in": False, "seconds_left": 0}
        assert not signed_in(client)


def test_keepalive_cannot_pass_the_twelve_hour_limit(client):
    user = make_user(Role.CLIENT)
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        token = csrf_token(client, "/client/")
        for step in range(1, 72):  # "Stay signed in" every 10 minutes until 11 h 50 min
            traveller.shift(timedelta(minutes=10))
            keep = client.post("/session/keepalive", headers={"X-CSRFToken": token})
            assert keep.status_code == 200, f"refused after {step * 10} minutes"
        # The countdown ends at the absolute limit, not 30 idle minutes from now.
        assert keep.get_json() == {"signed_in": True, "seconds_left": 10 * 60}
        traveller.shift(timedelta(minutes=10))
        keep = client.post("/session/keepalive", headers={"X-CSRFToken": token})
        assert keep.status_code == 401
        assert TWELVE_HOURS in text(client.get("/login"))


def test_keepalive_extends_the_session(client):
    user = make_user(Role.CASE_MANAGER)
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        token = csrf_token(client, "/staff/")
        traveller.shift(timedelta(minutes=10))
        response = client.post("/session/keepalive", headers={"X-CSRFToken": token})
        assert response.status_code == 200
        assert response.get_json() == {"signed_in": True, "seconds_left": 15 * 60}
        traveller.shift(timedelta(minutes=14))  # 24 minutes after sign-in
        assert client.get("/session/status").get_json()["seconds_left"] == 60
        assert signed_in(client)


def test_keepalive_needs_the_csrf_token_and_a_session(client, make_client):
    user = make_user(Role.CASE_MANAGER)
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        traveller.shift(timedelta(minutes=10))
        assert client.post("/session/keepalive").status_code == 400
        traveller.shift(timedelta(minutes=5))
        assert not signed_in(client)  # the refused keepalive did not extend anything
    stranger = make_client()
    token = csrf_token(stranger)
    response = stranger.post("/session/keepalive", headers={"X-CSRFToken": token})
    assert response.status_code == 401
    assert response.get_json() == {"signed_in": False, "seconds_left": 0}


def test_htmx_request_on_an_expired_session_gets_401_and_hx_redirect(client):
    user = make_user(Role.CASE_MANAGER)
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        traveller.shift(timedelta(minutes=16))
        response = client.get("/staff/?page=2", headers={"HX-Request": "true"})
        assert response.status_code == 401
        assert response.headers["HX-Redirect"] == "/login?next=/staff/?page%3D2"
        assert "<html" not in text(response)
        # Where htmx sends the page, the person learns why.
        assert AWAY in text(client.get(response.headers["HX-Redirect"]))


@pytest.mark.parametrize(("second_text", "still_in"), [("same words", False), ("more words", True)])
def test_background_autosave_counts_only_when_it_carries_new_text(
    app, client, second_text, still_in
):
    last_saved: dict[str, str] = {}

    def autosave():
        """A stand-in for a draft autosave: new text is the person's own activity."""
        words = request.form.get("text", "")
        if words != last_saved.get("text"):
            last_saved["text"] = words
            note_activity()
            db.session.commit()
        return "", 204

    app.add_url_rule("/test-autosave", "test_autosave", autosave, methods=["POST"])
    user = make_user(Role.CASE_MANAGER)
    with time_machine.travel(START, tick=False) as traveller:
        login(client, user.email)
        headers = {"X-CSRFToken": csrf_token(client, "/staff/"), **BACKGROUND}
        save = client.post("/test-autosave", data={"text": "same words"}, headers=headers)
        assert save.status_code == 204
        traveller.shift(timedelta(minutes=10))
        save = client.post("/test-autosave", data={"text": second_text}, headers=headers)
        assert save.status_code == 204
        traveller.shift(timedelta(minutes=5))  # 15 minutes after sign-in
        assert signed_in(client) is still_in


def test_prune_sessions_removes_what_stopped_working_a_month_ago_and_keeps_the_rest(app):
    """A daily job removes sign-in sessions and emailed tokens that stopped working more than
    30 days ago (they hold IP addresses); a session in use and recent history stay."""
    user = make_user(Role.CASE_MANAGER)
    long_ago = datetime.now(UTC) - timedelta(days=45)
    recently = datetime.now(UTC) - timedelta(days=3)

    def a_session(seen, ended=None):
        with time_machine.travel(seen, tick=False):
            _, record = sessions.start(user, ip="203.0.113.9", user_agent="Browser")
        record.ended_at = ended
        record.end_reason = "signed_out" if ended else None
        return record.id

    a_session(long_ago, ended=long_ago)  # signed out long ago
    a_session(long_ago)  # never signed out, long past its idle limit
    ended_recently = a_session(recently, ended=recently)
    in_use = a_session(datetime.now(UTC))
    with time_machine.travel(long_ago, tick=False):
        tokens.issue(user, "reset", minutes=60)
    tokens.issue(user, "sign_in", minutes=60)
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["prune-sessions"])

    assert result.exit_code == 0, result.output
    assert "2 session(s) and 1 token(s) removed" in result.output
    left = set(db.session.scalars(select(UserSession.id).where(UserSession.user_id == user.id)))
    assert left == {ended_recently, in_use}
    assert {t.purpose for t in db.session.scalars(select(AuthToken))} == {"sign_in"}
    # Run again: nothing more to remove.
    again = app.test_cli_runner().invoke(args=["prune-sessions", "--days", "30"])
    assert "0 session(s) and 0 token(s) removed" in again.output


def test_prune_sessions_keeps_what_the_days_asked_for(app):
    user = make_user(Role.CLIENT)
    with time_machine.travel(datetime.now(UTC) - timedelta(days=10), tick=False):
        sessions.start(user, ip=None, user_agent=None)
    db.session.commit()
    kept = app.test_cli_runner().invoke(args=["prune-sessions", "--days", "30"])
    assert "0 session(s)" in kept.output
    gone = app.test_cli_runner().invoke(args=["prune-sessions", "--days", "7"])
    assert "1 session(s)" in gone.output
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == user.id)) is None
