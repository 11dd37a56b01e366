"""Helpers for the staff tests: a browser that signs in once and posts like a form does."""

from __future__ import annotations

import html
import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent, User

from ..helpers import csrf_token, login

HTMX = {"HX-Request": "true"}


def sign_in(browser: FlaskClient, user: User) -> FlaskClient:
    """Sign in through the form and keep this session's CSRF token on the browser."""
    response = login(browser, user.email)
    assert response.status_code == 303, response.status_code
    browser.csrf = csrf_token(browser, "/help")  # type: ignore[attr-defined]
    return browser


# The columns of the truth tables. The client is Casey's (cm); Sam (supervisor) supervises
# Casey, Tess (other_supervisor) does not; Pat (team) is on the care team, Nico (not_team) not.
ROLES = (
    "cm",
    "cm_other",
    "team",
    "not_team",
    "supervisor",
    "other_supervisor",
    "admin",
    "client_user",
    "family",
    "anonymous",
)


def sign_in_as(browser: FlaskClient, agency: Any, role: str) -> FlaskClient:
    """Sign in as one column of the truth table; "anonymous" only gets a CSRF token."""
    if role == "anonymous":
        browser.csrf = csrf_token(browser, "/login")  # type: ignore[attr-defined]
        return browser
    return sign_in(browser, getattr(agency, role))


def post(
    browser: FlaskClient, path: str, data: dict[str, Any] | None = None, *, htmx: bool = False
) -> Any:
    """Submit a form: the session's CSRF token goes with it, as the page would send it."""
    token = getattr(browser, "csrf", None) or csrf_token(browser, "/help")
    return browser.post(
        path, data={"csrf_token": token, **(data or {})}, headers=HTMX if htmx else None
    )


def page(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def field_value(body: str, name: str) -> str | None:
    """The value an <input name=...> is rendered with (None when it has none)."""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', body)
    assert match, f"no input {name!r}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def field_error(body: str, field_id: str) -> str:
    """The error shown next to a field (tied to it by id, as screen readers read it)."""
    match = re.search(rf'<p class="field__error" id="{re.escape(field_id)}-error">(.*?)</p>', body)
    assert match, f"no error shown at {field_id!r}"
    return html.unescape(match.group(1))


def select_choices(body: str, field_id: str) -> tuple[list[str], list[str]]:
    """The labels a <select id=...> offers, in order, and the one(s) selected."""
    field = re.search(rf'<select [^>]*id="{re.escape(field_id)}"[^>]*>(.*?)</select>', body, re.S)
    assert field, f"no list {field_id!r}"
    options = re.findall(r"<option [^>]*>(.*?)</option>", field.group(1))
    selected = re.findall(r"<option [^>]*selected[^>]*>(.*?)</option>", field.group(1))
    return options, selected


def paragraph(body: str, element_id: str) -> str:
    """The text of the <p id=...> (a live line, or its out-of-band swap), spaces collapsed."""
    line = re.search(rf'<p [^>]*id="{re.escape(element_id)}"[^>]*>(.*?)</p>', body, re.S)
    assert line, f"no paragraph {element_id!r}"
    return re.sub(r"\s+", " ", line.group(1)).strip()


def section(body: str, title_id: str) -> str:
    """The markup of the <section> whose heading has this id."""
    start = body.index(f'aria-labelledby="{title_id}"')
    return body[start : body.index("</section>", start)]


def events(action: str, client_id: int | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    if client_id is not None:
        query = query.where(AuditEvent.client_id == client_id)
    return list(db.session.scalars(query))


def without_csrf(body: str) -> str:
    body = re.sub(r'(name="csrf_token" (?:type="hidden" )?value=")[^"]+"', r'\1…"', body)
    return re.sub(r'("X-CSRFToken": ")[^"]+"', r'\1…"', body)
