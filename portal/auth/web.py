"""The request side of sessions: start one, load it for each request, count activity."""

from __future__ import annotations

from flask import Flask, g, request, session
from flask_login import current_user, login_user

from ..extensions import db, login_manager
from ..i18n import SESSION_KEY as LOCALE_KEY
from ..models import User, UserSession
from ..services import sessions, users

SID_KEY = "sid"
ENDED_KEY = "session_ended"
BACKGROUND_HEADER = "X-Waypoint-Background"
# Endpoints that never count as activity, whatever the request says.
PASSIVE_ENDPOINTS = frozenset({"static", "auth.session_status", "main.healthz"})


def client_ip() -> str | None:
    return request.remote_addr


def fresh_session() -> None:
    """Drop everything the session held before (a planted session dies), except the language."""
    locale = session.get(LOCALE_KEY)
    session.clear()
    if locale:
        session[LOCALE_KEY] = locale


def begin_session(user: User, *, method: str) -> UserSession:
    """Sign the user in on this browser with a fresh session (nothing from before survives)."""
    fresh_session()
    token, record = sessions.start(
        user, ip=client_ip(), user_agent=request.headers.get("User-Agent")
    )
    session[SID_KEY] = token
    login_user(user)
    g.user_session = record
    users.record_sign_in(user, ip=client_ip(), method=method)
    return record


def current_session() -> UserSession | None:
    """The server-side record of this browser's session, when signed in."""
    if not current_user.is_authenticated:
        return None
    record: UserSession | None = g.get("user_session")
    return record


def is_background() -> bool:
    """Polling and other requests a person did not make do not keep a session alive."""
    return request.headers.get(BACKGROUND_HEADER) == "1" or request.endpoint in PASSIVE_ENDPOINTS


def note_activity() -> None:
    """A background request that carried the person's own input (an autosave with new text)."""
    record = current_session()
    if record is not None:
        sessions.touch(record, force=True)


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: the cookie counts only while its server-side session is open."""
    record = sessions.find(session.get(SID_KEY))  # one query: the session and its user
    if record is None or str(record.user_id) != user_id:
        return None
    user = record.user
    if not user.active:
        return None
    if record.ended_at is not None:
        return None
    reason = sessions.expiry_reason(record, user)
    if reason is not None:
        sessions.end(record, reason, ip=client_ip())
        db.session.commit()
        session[ENDED_KEY] = reason
        return None
    g.user_session = record
    return user


def track_activity() -> None:
    """Before each request: a request the person made keeps the session alive."""
    if request.endpoint in PASSIVE_ENDPOINTS:
        return
    record = current_session()
    if record is None or is_background():
        return
    if sessions.touch(record):
        # Its own small commit: a view that fails later must not undo the activity.
        db.session.commit()


def init_app(app: Flask) -> None:
    login_manager.user_loader(load_user)
    app.before_request(track_activity)
