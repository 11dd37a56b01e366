"""The activity timeline of a client's record: page by page through the audit log, each line
linked to what it is about, a run of saves shown once, and a query budget that does not grow
with the history."""

from __future__ import annotations

import re
from typing import Any

import pytest

from portal.services import audit

from ..factories import PASSWORD
from ..helpers import csrf_token
from .support import HTMX, ROLES, field_value, page, post, sign_in, sign_in_as
from .test_meetings import meeting_data
from .test_notes import editor_data, notes_of

LINE = re.compile(r'<li><time datetime="[^"]+">[^<]*</time>\s*<a href="([^"]+)">([^<]+)</a>')
MORE = re.compile(r'class="timeline__more" hx-get="([^"]+)" hx-trigger="revealed"')


def lines(body: str) -> list[tuple[str, str]]:
    """The timeline's lines as (link, label), newest first."""
    return LINE.findall(body)


def next_page(body: str) -> str | None:
    match = MORE.search(body)
    return match.group(1) if match else None


def timeline_url(agency: Any) -> str:
    return f"/staff/clients/{agency.own.id}/timeline"


def event(action: str, kind: str, n: int, actor: Any, client_id: int) -> None:
    audit.record(action, actor=actor, ip=None, object_type=kind, object_id=n, client_id=client_id)


def add_history(agency: Any, start: int, stop: int) -> list[tuple[str, str]]:
    """Audit events on Olive's record, numbered start..stop-1; returns the lines the shown
    ones should make, oldest first. Each line leads somewhere of its own, so a line seen twice
    or missed shows."""
    own = agency.own.id
    expected: list[tuple[str, str]] = []
    for n in range(start, stop):
        actor = agency.cm if n % 2 else agency.team
        kind = n % 10
        if kind == 0:
            event("view", "client", own, actor, own)  # not activity: never a line
        elif kind == 5:
            event("print", "care_plan", n, actor, own)  # nor is printing
        elif kind in (1, 6):
            event("create", "task", n, actor, own)
            expected.append((f"/staff/tasks/{n}", "Task added"))
        elif kind in (2, 7):
            event("sign", "progress_note", n, actor, own)
            expected.append((f"/staff/clients/{own}/notes/{n}", "Note signed"))
        elif kind in (3, 8):
            event("create", "assessment", n, actor, own)
            expected.append((f"/staff/clients/{own}/assessments/{n}", "Assessment completed"))
        elif kind == 4:
            event("update", "progress_note", n, actor, own)  # a draft's save: its author's alone
        else:
            event("update", "care_plan", n, actor, own)  # one plan each: no run to join
            expected.append((f"/staff/clients/{own}/plan/versions/{n}", "Care plan draft edited"))
    return expected


def test_paging_through_the_timeline_shows_every_event_once(client, agency, count_queries):
    expected = add_history(agency, 1, 301)
    assert len(expected) == 210
    sign_in(client, agency.cm)

    first = client.get(timeline_url(agency))
    assert first.status_code == 200
    body = page(first)
    assert "<html" in body
    seen, budgets, pages = lines(body), [], 1
    url = next_page(body)
    while url is not None:
        with count_queries() as counted:
            response = client.get(url, headers=HTMX)
        assert response.status_code == 200
        budgets.append(counted.count)
        body = page(response)
        assert "<html" not in body
        seen += lines(body)
        url = next_page(body)
        pages += 1
        assert pages < 50
    assert seen == list(reversed(expected))
    assert pages == 11  # 210 lines, 20 a page
    # Every page costs the same, however deep into the history it is.
    assert len(set(budgets)) == 1, budgets


def test_a_timeline_page_without_javascript_is_a_full_page_with_a_link_on(client, agency):
    add_history(agency, 1, 61)
    sign_in(client, agency.cm)
    body = page(client.get(timeline_url(agency)))
    url = next_page(body)
    assert url is not None and f'<a href="{url}">Older activity</a>' in body
    older = client.get(url)
    assert older.status_code == 200
    assert '<html lang="en"' in page(older)
    assert lines(page(older))
    assert set(lines(page(older))).isdisjoint(lines(body))


def test_the_overview_shows_page_one_at_the_same_cost_for_300_events_as_for_a_few(
    client, agency, count_queries
):
    add_history(agency, 1, 6)
    sign_in(client, agency.cm)
    overview = f"/staff/clients/{agency.own.id}"

    def cost() -> tuple[int, str]:
        client.get(overview)
        with count_queries() as counted:
            response = client.get(overview)
        assert response.status_code == 200
        return counted.count, page(response)

    few, _body = cost()
    add_history(agency, 6, 301)
    many, body = cost()
    assert many == few
    # Page one of the timeline, and the loader of the next page when it scrolls into view.
    timeline = page(client.get(timeline_url(agency)))
    assert lines(body) == lines(timeline)
    assert len(lines(body)) == 20
    assert next_page(body) == next_page(timeline) is not None


def test_the_timeline_names_what_happened_and_links_to_it(client, make_client, agency):
    sign_in(client, agency.cm)
    notes_page = f"/staff/clients/{agency.own.id}/notes"
    first = post(client, notes_page + "/save", editor_data(), htmx=True)
    note_id = field_value(page(first), "note_id")
    assert note_id is not None
    for version in (1, 2, 3):
        post(
            client,
            notes_page + "/save",
            editor_data(note_id=note_id, version=str(version), plan=f"Plan {version}"),
            htmx=True,
        )
    # While it is a draft, the note is Casey's alone: nothing of it is in the timeline.
    pat = sign_in(make_client(), agency.team)
    assert lines(page(pat.get(timeline_url(agency)))) == []
    assert lines(page(client.get(timeline_url(agency)))) == []

    signed = post(
        client,
        notes_page + "/sign",
        editor_data(note_id=note_id, version="4", plan="Plan 3", password=PASSWORD),
    )
    assert signed.status_code == 303
    post(client, f"{notes_page}/{note_id}/addenda", {"text": "She called back."})
    post(client, f"/staff/clients/{agency.own.id}/tasks", {"title": "Renew bus pass"})
    [note] = notes_of(agency.own)

    body = page(client.get(timeline_url(agency)))
    found = lines(body)
    note_page = f"{notes_page}/{note.id}"
    assert [label for _link, label in found] == [
        "Task added",
        "Addendum added to a note",
        "Note signed",
    ]
    assert found[1:] == [
        (note_page, "Addendum added to a note"),
        (note_page, "Note signed"),
    ]
    assert re.fullmatch(r"/staff/tasks/\d+", found[0][0])
    assert "Casey Manager" in body

    # The links lead there, for the care team as for the author.
    assert "Plan 3" in page(pat.get(note_page))
    assert "She called back." in page(pat.get(note_page))
    assert "Renew bus pass" in page(client.get(found[0][0]))
    assert lines(page(pat.get(timeline_url(agency)))) == found
    # The overview shows the same lines.
    assert lines(page(client.get(f"/staff/clients/{agency.own.id}"))) == found


def test_a_run_of_edits_of_one_thing_by_one_person_is_one_line(client, agency):
    own = agency.own.id
    cm, team = agency.cm, agency.team
    event("create", "care_plan", 7, cm, own)
    for actor, plan in ((cm, 7), (cm, 7), (cm, 7), (team, 7), (cm, 7), (cm, 8), (cm, 8)):
        event("update", "care_plan", plan, actor, own)
    sign_in(client, agency.cm)
    body = page(client.get(timeline_url(agency)))
    versions = f"/staff/clients/{own}/plan/versions"
    assert lines(body) == [
        (f"{versions}/8", "Care plan draft edited"),  # two edits of plan 8
        (f"{versions}/7", "Care plan draft edited"),
        (f"{versions}/7", "Care plan draft edited"),  # Pat's edit splits Casey's run
        (f"{versions}/7", "Care plan draft edited"),  # Casey's first three edits
        (f"{versions}/7", "Care plan draft started"),
    ]
    actors = re.findall(r'<span class="muted">([^<]+)</span></li>', body)
    assert actors == [
        "Casey Manager",
        "Casey Manager",
        "Dr Pat Psychiatrist",
        "Casey Manager",
        "Casey Manager",
    ]


def test_a_team_meeting_shows_in_the_timeline_with_a_link_to_it(client, agency):
    sign_in(client, agency.cm)
    recorded = post(client, "/staff/meetings/new", meeting_data(agency))
    assert recorded.status_code == 303
    found = lines(page(client.get(timeline_url(agency))))
    assert (recorded.headers["Location"], "Discussed at a team meeting") in found
    assert any(label == "Note signed" for _link, label in found)


# ---- Who may read the timeline --------------------------------------------------------------


TABLE = {
    # route:          cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "client_timeline": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
}


def test_the_table_covers_the_timeline_route(app):
    endpoints = {
        endpoint.removeprefix("staff.")
        for endpoint, view in app.view_functions.items()
        if view.__module__ == "portal.staff.timeline"
    }
    assert endpoints == set(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, role):
    add_history(agency, 1, 30)
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers = {}
    for htmx in (False, True):
        response = client.get(
            timeline_url(agency), headers=HTMX if htmx and role != "anonymous" else None
        )
        answers[htmx] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if response.status_code in (403, 404):
            assert "Task added" not in page(response)
            assert "Olivia Quince" not in page(response)
        if response.status_code == 200:
            assert ("<html" in page(response)) is not htmx
            assert "Task added" in page(response)
    assert answers == dict.fromkeys((False, True), TABLE["client_timeline"][column])


def test_anonymous_htmx_requests_get_401_and_a_redirect_header(client, agency):
    client.csrf = csrf_token(client, "/login")
    url = timeline_url(agency) + "?before=10"
    response = client.get(url, headers=HTMX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert "timeline" in response.headers["HX-Redirect"]
    assert response.get_data() == b""


def test_a_run_that_crosses_a_page_boundary_is_still_one_line(client, agency):
    own = agency.own.id
    for n in range(10):
        event("create", "task", 100 + n, agency.cm, own)
    for _n in range(25):
        event("update", "care_plan", 7, agency.cm, own)
    for n in range(10):
        event("create", "task", 200 + n, agency.cm, own)
    sign_in(client, agency.cm)
    seen: list[tuple[str, str]] = []
    url: str | None = timeline_url(agency)
    while url is not None:
        body = page(client.get(url, headers=HTMX))
        seen += lines(body)
        url = next_page(body)
    tasks = [(f"/staff/tasks/{n}", "Task added") for n in range(100, 110)]
    later = [(f"/staff/tasks/{n}", "Task added") for n in range(200, 210)]
    plan = (f"/staff/clients/{own}/plan/versions/7", "Care plan draft edited")
    assert seen == [*reversed(later), plan, *reversed(tasks)]
