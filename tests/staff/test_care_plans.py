"""Care plans over HTTP: drafting inline, signing freezes, new versions copy, diff, progress,
approval, review dates, the PDF, needs from the assessment, and conflicts between two editors.

Who may use which route is in test_care_plan_access.py; the services on their own in
tests/test_care_plan_service.py."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import pytest
from babel.dates import format_date as babel_format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from pypdf import PdfReader
from sqlalchemy import select

from portal import i18n
from portal.extensions import db
from portal.labels import LIFE_DOMAIN_LABELS
from portal.models import (
    Assessment,
    AuditEvent,
    CarePlan,
    Client,
    Goal,
    GoalProgress,
    Objective,
    Role,
    Task,
    User,
)
from portal.services import assessments, care_plans

from ..factories import make_client, make_user
from .support import HTMX, events, field_error, field_value, page, post, section, sign_in

APPROVAL = pytest.mark.parametrize(
    "app_config", [{"CARE_PLAN_APPROVAL_REQUIRED": True}], ids=["approval"]
)
FROZEN = "Version {number} of this plan is signed and cannot change."
Row = TypeVar("Row")


# ---- Building plans through the services (fast), and looking at them -----------------------


def build_draft(person: Client, actor: User, goals: list[dict[str, Any]]) -> CarePlan:
    """The open draft (a new one if need be) with these goals, objectives and interventions."""
    plan = care_plans.start_draft(person, actor=actor, ip=None)
    for spec in goals:
        values = {k: v for k, v in spec.items() if k in care_plans.FIELDS["goal"]}
        goal = care_plans.add_goal(plan, values, actor=actor, ip=None)
        for text in spec.get("objectives", ()):
            care_plans.add_child(goal, "objective", {"description": text}, actor=actor, ip=None)
        for text in spec.get("interventions", ()):
            care_plans.add_child(
                goal,
                "intervention",
                {"description": text, "responsible": "Case manager", "frequency": "Weekly"},
                actor=actor,
                ip=None,
            )
    return plan


def sign_plan(
    plan: CarePlan, actor: User, *, review: date | None = None, today: date | None = None
) -> CarePlan:
    care_plans.sign(
        plan,
        review_due_on=review,
        actor=actor,
        ip=None,
        today=today or i18n.agency_today(),
    )
    return plan


def administer_needs(
    person: Client, actor: User, ratings: dict[str, int], notes: dict[str, str] | None = None
) -> Assessment:
    """A psychosocial needs assessment: every area rated 0 unless given."""
    instrument = assessments.instruments()["psychosocial"]
    answers = {item.id: 0 for item in instrument.items} | ratings
    assessment, _result = assessments.record(
        person,
        instrument,
        answers,
        notes or {},
        actor=actor,
        ip=None,
        today=i18n.agency_today(),
    )
    return assessment


def plan_snapshot(person: Client) -> list[tuple[Any, ...]]:
    """Everything stored about every version of a client's plan (progress entries aside)."""
    db.session.expire_all()
    rows: list[tuple[Any, ...]] = []
    plans = db.session.scalars(
        select(CarePlan).where(CarePlan.client_id == person.id).order_by(CarePlan.number)
    )
    for plan in plans:
        rows.append(
            (
                "plan",
                plan.number,
                plan.status,
                plan.version,
                plan.signed_at,
                plan.review_due_on,
                plan.approved_by_id,
                plan.acknowledged_at,
            )
        )
        for goal in care_plans.load_goals(plan):
            rows.append(("goal", plan.number, goal.key, goal.position, goal.version))
            rows.append(tuple(getattr(goal, name) for name in care_plans.FIELDS["goal"]))
            for objective in goal.objectives:
                rows.append(("objective", objective.key, objective.position, objective.version))
                rows.append(
                    tuple(getattr(objective, name) for name in care_plans.FIELDS["objective"])
                )
            for intervention in goal.interventions:
                rows.append(
                    ("intervention", intervention.key, intervention.position, intervention.version)
                )
                rows.append(
                    tuple(getattr(intervention, name) for name in care_plans.FIELDS["intervention"])
                )
    return rows


def stored(model: type[Row], ident: int) -> Row:
    """The row as the database holds it now."""
    row = db.session.get(model, ident)
    assert row is not None, f"no {model.__name__} {ident}"
    return row


def part_of(goal: Goal, kind: str) -> care_plans.PlanPart:
    """The goal itself, or its first objective or intervention."""
    if kind == "goal":
        return goal
    return goal.objectives[0] if kind == "objective" else goal.interventions[0]


def plan_url(person: Client) -> str:
    return f"/staff/clients/{person.id}/plan"


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def textarea(body: str, name: str) -> str:
    match = re.search(rf'<textarea[^>]*name="{re.escape(name)}"[^>]*>(.*?)</textarea>', body, re.S)
    assert match, f"no textarea {name!r}"
    return match.group(1).strip()


def selected(body: str, name: str) -> str | None:
    match = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', body, re.S)
    assert match, f"no select {name!r}"
    chosen = re.search(
        r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', match[1]
    )
    return (chosen.group(1) or chosen.group(2)) if chosen else None


def goal_data(prefix: str, text: str, **extra: Any) -> dict[str, Any]:
    values = {
        "description": text,
        "domain": extra.get("domain", "housing"),
        "status": extra.get("status", "not_started"),
        "progress": str(extra.get("progress", 0)),
        "target_date": extra.get("target_date", ""),
    }
    if "version" in extra:
        values["version"] = str(extra["version"])
    return {f"{prefix}-{name}": value for name, value in values.items()}


# ---- Helpers that go through HTTP, as a case manager's browser does ----------------------


def start(browser, person) -> CarePlan:
    response = post(browser, f"{plan_url(person)}/start")
    assert response.status_code == 303
    plan = care_plans.draft(person)
    assert plan is not None
    return plan


def add_goal(browser, person, plan, text: str, **extra) -> Goal:
    data = goal_data("new-goal-0", text, **extra)
    response = post(browser, f"{plan_url(person)}/{plan.id}/goals", data, htmx=True)
    assert response.status_code == 200, page(response)
    assert text in page(response)
    goal = db.session.scalar(select(Goal).where(Goal.plan_id == plan.id).order_by(Goal.id.desc()))
    assert goal is not None
    return goal


def sign(browser, person, plan, review: date | None = None) -> None:
    review = review or i18n.agency_today() + timedelta(days=90)
    response = post(
        browser,
        f"{plan_url(person)}/{plan.id}/sign",
        {"review_due_on": review.isoformat(), "confirm": "y"},
    )
    assert response.status_code == 303, page(response)


def record_progress(browser, person, goal, rating: int, on: date, comment: str = "") -> Any:
    return post(
        browser,
        f"{plan_url(person)}/goal/{goal.id}/progress",
        {"recorded_on": on.isoformat(), "rating": str(rating), "comment": comment},
    )


def test_draft_sign_and_new_version_copies_goals(client, agency):
    browser = sign_in(client, agency.cm)
    client = agency.own
    assert "No care plan yet" in page(browser.get(plan_url(client)))
    plan = start(browser, client)
    goal = add_goal(browser, client, plan, "I want my own place by spring")
    response = post(
        browser,
        f"{plan_url(client)}/goal/{goal.id}/objective",
        {
            f"new-objective-{goal.id}-description": "Apply to two housing programs",
            f"new-objective-{goal.id}-status": "not_started",
        },
        htmx=True,
    )
    assert response.status_code == 200, page(response)
    assert "Apply to two housing programs" in page(response)
    response = post(
        browser,
        f"{plan_url(client)}/goal/{goal.id}/intervention",
        {
            f"new-intervention-{goal.id}-description": "Housing navigation",
            f"new-intervention-{goal.id}-responsible": "Case manager",
            f"new-intervention-{goal.id}-frequency": "Weekly",
        },
        htmx=True,
    )
    assert response.status_code == 200, page(response)
    sign(browser, client, plan)
    db.session.refresh(plan)
    assert plan.status == "active"
    text = page(browser.get(plan_url(client)))
    assert "I want my own place by spring" in text and "In force" in text
    new = start(browser, client)
    assert new.number == 2 and new.based_on_id == plan.id
    goals = care_plans.load_goals(new)
    assert [g.description for g in goals] == ["I want my own place by spring"]
    assert goals[0].key == goal.key
    assert [o.description for o in goals[0].objectives] == ["Apply to two housing programs"]


def test_a_goals_add_forms_are_drawn_when_opened_or_on_a_page_of_their_own(client, agency):
    plan = _two_of_everything(agency.own, agency.cm)
    first, second = care_plans.load_goals(plan)
    db.session.commit()
    browser = sign_in(client, agency.cm)
    base = plan_url(agency.own)
    # The draft's page: every goal offers both, closed, and draws no form for them.
    body = page(browser.get(base))
    for goal in (first, second):
        for kind in ("objective", "intervention"):
            new = f"{base}/goal/{goal.id}/{kind}/new"
            assert f'hx-get="{new}" hx-trigger="toggle once"' in body
            assert f'<a href="{new}">Open the form</a>' in body  # without JavaScript
            assert f'name="new-{kind}-{goal.id}-description"' not in body
    assert '<details class="form-disclosure" open' not in body

    # Opened (htmx): the form alone, its first field focused.
    url = f"{base}/goal/{first.id}/intervention/new"
    partial = browser.get(url, headers=HTMX)
    assert partial.status_code == 200 and "HX-Request" in partial.headers["Vary"]
    fragment = page(partial)
    assert "<html" not in fragment and fragment.lstrip().startswith("<form")
    assert f'hx-post="{base}/goal/{first.id}/intervention"' in fragment
    assert re.search(
        rf'<textarea [^>]*autofocus[^>]*name="new-intervention-{first.id}-description"', fragment
    )
    assert f'action="{base}/goal/{first.id}/intervention"' in fragment
    assert "Save intervention" in fragment

    # Without JavaScript: a page with the record's header, the goal, the form; audited.
    views = len(events("view", agency.own.id))
    full = browser.get(url)
    assert full.status_code == 200
    whole = page(full)
    assert "<html" in whole and "Find a place of my own" in whole
    assert "Add intervention" in whole and f'href="{base}#goal-card-{first.id}"' in whole
    form = section_of_form(whole, f"{base}/goal/{first.id}/intervention")
    assert "hx-post" not in form  # a plain post: there is no goal card to swap on this page
    assert len(events("view", agency.own.id)) == views + 1

    # Sent from that page with nothing in it: the plan comes back with that form open, the
    # error at its field, and no other form drawn.
    refused = post(
        browser,
        f"{base}/goal/{first.id}/intervention",
        {
            f"new-intervention-{first.id}-frequency": "Weekly",
        },
    )
    assert refused.status_code == 422
    body = page(refused)
    assert body.count('<details class="form-disclosure" open>') == 1
    assert (
        field_error(body, f"new-intervention-{first.id}-description")
        == "Describe the intervention."
    )
    assert field_value(body, f"new-intervention-{first.id}-frequency") == "Weekly"
    assert f'name="new-objective-{first.id}-description"' not in body


def test_an_interventions_who_and_how_often_read_as_two_facts(client, agency):
    plan = _two_of_everything(agency.own, agency.cm)
    first, _second = care_plans.load_goals(plan)
    first.interventions[0].responsible = "Casey Manager"
    first.interventions[0].frequency = "Weekly"
    first.interventions[1].responsible = None
    first.interventions[1].frequency = "Once"
    db.session.commit()
    body = page(sign_in(client, agency.cm).get(plan_url(agency.own)))
    assert "<span>Who: Casey Manager</span> · <span>How often: Weekly</span>" in body
    assert '<p class="small"><span>How often: Once</span></p>' in body


def section_of_form(body: str, action: str) -> str:
    start = body.index(f'<form method="post" action="{action}"')
    return body[start : body.index("</form>", start)]


# ---- A signed version is frozen, whichever route asks ---------------------------------------


def _two_of_everything(person: Client, actor: User) -> CarePlan:
    return build_draft(
        person,
        actor,
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


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("draft_open", [False, True], ids=["no-draft", "draft-open"])
def test_a_signed_version_cannot_be_changed_by_any_route(client, agency, htmx, draft_open):
    plan = sign_plan(_two_of_everything(agency.own, agency.cm), agency.cm)
    administer_needs(agency.own, agency.cm, {"employment": 3})
    if draft_open:  # a newer draft does not open the signed version to changes
        care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    first, second = care_plans.load_goals(plan)
    objective, intervention = first.objectives[1], first.interventions[1]
    parts: dict[str, care_plans.PlanPart] = {
        "goal": second,
        "objective": objective,
        "intervention": intervention,
    }
    db.session.commit()
    before = plan_snapshot(agency.own)
    sign_in(client, agency.supervisor)  # may edit, sign and approve
    base = plan_url(agency.own)
    asks: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", f"{base}/{plan.id}/goals", goal_data("new-goal-0", "Sneaked in")),
        ("POST", f"{base}/{plan.id}/needs/employment", {}),
        ("GET", f"{base}/{plan.id}/sign", None),
        ("POST", f"{base}/{plan.id}/sign", {"review_due_on": "2099-01-01", "confirm": "y"}),
        ("GET", f"{base}/goal/{first.id}/objective/new", None),
        ("GET", f"{base}/goal/{first.id}/intervention/new", None),
        (
            "POST",
            f"{base}/goal/{first.id}/objective",
            {f"new-objective-{first.id}-description": "Sneaked step"},
        ),
        (
            "POST",
            f"{base}/goal/{first.id}/intervention",
            {f"new-intervention-{first.id}-description": "Sneaked help"},
        ),
    ]
    for kind, part in parts.items():
        edit = {
            f"{kind}-{part.id}-description": "Rewritten after signing",
            f"{kind}-{part.id}-version": str(part.version),
        }
        if kind == "goal":
            edit |= {
                f"goal-{part.id}-domain": "housing",
                f"goal-{part.id}-status": "achieved",
                f"goal-{part.id}-progress": "100",
            }
        if kind == "objective":
            edit[f"objective-{part.id}-status"] = "achieved"
        asks += [
            ("GET", f"{base}/{kind}/{part.id}/edit", None),
            ("POST", f"{base}/{kind}/{part.id}/edit", edit),
            ("POST", f"{base}/{kind}/{part.id}/move", {"direction": "up"}),
            ("POST", f"{base}/{kind}/{part.id}/delete", {}),
        ]
    message = FROZEN.format(number=plan.number)
    for method, url, data in asks:
        if method == "GET":
            response = client.get(url, headers=HTMX if htmx else None)
        else:
            response = post(client, url, data, htmx=htmx)
        assert response.status_code == 409, (method, url, response.status_code)
        body = page(response)
        assert message in body, url
        assert ("<html" in body) is not htmx, url
        if htmx:
            assert 'id="plan-frozen"' in body and 'role="alert"' in body
    # approving is no way in either: the version is not awaiting approval
    response = post(client, f"{base}/{plan.id}/approve")
    assert response.status_code == 303
    assert "This version is not awaiting approval." in page(
        client.get(response.headers["Location"])
    )
    assert plan_snapshot(agency.own) == before


@pytest.mark.parametrize("kind", ["goal", "objective", "intervention"])
def test_a_parts_address_opened_in_a_tab_leads_to_the_part_on_the_plan_page(client, agency, kind):
    """A part alone is htmx's "cancel" of an inline edit; opened without htmx it answers with
    the plan page at that part, not with a bare fragment."""
    plan = _two_of_everything(agency.own, agency.cm)
    part = part_of(care_plans.load_goals(plan)[0], kind)
    db.session.commit()
    browser = sign_in(client, agency.cm)
    url = f"{plan_url(agency.own)}/{kind}/{part.id}"
    answer = browser.get(url)
    assert answer.status_code == 303 and "HX-Request" in answer.headers["Vary"]
    assert answer.headers["Location"] == f"{plan_url(agency.own)}#{kind}-{part.id}"
    assert f'id="{kind}-{part.id}"' in page(browser.get(answer.headers["Location"]))
    alone = browser.get(url, headers=HTMX)
    assert alone.status_code == 200 and "HX-Request" in alone.headers["Vary"]
    assert "<html" not in page(alone) and f'id="{kind}-{part.id}"' in page(alone)


@pytest.mark.parametrize("kind", ["goal", "objective", "intervention"])
def test_a_parts_edit_page_without_javascript_is_audited_as_a_view(client, agency, kind):
    """The inline form opens inside the plan page, which was audited; the page of its own
    shows the part and the record's header, and is audited like the plan page."""
    plan = _two_of_everything(agency.own, agency.cm)
    part = part_of(care_plans.load_goals(plan)[0], kind)
    db.session.commit()
    browser = sign_in(client, agency.cm)
    url = f"{plan_url(agency.own)}/{kind}/{part.id}/edit"
    views = events("view", agency.own.id)
    assert browser.get(url, headers=HTMX).status_code == 200
    assert events("view", agency.own.id) == views
    full = browser.get(url)
    assert full.status_code == 200 and "<html" in page(full)
    seen = events("view", agency.own.id)
    assert len(seen) == len(views) + 1
    assert seen[-1].detail == f"care plan {kind} {part.id}"
    assert seen[-1].actor_id == agency.cm.id
    # Sent from that page with the description emptied: the page again, audited again.
    refused = post(browser, url, {f"{kind}-{part.id}-description": ""})
    assert refused.status_code == 422 and "<html" in page(refused)
    assert len(events("view", agency.own.id)) == len(views) + 2


def test_a_save_that_crosses_the_signature_is_refused(client, make_client, agency):
    """Someone opens a goal's edit form; the plan is signed; their save must not slip in."""
    plan = _two_of_everything(agency.own, agency.cm)
    goal = care_plans.load_goals(plan)[0]
    db.session.commit()
    editor = sign_in(client, agency.cm)
    form = page(editor.get(f"{plan_url(agency.own)}/goal/{goal.id}/edit"))
    version = field_value(form, f"goal-{goal.id}-version")
    signer = sign_in(make_client(), agency.supervisor)
    sign(signer, agency.own, plan)
    before = plan_snapshot(agency.own)
    response = post(
        editor,
        f"{plan_url(agency.own)}/goal/{goal.id}/edit",
        goal_data(f"goal-{goal.id}", "Too late", version=version),
    )
    assert response.status_code == 409
    assert FROZEN.format(number=1) in page(response)
    assert plan_snapshot(agency.own) == before


# ---- New versions --------------------------------------------------------------------------


def test_a_new_version_copies_every_part_with_its_key_and_starts_from_the_last_progress(
    client, agency
):
    v1 = build_draft(
        agency.own,
        agency.cm,
        [
            {
                "description": "Find a place of my own",
                "domain": "housing",
                "objectives": ["Apply to two programs", "Visit one apartment"],
                "interventions": ["Housing navigation"],
            },
            {"description": "Walk every morning", "domain": "physical_health", "progress": 20},
            {"description": "Call my sister weekly", "domain": "social_support"},
        ],
    )
    sign_plan(v1, agency.cm)
    housing, walking, calling = care_plans.load_goals(v1)
    db.session.commit()
    sign_in(client, agency.cm)
    today = i18n.agency_today()
    # entered in this order, but the 70 is dated earlier: the latest date counts
    assert (
        record_progress(client, agency.own, housing, 40, today - timedelta(days=2)).status_code
        == 303
    )
    assert (
        record_progress(client, agency.own, housing, 70, today - timedelta(days=10)).status_code
        == 303
    )
    assert record_progress(client, agency.own, calling, 25, today).status_code == 303

    v2 = start(client, agency.own)
    assert (v2.number, v2.status, v2.based_on_id) == (2, "draft", v1.id)
    old, new = care_plans.load_goals(v1), care_plans.load_goals(v2)
    assert [g.key for g in new] == [g.key for g in old]
    assert {g.id for g in new}.isdisjoint({g.id for g in old})
    for before, after in zip(old, new, strict=True):
        assert (after.description, after.domain, after.position) == (
            before.description,
            before.domain,
            before.position,
        )
        assert [(o.key, o.description) for o in after.objectives] == [
            (o.key, o.description) for o in before.objectives
        ]
        assert [
            (i.key, i.description, i.responsible, i.frequency) for i in after.interventions
        ] == [(i.key, i.description, i.responsible, i.frequency) for i in before.interventions]
    assert [(g.progress, g.status) for g in new] == [
        (40, "in_progress"),  # the rating of the latest date, not the latest typed
        (20, "in_progress"),  # no rating recorded: the plan's own figure
        (25, "in_progress"),
    ]
    # the signed version is as it was
    expected = [(0, "not_started"), (20, "not_started"), (0, "not_started")]
    assert [(g.progress, g.status) for g in old] == expected
    body = page(client.get(plan_url(agency.own)))
    assert "Version 1 stays in force until this draft is signed." in body
    assert re.search(rf'id="goal-{new[0].id}".*?Progress 40%', body, re.S)

    # progress recorded against version 1 follows the goal into version 2
    sign(client, agency.own, v2)
    chart = page(client.get(f"{plan_url(agency.own)}/goal/{new[0].id}/progress"))
    table = re.search(r'<table class="table" id="progress-data">.*?</table>', chart, re.S)
    assert table is not None
    assert re.findall(r'<td class="num">(\d+)%</td>', table.group(0)) == ["70", "40"]
    assert stored(CarePlan, v1.id).status == "superseded"


# ---- Comparing versions --------------------------------------------------------------------


def test_the_comparison_shows_what_changed_was_removed_and_was_added(client, agency):
    v1 = build_draft(
        agency.own,
        agency.cm,
        [
            {
                "description": "Get a part-time job",
                "domain": "employment",
                "objectives": ["Update my résumé", "Apply to five jobs"],
                "interventions": ["Job coaching"],
            },
            {"description": "Walk every morning", "domain": "physical_health"},
        ],
    )
    sign_plan(v1, agency.cm)
    db.session.commit()
    sign_in(client, agency.cm)
    v2 = start(client, agency.own)
    job, _walk = care_plans.load_goals(v2)
    dropped = job.objectives[1]
    base = plan_url(agency.own)
    response = post(
        client,
        f"{base}/goal/{job.id}/edit",
        goal_data(
            f"goal-{job.id}",
            "Get a job I enjoy",
            domain="employment",
            status="in_progress",
            version=job.version,
        ),
    )
    assert response.status_code == 303, page(response)
    assert post(client, f"{base}/objective/{dropped.id}/delete").status_code == 303
    response = post(
        client,
        f"{base}/goal/{job.id}/intervention",
        {f"new-intervention-{job.id}-description": "Interview practice"},
    )
    assert response.status_code == 303, page(response)
    sign(client, agency.own, v2)

    versions = page(client.get(f"{base}/versions"))
    link = re.search(r'href="([^"]+/plan/compare\?[^"]+)">Compare 1 with 2<', versions)
    assert link is not None
    body = page(client.get(link.group(1)))
    assert "What changed from version 1 to version 2" in body
    changes = [
        (state, text_of(p))
        for state, p in re.findall(r'<li class="change change--(\w+)">\s*<p>(.*?)</p>', body, re.S)
    ]
    assert changes == [
        ("changed", "Changed Goal: Get a job I enjoy"),
        ("removed", "Removed Objective: Apply to five jobs"),
        ("added", "Added Intervention: Interview practice"),
        ("same", "Unchanged Goal: Walk every morning"),
    ]
    assert "Update my résumé" not in body  # unchanged steps are not listed
    rows = re.findall(
        r'<tr><th scope="row">(.*?)</th><td><del>(.*?)</del></td><td><ins>(.*?)</ins></td></tr>',
        body,
    )
    assert rows == [
        ("Description", "Get a part-time job", "Get a job I enjoy"),
        ("Status", "Not started", "In progress"),
    ]


# ---- Two editors at once -------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("kind", ["goal", "objective", "intervention"])
def test_concurrent_inline_edits_conflict_instead_of_overwriting(
    client, make_client, agency, kind, htmx
):
    plan = _two_of_everything(agency.own, agency.cm)
    goal = care_plans.load_goals(plan)[0]
    part = part_of(goal, kind)
    db.session.commit()
    url = f"{plan_url(agency.own)}/{kind}/{part.id}/edit"
    prefix = f"{kind}-{part.id}"
    casey = sign_in(client, agency.cm)
    sam = sign_in(make_client(), agency.supervisor)
    # both open the edit form and read the same version
    versions = [
        field_value(page(b.get(url, headers=HTMX)), f"{prefix}-version") for b in (casey, sam)
    ]
    assert versions[0] == versions[1] is not None

    def data(text: str, version: str | None) -> dict[str, Any]:
        if kind == "goal":
            return goal_data(prefix, text, version=version)
        values = {f"{prefix}-description": text, f"{prefix}-version": version}
        if kind == "objective":
            values[f"{prefix}-status"] = "in_progress"
        else:
            values[f"{prefix}-responsible"] = "Peer specialist"
        return values

    first = post(casey, url, data("Casey's words", versions[0]), htmx=htmx)
    assert first.status_code == (200 if htmx else 303), page(first)
    second = post(sam, url, data("Sam's words", versions[1]), htmx=htmx)
    assert second.status_code == 409
    body = page(second)
    assert ("<html" in body) is not htmx
    assert "Someone else changed this while you were editing" in body
    conflict = re.search(r'<div class="conflict" role="alert"[^>]*>(.*?)</div>', body, re.S)
    assert conflict is not None and "Casey's words" in conflict.group(1)  # the saved version
    assert textarea(body, f"{prefix}-description") == "Sam's words"  # and Sam's typing, kept
    if kind == "intervention":
        assert field_value(body, f"{prefix}-responsible") == "Peer specialist"
    assert stored(type(part), part.id).description == "Casey's words"

    # Sam saves again from the conflict form, knowingly: now Sam's words stand
    fresh = field_value(body, f"{prefix}-version")
    assert fresh != versions[1]
    third = post(sam, url, data("Sam's words", fresh), htmx=htmx)
    assert third.status_code == (200 if htmx else 303), page(third)
    assert stored(type(part), part.id).description == "Sam's words"


# ---- The printed plan --------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_the_pdf_is_in_the_clients_language_with_their_goals(client, agency):
    agency.own.preferred_language = "es"
    plan = build_draft(
        agency.own,
        agency.cm,
        [
            {
                "description": "Quiero vivir en mi propio apartamento",
                "domain": "housing",
                "objectives": ["Solicitar dos programas de vivienda"],
                "interventions": ["Acompañamiento para buscar vivienda"],
            }
        ],
    )
    review = i18n.agency_today() + timedelta(days=60)
    sign_plan(plan, agency.cm, review=review)
    db.session.commit()
    sign_in(client, agency.cm)  # Casey works in English; the printout follows the client
    response = client.get(f"{plan_url(agency.own)}/{plan.id}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename="care-plan-WP-000501-v1.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    for words in (
        "Quiero vivir en mi propio apartamento",
        "Solicitar dos programas de vivienda",
        "Acompañamiento para buscar vivienda",
        babel_format_date(review, "long", locale="es"),  # e.g. "1 de marzo de 2031"
    ):
        assert words in text, words
    # Translated in the catalog today:
    assert "Gestor de casos: Casey Manager" in text
    assert "Fecha" in text and "Case manager:" not in text
    # Whatever the Spanish catalog says for the plan's own labels (added alongside this test):
    with force_locale("es"):
        labels = {
            "Objectives": _("Objectives"),
            "Interventions": _("Interventions"),
            "Goal 1": _("Goal %(number)s", number=1),
            "Client: Olive": _("Client: %(name)s", name="Olive"),
            "Care plan of Olive": _("Care plan of %(name)s", name="Olive"),
            "Housing": str(LIFE_DOMAIN_LABELS["housing"]),
        }
    for english, spanish in labels.items():
        assert spanish in text, spanish
        if spanish != english:
            assert english not in text, english


def test_an_unsigned_draft_has_no_pdf_and_printing_is_audited(client, agency):
    plan = _two_of_everything(agency.own, agency.cm)
    db.session.commit()
    sign_in(client, agency.team)
    assert client.get(f"{plan_url(agency.own)}/{plan.id}/pdf").status_code == 404
    sign_plan(plan, agency.cm)
    db.session.commit()
    assert not [e for e in db.session.scalars(select(AuditEvent)) if e.action == "print"]
    response = client.get(f"{plan_url(agency.own)}/{plan.id}/pdf")
    assert response.status_code == 200 and response.data[:4] == b"%PDF"
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "print"))
    assert (event.actor_id, event.client_id, event.object_type, event.object_id) == (
        agency.team.id,
        agency.own.id,
        "care_plan",
        str(plan.id),
    )
    assert event.detail == "version 1 pdf en"


# ---- The plan page costs the same, however big the plan ----------------------------------


def _plan_with_history(person: Client, actor: User, goals: int, versions: int, draft: bool):
    specs = [
        {
            "description": f"Goal number {n}",
            "domain": "housing",
            "objectives": [f"Step {n}a", f"Step {n}b"] if goals > 1 else ["Step"],
            "interventions": [f"Help {n}a", f"Help {n}b"] if goals > 1 else ["Help"],
        }
        for n in range(goals)
    ]
    plan = sign_plan(build_draft(person, actor, specs), actor)
    today = i18n.agency_today()
    for goal in care_plans.load_goals(plan):
        entries = 3 if goals > 1 else 1
        for n in range(entries):
            care_plans.add_progress(
                goal,
                rating=10 * (n + 1),
                comment=f"Check-in {n}",
                recorded_on=today - timedelta(days=entries - 1 - n),
                actor=actor,
                ip=None,
                today=today,
            )
    for number in range(2, versions + 1):
        plan = care_plans.start_draft(person, actor=actor, ip=None)
        if number < versions or not draft:
            sign_plan(plan, actor)


@pytest.mark.parametrize("draft", [False, True], ids=["signed", "draft"])
def test_the_plan_page_costs_the_same_queries_for_a_small_or_a_large_plan(
    client, count_queries, draft
):
    cm = make_user(Role.CASE_MANAGER)
    small_client = make_client(primary_case_manager=cm)
    large_client = make_client(primary_case_manager=cm)
    _plan_with_history(small_client, cm, goals=1, versions=1 if not draft else 2, draft=draft)
    _plan_with_history(large_client, cm, goals=8, versions=4, draft=draft)
    administer_needs(small_client, cm, {"employment": 3})
    administer_needs(large_client, cm, {"employment": 3, "legal": 2, "income": 2})
    db.session.commit()
    sign_in(client, cm)
    client.get(plan_url(small_client))  # the first visit may load what later visits reuse
    with count_queries() as few:
        small = page(client.get(plan_url(small_client)))
    with count_queries() as lots:
        large = page(client.get(plan_url(large_client)))
    assert (small.count('class="goal-card"'), large.count('class="goal-card"')) == (1, 8)
    for kind in ("objective", "intervention"):
        step = re.compile(rf'<li class="step" id="{kind}-\d+">')
        assert (len(step.findall(small)), len(step.findall(large))) == (1, 16)
    if draft:
        assert large.count("a goal</button>") == 3 and small.count("a goal</button>") == 1
    else:
        assert "Progress 30%" in large and "Progress 10%" in small
    assert lots.count == few.count, "\n".join(lots.statements)


# ---- Approval by a supervisor ------------------------------------------------------------


def review_tasks(person: Client) -> list[Task]:
    return list(
        db.session.scalars(
            select(Task)
            .where(Task.client_id == person.id, Task.title.like("Review the care plan%"))
            .order_by(Task.id)
        )
    )


@APPROVAL
def test_with_approval_a_signed_plan_waits_for_a_supervisor(client, make_client, agency):
    casey = sign_in(client, agency.cm)
    sam = sign_in(make_client(), agency.supervisor)
    v1 = start(casey, agency.own)
    add_goal(casey, agency.own, v1, "I want my own place by spring")
    response = post(
        casey,
        f"{plan_url(agency.own)}/{v1.id}/sign",
        {"review_due_on": (i18n.agency_today() + timedelta(days=30)).isoformat(), "confirm": "y"},
    )
    assert response.status_code == 303
    body = page(casey.get(response.headers["Location"]))
    assert "It comes into force when a supervisor approves it." in body
    assert "Signed, awaiting approval" in body
    assert "Approve this plan" not in body  # not Casey's to approve
    assert stored(CarePlan, v1.id).status == "awaiting_approval"
    assert review_tasks(agency.own) == []  # no review until it is in force
    assert post(casey, f"{plan_url(agency.own)}/{v1.id}/approve").status_code == 403

    home = page(sam.get("/staff/"))
    assert "Plans awaiting your approval" in home
    assert re.search(rf'<li id="approve-{v1.id}">.*?Olive.*?version 1', home, re.S)
    assert "Approve this plan" in page(sam.get(plan_url(agency.own)))
    response = post(sam, f"{plan_url(agency.own)}/{v1.id}/approve")
    assert response.status_code == 303
    assert "Plan approved. Version 1 is in force." in page(sam.get(response.headers["Location"]))
    v1 = stored(CarePlan, v1.id)
    assert (v1.status, v1.approved_by_id) == ("active", agency.supervisor.id)
    [task] = review_tasks(agency.own)
    assert (task.title, task.due_on, task.assignee_id, task.status) == (
        "Review the care plan (version 1)",
        v1.review_due_on,
        agency.cm.id,
        "open",
    )
    assert f'id="approve-{v1.id}"' not in page(sam.get("/staff/"))

    # version 2: signed by Casey, version 1 stays in force until Sam approves
    v2 = start(casey, agency.own)
    goal = care_plans.load_goals(v2)[0]
    response = post(
        casey,
        f"{plan_url(agency.own)}/goal/{goal.id}/edit",
        goal_data(f"goal-{goal.id}", "A flat near the bus line", version=goal.version),
    )
    assert response.status_code == 303
    sign(casey, agency.own, v2)
    assert [p.status for p in care_plans.versions(agency.own)] == ["awaiting_approval", "active"]
    assert care_plans.in_force(agency.own) == v1
    assert f'id="approve-{v2.id}"' in page(sam.get("/staff/"))
    assert post(sam, f"{plan_url(agency.own)}/{v2.id}/approve").status_code == 303
    assert [p.status for p in care_plans.versions(agency.own)] == ["active", "superseded"]
    old_task, new_task = review_tasks(agency.own)
    assert old_task.status == "done"  # version 1's review is moot
    assert (new_task.title, new_task.status) == ("Review the care plan (version 2)", "open")


@APPROVAL
def test_the_signer_cannot_approve_their_own_plan(client, agency):
    sign_in(client, agency.supervisor)
    plan = start(client, agency.own)
    add_goal(client, agency.own, plan, "Sleep through the night")
    sign(client, agency.own, plan)
    response = post(client, f"{plan_url(agency.own)}/{plan.id}/approve")
    assert response.status_code == 303
    body = page(client.get(response.headers["Location"]))
    assert "You signed this plan; another supervisor approves it." in body
    plan = stored(CarePlan, plan.id)
    assert (plan.status, plan.approved_at) == ("awaiting_approval", None)
    assert review_tasks(agency.own) == []


# ---- Review dates ------------------------------------------------------------------------

NOW = datetime(2025, 3, 10, 17, 0, tzinfo=UTC)  # 11:00 in Chicago, the agency's zone


@pytest.mark.parametrize(
    ("app_config", "due"),
    [({}, "2025-06-08"), ({"CARE_PLAN_REVIEW_DAYS": 30}, "2025-04-09")],
    ids=["default-90", "configured-30"],
)
def test_the_sign_form_offers_the_default_review_date(client, agency, time_machine, due):
    time_machine.move_to(NOW, tick=False)
    plan = _two_of_everything(agency.own, agency.cm)
    db.session.commit()
    sign_in(client, agency.cm)
    form = page(client.get(f"{plan_url(agency.own)}/{plan.id}/sign"))
    assert field_value(form, "review_due_on") == due
    assert "Find a place of my own" in form  # what is signed is shown first
    response = post(
        client, f"{plan_url(agency.own)}/{plan.id}/sign", {"review_due_on": due, "confirm": "y"}
    )
    assert response.status_code == 303
    assert stored(CarePlan, plan.id).review_due_on == date.fromisoformat(due)
    [task] = review_tasks(agency.own)
    assert task.due_on == date.fromisoformat(due)


def test_a_review_date_must_be_after_today(client, agency):
    plan = _two_of_everything(agency.own, agency.cm)
    db.session.commit()
    sign_in(client, agency.cm)
    response = post(
        client,
        f"{plan_url(agency.own)}/{plan.id}/sign",
        {"review_due_on": i18n.agency_today().isoformat(), "confirm": "y"},
    )
    assert response.status_code == 422
    assert field_error(page(response), "review_due_on") == "The review date must be after today."
    assert stored(CarePlan, plan.id).status == "draft"


def test_an_overdue_review_shows_on_the_dashboard_caseload_and_record(client, agency):
    today = i18n.agency_today()
    overdue = sign_plan(
        _two_of_everything(agency.own, agency.cm),
        agency.cm,
        review=today - timedelta(days=5),
        today=today - timedelta(days=100),
    )
    # another client of Casey's: reviewed long ago too, but a newer version is due next month
    bea = make_client(legal_name="Bea Current", primary_case_manager=agency.cm)
    sign_plan(
        build_draft(bea, agency.cm, [{"description": "Keep my job"}]),
        agency.cm,
        review=today - timedelta(days=40),
        today=today - timedelta(days=200),
    )
    sign_plan(care_plans.start_draft(bea, actor=agency.cm, ip=None), agency.cm)
    cal = make_client(legal_name="Cal Noplan", primary_case_manager=agency.cm)
    db.session.commit()
    sign_in(client, agency.cm)

    home = page(client.get("/staff/"))
    reviews = section(home, "reviews-title")
    assert re.findall(r'<li id="review-(\d+)">', reviews) == [str(overdue.id)]
    assert "Olive" in reviews and "Bea" not in reviews
    due = (today - timedelta(days=5)).strftime("%b %-d, %Y")
    assert f"review was due {due}" in text_of(reviews)

    def badges(body: str) -> dict[int, bool]:
        rows = re.findall(r'<tr id="client-(\d+)">(.*?)</tr>', body, re.S)
        return {int(n): "Review overdue" in row for n, row in rows}

    caseload = badges(page(client.get("/staff/clients")))
    assert caseload == {agency.own.id: True, bea.id: False, cal.id: False}
    assert badges(page(client.get("/staff/clients?review=overdue"))) == {agency.own.id: True}
    assert "Review overdue" in page(client.get(plan_url(agency.own)))
    assert "Review overdue" in section(
        page(client.get(f"/staff/clients/{agency.own.id}")), "plan-summary-title"
    )
    assert "Review overdue" not in page(client.get(plan_url(bea)))


# ---- Progress on goals --------------------------------------------------------------------


def test_progress_is_recorded_on_a_goal_of_the_plan_in_force(client, agency):
    plan = sign_plan(_two_of_everything(agency.own, agency.cm), agency.cm)
    goal = care_plans.load_goals(plan)[0]
    db.session.commit()
    sign_in(client, agency.team)  # the psychiatrist records progress too
    url = f"{plan_url(agency.own)}/goal/{goal.id}/progress"
    body = page(client.get(url))
    assert "No progress recorded yet." in body and "Record progress" in body
    assert field_value(body, "recorded_on") == i18n.agency_today().isoformat()
    on = i18n.agency_today() - timedelta(days=1)
    response = record_progress(client, agency.own, goal, 40, on, "Saw two apartments")
    assert response.status_code == 303 and response.headers["Location"] == url
    body = page(client.get(url))
    assert "Progress recorded." in body
    table = re.search(r'<table class="table" id="progress-data">.*?</table>', body, re.S)
    assert table is not None
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"num\">(.*?)</td><td>(.*?)</td>", table[0])
    assert rows == [(on.strftime("%b %-d, %Y"), "40%", "Saw two apartments")]
    assert "Dr Pat Psychiatrist" in table[0]
    assert body.count("<circle ") == 1  # and the chart has its point
    [entry] = db.session.scalars(select(GoalProgress))
    assert (entry.goal_key, entry.rating, entry.author_id) == (goal.key, 40, agency.team.id)
    assert "Progress 40%" in page(client.get(plan_url(agency.own)))


@pytest.mark.parametrize(
    ("field", "days", "rating", "message"),
    [
        ("recorded_on", 1, "50", "The date cannot be in the future."),
        ("rating", 0, "101", "Enter a number from 0 to 100."),
        ("rating", 0, "-1", "Enter a number from 0 to 100."),
        ("rating", 0, "", "Enter a number from 0 to 100."),
    ],
    ids=["future", "101", "negative", "empty"],
)
def test_bad_progress_is_shown_at_the_field_and_keeps_the_comment(
    client, agency, field, days, rating, message
):
    plan = sign_plan(_two_of_everything(agency.own, agency.cm), agency.cm)
    goal = care_plans.load_goals(plan)[0]
    db.session.commit()
    sign_in(client, agency.cm)
    on = i18n.agency_today() + timedelta(days=days)
    response = post(
        client,
        f"{plan_url(agency.own)}/goal/{goal.id}/progress",
        {"recorded_on": on.isoformat(), "rating": rating, "comment": "Moved into the shelter"},
    )
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, field) == message
    assert textarea(body, "comment") == "Moved into the shelter"
    assert field_value(body, "recorded_on") == on.isoformat()
    assert db.session.scalars(select(GoalProgress)).all() == []


def test_progress_on_a_drafts_goal_is_refused(client, agency):
    draft = _two_of_everything(agency.own, agency.cm)
    goal = care_plans.load_goals(draft)[0]
    db.session.commit()
    sign_in(client, agency.cm)
    url = f"{plan_url(agency.own)}/goal/{goal.id}/progress"
    body = page(client.get(url))
    assert "Record progress" not in body and 'name="rating"' not in body
    assert record_progress(client, agency.own, goal, 30, i18n.agency_today()).status_code == 403
    assert db.session.scalars(select(GoalProgress)).all() == []


def test_an_achieved_goal_is_celebrated(client, agency):
    plan = build_draft(
        agency.own,
        agency.cm,
        [
            {"description": "Get my ID card", "status": "achieved", "progress": 100},
            {"description": "Sleep through the night"},
        ],
    )
    id_card = care_plans.load_goals(plan)[0]
    db.session.commit()
    sign_in(client, agency.cm)
    assert "goal achieved" not in page(client.get(plan_url(agency.own)))  # not while a draft
    sign(client, agency.own, plan)
    body = page(client.get(plan_url(agency.own)))
    celebration = section(body, "achieved-title")
    assert "1 goal achieved" in celebration and "Get my ID card" in celebration
    assert "Sleep through the night" not in celebration
    overview = section(page(client.get(f"/staff/clients/{agency.own.id}")), "plan-summary-title")
    assert "Achieved: Get my ID card" in text_of(overview)
    assert "Achieved: Sleep" not in text_of(overview)
    progress = page(client.get(f"{plan_url(agency.own)}/goal/{id_card.id}/progress"))
    assert "Goal achieved. Well done to everyone involved." in progress


# ---- Needs from the assessment become goals --------------------------------------------------


def test_a_need_from_the_psychosocial_assessment_becomes_a_goal(client, agency):
    sign_in(client, agency.cm)
    answers = {item.id: 0 for item in assessments.instruments()["psychosocial"].items}
    answers |= {"housing": 3, "employment": 2, "income": 1}
    data = {f"item-{k}": str(v) for k, v in answers.items()}
    data["note-employment"] = "Wants to work mornings at the bakery"
    response = post(client, f"/staff/clients/{agency.own.id}/assessments/new/psychosocial", data)
    assert response.status_code == 303
    plan = start(client, agency.own)
    body = page(client.get(plan_url(agency.own)))
    needs = re.search(r'<div class="needs" id="needs">(.*?)</div>', body, re.S)
    assert needs is not None
    assert re.findall(r"Make “(\w+)” a goal", needs.group(1)) == ["Housing", "Employment"]
    assert "Urgent need" in needs.group(1) and "Income" not in needs.group(1)  # 1: no need

    response = post(client, f"{plan_url(agency.own)}/{plan.id}/needs/housing", htmx=True)
    assert response.status_code == 200
    partial = page(response)
    assert "<html" not in partial and partial.lstrip().startswith(
        '<section class="panel" id="goals"'
    )
    assert re.findall(r"Make “(\w+)” a goal", partial) == ["Employment"]  # housing is taken
    [goal] = care_plans.load_goals(plan)
    [assessment] = db.session.scalars(select(Assessment))
    assert (goal.description, goal.domain, goal.source_assessment_id) == (
        "Work on housing",
        "housing",
        assessment.id,
    )
    assert f'id="goal-{goal.id}"' in partial

    # a plain post: the assessment's note is the starting text, and the page comes back
    response = post(client, f"{plan_url(agency.own)}/{plan.id}/needs/employment")
    assert response.status_code == 303
    body = page(client.get(response.headers["Location"]))
    assert "Goal added from the needs assessment." in body
    assert 'id="needs"' not in body  # nothing left to turn into a goal
    assert [(g.description, g.domain) for g in care_plans.load_goals(plan)] == [
        ("Work on housing", "housing"),
        ("Wants to work mornings at the bakery", "employment"),
    ]
    # an area that was not a need, or is a need no more, is no button to press
    for item in ("income", "housing", "nonsense"):
        assert post(client, f"{plan_url(agency.own)}/{plan.id}/needs/{item}").status_code == 404
    assert len(care_plans.load_goals(plan)) == 2


# ---- Inline edits: partials for htmx, pages and redirects without it --------------------------


def test_adding_a_goal_answers_a_partial_to_htmx_and_a_redirect_to_a_plain_post(client, agency):
    plan = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    db.session.commit()
    sign_in(client, agency.cm)
    url = f"{plan_url(agency.own)}/{plan.id}/goals"
    response = post(client, url, goal_data("new-goal-0", "Sleep through the night"), htmx=True)
    assert response.status_code == 200
    body = page(response)
    assert "<html" not in body and body.lstrip().startswith('<section class="panel" id="goals"')
    assert "Sleep through the night" in body
    response = post(client, url, goal_data("new-goal-0", "Cook twice a week"))
    assert response.status_code == 303 and response.headers["Location"] == plan_url(agency.own)
    body = page(client.get(response.headers["Location"]))
    assert "Goal added." in body and "Cook twice a week" in body
    assert [g.description for g in care_plans.load_goals(plan)] == [
        "Sleep through the night",
        "Cook twice a week",
    ]


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_empty_goal_is_refused_at_the_field_and_keeps_what_was_typed(client, agency, htmx):
    plan = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    db.session.commit()
    sign_in(client, agency.cm)
    data = goal_data(
        "new-goal-0",
        "   ",
        domain="employment",
        status="in_progress",
        progress=15,
        target_date="2031-05-01",
    )
    response = post(client, f"{plan_url(agency.own)}/{plan.id}/goals", data, htmx=htmx)
    assert response.status_code == 422
    body = page(response)
    assert ("<html" in body) is not htmx
    assert field_error(body, "new-goal-0-description") == "Write the goal."
    assert field_value(body, "new-goal-0-target_date") == "2031-05-01"
    assert field_value(body, "new-goal-0-progress") == "15"
    assert selected(body, "new-goal-0-domain") == "employment"
    assert selected(body, "new-goal-0-status") == "in_progress"
    assert care_plans.load_goals(plan) == []


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_an_empty_step_is_refused_at_the_field_and_keeps_what_was_typed(client, agency, htmx):
    plan = _two_of_everything(agency.own, agency.cm)
    goal = care_plans.load_goals(plan)[0]
    db.session.commit()
    sign_in(client, agency.cm)
    prefix = f"new-intervention-{goal.id}"
    response = post(
        client,
        f"{plan_url(agency.own)}/goal/{goal.id}/intervention",
        {f"{prefix}-description": "", f"{prefix}-responsible": "Peer specialist"},
        htmx=htmx,
    )
    assert response.status_code == 422
    body = page(response)
    assert ("<html" in body) is not htmx
    if htmx:
        assert body.lstrip().startswith(f'<li class="goal-card" id="goal-card-{goal.id}"')
    assert field_error(body, f"{prefix}-description") == "Describe the intervention."
    assert field_value(body, f"{prefix}-responsible") == "Peer specialist"
    assert len(stored(Goal, goal.id).interventions) == 2


@pytest.mark.parametrize("kind", ["goal", "objective", "intervention"])
def test_an_inline_edit_is_a_partial_for_htmx_and_a_page_without_it(client, agency, kind):
    plan = _two_of_everything(agency.own, agency.cm)
    goal = care_plans.load_goals(plan)[0]
    part = part_of(goal, kind)
    db.session.commit()
    sign_in(client, agency.cm)
    url = f"{plan_url(agency.own)}/{kind}/{part.id}/edit"
    prefix = f"{kind}-{part.id}"
    tag = "div" if kind == "goal" else "li"

    whole = client.get(url)
    full = page(whole)
    assert "<html" in full and f'name="{prefix}-description"' in full
    partial = client.get(url, headers=HTMX)
    assert partial.status_code == 200
    for response in (whole, partial):  # one address, two answers: caches must tell them apart
        assert "HX-Request" in response.headers.get("Vary", "")
    body = page(partial)
    assert "<html" not in body
    assert body.lstrip().startswith(f'<{tag} class="')
    assert f'id="{prefix}"' in body.split(">", 1)[0]
    shown = page(client.get(f"{plan_url(agency.own)}/{kind}/{part.id}", headers=HTMX))
    assert "<html" not in shown and f'id="{prefix}"' in shown  # "Cancel" puts the line back

    def data(text: str, version: int, **extra: str) -> dict[str, Any]:
        if kind == "goal":
            return goal_data(prefix, text, version=version, **extra)
        values = {f"{prefix}-description": text, f"{prefix}-version": str(version)}
        if kind == "objective":
            values[f"{prefix}-status"] = "in_progress"
        values |= {f"{prefix}-{k}": v for k, v in extra.items()}
        return values

    extra = {"target_date": "2031-05-01"} if kind != "intervention" else {"frequency": "Daily"}
    # empty description: 422 at the field, the rest of what was typed kept
    response = post(client, url, data("", stored(type(part), part.id).version, **extra), htmx=True)
    assert response.status_code == 422
    body = page(response)
    assert "<html" not in body
    message = {
        "goal": "Write the goal.",
        "objective": "Describe the step.",
        "intervention": "Describe the intervention.",
    }[kind]
    assert field_error(body, f"{prefix}-description") == message
    typed = "target_date" if kind != "intervention" else "frequency"
    assert field_value(body, f"{prefix}-{typed}") == extra[typed]
    response = post(client, url, data("", part.version, **extra))
    assert response.status_code == 422
    assert "<html" in page(response)
    assert field_error(page(response), f"{prefix}-description") == message

    # htmx save: the line itself comes back, announced
    version = stored(type(part), part.id).version
    response = post(client, url, data("Said by htmx", version), htmx=True)
    assert response.status_code == 200
    body = page(response)
    assert "<html" not in body and "Said by htmx" in body and "Saved." in body
    assert f'id="{prefix}"' in body
    # plain save: back to the plan at this line
    version = stored(type(part), part.id).version
    response = post(client, url, data("Said by a form", version))
    assert response.status_code == 303
    assert response.headers["Location"] == f"{plan_url(agency.own)}#{prefix}"
    assert "Said by a form" in page(client.get(plan_url(agency.own)))
    assert stored(type(part), part.id).description == "Said by a form"


@pytest.mark.parametrize("kind", ["objective", "intervention"])
def test_moving_and_removing_a_step_swap_the_goal_card(client, agency, kind):
    plan = _two_of_everything(agency.own, agency.cm)
    goal = care_plans.load_goals(plan)[0]
    goal_id = goal.id
    first, second = (part.id for part in getattr(goal, f"{kind}s"))
    db.session.commit()
    sign_in(client, agency.cm)
    base = plan_url(agency.own)
    response = post(client, f"{base}/{kind}/{second}/move", {"direction": "up"}, htmx=True)
    assert response.status_code == 200
    body = page(response)
    assert "<html" not in body
    assert body.lstrip().startswith(f'<li class="goal-card" id="goal-card-{goal_id}"')
    assert body.index(f'id="{kind}-{second}"') < body.index(f'id="{kind}-{first}"')
    response = post(client, f"{base}/{kind}/{second}/delete", htmx=True)
    assert response.status_code == 200
    body = page(response)
    assert f'id="{kind}-{second}"' not in body and f'id="{kind}-{first}"' in body
    assert [p.id for p in getattr(stored(Goal, goal_id), f"{kind}s")] == [first]


def test_moving_and_removing_a_goal_work_with_and_without_htmx(client, agency):
    plan = _two_of_everything(agency.own, agency.cm)
    first, second = (goal.id for goal in care_plans.load_goals(plan))
    steps = [o.id for o in stored(Goal, first).objectives]
    db.session.commit()
    sign_in(client, agency.cm)
    base = plan_url(agency.own)
    response = post(client, f"{base}/goal/{second}/move", {"direction": "up"}, htmx=True)
    assert response.status_code == 200
    body = page(response)
    assert "<html" not in body and body.lstrip().startswith('<section class="panel" id="goals"')
    assert body.index(f'id="goal-card-{second}"') < body.index(f'id="goal-card-{first}"')
    response = post(client, f"{base}/goal/{first}/move", {"direction": "up"})
    assert response.status_code == 303 and response.headers["Location"] == base
    assert [g.id for g in care_plans.load_goals(plan)] == [first, second]
    # the top goal cannot go further up
    assert post(client, f"{base}/goal/{first}/move", {"direction": "up"}).status_code == 303
    assert [g.id for g in care_plans.load_goals(plan)] == [first, second]
    response = post(client, f"{base}/goal/{first}/delete")
    assert response.status_code == 303
    assert [g.id for g in care_plans.load_goals(plan)] == [second]
    assert [db.session.get(Objective, n) for n in steps] == [None, None]  # its steps went too


# ---- The timeline ------------------------------------------------------------------------


def test_the_timeline_shows_signing_and_progress(client, agency):
    sign_in(client, agency.cm)
    plan = start(client, agency.own)
    goal = add_goal(client, agency.own, plan, "Sleep through the night")
    sign(client, agency.own, plan)
    assert record_progress(client, agency.own, goal, 30, i18n.agency_today()).status_code == 303
    overview = page(client.get(f"/staff/clients/{agency.own.id}"))
    timeline = section(overview, "timeline-title")
    entries = [text_of(li) for li in re.findall(r"<li>(.*?)</li>", timeline, re.S)]
    labels = [e for e in entries if "Care plan" in e or "Goal progress" in e]
    assert any("Goal progress recorded" in e and "Casey Manager" in e for e in labels)
    assert any("Care plan signed" in e and "Casey Manager" in e for e in labels)
    assert any("Care plan draft started" in e for e in labels)
    order = [next(k for k in ("progress", "signed", "edited", "started") if k in e) for e in labels]
    assert order.index("progress") < order.index("signed") < order.index("started")


# ---- Pages drawn after a refusal keep the plan's own actions -----------------------------------


def test_a_refused_change_to_a_signed_version_offers_to_start_the_next(client, agency):
    plan = sign_plan(_two_of_everything(agency.own, agency.cm), agency.cm)
    db.session.commit()
    sign_in(client, agency.cm)
    response = post(
        client, f"{plan_url(agency.own)}/{plan.id}/goals", goal_data("new-goal-0", "Late")
    )
    assert response.status_code == 409
    body = page(response)
    assert "Start a new version to make changes." in body
    assert (
        f'action="{plan_url(agency.own)}/start"' in body and "Start a new version</button>" in body
    )
    assert "Print (PDF)" in body


def test_a_rejected_goal_on_a_plain_page_keeps_the_drafts_actions(client, agency):
    v1 = sign_plan(_two_of_everything(agency.own, agency.cm), agency.cm)
    plan = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    db.session.commit()
    sign_in(client, agency.cm)
    url = f"{plan_url(agency.own)}/{plan.id}/goals"
    body = page(post(client, url, goal_data("new-goal-0", "")))
    assert field_error(body, "new-goal-0-description") == "Write the goal."
    assert f'href="{plan_url(agency.own)}/{plan.id}/sign"' in body  # "Review and sign"
    assert "Version 1 stays in force until this draft is signed." in body
    assert f'href="{plan_url(agency.own)}/versions/{v1.id}"' in body
    goal = care_plans.load_goals(plan)[0]
    step = post(
        client,
        f"{plan_url(agency.own)}/goal/{goal.id}/objective",
        {f"new-objective-{goal.id}-description": ""},
    )
    assert step.status_code == 422
    assert f'href="{plan_url(agency.own)}/{plan.id}/sign"' in page(step)


def test_a_draft_without_goals_cannot_be_signed(client, agency):
    plan = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    db.session.commit()
    sign_in(client, agency.cm)
    url = f"{plan_url(agency.own)}/{plan.id}/sign"
    assert "This draft has no goals yet." in page(client.get(url))
    review = (i18n.agency_today() + timedelta(days=90)).isoformat()
    response = post(client, url, {"review_due_on": review, "confirm": "y"})
    assert response.status_code == 422
    assert "Add at least one goal before signing the plan." in page(response)
    response = post(client, url, {"review_due_on": review})  # and the signature is confirmed
    assert field_error(page(response), "confirm") == "Confirm that you sign the plan."
    assert stored(CarePlan, plan.id).status == "draft"
