"""Helpers for the browser tests: signing in through the form, axe-core, console errors,
and checks that htmx changed a page in place."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

DEMO_PASSWORD = "waypoint-demo"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real form, as a person would."""
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()


def assert_no_axe_violations(page: Page) -> None:
    """Run axe-core with the WCAG 2.0/2.1 A and AA rules and require no violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
    assert not violations, f"axe-core found {len(violations)} violation(s) on {page.url}:\n" + (
        "\n".join(lines)
    )


# Chromium logs every 4xx answer on the console; a 409 or 422 is how the server hands htmx
# a conflict view or a form with its errors, so that line alone is not an error.
STATUS_LINE = re.compile(r"Failed to load resource: the server responded with a status of 4(09|22)")


def console_errors(page: Any, also_allowed: re.Pattern[str] | None = None) -> list[str]:
    """Errors the page threw or logged, apart from Chromium's line about a 409 or a 422."""
    logged = [
        line
        for line in page.log.console
        if line.startswith("error:")
        and not STATUS_LINE.search(line)
        and not (also_allowed and also_allowed.search(line))
    ]
    return logged + page.log.errors


def wait_for_htmx(page: Page) -> None:
    page.wait_for_function("() => window.htmx !== undefined && document.readyState === 'complete'")


def mark_window(page: Page) -> None:
    """Leave a value on ``window`` that only survives if no full page load happens."""
    page.evaluate("() => { window.__noReload = 'still here'; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.__noReload") == "still here", "the page reloaded"


def remember_live_region(page: Page, selector: str = "#flash-region") -> None:
    page.evaluate("(s) => { window.__liveRegion = document.querySelector(s); }", selector)


def assert_same_live_region(page: Page, selector: str = "#flash-region") -> None:
    """A screen reader announces a change inside a live region it already knows; a region
    swapped in whole, text and all, is usually not announced at all."""
    same = page.evaluate(
        "(s) => window.__liveRegion !== null && document.querySelector(s) === window.__liveRegion",
        selector,
    )
    assert same, f"the live region {selector} was replaced instead of updated"
