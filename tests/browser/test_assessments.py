"""Assessments in real Chromium: filling an instrument with the keyboard alone, the error
summary, results with the crisis steps, the SVG trend, axe-core, Spanish and phones."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from .helpers import assert_no_axe_violations

CASE_MANAGER = "cm@example.org"
ALEX = 1  # "Alex": four monthly PHQ-9s and a needs assessment in the demo data
SOFIA = 2  # "Sofía Ejemplo": no assessments in the demo data
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
PHQ9_ITEMS = [f"q{n}" for n in range(1, 10)]
SAVE = "Save and see the result"

# Chromium logs every 4xx answer on the console; a 422 is how the server hands back a
# form with its errors, so that line alone is not an error.
STATUS_LINE = re.compile(r"Failed to load resource: the server responded with a status of 422")


def console_errors(page: Any) -> list[str]:
    logged = [
        line
        for line in page.log.console
        if line.startswith("error:") and not STATUS_LINE.search(line)
    ]
    return logged + page.log.errors


def assessments_path(client_id: int, rest: str = "") -> str:
    return f"/staff/clients/{client_id}/assessments{rest}"


def open_phq9(page: Any, client_id: int = ALEX) -> None:
    """From the record's assessments list, the way a case manager gets there."""
    page.goto(assessments_path(client_id))
    page.get_by_role("link", name="PHQ-9 (depression)", exact=True).click()
    expect(page).to_have_url(re.compile(r"/assessments/new/phq9$"))
    expect(page.get_by_role("heading", name="PHQ-9 (depression)", level=2)).to_be_visible()


def focused_id(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def answer(page: Any, item: str, index: int) -> None:
    """Choose the option at ``index`` by clicking its label's text (not the radio)."""
    label = page.locator(f'label[for="item-{item}-{index}"]')
    box = label.bounding_box()
    assert box is not None, f"the label of item-{item}-{index} is not on screen"
    label.click(position={"x": box["width"] - 4, "y": box["height"] / 2})
    expect(page.locator(f"#item-{item}-{index}")).to_be_checked()


def submit(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=SAVE, exact=True).click()


# --- the keyboard alone ----------------------------------------------------------------


def test_phq9_can_be_filled_and_saved_with_the_keyboard_alone(new_page):
    page = new_page(user=CASE_MANAGER)
    open_phq9(page)

    # Tab from the top of the page to the first radio group.
    for _ in range(80):
        page.keyboard.press("Tab")
        if focused_id(page) == "item-q1-0":
            break
    else:
        pytest.fail(f"Tab never reached the first question (stopped on {focused_id(page)!r})")

    chosen = [1, 2, 1, 0, 3, 1, 2, 1, 0]  # 11: moderate, and no answer to item 9
    for number, (item, value) in enumerate(zip(PHQ9_ITEMS, chosen, strict=True)):
        if number:
            page.keyboard.press("Tab")  # into the next group, on its first option
        assert focused_id(page) == f"item-{item}-0", f"Tab did not land on {item}"
        if value == 0:
            page.keyboard.press("Space")
        for _ in range(value):
            page.keyboard.press("ArrowDown")
        assert focused_id(page) == f"item-{item}-{value}"
        expect(page.locator(f"#item-{item}-{value}")).to_be_checked()

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=SAVE, exact=True)).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/staff/clients/{ALEX}/assessments/\d+$"))
    expect(page.locator("#result-total")).to_have_text("11 of 27")
    expect(page.locator("#result-band")).to_have_text("Moderate")
    expect(page.locator("#crisis-steps")).to_have_count(0)
    for item, value in zip(PHQ9_ITEMS, chosen, strict=True):
        expect(page.locator(f"#answer-{item}")).not_to_contain_text("Not asked")
        assert page.locator(f"#answer-{item} td").nth(1).inner_text().strip(), (item, value)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


# --- a question left out -----------------------------------------------------------------


def test_unanswered_question_focuses_the_error_summary_and_keeps_the_answers(new_page):
    page = new_page(user=CASE_MANAGER)
    open_phq9(page)
    chosen = dict(zip(PHQ9_ITEMS[:8], [0, 1, 2, 3, 2, 1, 0, 1], strict=True))
    for item, value in chosen.items():
        answer(page, item, value)  # the labels are clickable: their text checks the radio
    submit(page)  # item 9 unanswered

    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("1 question has no answer.")
    link = summary.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "#item-q9-0")

    question = page.get_by_role("group", name=re.compile(r"better off dead", re.IGNORECASE))
    expect(question).to_have_attribute("aria-describedby", "item-q9-error")
    expect(page.locator("#item-q9-error")).to_have_text("Choose an answer.")
    for item, value in chosen.items():
        expect(page.locator(f"#item-{item}-{value}")).to_be_checked()
    expect(page.locator('input[name="item-q9"]:checked')).to_have_count(0)

    # The link in the summary takes the person to the question.
    link.click()
    expect(page.locator("#item-q9-0")).to_be_focused()

    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


# --- axe-core ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        assessments_path(ALEX),
        assessments_path(ALEX, "/new/phq9"),
        assessments_path(ALEX, "/new/psychosocial"),
        assessments_path(ALEX, "/trend/phq9"),
    ],
    ids=["list", "phq9-form", "psychosocial-form", "trend"],
)
def test_assessment_pages_have_no_axe_violations(new_page, live_server, path):
    page = new_page(user=CASE_MANAGER)
    page.goto(path)
    expect(page).to_have_url(live_server(path))
    expect(page.get_by_role("heading", level=2).first).to_be_visible()
    if path.endswith("/psychosocial"):
        expect(page.get_by_label("Notes on Housing")).to_be_visible()
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_a_result_from_the_list_has_no_axe_violations(new_page):
    page = new_page(user=CASE_MANAGER)
    page.goto(assessments_path(ALEX))
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    with page.expect_navigation():
        # The oldest PHQ-9: it has no "change since last" (the needs assessment is older still).
        rows.filter(has_text="PHQ-9").last.get_by_role("link").click()
    expect(page.locator("#result-total")).to_have_text(re.compile(r"^\d+ of 27$"))
    expect(page.get_by_role("link", name="See the trend")).to_be_visible()
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []


def test_critical_result_shows_the_crisis_steps_and_has_no_axe_violations(new_page):
    page = new_page(user=CASE_MANAGER)
    open_phq9(page, SOFIA)
    for item in PHQ9_ITEMS[:8]:
        page.locator(f"#item-{item}-1").check()
    page.locator("#item-q9-1").check()  # "several days": a critical answer
    submit(page)

    expect(page).to_have_url(re.compile(rf"/staff/clients/{SOFIA}/assessments/\d+$"))
    banner = page.get_by_role("alert").filter(has_text="A critical answer needs action now")
    expect(banner).to_be_visible()
    expect(banner.get_by_role("heading", name="A critical answer needs action now")).to_be_visible()
    expect(banner.locator("li")).to_have_count(4)
    expect(banner.get_by_role("link", name="Crisis lines")).to_be_visible()
    expect(page.locator("#answer-q9")).to_contain_text("Critical")
    expect(page.locator("#result-total")).to_have_text("9 of 27")
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


def test_spanish_phq9_form_has_no_axe_violations(new_page, live_server):
    page = new_page(locale="es-ES", user=CASE_MANAGER)
    path = assessments_path(ALEX, "/new/phq9")
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="PHQ-9 (depresión)", level=2)).to_be_visible()
    expect(page.get_by_role("button", name="Guardar y ver el resultado")).to_be_visible()
    expect(page.get_by_role("link", name="Evaluaciones")).to_have_attribute("aria-current", "page")
    assert_no_axe_violations(page)
    assert page.log.csp_violations == []
    assert console_errors(page) == []


# --- the trend chart -----------------------------------------------------------------------


def test_trend_chart_renders_with_an_accessible_name_and_no_csp_violations(new_page, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto(assessments_path(ALEX))
    page.get_by_role("link", name="Trend of PHQ-9 (depression)").click()
    expect(page).to_have_url(live_server(assessments_path(ALEX, "/trend/phq9")))

    chart = page.get_by_role("img", name=re.compile(r"^Scores on PHQ-9 \(depression\) over time"))
    expect(chart).to_be_visible()
    assert page.evaluate("() => document.querySelector('figure.chart svg').tagName") == "svg"
    box = chart.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0, box
    points = page.locator("figure.chart svg circle")
    assert points.count() >= 4  # the demo's four months
    polyline = page.locator("figure.chart svg polyline").bounding_box()
    assert polyline is not None and polyline["width"] > 0
    # The same data as a table, one row per point.
    expect(page.locator("#trend-data tbody tr")).to_have_count(points.count())
    expect(page.locator("#trend-data caption")).to_have_text("The scores in the chart")
    assert page.log.csp_violations == []
    assert console_errors(page) == []


# --- phones --------------------------------------------------------------------------------


def test_phq9_form_has_no_sideways_scrolling_on_a_phone(new_page, live_server):
    page = new_page(user=CASE_MANAGER, **PHONE)
    path = assessments_path(ALEX, "/new/phq9")
    page.goto(path)
    expect(page).to_have_url(live_server(path))
    expect(page.get_by_role("button", name=SAVE, exact=True)).to_be_attached()
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"{path} is {width}px wide on a 360px phone"
    assert page.log.csp_violations == []
