"""Helpers for driving the app through HTTP the way a browser does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from .factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page hands to this client's session."""
    page = client.get(path)
    match = _TOKEN.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD, **extra: Any) -> Any:
    """Sign in through the form, CSRF token and all."""
    data = {"email": email, "password": password, "csrf_token": csrf_token(client), **extra}
    return client.post("/login", data=data)


def text(response: Any) -> str:
    return str(response.get_data(as_text=True))


PORTAL = Path(__file__).resolve().parent.parent / "portal"


def portal_modules_matching(pattern: str, *, besides: str) -> list[str]:
    """The portal's Python modules (paths under ``portal/``) whose source matches ``pattern``
    (a multi-line regular expression), except the module named ``besides``: for tests that
    hold every module to going through one helper."""
    return sorted(
        str(path.relative_to(PORTAL))
        for path in PORTAL.rglob("*.py")
        if path.name != besides and re.search(pattern, path.read_text(), re.M)
    )
