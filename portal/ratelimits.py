"""Per-IP rate limits on the ways into an account (Flask-Limiter).

One Limiter per app, made here rather than a module-level extension: the
limiter keeps its storage and its "store is down" state on the instance, so a
shared instance would carry counts from one app to the next (tests build many).
"""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

# endpoint -> the setting holding its limit (POSTs only: showing a form is free)
LIMITED_ENDPOINTS = {
    "auth.login": "RATELIMIT_SIGN_IN",
    "auth.mfa": "RATELIMIT_SIGN_IN",
    "auth.link_sign_in": "RATELIMIT_SIGN_IN",
    "auth.reset_request": "RATELIMIT_EMAIL",
    "auth.link_request": "RATELIMIT_EMAIL",
}


def init_app(app: Flask) -> Limiter:
    """Create the app's limiter and put the limits on the sign-in, MFA, reset and link views."""
    limiter = Limiter(key_func=get_remote_address, app=app)
    # The wrapped views hold only a weak reference to the limiter, and Flask-Limiter does
    # not keep a disabled one in app.extensions: keep it alive here.
    app.extensions["portal_limiter"] = limiter
    for endpoint, setting in LIMITED_ENDPOINTS.items():
        view = app.view_functions[endpoint]
        limited = limiter.limit(app.config[setting], methods=["POST"])(view)
        app.view_functions[endpoint] = limited  # type: ignore[assignment]
    return limiter
