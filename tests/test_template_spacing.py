"""Words on a page do not run together.

The templates trim the line break after a block tag (``trim_blocks``) and the indentation
before one (``lstrip_blocks``), so two inline elements written on two lines, the second
inside an ``{% if %}``, reach the page side by side: "90 minCasey Manager", two badges
touching, "In progressAiming for April 30". A block tag ending ``+%}`` keeps its line break.
This walks the pages of the demo data as a case manager, a client and a family member,
following the links of each area, and reads every page for inline elements that touch.
"""

from __future__ import annotations

import re
from collections import deque

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.services import demo

from .helpers import login

DEMO_PASSWORD = "waypoint-demo"
INLINE = r"(?:span|a|strong|em|time|data|abbr|small|code)"
# A word, or the end of an inline element, followed at once by the start of another one
# (text hidden from sight or from screen readers is meant to sit against its neighbour).
TOUCHING = re.compile(
    rf"(?:</{INLINE}>|[\w.)])(<{INLINE}\b(?![^>]*(?:visually-hidden|aria-hidden))[^>]*>)"
)
LINK = re.compile(r'<a\b[^>]*\bhref="(/[^"#?]*)[^"]*"')
# Files to download, and a sign-out, are not pages to read.
NOT_PAGES = re.compile(r"\.(csv|pdf|ics|json)$|/export/|/logout|/sign-out|/documents/\d+")


def _touching(body: str) -> list[str]:
    return [body[max(0, m.start() - 50) : m.end() + 30] for m in TOUCHING.finditer(body)]


def _walk(
    browser: FlaskClient, start: list[str], area: str, limit: int
) -> tuple[int, dict[str, list[str]]]:
    """Read up to ``limit`` pages of ``area`` reached from ``start``: how many were read, and
    the places on each where elements touch."""
    seen, queue, found, read = set(start), deque(start), {}, 0
    while queue and read < limit:
        path = queue.popleft()
        response = browser.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        read += 1
        body = response.get_data(as_text=True)
        if glued := _touching(body):
            found[path] = glued
        for link in LINK.findall(body):
            if link.startswith(area) and link not in seen and not NOT_PAGES.search(link):
                seen.add(link)
                queue.append(link)
    return read, found


@pytest.mark.parametrize(
    ("email", "area", "start", "at_least"),
    [
        ("cm@example.org", "/staff/", ["/staff/", "/staff/clients"], 150),
        ("supervisor@example.org", "/staff/", ["/staff/", "/staff/notes/cosign"], 150),
        ("client@example.org", "/client/", ["/client/"], 25),
        ("family@example.org", "/family/", ["/family/"], 12),
    ],
    ids=["case_manager", "supervisor", "client", "family"],
)
def test_no_two_inline_elements_touch_on_the_demo_pages(
    app: Flask, client: FlaskClient, email: str, area: str, start: list[str], at_least: int
) -> None:
    demo.load_demo()
    db.session.commit()
    assert login(client, email, DEMO_PASSWORD).status_code == 303
    read, found = _walk(client, start, area, limit=150)
    assert read >= at_least
    assert found == {}


def test_the_check_finds_elements_that_touch() -> None:
    assert _touching("<span>90 min</span><span>Casey Manager</span>")
    assert _touching('In progress</span><span class="badge">Late</span>')
    assert _touching("with Casey<strong>Cancelled</strong>")
    assert not _touching("<span>90 min</span>\n<span>Casey Manager</span>")
    assert not _touching('12<span class="visually-hidden"> of 20</span>')
    assert not _touching('<span aria-hidden="true">—</span><span class="visually-hidden">0</span>')
