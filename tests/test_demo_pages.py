"""Every page of the demo data, as each role reaches it by its links, reads well.

- Words do not run together. The templates trim the line break after a block tag
  (``trim_blocks``) and the indentation before one (``lstrip_blocks``), so two inline
  elements written on two lines, the second inside an ``{% if %}``, reached the page side by
  side: "90 minCasey Manager", two badges touching, "In progressAiming for April 30". A
  block tag ending ``+%}`` keeps its line break.
- No id is used twice, and every label, description and control a page points to by id is
  on it: two forms with a "reason" field on one page tied the second one's label to the
  first one's box.

The walk follows the links of each area from its start pages, as a case manager, a
supervisor, an administrator, a client (in English and in Spanish) and a family member.
"""

from __future__ import annotations

import re
from collections import Counter, deque

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.extensions import db
from portal.services import demo

from .helpers import login

INLINE = r"(?:span|a|strong|em|time|data|abbr|small|code)"
# A word, or the end of an inline element, followed at once by the start of another one
# (text hidden from sight or from screen readers is meant to sit against its neighbour).
TOUCHING = re.compile(
    rf"(?:</{INLINE}>|[\w.)])(<{INLINE}\b(?![^>]*(?:visually-hidden|aria-hidden))[^>]*>)"
)
ID = re.compile(r'\sid="([^"]+)"')
POINTS_TO = re.compile(r'\s(?:for|aria-labelledby|aria-describedby|aria-controls|list)="([^"]+)"')
LINK = re.compile(r'<a\b[^>]*\bhref="(/[^"#?]*)[^"]*"')
# Files to download, and a sign-out, are not pages to read.
NOT_PAGES = re.compile(r"\.(csv|pdf|ics|json)$|/export/|/logout|/sign-out|/documents/\d+")


def _problems(body: str) -> list[str]:
    """What reads wrong on a page: elements that touch, ids used twice, ids pointed to that
    are not there."""
    found = [
        f"touching: {body[max(0, m.start() - 50) : m.end() + 30]}" for m in TOUCHING.finditer(body)
    ]
    ids = Counter(ID.findall(body))
    found += [f"id used {count} times: {name}" for name, count in ids.items() if count > 1]
    pointed = {name for names in POINTS_TO.findall(body) for name in names.split()}
    found += [f"points to a missing id: {name}" for name in sorted(pointed - ids.keys())]
    return found


def _walk(
    browser: FlaskClient, start: list[str], area: str, limit: int
) -> tuple[int, dict[str, list[str]]]:
    """Read up to ``limit`` pages of ``area`` reached from ``start``: how many were read, and
    what reads wrong on each."""
    seen, queue, found, read = set(start), deque(start), {}, 0
    while queue and read < limit:
        path = queue.popleft()
        response = browser.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        read += 1
        body = response.get_data(as_text=True)
        if problems := _problems(body):
            found[path] = problems
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
        ("admin@example.org", "/staff/", ["/staff/admin/users", "/staff/admin/audit"], 90),
        ("client@example.org", "/client/", ["/client/"], 25),
        ("client2@example.org", "/client/", ["/client/"], 20),
        ("family@example.org", "/family/", ["/family/"], 12),
    ],
    ids=["case_manager", "supervisor", "admin", "client", "client_in_spanish", "family"],
)
def test_the_demo_pages_read_well(
    app: Flask, client: FlaskClient, email: str, area: str, start: list[str], at_least: int
) -> None:
    demo.load_demo()
    db.session.commit()
    assert login(client, email, app.config["DEMO_PASSWORD"]).status_code == 303
    read, found = _walk(client, start, area, limit=150)
    assert read >= at_least
    assert found == {}


def test_the_check_finds_what_reads_wrong() -> None:
    assert _problems("<span>90 min</span><span>Casey Manager</span>")
    assert _problems('In progress</span><span class="badge">Late</span>')
    assert _problems("with Casey<strong>Cancelled</strong>")
    assert _problems('<textarea id="reason"></textarea><textarea id="reason"></textarea>')
    assert _problems('<label for="risk-reason">Why</label><textarea id="reason"></textarea>')
    assert not _problems('<label for="reason">Why</label>\n<textarea id="reason"></textarea>')
    assert not _problems('12<span class="visually-hidden"> of 20</span>')
    assert not _problems('<span aria-hidden="true">—</span><span class="visually-hidden">0</span>')
