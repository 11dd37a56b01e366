"""SQL statements per page, counted in this process with Flask's test client on the same
database, signed in as the same people.

Each page is requested twice and the second request is counted: the steady state of a
running worker, with the session's activity stamp fresh (it is rewritten at most every few
seconds, so most requests under load do not write it either).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db

from .browser import CSRF_FIELD, PASSWORD
from .pages import ANONYMOUS, Fixtures, Page

NOTE_ID = re.compile(r'name="note_id" id="note_id" value="(\d+)"')
VERSION = re.compile(r'name="version" id="version" value="(\d+)"')
HX = {"HX-Request": "true"}


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    found = CSRF_FIELD.search(client.get("/login").get_data(as_text=True))
    assert found is not None
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": found.group(1)}
    )
    if answer.status_code not in (302, 303):
        raise SystemExit(f"bench: test client could not sign in as {email}")
    return client


def autosave_form(csrf_token: str, text: str) -> dict[str, str]:
    """The fields the note editor's autosave sends for a DAP note (no note_id: a new draft)."""
    return {"csrf_token": csrf_token, "contact_type": "office", "format": "dap", "data": text}


def _csrf(client: FlaskClient, path: str) -> str:
    found = CSRF_FIELD.search(client.get(path).get_data(as_text=True))
    assert found is not None, path
    return found.group(1)


def _request(client: FlaskClient, page: Page, form: dict[str, str] | None) -> Any:
    headers = HX if page.partial else {}
    if page.autosave:
        return client.post(page.path, data=form, headers=headers)
    return client.get(page.path, headers=headers)


def _next_form(page: Page, form: dict[str, str] | None, body: str) -> dict[str, str] | None:
    """After an autosave, the next one sends the draft's id and its current version."""
    if not page.autosave or form is None:
        return form
    note_id, version = NOTE_ID.search(body), VERSION.search(body)
    if note_id is None or version is None:
        raise SystemExit(f"bench: the autosave answered no draft:\n{body[:300]}")
    return {**form, "note_id": note_id.group(1), "version": version.group(1), "data": "again"}


def _count_page(page: Page, client: FlaskClient, statements: list[str]) -> int:
    """Request the page once, then count the statements of a second request."""
    form = None
    if page.autosave:
        form = autosave_form(_csrf(client, page.path.replace("/save", "/new")), "x")
    first = _request(client, page, form)
    form = _next_form(page, form, first.get_data(as_text=True))
    statements.clear()
    answer = _request(client, page, form)
    if answer.status_code != 200:
        raise SystemExit(f"bench: {page.path} answered {answer.status_code} in-process")
    return len(statements)


def count(app: Flask, fixtures: Fixtures, pages: list[Page]) -> dict[str, int]:
    """The number of SQL statements each page runs, everything included."""
    counts: dict[str, int] = {}
    statements: list[str] = []

    def listen(*args: Any) -> None:
        statements.append(str(args[2]))

    # No app context is held around the requests: each must push its own, or ``g`` (and
    # Flask-Login's cached user in it) would carry over from one request to the next.
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        browsers = {who: _signed_in(app, email) for who, email in fixtures.emails.items()}
        browsers[ANONYMOUS] = app.test_client()
        for page in pages:
            counts[page.key] = _count_page(page, browsers[page.who], statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)
        engine.dispose()
    return counts
