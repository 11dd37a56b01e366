"""Team meetings over HTTP: recording one writes a signed note into each discussed client's
record and a task for each follow-up; a wrong password or a half-filled row records nothing;
only those who were there open the meeting, and each sees only the clients they may see."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from portal import i18n
from portal.extensions import db
from portal.models import ProgressNote, Task, TeamMeeting, utcnow

from ..factories import PASSWORD, make_client
from ..helpers import csrf_token
from .support import HTMX, ROLES, field_error, page, post, sign_in, sign_in_as

OLIVE_PART = "Olive is ready to try the housing program; Casey will call the landlord."
SECOND_PART = "Sean missed two appointments; Pat will review his medication."


def held(ago: timedelta = timedelta(hours=2)) -> str:
    return (datetime.now(i18n.agency_zone()) - ago).strftime("%Y-%m-%dT%H:%M")


def meeting_data(agency: Any, **overrides: Any) -> dict[str, Any]:
    """The meeting form as a browser sends it: every row, the empty ones with their defaults."""
    data: dict[str, Any] = {
        "title": "Weekly team meeting",
        "held_at": held(),
        "duration_minutes": "60",
        "attendee_ids": [agency.cm.id, agency.team.id],
        "decisions": "Housing cases first from now on.",
        "password": PASSWORD,
    }
    for n in range(4):
        data[f"discussions-{n}-client_id"] = "0"
        data[f"discussions-{n}-text"] = ""
    for n in range(3):
        data[f"follow_ups-{n}-title"] = ""
        data[f"follow_ups-{n}-client_id"] = "0"
        data[f"follow_ups-{n}-assignee_id"] = str(agency.cm.id)
        data[f"follow_ups-{n}-due_on"] = ""
    data["discussions-0-client_id"] = str(agency.own.id)
    data["discussions-0-text"] = OLIVE_PART
    data.update(overrides)
    return data


@pytest.fixture
def second(agency):
    """Another client of Casey's; Pat is not on his care team."""
    return make_client(legal_name="Sean Second", primary_case_manager=agency.cm)


def counts() -> tuple[int, int, int]:
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(TeamMeeting)) or 0,
        db.session.scalar(select(func.count()).select_from(ProgressNote)) or 0,
        db.session.scalar(select(func.count()).select_from(Task)) or 0,
    )


def record(browser: Any, agency: Any, second: Any, **overrides: Any) -> Any:
    """Casey's meeting about Olive and Sean, with two follow-ups."""
    due = date.today() + timedelta(days=7)
    return post(
        browser,
        "/staff/meetings/new",
        meeting_data(
            agency,
            **{
                "discussions-1-client_id": str(second.id),
                "discussions-1-text": SECOND_PART,
                "follow_ups-0-title": "Call the landlord",
                "follow_ups-0-client_id": str(agency.own.id),
                "follow_ups-0-assignee_id": str(agency.cm.id),
                "follow_ups-0-due_on": due.isoformat(),
                "follow_ups-1-title": "Review Sean's medication",
                "follow_ups-1-client_id": str(second.id),
                "follow_ups-1-assignee_id": str(agency.team.id),
                **overrides,
            },
        ),
    )


def test_a_meeting_writes_a_signed_note_per_client_and_a_task_per_follow_up(client, agency, second):
    sign_in(client, agency.cm)
    tasks_before = counts()[2]
    response = record(client, agency, second)
    assert response.status_code == 303
    meeting = db.session.scalars(select(TeamMeeting)).one()
    assert response.headers["Location"] == f"/staff/meetings/{meeting.id}"
    assert meeting.title == "Weekly team meeting"
    assert meeting.attendee_ids == sorted([agency.cm.id, agency.team.id])
    assert meeting.created_by_id == agency.cm.id

    written = db.session.scalars(
        select(ProgressNote).where(ProgressNote.meeting_id == meeting.id).order_by(ProgressNote.id)
    ).all()
    assert [(n.client_id, n.sections) for n in written] == [
        (agency.own.id, {"narrative": OLIVE_PART}),
        (second.id, {"narrative": SECOND_PART}),
    ]
    for note in written:
        assert (note.status, note.contact_type, note.format) == (
            "signed",
            "team_meeting",
            "narrative",
        )
        assert (note.author_id, note.duration_minutes) == (agency.cm.id, 60)
        assert note.contact_at == meeting.held_at
        assert note.content_hash is not None

    tasks = db.session.scalars(select(Task).order_by(Task.id)).all()[tasks_before:]
    assert [(t.title, t.client_id, t.assignee_id, t.due_on, t.status) for t in tasks] == [
        (
            "Call the landlord",
            agency.own.id,
            agency.cm.id,
            date.today() + timedelta(days=7),
            "open",
        ),
        ("Review Sean's medication", second.id, agency.team.id, None, "open"),
    ]

    body = page(client.get(response.headers["Location"]))
    assert "Meeting recorded. Each client's part is in their notes." in body
    assert OLIVE_PART in body and SECOND_PART in body
    assert "Housing cases first from now on." in body
    # Each part links to the note in that client's record, which is a team meeting note.
    olive_note = f"/staff/clients/{agency.own.id}/notes/{written[0].id}"
    assert f'href="{olive_note}"' in body
    assert OLIVE_PART in page(client.get(olive_note))
    olive_notes = page(client.get(f"/staff/clients/{agency.own.id}/notes?type=team_meeting"))
    assert f'id="note-{written[0].id}"' in olive_notes
    # The meeting is in the lists of those who were there.
    assert "Weekly team meeting" in page(client.get("/staff/meetings"))


def test_a_wrong_password_records_nothing(client, agency, second):
    sign_in(client, agency.cm)
    before = counts()
    response = record(client, agency, second, password="not my password")
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "password") == "That password is not right."
    assert OLIVE_PART in body and SECOND_PART in body  # what was typed is still there
    assert counts() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"discussions-1-text": ""},
            "discussions-1-text",
            "Write what was discussed about this client.",
        ),
        (
            {"discussions-1-client_id": "0"},
            "discussions-1-client_id",
            "Choose the client this is about.",
        ),
        (
            {"follow_ups-2-due_on": "2031-01-15", "follow_ups-2-client_id": "{own}"},
            "follow_ups-2-title",
            "Describe the task.",
        ),
    ],
    ids=["client-without-text", "text-without-client", "follow-up-without-title"],
)
def test_a_half_filled_row_is_marked_and_nothing_is_recorded(
    client, agency, second, overrides, field, message
):
    sign_in(client, agency.cm)
    before = counts()
    overrides = {k: v.format(own=agency.own.id) for k, v in overrides.items()}
    response = record(client, agency, second, **overrides)
    assert response.status_code == 422
    assert field_error(page(response), field) == message
    assert counts() == before


def test_a_meeting_names_at_least_one_client(client, agency):
    sign_in(client, agency.cm)
    before = counts()
    response = post(
        client,
        "/staff/meetings/new",
        meeting_data(agency, **{"discussions-0-client_id": "0", "discussions-0-text": ""}),
    )
    assert response.status_code == 422
    assert field_error(page(response), "discussions-0-client_id") == (
        "Name at least one client discussed."
    )
    assert counts() == before


def test_a_meeting_in_the_future_is_refused(client, agency):
    sign_in(client, agency.cm)
    before = counts()
    response = post(
        client, "/staff/meetings/new", meeting_data(agency, held_at=held(-timedelta(days=1)))
    )
    assert response.status_code == 422
    assert field_error(page(response), "held_at") == "The meeting cannot be in the future."
    assert counts() == before


def test_a_client_one_may_not_see_cannot_be_discussed(client, agency):
    """Cleo's client is not in Casey's list; a forged row is refused, not written."""
    sign_in(client, agency.cm)
    before = counts()
    response = post(
        client,
        "/staff/meetings/new",
        meeting_data(agency, **{"discussions-0-client_id": str(agency.theirs.id)}),
    )
    assert response.status_code == 422
    assert field_error(page(response), "discussions-0-client_id") == (
        "Choose the client this is about."
    )
    assert counts() == before


def test_only_those_who_were_there_open_the_meeting(client, make_client, agency, second):
    sign_in(client, agency.cm)
    record(client, agency, second)
    meeting = db.session.scalars(select(TeamMeeting)).one()
    url = f"/staff/meetings/{meeting.id}"
    for outsider in (agency.not_team, agency.supervisor, agency.cm_other):
        browser = sign_in(make_client(), outsider)
        response = browser.get(url)
        assert response.status_code == 404, outsider.display_name
        assert OLIVE_PART not in page(response)
        assert "Weekly team meeting" not in page(browser.get("/staff/meetings"))
    assert client.get("/staff/meetings/999999").status_code == 404


def test_an_attendee_sees_only_the_clients_they_may_see(client, make_client, agency, second):
    sign_in(client, agency.cm)
    record(client, agency, second)
    meeting = db.session.scalars(select(TeamMeeting)).one()
    pat = sign_in(make_client(), agency.team)  # on Olive's care team, not on Sean's
    response = pat.get(f"/staff/meetings/{meeting.id}")
    assert response.status_code == 200
    body = page(response)
    assert OLIVE_PART in body
    assert SECOND_PART not in body
    assert "Sean Second" not in body
    assert "Weekly team meeting" in page(pat.get("/staff/meetings"))


def test_the_meeting_form_offers_only_clients_one_may_see(client, agency, second):
    sign_in(client, agency.team)
    body = page(client.get("/staff/meetings/new"))
    assert "Olive" in body
    assert "Sean Second" not in body
    assert "Theodora Quill" not in body


def test_my_meetings_list_is_not_lost_among_other_teams_meetings(client, agency):
    """A meeting one attended is listed even when the agency has recorded many since."""
    mine = TeamMeeting(
        held_at=utcnow() - timedelta(days=30),
        title="Our meeting of last month",
        attendee_ids=[agency.cm.id],
        created_by_id=agency.cm.id,
    )
    others = [
        TeamMeeting(
            held_at=utcnow() - timedelta(days=29) + timedelta(minutes=n),
            title=f"Another team's meeting {n}",
            attendee_ids=[agency.cm_other.id],
            created_by_id=agency.cm_other.id,
        )
        for n in range(210)
    ]
    db.session.add_all([mine, *others])
    sign_in(client, agency.cm)
    body = page(client.get("/staff/meetings"))
    assert "Our meeting of last month" in body
    assert "Another team's meeting" not in body


# ---- Who may use which route --------------------------------------------------------------------


Route = tuple[str, str, str, Callable[[Any], dict[str, Any]] | None]

ROUTES: list[Route] = [
    ("meeting_index", "GET", "/staff/meetings", None),
    ("meeting_new", "GET", "/staff/meetings/new", None),
    ("meeting_new (record)", "POST", "/staff/meetings/new", meeting_data),
    ("meeting_detail", "GET", "/staff/meetings/{meeting}", None),
]

TABLE: dict[str, tuple[int, ...]] = {
    # route:                 cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "meeting_index": (200, 200, 200, 200, 200, 200, 403, 403, 403, 302),
    "meeting_new": (200, 200, 200, 200, 200, 200, 403, 403, 403, 302),
    # Who may not see Olive cannot name her: the row is refused (422), nothing is recorded.
    "meeting_new (record)": (303, 422, 303, 422, 303, 422, 403, 403, 403, 302),
    # Casey recorded it, Pat attended; no one else opens it.
    "meeting_detail": (200, 404, 200, 404, 404, 404, 404, 403, 403, 302),
}


@pytest.fixture
def held_meeting(client, agency):
    """Casey's meeting with Pat about Olive, recorded through the form."""
    sign_in(client, agency.cm)
    assert post(client, "/staff/meetings/new", meeting_data(agency)).status_code == 303
    agency.ids["meeting"] = db.session.scalar(select(TeamMeeting.id))
    return agency


def test_the_table_covers_every_meetings_route(app):
    endpoints = {
        endpoint.removeprefix("staff.")
        for endpoint, view in app.view_functions.items()
        if view.__module__ == "portal.staff.meetings"
    }
    assert endpoints == {name.split(" ")[0] for name in TABLE}
    assert [name for name, *_ in ROUTES] == list(TABLE)


def _ask(browser, agency, method, path, data, *, htmx=False):
    url = path.format(**agency.ids)
    if method == "GET":
        return url, browser.get(url, headers=HTMX if htmx else None)
    return url, post(browser, url, data(agency), htmx=htmx)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(make_client, held_meeting, role):
    browser = make_client()
    sign_in_as(browser, held_meeting, role)
    column = ROLES.index(role)
    answers, leaks = {}, []
    for name, method, path, data in ROUTES:
        url, response = _ask(browser, held_meeting, method, path, data)
        answers[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next="), url
        if response.status_code in (403, 404) and OLIVE_PART in page(response):
            leaks.append(url)
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}
    assert leaks == []


def test_anonymous_htmx_requests_get_401_and_a_redirect_header(make_client, held_meeting):
    browser = make_client()
    browser.csrf = csrf_token(browser, "/login")
    for _name, method, path, data in ROUTES:
        url, response = _ask(browser, held_meeting, method, path, data, htmx=True)
        assert response.status_code == 401, url
        assert response.headers["HX-Redirect"] == f"/login?next={url}", url
        assert response.get_data() == b""
