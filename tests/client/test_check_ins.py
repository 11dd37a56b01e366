# ruff: noqa: F811  (the test functions take the imported `agency` fixture)
"""The client's check-ins: only their own; answering on one page or one question per screen
(no JavaScript, no server state) to the same stored answers; a tampered or repeated submit
stores nothing more; a calm result without clinical labels; a critical answer shows crisis
help at once and alerts the case manager; the schedule moves on; who may open which page;
Spanish questions from the instrument files; a query budget that does not grow."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.i18n import agency_today
from portal.models import Assessment, AuditEvent, CheckIn, Client, Role, Task, utcnow
from portal.services import assessments, check_ins
from portal.services.errors import DomainError

from ..factories import make_client, make_user
from ..staff.conftest import agency  # noqa: F401  (the small agency of the staff tests)
from ..staff.support import ROLES, field_error, page, post, section, sign_in, sign_in_as

LIST = "/client/check-ins"
PHQ9_MILD = [1, 1, 1, 1, 1, 1, 0, 0, 0]  # 6: mild, item 9 "not at all"
PHQ9_SEVERE = [3, 3, 3, 3, 3, 3, 3, 0, 0]  # 21: severe, but no critical answer
PHQ9_CRITICAL = [1, 1, 0, 0, 0, 0, 0, 0, 1]  # 3: minimal, but item 9 above 0
CLINICAL_WORDS = ("severe", "moderate", "mild", "minimal", "depression", "phq", "gad-7", "anxiety")


def clinical_words_shown(body: str) -> list[str]:
    """The clinical words a reader sees or hears: the text and the labels, not the random
    CSRF token or CSP nonce, which once spelled "phq" by chance."""
    labels = re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', body)
    shown = " ".join([re.sub(r"<[^>]+>", " ", body), *labels]).lower()
    return [word for word in CLINICAL_WORDS if word in shown]


def answers(values: list[int]) -> dict[str, int]:
    return {f"q{n}": value for n, value in enumerate(values, start=1)}


def form_data(values: list[int]) -> dict[str, str]:
    return {f"item-q{n}": str(value) for n, value in enumerate(values, start=1)}


def assign(agency: Any, code: str = "phq9", every: int | None = None, **kw: Any) -> CheckIn:
    return check_ins.assign(
        kw.pop("client", agency.own),
        code,
        every,
        kw.pop("due", agency_today()),
        actor=agency.cm,
        ip=None,
    )


def form_url(check_in: CheckIn) -> str:
    return f"{LIST}/{check_in.id}"


def step_url(check_in: CheckIn, number: int) -> str:
    return f"{LIST}/{check_in.id}/step/{number}"


def send(browser: Any, check_in: CheckIn, values: list[int], **extra: str) -> Any:
    data = {"version": str(check_in.version), **form_data(values), **extra}
    return post(browser, form_url(check_in), data)


def stored_for(client: Client) -> list[Assessment]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Assessment).where(Assessment.client_id == client.id).order_by(Assessment.id)
        )
    )


def the_form(body: str) -> tuple[str, dict[str, str]]:
    """The check-in form's address and the hidden inputs it carries (CSRF token aside)."""
    match = re.search(
        r'<form method="post" action="([^"]+)" class="check-in-form".*?</form>', body, re.S
    )
    assert match, "no check-in form"
    hidden = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', match.group(0))
    )
    hidden.pop("csrf_token")
    return match.group(1), hidden


def checked(body: str) -> dict[str, str]:
    chosen = {}
    for tag in re.findall(r"<input [^>]*>", body):
        if re.search(r"\schecked\b", tag):
            chosen[re.search(r'name="([^"]+)"', tag).group(1)] = re.search(
                r'value="([^"]*)"', tag
            ).group(1)
    return chosen


def walk(browser: Any, check_in: CheckIn, values: list[int]) -> Any:
    """Answer one question per screen, as a browser without JavaScript does."""
    body = page(browser.get(step_url(check_in, 1)))
    response = None
    for number, value in enumerate(values, start=1):
        assert f"Question {number} of {len(values)}" in body
        assert body.count('type="radio"') == 4  # one question on the screen
        action, hidden = the_form(body)
        response = post(browser, action, {**hidden, f"item-q{number}": str(value)})
        if number < len(values):
            assert response.status_code == 200, page(response)
            body = page(response)
    return response


@pytest.fixture
def waiting(agency) -> CheckIn:
    """A PHQ-9 asked for once, due today."""
    return assign(agency)


# ---- Who may open which page ---------------------------------------------------------------

ROUTES: list[tuple[str, str, str]] = [
    ("check_ins", "GET", LIST),
    ("check_in_form", "GET", LIST + "/{check_in}"),
    ("check_in_step", "GET", LIST + "/{check_in}/step/1"),
    ("check_in_step (next)", "POST", LIST + "/{check_in}/step/2"),
    ("check_in_result", "GET", LIST + "/results/{result}"),
    ("check_in_form (send)", "POST", LIST + "/{check_in}"),
]
TABLE: dict[str, tuple[int, ...]] = {
    # route:                 cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "check_ins": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "check_in_form": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "check_in_step": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "check_in_step (next)": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "check_in_result": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "check_in_form (send)": (403, 403, 403, 403, 403, 403, 403, 303, 403, 302),
}


def test_the_table_covers_every_client_check_in_route(app):
    endpoints = {e.endpoint for e in app.url_map.iter_rules() if e.endpoint.startswith("client.")}
    endpoints = {e for e in endpoints if e.startswith("client.check_in")}
    assert {f"client.{name.split(' ')[0]}" for name in TABLE} == endpoints
    assert [name for name, *_ in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, role):
    done = assign(agency, "gad7")
    result, _ = check_ins.complete(
        done, answers([0] * 7), actor=agency.client_user, ip=None, today=agency_today()
    )
    check_in = assign(agency)
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    seen = {}
    for name, method, path in ROUTES:
        url = path.format(check_in=check_in.id, result=result.id)
        if method == "GET":
            response = client.get(url)
        else:
            data = {"version": str(check_in.version), **form_data([0] * 9)}
            response = post(client, url, data)
        seen[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next=")
    assert seen == {name: statuses[column] for name, statuses in TABLE.items()}
    sent = 1 if TABLE["check_in_form (send)"][column] == 303 else 0
    assert len(stored_for(agency.own)) == 1 + sent


def test_a_client_sees_only_their_own_check_ins(client, agency):
    other_user = make_user(Role.CLIENT, display_name="Otto Portal")
    other = make_client(
        legal_name="Otto Other", primary_case_manager=agency.cm, portal_user=other_user
    )
    theirs = assign(agency, client=other)
    their_result, _ = check_ins.complete(
        theirs, answers([2] * 9), actor=other_user, ip=None, today=agency_today()
    )
    theirs_next = assign(agency, "gad7", client=other)
    staff_made = assessments.record(
        agency.own,
        assessments.instruments()["phq9"],
        answers([0] * 9),
        {},
        actor=agency.cm,
        ip=None,
        today=agency_today(),
    )[0]
    mine = assign(agency)
    sign_in(client, agency.client_user)

    listed = page(client.get(LIST))
    assert f'id="check-in-{mine.id}"' in listed
    assert f'id="check-in-{theirs_next.id}"' not in listed
    assert f'id="result-{their_result.id}"' not in listed
    assert f'id="result-{staff_made.id}"' not in listed  # staff's assessments are not check-ins

    for url in (
        form_url(theirs_next),
        step_url(theirs_next, 1),
        f"{LIST}/results/{their_result.id}",
        f"{LIST}/results/{staff_made.id}",
        f"{LIST}/999999",
        f"{LIST}/results/999999",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Otto" not in page(response)
    assert send(client, theirs_next, [0] * 7).status_code == 404
    assert post(client, step_url(theirs_next, 2), form_data([0] * 7)).status_code == 404
    assert len(stored_for(other)) == 1


# ---- One page ------------------------------------------------------------------------------


def test_the_one_page_form_lists_every_question_as_a_fieldset_with_a_legend(
    client, agency, waiting
):
    sign_in(client, agency.client_user)
    response = client.get(form_url(waiting))
    assert response.status_code == 200
    body = page(response)
    assert body.count("<fieldset") == 9 and body.count("<legend") == 9
    assert body.count('type="radio"') == 9 * 4
    assert '<label class="answer" for="item-q1-0">' in body
    assert "Little interest or pleasure in doing things" in body
    assert checked(body) == {}
    assert clinical_words_shown(body) == []


def test_sending_the_one_page_form_stores_a_self_report_and_ends_a_once_check_in(
    client, agency, waiting
):
    sign_in(client, agency.client_user)
    response = send(client, waiting, PHQ9_MILD)
    assert response.status_code == 303
    [stored] = stored_for(agency.own)
    assert response.headers["Location"] == f"{LIST}/results/{stored.id}"
    assert stored.self_report is True
    assert stored.administered_by_id == agency.client_user.id
    assert stored.answers == answers(PHQ9_MILD)
    assert (stored.total, stored.band, stored.critical_items) == (6, "mild", [])
    check_in = db.session.get(CheckIn, waiting.id)
    assert check_in.active is False
    assert check_in.last_assessment_id == stored.id and check_in.last_done_at is not None

    listed = page(client.get(LIST))
    assert f'id="check-in-{waiting.id}"' not in section(listed, "waiting-title")
    assert "Nothing to fill in right now." in listed
    done = section(listed, "done-title")
    assert f'id="result-{stored.id}"' in done
    assert "Your answers suggest you have had some hard days." in done
    # Once answered, the form is not there any more.
    again = client.get(form_url(waiting))
    assert again.status_code == 303 and again.headers["Location"] == LIST


def test_missing_answers_are_shown_at_each_question_and_keep_what_was_chosen(
    client, agency, waiting
):
    sign_in(client, agency.client_user)
    data = {"version": str(waiting.version), "item-q1": "2", "item-q2": "1", "item-q9": "0"}
    response = post(client, form_url(waiting), data)
    assert response.status_code == 422
    body = page(response)
    for n in range(3, 9):
        assert field_error(body, f"item-q{n}") == "Choose an answer."
        assert f'aria-describedby="item-q{n}-error"' in body
        assert f'href="#item-q{n}-0"' in body
    assert 'id="item-q1-error"' not in body and 'id="item-q9-error"' not in body
    assert "6 questions have no answer yet." in body
    assert checked(body) == {"item-q1": "2", "item-q2": "1", "item-q9": "0"}
    assert stored_for(agency.own) == []


def test_sending_twice_stores_once_and_shows_the_first_result(client, agency, waiting):
    sign_in(client, agency.client_user)
    data = {"version": str(waiting.version), **form_data(PHQ9_MILD)}
    first = post(client, form_url(waiting), data)
    second = post(client, form_url(waiting), data)
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert len(stored_for(agency.own)) == 1
    assert "We already have these answers." in page(client.get(second.headers["Location"]))


def test_a_repeating_check_in_sent_twice_stores_once(client, agency):
    check_in = assign(agency, every=14)
    sign_in(client, agency.client_user)
    data = {"version": str(check_in.version), **form_data(PHQ9_MILD)}
    assert post(client, form_url(check_in), data).status_code == 303
    assert post(client, form_url(check_in), data).status_code == 303
    assert len(stored_for(agency.own)) == 1


def test_the_service_refuses_a_stale_version_and_stores_nothing(app, agency, waiting):
    with pytest.raises(DomainError):
        check_ins.complete(
            waiting,
            answers(PHQ9_MILD),
            expected=waiting.version + 1,
            actor=agency.client_user,
            ip=None,
            today=agency_today(),
        )
    assert db.session.scalar(select(func.count(Assessment.id))) == 0


# ---- One question per screen -----------------------------------------------------------


def test_one_question_per_screen_reaches_the_same_answers_as_one_page(client, agency):
    sign_in(client, agency.client_user)
    on_one_page = assign(agency, "phq9")
    assert send(client, on_one_page, PHQ9_SEVERE).status_code == 303
    by_steps = assign(agency, "phq9")

    response = walk(client, by_steps, PHQ9_SEVERE)
    assert response.status_code == 303
    first, second = stored_for(agency.own)
    assert response.headers["Location"] == f"{LIST}/results/{second.id}"
    assert second.answers == first.answers == answers(PHQ9_SEVERE)
    assert (second.total, second.band) == (first.total, first.band) == (21, "severe")
    assert second.self_report is True
    assert db.session.get(CheckIn, by_steps.id).active is False


def test_a_step_carries_earlier_answers_and_back_keeps_them(client, agency, waiting):
    sign_in(client, agency.client_user)
    first = page(client.get(step_url(waiting, 1)))
    assert "Question 1 of 9" in first
    assert '<progress class="step-progress" max="9" value="1"' in first
    assert f'href="{LIST}"' in first  # back to the list from the first question

    third = page(
        post(client, step_url(waiting, 3), {"version": "1", "item-q1": "2", "item-q2": "1"})
    )
    assert "Question 3 of 9" in third
    action, hidden = the_form(third)
    assert action == step_url(waiting, 4)
    assert hidden == {"version": "1", "item-q1": "2", "item-q2": "1"}
    assert f'formaction="{step_url(waiting, 2)}"' in third

    # Back from question 3 with an answer chosen: question 2 shows its answer, nothing is lost.
    back = post(client, step_url(waiting, 2), {**hidden, "item-q3": "3"})
    assert back.status_code == 200
    body = page(back)
    assert "Question 2 of 9" in body
    assert checked(body) == {"item-q2": "1"}
    _action, hidden = the_form(body)
    assert hidden == {"version": "1", "item-q1": "2", "item-q3": "3"}


def test_next_without_an_answer_shows_the_error_at_that_question(client, agency, waiting):
    sign_in(client, agency.client_user)
    response = post(client, step_url(waiting, 3), {"version": "1", "item-q1": "2"})
    assert response.status_code == 422
    body = page(response)
    assert "Question 2 of 9" in body
    assert field_error(body, "item-q2") == "Choose an answer."
    assert 'aria-describedby="item-q2-error"' in body


@pytest.mark.parametrize("bad", ["7", "-1", "", "two", "1.0"])
def test_a_tampered_hidden_answer_is_refused_on_the_final_submit(client, agency, waiting, bad):
    sign_in(client, agency.client_user)
    data = {"version": "1", "mode": "step", **form_data(PHQ9_MILD), "item-q3": bad}
    response = post(client, form_url(waiting), data)
    assert response.status_code == 422
    body = page(response)
    assert "Question 3 of 9" in body
    assert field_error(body, "item-q3") == "Choose an answer."
    assert stored_for(agency.own) == []
    assert db.session.get(CheckIn, waiting.id).active is True


def test_a_tampered_hidden_answer_is_refused_on_the_way(client, agency, waiting):
    sign_in(client, agency.client_user)
    data = {"version": "1", **form_data(PHQ9_MILD[:4]), "item-q2": "9"}
    response = post(client, step_url(waiting, 5), data)
    assert response.status_code == 422
    assert "Question 2 of 9" in page(response)


def test_steps_out_of_range_are_missing_and_later_steps_start_at_the_first(client, agency, waiting):
    sign_in(client, agency.client_user)
    assert client.get(step_url(waiting, 0)).status_code == 404
    assert client.get(step_url(waiting, 10)).status_code == 404
    response = client.get(step_url(waiting, 4))
    assert response.status_code == 302
    assert response.headers["Location"] == step_url(waiting, 1)


# ---- The result: calm words, help at once when it matters -------------------------------


@pytest.mark.parametrize(
    ("values", "sentence"),
    [
        ([0] * 9, "Your answers suggest you have been feeling mostly okay."),
        (PHQ9_MILD, "Your answers suggest you have had some hard days."),
        (PHQ9_SEVERE, "Your answers suggest the last two weeks have been very hard."),
    ],
)
def test_the_result_is_a_plain_sentence_without_clinical_labels(
    client, agency, waiting, values, sentence
):
    sign_in(client, agency.client_user)
    response = send(client, waiting, values)
    body = page(client.get(response.headers["Location"]))
    assert sentence in body
    assert "This is not a diagnosis." in body
    assert clinical_words_shown(body) == []
    assert 'id="crisis-help"' not in body
    assert "Your case manager has been told" not in body


def test_plain_results_never_name_the_band(app):
    for code in ("phq9", "gad7"):
        instrument = assessments.instruments()[code]
        for band in instrument.bands:
            result = instrument.score({i.id: 0 for i in instrument.items})
            result.band = band
            sentence = check_ins.plain_result(result, instrument, "en")
            assert sentence.startswith("Your answers suggest"), (code, band.code)
            assert band.label("en").lower() not in sentence.lower(), (code, band.code)
            for word in CLINICAL_WORDS:
                assert word not in sentence.lower(), (code, band.code)


CRISIS_CONFIG = {"CRISIS_LINE_NAME": "Riverbend crisis team", "CRISIS_LINE_PHONE": "555-0199"}


@pytest.mark.parametrize("app_config", [CRISIS_CONFIG], ids=["crisis-line"])
def test_a_critical_answer_shows_help_at_once_and_alerts_the_case_manager(client, agency, waiting):
    assert agency.own.risk_level == "low"
    sign_in(client, agency.client_user)
    response = send(client, waiting, PHQ9_CRITICAL)
    assert response.status_code == 303
    body = page(client.get(response.headers["Location"]))

    help_at = body.index('id="crisis-help"')
    assert help_at < body.index('id="plain-result"')  # help comes first
    assert help_at < body.index("See my answers")
    box = body[help_at : body.index("</section>", help_at)]
    assert 'role="alert"' in body[help_at - 80 : help_at + 80]
    assert 'href="tel:988"' in box and 'href="sms:988"' in box
    assert "Riverbend crisis team" in box and 'href="tel:555-0199"' in box
    assert 'href="/client/safety-plan"' in box and "Open my safety plan" in box
    assert "Your case manager has been told and will contact you." in box
    # A low total with a critical answer is never "mostly okay".
    assert "Your answers suggest things have been hard lately." in body
    assert "mostly okay" not in body
    assert clinical_words_shown(body) == []

    [stored] = stored_for(agency.own)
    assert stored.critical_items == ["q9"] and stored.self_report is True
    assert db.session.get(Client, agency.own.id).risk_level == "moderate"
    [task] = db.session.scalars(
        select(Task).where(
            Task.client_id == agency.own.id, Task.title.like("Review the critical answer%")
        )
    ).all()
    assert task.assignee_id == agency.cm.id and task.status == "open"
    [alert] = check_ins.critical_recent([agency.own.id], utcnow() - timedelta(days=14))
    assert alert.id == stored.id and alert.client.id == agency.own.id


def test_a_critical_answer_given_one_question_at_a_time_alerts_too(client, agency, waiting):
    sign_in(client, agency.client_user)
    response = walk(client, waiting, PHQ9_CRITICAL)
    assert response.status_code == 303
    assert 'id="crisis-help"' in page(client.get(response.headers["Location"]))
    assert db.session.get(Client, agency.own.id).risk_level == "moderate"
    assert db.session.scalar(select(func.count(Task.id)).where(Task.title.like("Review%"))) == 1


# ---- Schedules -------------------------------------------------------------------------------


def test_a_repeating_check_in_falls_due_again_after_its_interval(client, agency):
    today = agency_today()
    check_in = assign(agency, every=14, due=today - timedelta(days=3))
    sign_in(client, agency.client_user)
    assert send(client, check_in, PHQ9_MILD).status_code == 303
    stored = db.session.get(CheckIn, check_in.id)
    assert stored.active is True
    assert stored.due_on == today + timedelta(days=14)  # counted from the answer, not the due date
    listed = page(client.get(LIST))
    assert f'id="check-in-{check_in.id}"' not in section(listed, "waiting-title")
    coming = section(listed, "coming-title")
    assert f'id="check-in-{check_in.id}"' in coming
    assert "How you have been feeling: next on" in coming
    # Not due yet: nothing to fill in, nothing stored.
    assert client.get(form_url(stored)).status_code == 303
    assert send(client, stored, PHQ9_MILD).status_code == 303
    assert len(stored_for(agency.own)) == 1


def test_a_check_in_due_later_or_stopped_is_not_offered(client, agency):
    later = assign(agency, due=agency_today() + timedelta(days=2))
    stopped = assign(agency, "gad7")
    check_ins.stop(stopped, actor=agency.cm, ip=None)
    sign_in(client, agency.client_user)
    listed = page(client.get(LIST))
    assert f'id="check-in-{later.id}"' in section(listed, "coming-title")
    assert f'id="check-in-{stopped.id}"' not in listed
    for check_in in (later, stopped):
        response = client.get(form_url(check_in))
        assert response.status_code == 303 and response.headers["Location"] == LIST
        assert client.get(step_url(check_in, 1)).status_code == 303
    assert send(client, stopped, [0] * 7).status_code == 303
    assert stored_for(agency.own) == []


# ---- The audit, Spanish, the query budget -------------------------------------------------


def test_answering_and_viewing_are_audited(client, agency, waiting):
    sign_in(client, agency.client_user)
    client.get(LIST)
    response = send(client, waiting, PHQ9_MILD)
    client.get(response.headers["Location"])
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.client_id == agency.own.id, AuditEvent.actor_id == agency.client_user.id)
        .order_by(AuditEvent.id)
    ).all()
    kinds = [(e.action, e.object_type) for e in events]
    assert ("view", "check_in") in kinds
    assert ("create", "assessment") in kinds
    assert ("update", "check_in") in kinds


def test_a_spanish_speaking_client_gets_the_questions_from_the_instrument_file(
    client, agency, waiting
):
    agency.client_user.locale = "es"
    sign_in(client, agency.client_user)
    body = page(client.get(form_url(waiting)))
    assert '<html lang="es"' in body
    assert "Poco interés o placer en hacer cosas" in body
    assert "Durante las últimas 2 semanas" in body
    assert body.count("Casi todos los días") == 9
    assert "Little interest or pleasure" not in body and "Nearly every day" not in body

    step = page(client.get(step_url(waiting, 1)))
    assert '<html lang="es"' in step
    assert "Poco interés o placer en hacer cosas" in step
    assert step.count("Casi todos los días") == 1

    response = send(client, waiting, PHQ9_MILD)
    result = page(client.get(response.headers["Location"]))
    assert '<html lang="es"' in result
    assert "Se ha sentido decaído(a), deprimido(a) o sin esperanzas" in result
    assert "Varios días" in result
    assert "Leve" not in result and "depresión" not in result


def test_the_list_costs_the_same_queries_for_1_or_10_past_check_ins(client, agency, count_queries):
    today = agency_today()
    for n in range(10):
        check_in = assign(agency, "phq9", due=today)
        check_ins.complete(
            check_in, answers([1] * 9), actor=agency.client_user, ip=None, today=today
        )
        if n == 0:
            sign_in(client, agency.client_user)
            client.get(LIST)  # the first visit may load what later visits reuse
            with count_queries() as few:
                small = page(client.get(LIST))
    with count_queries() as lots:
        large = page(client.get(LIST))
    assert small.count('id="result-') == 1 and large.count('id="result-') == 10
    assert lots.count == few.count
