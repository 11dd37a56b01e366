"""Reports in real Chromium: a supervisor opens the team's reports for the last 90 days and
each chart and its table render together; axe-core finds nothing on a desk or a phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portal.models import utcnow

from .helpers import assert_no_axe_violations, console_errors

SUPERVISOR = "supervisor@example.org"
CASE_MANAGER = "cm@example.org"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


def reports_url() -> str:
    """The last 90 days: the demo has appointments, notes and referrals in them."""
    today = utcnow().date()
    return (
        f"/staff/reports?start={(today - timedelta(days=90)).isoformat()}&end={today.isoformat()}"
    )


def test_a_report_shows_its_chart_and_its_table_with_the_same_rows(new_page: Any, live_server):
    page = new_page(user=SUPERVISOR)
    page.goto(reports_url())

    report = page.locator("#report-caseload")
    chart = report.locator("svg[role=img]").first
    assert chart.is_visible()
    title = chart.get_attribute("aria-labelledby") or ""
    assert title and page.locator(f"[id='{title.split()[0]}']").count() == 1
    rows = report.locator("table tbody tr")
    assert rows.count() >= 3  # Casey, Jordan and Riley (and Sam when Sam has clients)
    names = [rows.nth(i).locator("th").inner_text() for i in range(rows.count())]
    bars = chart.locator("text").all_text_contents()
    assert any(name in " ".join(bars) for name in names)
    assert page.locator("section.report").count() == 10
    assert console_errors(page) == []


def test_the_reports_page_passes_axe_on_a_desk_and_a_phone(new_page: Any, live_server):
    for options in ({}, PHONE):
        page = new_page(user=SUPERVISOR, **options)
        page.goto(reports_url())
        assert_no_axe_violations(page)
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= page.viewport_size["width"]


def test_a_case_manager_sees_only_their_own_caseload(new_page: Any, live_server):
    page = new_page(user=CASE_MANAGER)
    page.goto(reports_url())
    rows = page.locator("#report-caseload table tbody tr")
    assert rows.count() == 1
    assert "Casey" in rows.first.inner_text()
