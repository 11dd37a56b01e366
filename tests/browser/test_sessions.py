"""Idle sign-out in a real browser: the warning, "stay signed in", and text that survives."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from .helpers import DEMO_PASSWORD, sign_in

IDLE = 12
WARNING = 8


@pytest.fixture(scope="module")
def live_server_config() -> dict[str, Any]:
    # Seconds instead of minutes, so the test can watch the whole cycle.
    return {
        "IDLE_TIMEOUT_STAFF": IDLE,
        "IDLE_TIMEOUT_PORTAL": IDLE,
        "SESSION_WARNING_SECONDS": WARNING,
    }


def test_warning_appears_and_stay_signed_in_keeps_the_session(new_page):
    page = new_page()
    sign_in(page, "cm@example.org")
    page.goto("/account/")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=(IDLE - WARNING + 4) * 1000)
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    stay.click()
    expect(dialog).to_be_hidden()
    # Past the moment the first session would have ended without the click.
    time.sleep(WARNING + 1)
    page.goto("/account/")
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()


def test_expired_session_keeps_typed_text_until_signed_in_again(new_page):
    page = new_page()
    sign_in(page, "cm@example.org")
    page.goto("/account/")
    name = page.get_by_label("Your name")
    name.fill("Casey Typed-Before-Timeout Manager")
    # Nobody touches the page: the script signs the person out and keeps the text.
    expect(page).to_have_url(
        re.compile(r"/login\?next=%2Faccount%2F|/login\?next=/account/"), timeout=(IDLE + 8) * 1000
    )
    expect(page.get_by_text("You were signed out because you were away")).to_be_visible()
    page.get_by_label("Email").fill("cm@example.org")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_label("Your name")).to_have_value("Casey Typed-Before-Timeout Manager")
    expect(page.get_by_text("We kept what you typed")).to_be_visible()
    with page.expect_navigation():
        details = page.get_by_role("region", name="Your details")
        details.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Your details are saved.")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Casey Typed-Before-Timeout Manager")
    # Saved: nothing is kept in the browser any more.
    kept = page.evaluate("Object.keys(sessionStorage).filter(k => k.startsWith('waypoint:'))")
    assert kept == []
