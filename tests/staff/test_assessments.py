"""Assessments over HTTP: who may use them, administering, results, critical answers, trends,
a test-only instrument loaded from a folder, and Spanish text from the instrument files."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.charts import BOTTOM, HEIGHT, TOP
from portal.extensions import db
from portal.models import Assessment, AuditEvent, Client, RiskChange, Role, Task, User
from portal.services import assessments as assessment_service

from ..factories import make_client, make_user
from .support import HTMX, ROLES, field_error, page, post, sign_in, sign_in_as

EXTRA_DIR = Path(__file__).resolve().parent.parent / "instruments" / "extra"
WITH_EXTRA = pytest.mark.parametrize(
    "app_config", [{"INSTRUMENT_DIRS": (str(EXTRA_DIR),)}], ids=["extra-dir"]
)
PHQ9_15 = [3, 3, 3, 3, 3, 0, 0, 0, 0]  # 15: moderately severe, item 9 "not at all"
PHQ9_9 = [3, 3, 3, 0, 0, 0, 0, 0, 0]  # 9: mild


def base(client: Client) -> str:
    return f"/staff/clients/{client.id}/assessments"


def phq9(values: list[int]) -> dict[str, int]:
    return {f"q{n}": value for n, value in enumerate(values, start=1)}


def administer(browser, client: Client, code: str, answers: dict[str, Any]) -> Any:
    """Fill in the form the way a browser posts it: ``item-<id>`` = the option's value."""
    data = {f"item-{item_id}": str(value) for item_id, value in answers.items()}
    return post(browser, f"{base(client)}/new/{code}", data)


def administer_and_open(browser, client: Client, code: str, answers: dict[str, Any]) -> str:
    response = administer(browser, client, code, answers)
    assert response.status_code == 303, page(response)
    assert re.fullmatch(rf"{base(client)}/\d+", response.headers["Location"])
    return page(browser.get(response.headers["Location"]))


def latest(client: Client) -> Assessment:
    found = db.session.scalar(
        select(Assessment).where(Assessment.client_id == client.id).order_by(Assessment.id.desc())
    )
    assert found is not None
    return found


def add_scores(client: Client, actor: User, totals: list[int], first: date) -> list[Assessment]:
    """PHQ-9 administrations a week apart, scored by the engine, stored as the service does."""
    instrument = assessment_service.instruments()["phq9"]
    rows = []
    for week, total in enumerate(totals):
        answers = {f"q{n}": min(3, max(0, total - 3 * (n - 1))) for n in range(1, 10)}
        result = instrument.score(answers)
        assert result.total == total
        when = datetime.combine(first + timedelta(weeks=week), datetime.min.time(), UTC)
        rows.append(
            Assessment(
                client_id=client.id,
                instrument_code="phq9",
                instrument_version="1",
                administered_by_id=actor.id,
                administered_at=when + timedelta(hours=12),
                answers=answers,
                total=result.total,
                band=result.band.code if result.band else None,
                critical_items=result.critical_items,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    return rows


def text_of(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def by_id(body: str, element_id: str) -> str:
    match = re.search(rf'<(\w+) [^>]*id="{re.escape(element_id)}"[^>]*>(.*?)</\1>', body, re.S)
    assert match, f"no element #{element_id}"
    return text_of(match.group(2))


def answer_rows(body: str) -> dict[str, str]:
    return {
        item_id: text_of(cells)
        for item_id, cells in re.findall(r'<tr id="answer-([\w]+)"[^>]*>(.*?)</tr>', body, re.S)
    }


def checked(body: str) -> dict[str, str]:
    """The radio buttons rendered as chosen, by name."""
    chosen = {}
    for tag in re.findall(r"<input [^>]*>", body):
        if re.search(r"\schecked\b", tag):
            name = re.search(r'name="([^"]+)"', tag).group(1)
            chosen[name] = re.search(r'value="([^"]*)"', tag).group(1)
    return chosen


def review_tasks(client: Client) -> list[Task]:
    return list(
        db.session.scalars(
            select(Task)
            .where(Task.client_id == client.id, Task.title.like("Review the critical answer%"))
            .order_by(Task.id)
        )
    )


def risk_changes(client: Client) -> list[RiskChange]:
    return list(
        db.session.scalars(
            select(RiskChange).where(RiskChange.client_id == client.id).order_by(RiskChange.id)
        )
    )


@pytest.fixture
def on_record(agency) -> Assessment:
    """A PHQ-9 already on Olive's record, for the routes that show one."""
    return add_scores(agency.own, agency.cm, [12], date(2024, 3, 4))[0]


# ---- Who may use which route ---------------------------------------------------------------

ROUTES: list[tuple[str, str, str]] = [
    ("assessment_index", "GET", ""),
    ("assessment_new", "GET", "/new/phq9"),
    ("assessment_new (save)", "POST", "/new/phq9"),
    ("assessment_detail", "GET", "/{assessment}"),
    ("assessment_trend", "GET", "/trend/phq9"),
]
TABLE: dict[str, tuple[int, ...]] = {
    # route:                  cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "assessment_index": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "assessment_new": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "assessment_new (save)": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "assessment_detail": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "assessment_trend": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
}


def test_the_table_covers_every_assessment_route(app):
    endpoints = {e.endpoint for e in app.url_map.iter_rules()}
    endpoints = {e for e in endpoints if e.startswith("staff.assessment")}
    assert {f"staff.{name.split(' ')[0]}" for name in TABLE} == endpoints
    assert [name for name, *_ in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, on_record, role):
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers, shown_when_refused = {}, []
    for name, method, tail in ROUTES:
        url = base(agency.own) + tail.format(assessment=on_record.id)
        if method == "GET":
            response = client.get(url)
        else:
            response = post(client, url, {f"item-{k}": v for k, v in phq9(PHQ9_9).items()})
        answers[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
        if response.status_code in (403, 404) and "Olivia Quince" in page(response):
            shown_when_refused.append(url)
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}
    assert shown_when_refused == []
    saved = 1 if TABLE["assessment_new (save)"][column] == 303 else 0
    count = db.session.scalar(select(func.count(Assessment.id)))
    assert count == 1 + saved  # the one on record, and the one posted if it was allowed


def test_a_care_team_member_administers_and_is_recorded_as_the_one_who_did(client, agency):
    sign_in(client, agency.team)
    body = administer_and_open(client, agency.own, "phq9", phq9(PHQ9_9))
    assessment = latest(agency.own)
    assert assessment.administered_by_id == agency.team.id
    assert "Dr Pat Psychiatrist" in body


def test_anonymous_htmx_requests_get_401_and_a_redirect_header(client, agency, on_record):
    for _name, method, tail in ROUTES:
        if method != "GET":
            continue
        url = base(agency.own) + tail.format(assessment=on_record.id)
        response = client.get(url, headers=HTMX)
        assert response.status_code == 401, url
        assert response.headers["HX-Redirect"] == f"/login?next={url}"


def test_another_clients_assessment_answers_as_a_missing_one(client, agency):
    theirs = add_scores(agency.theirs, agency.cm_other, [20], date(2024, 3, 4))[0]
    sign_in(client, agency.cm)
    hidden = client.get(f"{base(agency.own)}/{theirs.id}")
    missing = client.get(f"{base(agency.own)}/999999")
    assert hidden.status_code == missing.status_code == 404
    assert "Theodora" not in page(hidden)


@pytest.mark.parametrize(
    "tail", ["/new/nope", "/trend/nope", "/trend/cssrs", "/trend/psychosocial", "/new/wellbeing3"]
)
def test_unknown_or_unscored_instruments_answer_404(client, agency, tail):
    sign_in(client, agency.cm)
    assert client.get(base(agency.own) + tail).status_code == 404


# ---- Administering: every applicable item is required --------------------------------------


def test_missing_answers_are_shown_at_each_item_and_keep_what_was_chosen(client, agency):
    sign_in(client, agency.cm)
    response = administer(client, agency.own, "phq9", {"q1": 2, "q2": 1, "q3": 0})
    assert response.status_code == 422
    body = page(response)
    for n in range(4, 10):
        assert field_error(body, f"item-q{n}") == "Choose an answer."
        assert f'aria-describedby="item-q{n}-error"' in body
        assert f'href="#item-q{n}-0"' in body
    for n in range(1, 4):
        assert f'id="item-q{n}-error"' not in body
    summary = by_id(body, "error-summary")
    assert "There is a problem" in summary and "6 questions have no answer." in summary
    assert "Poor appetite or overeating" in summary  # q5, named in the summary
    assert checked(body) == {"item-q1": "2", "item-q2": "1", "item-q3": "0"}
    assert db.session.scalar(select(func.count(Assessment.id))) == 0


@pytest.mark.parametrize("bad", ["7", "-1", "", "three", "1.0"])
def test_an_answer_that_is_not_an_option_counts_as_unanswered(client, agency, bad):
    sign_in(client, agency.cm)
    answers: dict[str, Any] = phq9(PHQ9_9)
    answers["q1"] = bad
    response = administer(client, agency.own, "phq9", answers)
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "item-q1") == "Choose an answer."
    assert "1 question has no answer." in by_id(body, "error-summary")
    assert "item-q1" not in checked(body)
    assert db.session.scalar(select(func.count(Assessment.id))) == 0


def test_the_empty_form_lists_every_item_and_its_options(client, agency):
    sign_in(client, agency.cm)
    response = client.get(f"{base(agency.own)}/new/phq9")
    assert response.status_code == 200
    body = page(response)
    assert body.count('type="radio"') == 9 * 4
    assert checked(body) == {}
    assert "Little interest or pleasure in doing things" in body
    assert "Nearly every day" in body
    assert 'name="csrf_token"' in body


# ---- The result page ---------------------------------------------------------------------


def test_result_shows_total_band_answers_and_change_since_last_time(client, agency):
    sign_in(client, agency.cm)
    body = administer_and_open(client, agency.own, "phq9", phq9(PHQ9_15))
    assert by_id(body, "result-total") == "15 of 27"
    assert by_id(body, "result-band") == "Moderately severe"
    assert by_id(body, "result-change") == "First time"
    rows = answer_rows(body)
    assert list(rows) == [f"q{n}" for n in range(1, 10)]
    assert rows["q1"] == "Little interest or pleasure in doing things Nearly every day"
    assert rows["q9"].endswith("Not at all")
    assert "A critical answer needs action now" not in body
    stored = latest(agency.own)
    assert (stored.total, stored.band, stored.critical_items) == (15, "moderately_severe", [])
    assert stored.answers == phq9(PHQ9_15)

    body = administer_and_open(client, agency.own, "phq9", phq9(PHQ9_9))
    assert by_id(body, "result-total") == "9 of 27"
    assert by_id(body, "result-band") == "Mild"
    assert by_id(body, "result-change") == "-6 (reliable change)"

    body = administer_and_open(client, agency.own, "phq9", phq9([3, 3, 3, 2, 0, 0, 0, 0, 0]))
    assert by_id(body, "result-change") == "+2"  # under 5 points: not a reliable change

    body = administer_and_open(client, agency.own, "phq9", phq9([3, 3, 3, 2, 0, 0, 0, 0, 0]))
    assert by_id(body, "result-change") == "No change"

    body = administer_and_open(client, agency.own, "gad7", {f"q{n}": 1 for n in range(1, 8)})
    assert by_id(body, "result-total") == "7 of 21"
    assert by_id(body, "result-change") == "First time"  # the change is per instrument


def test_psychosocial_notes_are_kept_for_answered_items(client, agency):
    sign_in(client, agency.cm)
    answers = {"housing": 3, "employment": 2, "education": 0, "income": 1}
    answers |= {k: 0 for k in ("physical_health", "substance_use", "legal", "social_support")}
    answers |= {"transportation": 0, "daily_living": 0}
    data = {f"item-{k}": str(v) for k, v in answers.items()}
    data |= {"note-housing": "  Sleeping in her car since May  ", "note-legal": "   "}
    response = post(client, f"{base(agency.own)}/new/psychosocial", data)
    assert response.status_code == 303
    stored = latest(agency.own)
    assert stored.notes == {"housing": "Sleeping in her car since May"}
    assert stored.total is None and stored.band is None
    body = page(client.get(response.headers["Location"]))
    assert "result-total" not in body
    assert answer_rows(body)["housing"] == "Housing Urgent need Sleeping in her car since May"


# ---- Critical answers and risk -----------------------------------------------------------


def test_a_critical_phq9_answer_raises_the_flag_and_creates_a_task(client, agency):
    assert agency.own.risk_level == "low"
    sign_in(client, agency.team)
    body = administer_and_open(client, agency.own, "phq9", phq9([1, 1, 1, 1, 1, 0, 0, 0, 1]))
    assert "A critical answer needs action now" in body
    assert 'id="crisis-steps"' in body and 'role="alert"' in body
    assert re.search(r'<tr id="answer-q9" class="critical">', body)
    stored = latest(agency.own)
    assert stored.critical_items == ["q9"] and stored.total == 6

    own = db.session.get(Client, agency.own.id)
    assert own.risk_level == "moderate"
    [change] = risk_changes(own)
    assert (change.level, change.set_by_id) == ("moderate", agency.team.id)
    assert "PHQ9" in change.reason
    [task] = review_tasks(own)
    assert task.title == "Review the critical answer on PHQ-9 (depression)"
    assert task.status == "open"
    assert task.assignee_id == agency.cm.id  # the primary case manager, not whoever asked
    assert task.created_by_id == agency.team.id


def test_a_critical_answer_never_lowers_a_higher_flag(client, agency):
    agency.own.risk_level = "high"
    sign_in(client, agency.cm)
    administer_and_open(client, agency.own, "phq9", phq9([0, 0, 0, 0, 0, 0, 0, 0, 2]))
    assert db.session.get(Client, agency.own.id).risk_level == "high"
    assert risk_changes(agency.own) == []
    assert len(review_tasks(agency.own)) == 1  # still reviewed


@pytest.mark.parametrize("item", ["q4", "q5"])
def test_cssrs_high_risk_sets_the_flag_to_high(client, agency, item):
    sign_in(client, agency.cm)
    answers = {"q1": 1, "q2": 1, "q3": 0, "q4": 0, "q5": 0, "q6": 0}
    answers[item] = 1
    body = administer_and_open(client, agency.own, "cssrs", answers)
    assert by_id(body, "result-risk") == "High"
    assert "A critical answer needs action now" in body
    assert answer_rows(body)["q6_recent"].endswith("Not asked")
    stored = latest(agency.own)
    assert (stored.risk_level, stored.critical_items) == ("high", [item])
    assert "q6_recent" not in stored.answers
    assert db.session.get(Client, agency.own.id).risk_level == "high"
    assert [c.level for c in risk_changes(agency.own)] == ["high"]
    assert len(review_tasks(agency.own)) == 1


def test_cssrs_recent_behaviour_is_high_and_older_behaviour_moderate(client, agency):
    sign_in(client, agency.cm)
    older = {"q1": 0, "q2": 0, "q6": 1, "q6_recent": 0}
    body = administer_and_open(client, agency.own, "cssrs", older)
    assert by_id(body, "result-risk") == "Moderate"
    assert db.session.get(Client, agency.own.id).risk_level == "moderate"
    body = administer_and_open(client, agency.own, "cssrs", {**older, "q6_recent": 1})
    assert by_id(body, "result-risk") == "High"
    assert db.session.get(Client, agency.own.id).risk_level == "high"
    assert [c.level for c in risk_changes(agency.own)] == ["moderate", "high"]


def test_cssrs_q2_no_skips_q3_to_q5_whatever_was_posted_for_them(client, agency):
    sign_in(client, agency.cm)
    posted = {"q1": 1, "q2": 0, "q3": 1, "q4": 1, "q5": 1, "q6": 0, "q6_recent": 1}
    body = administer_and_open(client, agency.own, "cssrs", posted)
    stored = latest(agency.own)
    assert stored.answers == {"q1": 1, "q2": 0, "q6": 0}
    assert (stored.risk_level, stored.critical_items) == ("low", [])
    rows = answer_rows(body)
    for item_id in ("q3", "q4", "q5", "q6_recent"):
        assert rows[item_id].endswith("Not asked"), item_id
    assert by_id(body, "result-risk") == "Low"
    assert "A critical answer needs action now" not in body
    assert db.session.get(Client, agency.own.id).risk_level == "low"
    assert risk_changes(agency.own) == [] and review_tasks(agency.own) == []


def test_cssrs_q2_yes_requires_q3_to_q5(client, agency):
    sign_in(client, agency.cm)
    response = administer(client, agency.own, "cssrs", {"q1": 1, "q2": 1, "q6": 0})
    assert response.status_code == 422
    body = page(response)
    for item_id in ("q3", "q4", "q5"):
        assert field_error(body, f"item-{item_id}") == "Choose an answer."
    assert 'id="item-q6_recent-error"' not in body
    assert 'id="item-q1-error"' not in body


def test_no_critical_answer_leaves_the_flag_alone_and_creates_no_task(client, agency):
    agency.own.risk_level = "moderate"
    sign_in(client, agency.cm)
    before = db.session.scalar(select(func.count(Task.id)))
    body = administer_and_open(client, agency.own, "phq9", phq9([3, 3, 3, 3, 3, 3, 3, 3, 0]))
    assert by_id(body, "result-band") == "Severe"  # severe, but no critical answer
    assert "A critical answer needs action now" not in body
    assert db.session.get(Client, agency.own.id).risk_level == "moderate"
    assert risk_changes(agency.own) == []
    assert db.session.scalar(select(func.count(Task.id))) == before


# ---- The audit -------------------------------------------------------------------------


def client_events(client: Client, action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.client_id == client.id, AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
    )


def test_saving_writes_a_create_event_and_every_page_a_view(client, agency):
    sign_in(client, agency.cm)
    own = agency.own
    pages = [f"{base(own)}", f"{base(own)}/new/phq9"]
    for url in pages:
        before = len(client_events(own, "view"))
        assert client.get(url).status_code == 200
        views = client_events(own, "view")
        assert len(views) == before + 1, f"no view event for {url}"
        assert views[-1].actor_id == agency.cm.id

    response = administer(client, own, "phq9", phq9(PHQ9_9))
    assessment = latest(own)
    [create] = [e for e in client_events(own, "create") if e.object_type == "assessment"]
    assert create.object_id == str(assessment.id)
    assert create.actor_id == agency.cm.id
    assert create.detail == "phq9"

    for url in (response.headers["Location"], f"{base(own)}/trend/phq9"):
        before = len(client_events(own, "view"))
        assert client.get(url).status_code == 200
        views = client_events(own, "view")
        assert len(views) == before + 1, f"no view event for {url}"
    details = [e.detail for e in client_events(own, "view")]
    assert "assessments" in details
    assert f"assessment {assessment.id}" in details
    assert "trend phq9" in details


# ---- The trend ---------------------------------------------------------------------------


def test_trend_is_an_svg_with_the_same_scores_as_its_table(client, agency):
    # stored out of date order: the chart and the table follow the dates
    add_scores(agency.own, agency.cm, [19, 12], date(2024, 1, 15))
    add_scores(agency.own, agency.cm, [20, 14], date(2024, 1, 1))
    sign_in(client, agency.cm)
    response = client.get(f"{base(agency.own)}/trend/phq9")
    assert response.status_code == 200
    body = page(response)
    svg = re.search(r"<svg .*?</svg>", body, re.S).group(0)
    assert 'role="img"' in svg
    assert re.search(r"<title id=\"chart-title\">Scores on PHQ-9 \(depression\) over", svg)
    assert re.search(r'<desc id="chart-desc">4 scores', svg)
    assert 'aria-labelledby="chart-title chart-desc"' in svg
    assert "<script" not in svg.lower()
    assert not re.search(r"\son\w+=", svg)  # no event handler either
    assert svg.count("<rect ") == 5  # one per PHQ-9 band
    for label in ("Minimal", "Mild", "Moderate", "Moderately severe", "Severe"):
        assert f">{label}</text>" in svg

    circles = re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    assert len(circles) == 4
    xs = [float(x) for x, _ in circles]
    assert xs == sorted(xs)
    plot_height = HEIGHT - TOP - BOTTOM
    charted = [round((TOP + plot_height - float(cy)) / plot_height * 27) for _, cy in circles]
    table = re.search(r'<table class="table" id="trend-data">.*?</table>', body, re.S).group(0)
    rows = re.findall(r"<tr><td>(.*?)</td><td class=\"num\">(\d+)</td><td>(.*?)</td>", table)
    tabled = [int(total) for _, total, _ in rows]
    assert charted == tabled == [20, 14, 19, 12]
    assert [band for *_, band in rows] == ["Severe", "Moderate", "Moderately severe", "Moderate"]
    assert [d for d, *_ in rows] == ["Jan 1, 2024", "Jan 8, 2024", "Jan 15, 2024", "Jan 22, 2024"]
    reliable = re.findall(r"<td>(Better|Worse|—)</td></tr>", table)
    assert reliable == ["—", "Better", "Worse", "Better"]  # -6, +5, -7: 5 points or more


def test_trend_with_no_scores_says_so(client, agency):
    sign_in(client, agency.cm)
    body = page(client.get(f"{base(agency.own)}/trend/gad7"))
    assert "<svg" not in body and 'id="trend-data"' not in body
    assert "No scores yet" in body


def test_assessment_pages_cost_the_same_queries_for_1_or_12_assessments(client, count_queries):
    cm = make_user(Role.CASE_MANAGER)
    one = make_client(primary_case_manager=cm, date_of_birth=date(1990, 1, 1))
    many = make_client(primary_case_manager=cm, date_of_birth=date(1990, 1, 1))
    add_scores(one, cm, [10], date(2024, 1, 1))
    add_scores(many, cm, [10, 4, 20, 9, 15, 0, 27, 3, 8, 14, 19, 5], date(2024, 1, 1))
    sign_in(client, cm)
    for tail, marker, counts in (
        ("", 'id="assessment-', (1, 12)),
        ("/trend/phq9", "<circle ", (1, 12)),
    ):
        client.get(base(one) + tail)  # the first visit may load what later visits reuse
        with count_queries() as few:
            small = page(client.get(base(one) + tail))
        with count_queries() as lots:
            large = page(client.get(base(many) + tail))
        assert (small.count(marker), large.count(marker)) == counts
        assert lots.count == few.count, tail


# ---- A test-only instrument, loaded from INSTRUMENT_DIRS ---------------------------------


@WITH_EXTRA
def test_an_instrument_from_a_configured_folder_is_offered_on_the_record(client, agency):
    sign_in(client, agency.cm)
    body = page(client.get(base(agency.own)))
    assert "Wellbeing check (test only)" in body
    assert f'href="{base(agency.own)}/new/wellbeing3"' in body
    assert f'href="{base(agency.own)}/trend/wellbeing3"' in body
    form = page(client.get(f"{base(agency.own)}/new/wellbeing3"))
    assert "I felt unsafe" in form and "Sometimes" in form
    assert form.count('type="radio"') == 9


@WITH_EXTRA
def test_the_extra_instruments_skip_rule_and_band_apply_over_http(client, agency):
    sign_in(client, agency.cm)
    # w1 "never": w2 is skipped, so not required, and its posted answer is ignored
    body = administer_and_open(client, agency.own, "wellbeing3", {"w1": 0, "w2": 2, "w3": 1})
    assert by_id(body, "result-total") == "1 of 6"
    assert by_id(body, "result-band") == "Doing well"
    assert by_id(body, "result-risk") == "Low"
    assert answer_rows(body)["w2"].endswith("Not asked")
    assert latest(agency.own).answers == {"w1": 0, "w3": 1}
    assert "A critical answer needs action now" not in body
    assert db.session.get(Client, agency.own.id).risk_level == "low"
    assert review_tasks(agency.own) == []

    # w1 answered: w2 is asked, so required
    response = administer(client, agency.own, "wellbeing3", {"w1": 1, "w3": 0})
    assert response.status_code == 422
    assert field_error(page(response), "item-w2") == "Choose an answer."


@WITH_EXTRA
def test_the_extra_instruments_risk_rule_and_critical_item_apply_over_http(client, agency):
    sign_in(client, agency.cm)
    body = administer_and_open(client, agency.own, "wellbeing3", {"w1": 2, "w2": 1, "w3": 2})
    assert by_id(body, "result-total") == "5 of 6"
    assert by_id(body, "result-band") == "Struggling"
    assert by_id(body, "result-risk") == "High"
    assert "A critical answer needs action now" in body
    assert latest(agency.own).critical_items == ["w3"]
    assert db.session.get(Client, agency.own.id).risk_level == "high"
    [task] = review_tasks(agency.own)
    assert task.title == "Review the critical answer on Wellbeing check (test only)"
    trend = page(client.get(f"{base(agency.own)}/trend/wellbeing3"))
    assert trend.count("<circle ") == 1 and trend.count("<rect ") == 2


# ---- Spanish: instrument text comes from the file --------------------------------------


def test_a_spanish_speaking_user_gets_the_instrument_text_from_the_file(client, agency):
    agency.cm.locale = "es"
    sign_in(client, agency.cm)
    body = page(client.get(f"{base(agency.own)}/new/phq9"))
    assert '<html lang="es"' in body
    assert "PHQ-9 (depresión)" in body
    assert "Poco interés o placer en hacer cosas" in body
    assert "Durante las últimas 2 semanas" in body
    assert body.count("Casi todos los días") == 9
    assert "Little interest or pleasure" not in body and "Nearly every day" not in body

    body = administer_and_open(client, agency.own, "phq9", phq9(PHQ9_15))
    assert '<html lang="es"' in body
    assert by_id(body, "result-band") == "Moderadamente grave"
    assert answer_rows(body)["q1"].startswith("Poco interés o placer en hacer cosas Casi")
