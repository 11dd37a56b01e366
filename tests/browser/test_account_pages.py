"""The account and recovery pages in a real browser: accessible, and the QR code renders."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import assert_no_axe_violations

ANONYMOUS_PAGES = ["/reset", "/login/link"]
ACCOUNT_PAGES = ["/account/", "/account/password", "/account/mfa"]


@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_recovery_pages_have_no_axe_violations(page, path):
    page.goto(path)
    assert_no_axe_violations(page)


@pytest.mark.parametrize("path", ACCOUNT_PAGES)
def test_account_pages_have_no_axe_violations(new_page, path):
    page = new_page(user="cm@example.org")
    page.goto(path)
    # Not bounced to sign in or to re-authentication: the page itself is checked.
    assert page.url.endswith(path)
    assert_no_axe_violations(page)


def test_mfa_setup_shows_a_scannable_code_and_the_key(new_page):
    page = new_page(user="psychiatrist@example.org")
    page.goto("/account/mfa")
    qr = page.get_by_role("img", name="QR code for your authenticator app")
    expect(qr).to_be_visible()
    box = qr.locator("svg").bounding_box()
    assert box is not None and box["width"] >= 120 and box["height"] >= 120
    expect(page.locator("#mfa-secret")).to_have_text(re.compile(r"^[A-Z2-7]{32}$"))
    assert page.log.csp_violations == []


def test_spanish_account_page_has_no_axe_violations(new_page):
    page = new_page(locale="es-ES", user="client2@example.org")
    page.goto("/account/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    assert_no_axe_violations(page)
