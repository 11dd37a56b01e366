"""Tasks and paperwork: checklists, status, my tasks overdue first, the team view, access."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from urllib.parse import unquote

import pytest
import time_machine
from sqlalchemy import func, select

from portal.extensions import db
from portal.i18n import agency_today
from portal.models import Client, Role, Task, TaskItem, User

from ..factories import make_client, make_user
from .support import (
    HTMX,
    ROLES,
    events,
    field_error,
    field_value,
    page,
    post,
    section,
    sign_in,
    sign_in_as,
    without_csrf,
)

# 15:00 UTC on 15 March 2030 is 10:00 on the 15th in Chicago (the agency's time zone).
NOW = datetime(2030, 3, 15, 15, 0, tzinfo=UTC)
TODAY = date(2030, 3, 15)
M = TypeVar("M")


def reloaded(model: type[M], row_id: int) -> M:
    """The row as the database has it now."""
    row = db.session.get(model, row_id)
    assert row is not None
    return row


def make_task(
    title: str,
    *,
    client: Client | None = None,
    assignee: User | None = None,
    creator: User | None = None,
    steps: tuple[str, ...] = (),
    **fields: Any,
) -> Task:
    author = creator or assignee
    task = Task(
        title=title,
        client_id=client.id if client else None,
        assignee_id=assignee.id if assignee else None,
        created_by_id=author.id if author else None,
        **fields,
    )
    task.items = [TaskItem(text=text, position=n) for n, text in enumerate(steps)]
    db.session.add(task)
    db.session.flush()
    return task


def listed(body: str) -> list[str]:
    """The titles of the tasks in a list, in the order shown."""
    return re.findall(r'<p class="task__title"><a href="/staff/tasks/\d+">([^<]+)</a>', body)


def row(body: str, task: Task) -> str:
    start = body.index(f'<li id="task-{task.id}"')
    return body[start : body.index("</li>", start)]


def textarea(body: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', body, re.S)
    assert match, f"no textarea {name!r}"
    return match.group(1)


def selected(body: str, name: str) -> str:
    match = re.search(rf'<select[^>]*id="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert match, f"no select {name!r}"
    option = re.search(
        r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', match[1]
    )
    assert option, f"nothing selected in {name!r}"
    return option.group(1) or option.group(2)


def task_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Task)) or 0


# ---- A disability application with its checklist ------------------------------------------


SSI = {
    "title": "Apply for SSI/SSDI",
    "kind": "disability",
    "due_on": "2030-04-30",
    "checklist": (
        "Birth certificate copied\r\n\r\n  Form SSA-3368 filled in  \r\nMedical records requested"
    ),
    "notes": "Bring the psychiatrist's letter.",
}


def test_disability_task_with_a_checklist_is_added_on_the_client_record(client, agency):
    sign_in(client, agency.cm)
    response = post(
        client, f"/staff/clients/{agency.own.id}/tasks", {**SSI, "assignee_id": agency.team.id}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/clients/{agency.own.id}/tasks"
    task = db.session.scalars(select(Task).where(Task.title == "Apply for SSI/SSDI")).one()
    assert (task.kind, task.client_id, task.due_on, task.status) == (
        "disability",
        agency.own.id,
        date(2030, 4, 30),
        "open",
    )
    assert (task.assignee_id, task.created_by_id) == (agency.team.id, agency.cm.id)
    assert task.notes == "Bring the psychiatrist's letter."
    assert [(i.text, i.position, i.done) for i in task.items] == [
        ("Birth certificate copied", 0, False),
        ("Form SSA-3368 filled in", 1, False),
        ("Medical records requested", 2, False),
    ]
    created = [e for e in events("create", agency.own.id) if e.object_type == "task"]
    assert [(e.object_id, e.actor_id) for e in created] == [(str(task.id), agency.cm.id)]

    body = page(client.get(response.headers["Location"]))
    assert "Task added." in body
    entry = row(body, task)
    assert "Disability application (SSI/SSDI)" in entry
    assert "0 of 3 steps done" in entry and "Dr Pat Psychiatrist" in entry

    detail = page(client.get(f"/staff/tasks/{task.id}"))
    assert '<h1 id="task-title">Apply for SSI/SSDI</h1>' in detail
    assert "Olive" in detail and "Bring the psychiatrist's letter." in detail
    checklist = section(detail, "checklist-title")
    assert checklist.index("Birth certificate copied") < checklist.index("Medical records")


def test_a_general_task_is_about_no_client(client, agency):
    sign_in(client, agency.cm)
    response = post(
        client,
        "/staff/tasks",
        {"title": "Renew my CPR certificate", "kind": "other", "checklist": "Book the course"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/staff/tasks"
    task = db.session.scalars(select(Task).where(Task.title == "Renew my CPR certificate")).one()
    assert task.client_id is None and task.kind == "other"
    assert task.assignee_id == agency.cm.id  # the writer, when nobody else is chosen
    assert [i.text for i in task.items] == ["Book the course"]
    mine = page(client.get("/staff/tasks"))
    assert "Renew my CPR certificate" in listed(mine)
    assert "General task" in page(client.get(f"/staff/tasks/{task.id}"))


def test_a_supervisor_may_open_a_supervisees_general_task_and_nobody_else(make_client, agency):
    task = make_task("Mileage report", assignee=agency.cm)
    for user, status in [
        (agency.cm, 200),
        (agency.supervisor, 200),
        (agency.other_supervisor, 404),
        (agency.cm_other, 404),
        (agency.team, 404),
    ]:
        browser = sign_in(make_client(), user)
        assert browser.get(f"/staff/tasks/{task.id}").status_code == status, user.display_name


# ---- The checklist -------------------------------------------------------------------------


@pytest.fixture
def ssi(agency) -> Task:
    return make_task(
        "Apply for SSI/SSDI",
        client=agency.own,
        assignee=agency.cm,
        kind="disability",
        steps=("Birth certificate copied", "Form SSA-3368 filled in"),
    )


def test_ticking_a_step_without_javascript_comes_back_to_the_checklist(client, agency, ssi):
    sign_in(client, agency.cm)
    first = ssi.items[0]
    response = post(client, f"/staff/tasks/{ssi.id}/steps/{first.id}", {"done": "1"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/tasks/{ssi.id}#checklist"
    assert reloaded(TaskItem, first.id).done is True
    detail = page(client.get(f"/staff/tasks/{ssi.id}"))
    assert 'class="task-step task-step--done"' in detail
    post(client, f"/staff/tasks/{ssi.id}/steps/{first.id}", {"done": "0"})
    assert reloaded(TaskItem, first.id).done is False
    changes = [e.detail for e in events("update", agency.own.id) if e.object_id == str(ssi.id)]
    assert changes == [f"step {first.id} done", f"step {first.id} open"]


def test_ticking_a_step_with_htmx_returns_the_step_and_announces_it(client, agency, ssi):
    sign_in(client, agency.cm)
    second = ssi.items[1]
    url = f"/staff/tasks/{ssi.id}/steps/{second.id}"
    response = post(client, url, {"done": "1"}, htmx=True)
    assert response.status_code == 200
    body = page(response)
    assert "<html" not in body and body.lstrip().startswith(f'<li id="step-{second.id}"')
    assert 'aria-pressed="true"' in body and 'name="done" value="0"' in body
    assert 'hx-swap-oob="innerHTML"' in body and "“Form SSA-3368 filled in” done." in body
    assert reloaded(TaskItem, second.id).done is True

    again = page(post(client, url, {"done": "0"}, htmx=True))
    assert 'aria-pressed="false"' in again and "“Form SSA-3368 filled in” open again." in again
    assert reloaded(TaskItem, second.id).done is False


def test_ticking_a_step_that_is_already_ticked_changes_nothing(client, agency, ssi):
    sign_in(client, agency.cm)
    first = ssi.items[0]
    post(client, f"/staff/tasks/{ssi.id}/steps/{first.id}", {"done": "1"})
    post(client, f"/staff/tasks/{ssi.id}/steps/{first.id}", {"done": "1"})
    assert len([e for e in events("update") if e.object_id == str(ssi.id)]) == 1


def test_a_step_of_another_task_is_not_found_under_this_one(client, agency, ssi):
    other = make_task("Housing form", client=agency.own, assignee=agency.cm, steps=("Sign",))
    sign_in(client, agency.cm)
    response = post(client, f"/staff/tasks/{ssi.id}/steps/{other.items[0].id}", {"done": "1"})
    assert response.status_code == 404
    assert reloaded(TaskItem, other.items[0].id).done is False


def test_adding_a_step_puts_it_last(client, agency, ssi):
    sign_in(client, agency.cm)
    response = post(client, f"/staff/tasks/{ssi.id}/steps", {"text": "  Appointment at SSA  "})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/tasks/{ssi.id}#checklist"
    items = db.session.scalars(
        select(TaskItem).where(TaskItem.task_id == ssi.id).order_by(TaskItem.position)
    ).all()
    assert [(i.text, i.position) for i in items][-1] == ("Appointment at SSA", 2)
    assert [e.detail for e in events("update") if e.object_id == str(ssi.id)] == [
        f"step {items[-1].id} added"
    ]


def test_a_step_without_text_is_refused_at_the_field(client, agency, ssi):
    sign_in(client, agency.cm)
    response = post(client, f"/staff/tasks/{ssi.id}/steps", {"text": "   "})
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "text") == "Describe the step."
    assert "Birth certificate copied" in body  # the checklist is still shown
    assert len(reloaded(Task, ssi.id).items) == 2


# ---- Done, cancelled, open again -----------------------------------------------------------


def test_mark_done_cancel_and_reopen(client, agency, ssi):
    sign_in(client, agency.cm)
    url = f"/staff/tasks/{ssi.id}/status"
    response = post(client, url, {"status": "done"})
    assert response.status_code == 303 and response.headers["Location"] == f"/staff/tasks/{ssi.id}"
    task = reloaded(Task, ssi.id)
    assert task.status == "done" and task.completed_at is not None
    body = page(client.get(f"/staff/tasks/{ssi.id}"))
    assert "Task done." in body and "Reopen" in body and "Mark done" not in body

    post(client, url, {"status": "cancelled"})
    task = reloaded(Task, ssi.id)
    assert task.status == "cancelled" and task.completed_at is None
    assert "Task cancelled." in page(client.get(f"/staff/tasks/{ssi.id}"))

    post(client, url, {"status": "open"})
    task = reloaded(Task, ssi.id)
    assert task.status == "open" and task.completed_at is None
    assert "Task reopened." in page(client.get(f"/staff/tasks/{ssi.id}"))
    changes = [e.detail for e in events("update", agency.own.id) if e.object_id == str(ssi.id)]
    assert changes == ["done", "cancelled", "open"]


def test_status_goes_back_to_a_local_next_page_only(client, agency, ssi):
    sign_in(client, agency.cm)
    url = f"/staff/tasks/{ssi.id}/status"
    back = post(client, url, {"status": "done", "next": "/staff/tasks?kind=disability"})
    assert back.headers["Location"] == "/staff/tasks?kind=disability"
    away = post(client, url, {"status": "open", "next": "https://evil.example/phish"})
    assert away.headers["Location"] == f"/staff/tasks/{ssi.id}"


def test_an_unknown_status_is_refused(client, agency, ssi):
    sign_in(client, agency.cm)
    assert post(client, f"/staff/tasks/{ssi.id}/status", {"status": "lost"}).status_code == 400
    assert reloaded(Task, ssi.id).status == "open"


# ---- My tasks and the dashboard: overdue first ---------------------------------------------


@pytest.fixture
def my_tasks(agency) -> dict[str, Task]:
    """Casey's tasks around 15 March 2030 (the agency fixture's "Renew Medicaid" is undated)."""
    cm, own = agency.cm, agency.own
    return {
        "later": make_task("Later", client=own, assignee=cm, due_on=TODAY + timedelta(days=9)),
        "today": make_task("Due today", client=own, assignee=cm, due_on=TODAY, kind="housing"),
        "recent": make_task(
            "Overdue by a day",
            client=own,
            assignee=cm,
            due_on=TODAY - timedelta(days=1),
            kind="disability",
            steps=("Form signed", "Form mailed"),
        ),
        "old": make_task("Overdue by a week", assignee=cm, due_on=TODAY - timedelta(days=7)),
        "done": make_task(
            "Done long ago", client=own, assignee=cm, due_on=TODAY - timedelta(days=30)
        ),
        "cancelled": make_task(
            "Cancelled one", client=own, assignee=cm, due_on=TODAY - timedelta(days=3)
        ),
        "not_mine": make_task(
            "Someone else's", client=own, assignee=agency.team, due_on=TODAY - timedelta(days=9)
        ),
    }


def _close(tasks: dict[str, Task]) -> None:
    tasks["done"].status = "done"
    tasks["cancelled"].status = "cancelled"
    db.session.flush()


OPEN_ORDER = [
    "Overdue by a week",
    "Overdue by a day",
    "Due today",
    "Later",
    "Renew Medicaid",  # undated last
]


def test_my_tasks_are_listed_overdue_first_with_a_badge(client, agency, my_tasks):
    _close(my_tasks)
    with time_machine.travel(NOW, tick=False):
        assert agency_today() == TODAY
        sign_in(client, agency.cm)
        body = page(client.get("/staff/tasks"))
    assert listed(body) == OPEN_ORDER
    for name in ("old", "recent"):
        assert "Overdue" in row(body, my_tasks[name]), name
        assert "task--overdue" in row(body, my_tasks[name])
    for name in ("today", "later"):
        assert "Overdue" not in row(body, my_tasks[name]), name
    recent = row(body, my_tasks["recent"])
    assert "Disability application (SSI/SSDI)" in recent and "0 of 2 steps done" in recent
    assert "Olive" in recent  # the client it is about
    assert "Mark “Overdue by a day” done" in recent


def test_the_dashboard_lists_my_open_tasks_overdue_first(client, agency, my_tasks):
    _close(my_tasks)
    with time_machine.travel(NOW, tick=False):
        sign_in(client, agency.cm)
        body = section(page(client.get("/staff/")), "tasks-title")
    assert listed(body) == OPEN_ORDER
    assert body.count(">Overdue</span>") == 2
    assert "Overdue" in row(body, my_tasks["old"]) and "Overdue" not in row(body, my_tasks["today"])


def test_overdue_follows_the_agency_day_not_utc(client, agency):
    """At 02:00 UTC on the 16th it is still the 15th in Chicago: a task due on the 15th is
    due today, not overdue."""
    task = make_task("Call the landlord", client=agency.own, assignee=agency.cm, due_on=TODAY)
    with time_machine.travel(datetime(2030, 3, 16, 2, 0, tzinfo=UTC), tick=False):
        sign_in(client, agency.cm)
        body = page(client.get("/staff/tasks"))
    assert "Overdue" not in row(body, task)


def test_a_task_marked_done_from_the_list_leaves_it(client, agency, my_tasks):
    _close(my_tasks)
    with time_machine.travel(NOW, tick=False):
        sign_in(client, agency.cm)
        body = page(client.get("/staff/tasks"))
        later = row(body, my_tasks["later"])
        back = re.search(r'name="next" value="([^"]+)"', later)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', later)
        assert back and back[1].startswith("/staff/tasks") and token
        url = f"/staff/tasks/{my_tasks['later'].id}/status"
        # The row's own form, as the button sends it.
        form = {"csrf_token": token[1], "status": "done", "next": back[1]}
        response = client.post(url, data=form)
        assert response.headers["Location"].startswith("/staff/tasks")
        body = page(client.get("/staff/tasks"))
    assert "Later" not in listed(body) and "Task done." in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=disability", ["Overdue by a day"]),
        ("kind=housing", ["Due today"]),
        ("kind=insurance", []),
        ("kind=nonsense", OPEN_ORDER),
        ("status=done", ["Done long ago"]),
        ("status=cancelled", ["Cancelled one"]),
        ("status=done&kind=housing", []),
    ],
)
def test_my_tasks_filter_by_kind_and_status(client, agency, my_tasks, query, expected):
    _close(my_tasks)
    my_tasks["today"].kind = "housing"
    with time_machine.travel(NOW, tick=False):
        sign_in(client, agency.cm)
        body = page(client.get(f"/staff/tasks?{query}"))
    assert listed(body) == expected
    if not expected:
        assert "No tasks here." in body


def test_my_tasks_kind_filter_keeps_the_choice_in_the_form(client, agency, my_tasks):
    sign_in(client, agency.cm)
    body = page(client.get("/staff/tasks?kind=disability&status=open"))
    assert '<option value="disability" selected>' in body
    assert '<option value="open" selected>' in body


# ---- The supervisor's view of the team -----------------------------------------------------


@pytest.fixture
def team_tasks(agency) -> dict[str, Task]:
    overdue = TODAY - timedelta(days=2)
    sup, cm, cm_other = agency.supervisor, agency.cm, agency.cm_other
    done = make_task("Closed overdue", client=agency.own, assignee=cm, due_on=overdue)
    done.status = "done"
    return {
        "casey": make_task(
            "Casey's overdue housing form", client=agency.own, assignee=cm, due_on=overdue
        ),
        "casey_general": make_task("Casey's overdue training", assignee=cm, due_on=overdue),
        "casey_not_yet": make_task(
            "Casey's task due later", client=agency.own, assignee=cm, due_on=TODAY + timedelta(1)
        ),
        "casey_done": done,
        # Casey's task about a client Sam may not see stays out of Sam's view.
        "casey_hidden_client": make_task(
            "Casey's overdue task about Quill", client=agency.theirs, assignee=cm, due_on=overdue
        ),
        "own": make_task("Sam's own overdue review", assignee=sup, due_on=overdue),
        "cleo": make_task(
            "Cleo's overdue release", client=agency.theirs, assignee=cm_other, due_on=overdue
        ),
    }


def test_supervisor_team_view_shows_supervisees_overdue_tasks_only(client, agency, team_tasks):
    with time_machine.travel(NOW, tick=False):
        sign_in(client, agency.supervisor)
        body = page(client.get("/staff/tasks?view=team"))
    titles = listed(section(body, "list-title"))
    assert sorted(titles) == [
        "Casey's overdue housing form",
        "Casey's overdue training",
        "Sam's own overdue review",
    ]
    assert "Overdue tasks of my team" in body
    assert "Casey Manager" in row(body, team_tasks["casey"])  # whose task it is
    assert "Quill" not in body and "Cleo" not in body


def test_other_supervisor_team_view_shows_only_their_team(client, agency, team_tasks):
    with time_machine.travel(NOW, tick=False):
        sign_in(client, agency.other_supervisor)
        body = page(client.get("/staff/tasks?view=team"))
    assert listed(section(body, "list-title")) == ["Cleo's overdue release"]


def test_team_view_says_so_when_nothing_is_overdue(client, agency):
    sign_in(client, agency.supervisor)
    body = page(client.get("/staff/tasks?view=team"))
    assert "Nobody on your team has an overdue task." in body


def test_team_view_is_only_for_supervisors(client, agency, team_tasks):
    with time_machine.travel(NOW, tick=False):
        sign_in(client, agency.cm)
        body = page(client.get("/staff/tasks?view=team"))
    assert "My team's overdue tasks" not in body and "Overdue tasks of my team" not in body
    assert "Sam's own overdue review" not in body
    assert "Casey's overdue housing form" in listed(body)  # just my own tasks


# ---- Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/staff/clients/{client}/tasks", "/staff/tasks"])
def test_a_task_without_a_title_is_refused_and_keeps_what_was_typed(client, agency, path):
    sign_in(client, agency.cm)
    before = task_count()
    typed = {**SSI, "title": "  ", "assignee_id": str(agency.team.id)}
    response = post(client, path.format(client=agency.own.id), typed)
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "title") == "Describe the task."
    assert 'aria-describedby="title-error"' in body and 'id="error-summary"' in body
    assert field_value(body, "due_on") == "2030-04-30"
    assert selected(body, "kind") == "disability"
    assert selected(body, "assignee_id") == str(agency.team.id)
    assert "Form SSA-3368 filled in" in textarea(body, "checklist")
    assert textarea(body, "notes") == "Bring the psychiatrist's letter."
    assert task_count() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kind", "lottery"),
        ("due_on", "31/31/2030"),
        ("assignee_id", "client"),
        ("title", "x" * 201),
    ],
)
def test_bad_task_fields_are_refused_at_the_field(client, agency, field, value):
    sign_in(client, agency.cm)
    before = task_count()
    if value == "client":
        value = str(agency.client_user.id)  # not someone a task can be given to
    response = post(client, f"/staff/clients/{agency.own.id}/tasks", {**SSI, field: value})
    assert response.status_code == 422
    assert field_error(page(response), field)
    assert task_count() == before


# ---- Who may do what -----------------------------------------------------------------------


Route = tuple[str, str, str, Callable[[Any], dict[str, Any]] | None]

ROUTES: list[Route] = [
    ("task_index", "GET", "/staff/tasks", None),
    ("task_index (team)", "GET", "/staff/tasks?view=team", None),
    ("task_index (add)", "POST", "/staff/tasks", lambda a: {"title": "Order bus passes"}),
    ("task_detail", "GET", "/staff/tasks/{task}", None),
    ("task_step_add", "POST", "/staff/tasks/{task}/steps", lambda a: {"text": "Copy the ID"}),
    ("task_step_toggle", "POST", "/staff/tasks/{task}/steps/{item}", lambda a: {"done": "1"}),
    ("task_status", "POST", "/staff/tasks/{task}/status", lambda a: {"status": "done"}),
    ("client_tasks", "GET", "/staff/clients/{client}/tasks", None),
    ("client_tasks (add)", "POST", "/staff/clients/{client}/tasks", lambda a: {"title": "Call"}),
    ("task_done", "POST", "/staff/tasks/{task}/done", lambda a: {}),
]

# The task is Casey's "Renew Medicaid" about Olivia (Casey's client; Pat is on her care team).
TABLE: dict[str, tuple[int, ...]] = {
    # route:              cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "task_index": (200, 200, 200, 200, 200, 200, 200, 403, 403, 302),
    "task_index (team)": (200, 200, 200, 200, 200, 200, 200, 403, 403, 302),
    "task_index (add)": (303, 303, 303, 303, 303, 303, 403, 403, 403, 302),
    "task_detail": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "task_step_add": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "task_step_toggle": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "task_status": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "client_tasks": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "client_tasks (add)": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "task_done": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
}


@pytest.fixture
def step(agency) -> TaskItem:
    item = TaskItem(task_id=agency.ids["task"], text="Proof of income", position=0)
    db.session.add(item)
    db.session.flush()
    agency.ids["item"] = item.id
    return item


def _ask(browser, agency, method, path, data, *, htmx=False):
    url = path.format(**agency.ids)
    if method == "GET":
        return url, browser.get(url, headers=HTMX if htmx else None)
    return url, post(browser, url, data(agency), htmx=htmx)


def test_the_table_covers_every_task_route(app):
    endpoints = {
        rule.endpoint.removeprefix("staff.")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("staff.task") or rule.endpoint == "staff.client_tasks"
    }
    assert {name.split(" ")[0] for name in TABLE} == endpoints
    assert [name for name, *_ in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_task_route_truth_table(client, agency, step, role):
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers, leaked = {}, []
    for name, method, path, data in ROUTES:
        url, response = _ask(client, agency, method, path, data)
        answers[name] = response.status_code
        if response.status_code == 302:
            assert unquote(response.headers["Location"]) == f"/login?next={url}"
        body = page(response)
        if response.status_code in (403, 404) and ("Renew Medicaid" in body or ">Olive<" in body):
            leaked.append(url)
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}
    assert leaked == []
    task = reloaded(Task, agency.ids["task"])
    changed = TABLE["task_status"][column] == 303
    assert (task.status == "done") is changed
    assert reloaded(TaskItem, step.id).done is changed


def test_anonymous_htmx_task_requests_get_401_and_a_redirect_header(client, agency, step):
    sign_in_as(client, agency, "anonymous")
    for _name, method, path, data in ROUTES:
        url, response = _ask(client, agency, method, path, data, htmx=True)
        assert response.status_code == 401, url
        assert unquote(response.headers["HX-Redirect"]) == f"/login?next={url}", url


def test_a_task_about_a_client_one_may_not_see_answers_exactly_as_a_missing_one(client, agency):
    hidden = make_task(
        "Quill paperwork", client=agency.theirs, assignee=agency.cm_other, steps=("Sign",)
    )
    sign_in(client, agency.cm)
    pairs = [
        ("GET", f"/staff/tasks/{hidden.id}", "/staff/tasks/999999"),
        ("POST", f"/staff/tasks/{hidden.id}/steps", "/staff/tasks/999999/steps"),
        (
            "POST",
            f"/staff/tasks/{hidden.id}/steps/{hidden.items[0].id}",
            f"/staff/tasks/999999/steps/{hidden.items[0].id}",
        ),
        ("POST", f"/staff/tasks/{hidden.id}/status", "/staff/tasks/999999/status"),
    ]
    data = {"text": "Mine now", "done": "1", "status": "cancelled"}
    for method, seen_url, missing_url in pairs:
        if method == "GET":
            seen, missing = client.get(seen_url), client.get(missing_url)
        else:
            seen, missing = post(client, seen_url, data), post(client, missing_url, data)
        assert seen.status_code == missing.status_code == 404, seen_url
        assert without_csrf(page(seen)).replace(seen_url, "X") == without_csrf(
            page(missing)
        ).replace(missing_url, "X")
        assert "Quill" not in page(seen)
    task = reloaded(Task, hidden.id)
    assert task.status == "open" and [(i.text, i.done) for i in task.items] == [("Sign", False)]
    assert "Quill paperwork" not in page(client.get("/staff/tasks"))


def test_a_task_i_was_given_stays_mine_to_work_on(client, agency):
    """Casey gave Cleo a piece of Olivia's paperwork: Cleo may open and finish that task."""
    given = make_task(
        "Fax the release", client=agency.own, assignee=agency.cm_other, creator=agency.cm
    )
    sign_in(client, agency.cm_other)
    assert client.get(f"/staff/tasks/{given.id}").status_code == 200
    assert "Fax the release" in listed(page(client.get("/staff/tasks")))
    assert post(client, f"/staff/tasks/{given.id}/status", {"status": "done"}).status_code == 303
    assert client.get(f"/staff/tasks/{agency.ids['task']}").status_code == 404


# ---- Queries do not grow with the rows -----------------------------------------------------


def _give_tasks(user: User, count: int, *, due_on: date | None = None) -> None:
    for n in range(count):
        person = make_client(primary_case_manager=user)
        make_task(
            f"Paperwork {n}",
            client=person,
            assignee=user,
            due_on=due_on or TODAY + timedelta(days=n),
            kind="insurance",
            steps=("Copy the card", "Fill in the form", "Mail it"),
        )


@pytest.mark.parametrize("path", ["/staff/tasks", "/staff/"])
def test_my_tasks_query_count_does_not_grow_with_the_tasks(make_client, count_queries, path):
    one, many = make_user(Role.CASE_MANAGER), make_user(Role.CASE_MANAGER)
    _give_tasks(one, 1)
    _give_tasks(many, 30)
    few_browser, lots_browser = sign_in(make_client(), one), sign_in(make_client(), many)
    few_browser.get(path)  # the first visit may load what later visits reuse
    lots_browser.get(path)
    with count_queries() as few:
        small = page(few_browser.get(path))
    with count_queries() as lots:
        large = page(lots_browser.get(path))
    assert small.count("0 of 3 steps done") == 1
    assert large.count("0 of 3 steps done") == (30 if path == "/staff/tasks" else 10)
    assert lots.count == few.count


def test_team_view_query_count_does_not_grow_with_the_tasks(make_client, count_queries):
    boss, other_boss = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    _give_tasks(make_user(Role.CASE_MANAGER, supervisor=boss), 1, due_on=date(2000, 1, 1))
    _give_tasks(make_user(Role.CASE_MANAGER, supervisor=other_boss), 30, due_on=date(2000, 1, 1))
    few_browser, lots_browser = sign_in(make_client(), boss), sign_in(make_client(), other_boss)
    few_browser.get("/staff/tasks?view=team")
    lots_browser.get("/staff/tasks?view=team")
    with count_queries() as few:
        small = page(few_browser.get("/staff/tasks?view=team"))
    with count_queries() as lots:
        large = page(lots_browser.get("/staff/tasks?view=team"))
    assert small.count("0 of 3 steps done") == 1 and large.count("0 of 3 steps done") == 30
    assert lots.count == few.count
