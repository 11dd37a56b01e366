"""A case manager takes a referral from intake to discharge and re-admission, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.support import Translations
from playwright.sync_api import expect

CATALOGS = Path(__file__).resolve().parents[2] / "portal" / "translations"


def translator(locale: str):
    """The words a person sees in that language, read from the real catalog."""
    if locale == "en":
        return lambda text: text
    return Translations.load(str(CATALOGS), [locale]).gettext


@pytest.mark.parametrize(("locale", "browser_locale"), [("en", "en-US"), ("es", "es-ES")])
def test_referral_to_discharge_and_readmission(new_page, locale, browser_locale):
    _ = translator(locale)
    page = new_page(locale=browser_locale, user="cm@example.org")
    page.goto("/staff/clients")
    # The case manager has no saved language, so the browser's language applies.
    expect(page.locator("html")).to_have_attribute("lang", locale)
    page.get_by_role("link", name=_("New referral")).click()
    name = f"Morgan Lifecycle-{locale.upper()}"
    page.get_by_label(_("Legal name")).fill(name)
    page.get_by_label(_("Date of birth")).fill("1991-04-17")
    page.get_by_label(_("Intake"), exact=True).check()
    page.get_by_role("button", name=_("Create the record")).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    record_url = page.url
    assert re.search(r"/staff/clients/\d+$", record_url)

    page.get_by_role("link", name=_("Status and risk")).click()
    status = page.get_by_label(_("New status"))
    status.select_option("active")
    page.get_by_role("button", name=_("Change status")).click()
    expect(page.locator(".record-header__flags")).to_contain_text(_("Active"))

    page.get_by_label(_("New status")).select_option("discharged")
    page.get_by_label(_("Reason")).fill("Moved to another county")
    page.get_by_label(_("Follow-up appointments to book")).fill("Intake at the county clinic")
    page.get_by_label(_("Who to call in a crisis")).fill("988 or the county crisis line")
    page.get_by_role("button", name=_("Change status")).click()
    expect(page.locator(".record-header__flags")).to_contain_text(_("Discharged"))
    expect(page.get_by_text("Intake at the county clinic")).to_be_visible()

    page.get_by_label(_("New status")).select_option("intake")
    page.get_by_label(_("Reason")).fill("Came back to the county")
    page.get_by_role("button", name=_("Change status")).click()
    expect(page.locator(".record-header__flags")).to_contain_text(_("Intake"))
    expect(page.locator(".episode")).to_have_count(2)
    # The discharged episode and its aftercare plan are still there to read.
    expect(page.get_by_text("Moved to another county").first).to_be_visible()
    assert page.log.csp_violations == []
    assert page.log.errors == []
