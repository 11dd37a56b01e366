"""Who may use which care-plan route, as a truth table over HTTP, and another client's plan
asked for under this client's address."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import CarePlan, Goal, GoalProgress, Intervention, Objective
from portal.services import care_plans

from ..helpers import csrf_token
from .support import HTMX, ROLES, page, post, sign_in, sign_in_as, without_csrf
from .test_care_plans import administer_needs, build_draft, plan_snapshot, sign_plan, stored

P = "/staff/clients/{client}/plan"


@pytest.fixture
def plans(app: Flask, agency) -> dict[str, int]:
    """Olive's plan in every state at once: version 1 in force, version 2 signed and awaiting
    a supervisor, version 3 a draft; a needs assessment with employment as a need."""
    v1 = build_draft(
        agency.own,
        agency.cm,
        [
            {
                "description": "Find a place of my own",
                "domain": "housing",
                "objectives": ["Apply to two programs", "Visit one apartment"],
                "interventions": ["Housing navigation", "Rent assistance forms"],
            },
            {"description": "Sleep through the night", "domain": "mental_health"},
        ],
    )
    sign_plan(v1, agency.cm)
    app.config["CARE_PLAN_APPROVAL_REQUIRED"] = True
    v2 = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    sign_plan(v2, agency.cm)
    app.config["CARE_PLAN_APPROVAL_REQUIRED"] = False
    v3 = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    administer_needs(agency.own, agency.cm, {"housing": 3, "employment": 2})
    [g1, _] = care_plans.load_goals(v1)
    [g3, g3b] = care_plans.load_goals(v3)
    ids = {
        "client": agency.own.id,
        "v1": v1.id,
        "v2": v2.id,
        "v3": v3.id,
        "g1": g1.id,
        "g3": g3.id,
        "g3b": g3b.id,
        "o3": g3.objectives[0].id,
        "o3b": g3.objectives[1].id,
        "i3": g3.interventions[0].id,
        "i3b": g3.interventions[1].id,
    }
    db.session.commit()
    return ids


def _version(model: Any, key: str) -> Callable[[dict[str, int]], dict[str, Any]]:
    def data(ids: dict[str, int]) -> dict[str, Any]:
        part = stored(model, ids[key])
        kind = {Goal: "goal", Objective: "objective", Intervention: "intervention"}[model]
        prefix = f"{kind}-{part.id}-"
        fields = {
            "goal": {"description": "My own place, near my sister", "domain": "housing"},
            "objective": {"description": "Apply to three programs"},
            "intervention": {"description": "Weekly housing navigation"},
        }[kind]
        extra = {"status": "in_progress", "progress": "10"} if kind == "goal" else {}
        if kind == "objective":
            extra = {"status": "in_progress"}
        return {prefix + k: v for k, v in {**fields, **extra, "version": part.version}.items()}

    return data


def _button(_ids: dict[str, int]) -> dict[str, Any]:
    return {}


def _new(kind: str, parent: str, text: str) -> Callable[[dict[str, int]], dict[str, Any]]:
    def data(ids: dict[str, int]) -> dict[str, Any]:
        prefix = f"new-{kind}-{ids[parent] if parent else 0}-"
        values: dict[str, Any] = {"description": text}
        if kind == "goal":
            values |= {"domain": "social_support", "status": "not_started", "progress": "0"}
        if kind == "objective":
            values |= {"status": "not_started"}
        return {prefix + k: v for k, v in values.items()}

    return data


Route = tuple[str, str, str, Callable[[dict[str, int]], dict[str, Any]] | None]

# In the order a user might work: reading first, then drafting, then approving and signing
# (after which the draft is frozen). Posts carry valid input.
ROUTES: list[Route] = [
    ("plan_detail", "GET", P, None),
    ("plan_versions", "GET", P + "/versions", None),
    ("plan_version", "GET", P + "/versions/{v1}", None),
    ("plan_compare", "GET", P + "/compare?before={v1}&after={v3}", None),
    ("part_show goal", "GET", P + "/goal/{g3}", None),
    ("part_show objective", "GET", P + "/objective/{o3}", None),
    ("part_show intervention", "GET", P + "/intervention/{i3}", None),
    ("part_edit goal", "GET", P + "/goal/{g3}/edit", None),
    ("part_edit objective", "GET", P + "/objective/{o3}/edit", None),
    ("part_edit intervention", "GET", P + "/intervention/{i3}/edit", None),
    ("child_new objective", "GET", P + "/goal/{g3}/objective/new", None),
    ("child_new intervention", "GET", P + "/goal/{g3}/intervention/new", None),
    ("goal_progress", "GET", P + "/goal/{g1}/progress", None),
    ("plan_sign", "GET", P + "/{v3}/sign", None),
    ("plan_pdf", "GET", P + "/{v1}/pdf", None),
    ("plan_start", "POST", P + "/start", _button),
    ("goal_create", "POST", P + "/{v3}/goals", _new("goal", "", "See my friends weekly")),
    ("need_to_goal", "POST", P + "/{v3}/needs/employment", _button),
    ("part_edit goal (save)", "POST", P + "/goal/{g3}/edit", _version(Goal, "g3")),
    ("part_edit objective (save)", "POST", P + "/objective/{o3}/edit", _version(Objective, "o3")),
    (
        "part_edit intervention (save)",
        "POST",
        P + "/intervention/{i3}/edit",
        _version(Intervention, "i3"),
    ),
    (
        "child_create objective",
        "POST",
        P + "/goal/{g3}/objective",
        _new("objective", "g3", "Call the landlord"),
    ),
    (
        "child_create intervention",
        "POST",
        P + "/goal/{g3}/intervention",
        _new("intervention", "g3", "Budget coaching"),
    ),
    ("part_move goal", "POST", P + "/goal/{g3b}/move", lambda ids: {"direction": "up"}),
    ("part_move objective", "POST", P + "/objective/{o3b}/move", lambda ids: {"direction": "up"}),
    (
        "part_move intervention",
        "POST",
        P + "/intervention/{i3b}/move",
        lambda ids: {"direction": "up"},
    ),
    (
        "goal_progress (record)",
        "POST",
        P + "/goal/{g1}/progress",
        lambda ids: {"recorded_on": "2020-01-02", "rating": "35", "comment": "Two viewings"},
    ),
    ("part_delete objective", "POST", P + "/objective/{o3}/delete", _button),
    ("part_delete intervention", "POST", P + "/intervention/{i3}/delete", _button),
    ("part_delete goal", "POST", P + "/goal/{g3b}/delete", _button),
    ("plan_approve", "POST", P + "/{v2}/approve", _button),
    (
        "plan_sign (sign)",
        "POST",
        P + "/{v3}/sign",
        lambda ids: {"review_due_on": "2099-01-01", "confirm": "y"},
    ),
]

READ = (200, 404, 200, 404, 200, 404, 404, 403, 403, 302)
WRITE_FORM = (200, 404, 403, 404, 200, 404, 404, 403, 403, 302)
CHANGE = (303, 404, 403, 404, 303, 404, 404, 403, 403, 302)
TABLE: dict[str, tuple[int, ...]] = {
    # route:                        cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "plan_detail": READ,
    "plan_versions": READ,
    "plan_version": READ,
    "plan_compare": READ,
    "part_show goal": READ,
    "part_show objective": READ,
    "part_show intervention": READ,
    "part_edit goal": WRITE_FORM,
    "part_edit objective": WRITE_FORM,
    "part_edit intervention": WRITE_FORM,
    "child_new objective": WRITE_FORM,
    "child_new intervention": WRITE_FORM,
    "goal_progress": READ,
    "plan_sign": WRITE_FORM,
    "plan_pdf": READ,
    "plan_start": CHANGE,
    "goal_create": CHANGE,
    "need_to_goal": CHANGE,
    "part_edit goal (save)": CHANGE,
    "part_edit objective (save)": CHANGE,
    "part_edit intervention (save)": CHANGE,
    "child_create objective": CHANGE,
    "child_create intervention": CHANGE,
    "part_move goal": CHANGE,
    "part_move objective": CHANGE,
    "part_move intervention": CHANGE,
    "goal_progress (record)": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "part_delete objective": CHANGE,
    "part_delete intervention": CHANGE,
    "part_delete goal": CHANGE,
    "plan_approve": (403, 404, 403, 404, 303, 404, 404, 403, 403, 302),
    "plan_sign (sign)": CHANGE,
}


# A part on its own is htmx's "cancel" of an inline edit (without htmx it leads to the plan
# page: test_care_plans.py).
INLINE = {"part_show goal", "part_show objective", "part_show intervention"}


def _ask(browser, ids, method, path, data, *, htmx=False):
    url = path.format(**ids)
    if method == "GET":
        return url, browser.get(url, headers=HTMX if htmx else None)
    return url, post(browser, url, data(ids), htmx=htmx)


def test_the_table_covers_every_care_plan_route(app):
    endpoints = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if view.__module__ == "portal.staff.care_plans"
    }
    assert {f"staff.{name.split(' ')[0]}" for name in TABLE} == endpoints
    assert [name for name, *_ in ROUTES] == list(TABLE)
    # every kind of part goes through the routes that take one
    for endpoint in ("part_show", "part_edit", "part_move", "part_delete"):
        kinds = {name.split(" ")[1] for name in TABLE if name.startswith(endpoint + " ")}
        assert kinds == {"goal", "objective", "intervention"}, endpoint


def _progress_count() -> int:
    return int(db.session.scalar(select(func.count(GoalProgress.id))) or 0)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, plans, role):
    before = plan_snapshot(agency.own)
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers, shown_when_refused = {}, []
    for name, method, path, data in ROUTES:
        htmx = name in INLINE and role != "anonymous"
        url, response = _ask(client, plans, method, path, data, htmx=htmx)
        answers[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if response.status_code in (403, 404) and "Olivia Quince" in page(response):
            shown_when_refused.append(url)
        if name == "plan_pdf" and response.status_code == 200:
            assert response.data[:4] == b"%PDF"
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}
    assert shown_when_refused == []

    after = plan_snapshot(agency.own)
    recorded = TABLE["goal_progress (record)"][column] == 303
    assert _progress_count() == (1 if recorded else 0)
    if TABLE["plan_sign (sign)"][column] != 303:
        assert after == before  # a refused user changed nothing at all
        return
    # an editor's changes all landed: version 3 is signed with them, and is in force
    v3 = stored(CarePlan, plans["v3"])
    assert v3.status == "active"
    goals = care_plans.load_goals(v3)
    assert [g.description for g in goals] == [
        "My own place, near my sister",  # "Sleep through the night" moved up, then removed
        "See my friends weekly",
        "Work on employment",
    ]
    edited = stored(Goal, plans["g3"])
    assert edited.description == "My own place, near my sister"
    assert [o.description for o in edited.objectives] == [
        "Visit one apartment",
        "Call the landlord",
    ]
    assert [i.description for i in edited.interventions] == [
        "Rent assistance forms",
        "Budget coaching",
    ]
    v2 = stored(CarePlan, plans["v2"])
    assert v2.status == "superseded"
    assert (v2.approved_by_id is not None) == (role == "supervisor")


def test_anonymous_htmx_requests_get_401_and_a_redirect_header(client, agency, plans):
    client.csrf = csrf_token(client, "/login")
    for _name, method, path, data in ROUTES:
        url, response = _ask(client, plans, method, path, data, htmx=True)
        assert response.status_code == 401, url
        assert unquote(response.headers["HX-Redirect"]) == f"/login?next={url}", url
        assert response.get_data() == b""


def same_page(one, one_path, other, other_path) -> bool:
    """The two answers are the same page, but for the address itself (and the CSRF token,
    whose timestamp may tick between the two)."""
    first = without_csrf(page(one)).replace(one_path, "PATH")
    return first == without_csrf(page(other)).replace(other_path, "PATH")


def test_another_clients_plan_under_this_clients_address_answers_as_a_missing_one(
    client, agency, plans
):
    theirs = build_draft(
        agency.theirs,
        agency.cm_other,
        [
            {
                "description": "Theodora's secret goal",
                "objectives": ["Theodora's step"],
                "interventions": ["Theodora's support"],
            }
        ],
    )
    sign_plan(theirs, agency.cm_other)
    draft = care_plans.start_draft(agency.theirs, actor=agency.cm_other, ip=None)
    administer_needs(agency.theirs, agency.cm_other, {"housing": 3})
    [signed_goal] = care_plans.load_goals(theirs)
    [goal] = care_plans.load_goals(draft)
    hidden = {
        "v1": theirs.id,
        "v3": draft.id,
        "g1": signed_goal.id,
        "g3": goal.id,
        "g3b": goal.id,
        "o3": goal.objectives[0].id,
        "o3b": goal.objectives[0].id,
        "i3": goal.interventions[0].id,
        "i3b": goal.interventions[0].id,
        "v2": theirs.id,
    }
    missing = dict.fromkeys(hidden, 999999)
    db.session.commit()
    before = plan_snapshot(agency.theirs)
    mine = plan_snapshot(agency.own)
    sign_in(client, agency.supervisor)  # may do everything on Olive's plan, nothing on Theodora's
    own = {"client": agency.own.id}
    for name, method, path, data in ROUTES:
        if "{" not in path.replace("{client}", ""):
            continue  # no id of a plan or a part in this address
        for swap in ("v1", "v3", "g1", "g3", "o3", "i3", "g3b", "o3b", "i3b", "v2"):
            if "{" + swap + "}" not in path:
                continue
            seen_ids = {**plans, **own, swap: hidden[swap]}
            absent_ids = {**plans, **own, swap: missing[swap]}
            seen_url, seen = _ask(client, seen_ids, method, path, _safe(data, plans))
            absent_url, absent = _ask(client, absent_ids, method, path, _safe(data, plans))
            assert seen.status_code == absent.status_code == 404, (name, swap)
            assert same_page(seen, seen_url, absent, absent_url), (name, swap)
            assert "Theodora" not in page(seen)
    # the comparison of one's own version with theirs, either way round
    for query in (
        f"before={theirs.id}&after={plans['v1']}",
        f"before={plans['v1']}&after={theirs.id}",
    ):
        response = client.get(f"/staff/clients/{agency.own.id}/plan/compare?{query}")
        assert response.status_code == 404
        assert "Theodora" not in page(response)
    assert plan_snapshot(agency.theirs) == before
    assert plan_snapshot(agency.own) == mine


def _safe(data, ids):
    """The form a route takes, filled in against Olive's own parts (never Theodora's)."""
    if data is None:
        return None
    return lambda _ids: data(ids)
