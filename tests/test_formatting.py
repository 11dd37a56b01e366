"""Dates, numbers and labels from the shortcuts pages use for speed:
the formatting filters remember what they wrote, labels and forms read a catalog once per
request or process. What one reader saw must never reach another in the wrong language or
time zone."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from flask import Flask, render_template_string, session
from wtforms import IntegerField

from portal import i18n
from portal.formutils import PortalForm
from portal.labels import CLIENT_STATUS_LABELS
from portal.templating import risk_badge, status_badge

from .helpers import portal_modules_matching

SPANISH = {"Accept-Language": "es"}
ENGLISH = {"Accept-Language": "en"}


@contextmanager
def _request(app: Flask, headers: dict[str, str], **options: Any) -> Iterator[None]:
    """A request of its own, as a server runs it: a fresh app context (where Flask-Babel
    keeps the locale) under a fresh request context, through the app's hooks (where the
    portal binds the request's language)."""
    with app.app_context(), app.test_request_context("/", headers=headers, **options):
        assert app.preprocess_request() is None
        yield


def _render(app: Flask, source: str, headers: dict[str, str], **context: object) -> str:
    with _request(app, headers):
        return render_template_string(source, **context)


def test_a_date_is_written_in_each_readers_language(app: Flask) -> None:
    source = '{{ day|format_date("long") }}'
    day = date(2026, 3, 5)
    assert _render(app, source, ENGLISH, day=day) == "March 5, 2026"
    assert _render(app, source, SPANISH, day=day) == "5 de marzo de 2026"
    assert _render(app, source, ENGLISH, day=day) == "March 5, 2026"


def test_a_time_is_written_in_the_agencys_time_zone_of_each_app(app: Flask) -> None:
    moment = datetime(2026, 3, 5, 15, 30, tzinfo=UTC)
    source = '{{ moment|format_time("short") }}'
    first = _render(app, source, ENGLISH, moment=moment)
    app.config["TIMEZONE"] = "Asia/Tokyo"  # 9 hours ahead of UTC, no daylight saving
    assert _render(app, source, ENGLISH, moment=moment) == "12:30\u202fAM"
    assert first != "12:30\u202fAM"


def test_no_date_means_now_and_is_never_remembered(app: Flask) -> None:
    source = '{{ none|format_date("yyyy") }}'
    assert _render(app, source, ENGLISH, none=None) == str(datetime.now(UTC).year)


def test_numbers_keep_their_spelling_and_language(app: Flask) -> None:
    source = "{{ a|format_number }} {{ b|format_number }} {{ c|format_number }}"
    assert _render(app, source, ENGLISH, a=1234.5, b=0.0, c=-0.0) == "1,234.5 0 -0"
    assert _render(app, source, SPANISH, a=1234.5, b=0.0, c=-0.0) == "1.234,5 0 -0"


def test_badges_read_in_the_readers_language_and_escape_what_they_show(app: Flask) -> None:
    with _request(app, SPANISH):
        assert "Riesgo: Alto" in risk_badge("high")
        assert 'aria-hidden="true"' in risk_badge("high")
        assert str(CLIENT_STATUS_LABELS["active"]) in status_badge("active")
    with _request(app, ENGLISH):
        assert str(risk_badge("low")) == '<span class="badge badge--risk-low">Risk: Low</span>'
        assert "&lt;b&gt;" in status_badge("<b>")


def test_lazy_labels_follow_the_request_language(app: Flask) -> None:
    with _request(app, SPANISH):
        spanish = str(CLIENT_STATUS_LABELS["active"])
    with _request(app, ENGLISH):
        english = str(CLIENT_STATUS_LABELS["active"])
    assert english == "Active"
    assert spanish != english


class _AgeForm(PortalForm):
    class Meta:
        csrf = False

    age = IntegerField("Age")


def test_wtforms_own_messages_are_in_the_readers_language(app: Flask) -> None:
    messages = {}
    for name, headers in (("es", SPANISH), ("en", ENGLISH), ("es again", SPANISH)):
        with _request(app, headers, method="POST", data={"age": "many"}):
            form = _AgeForm()
            assert not form.validate()
            messages[name] = form.age.errors[0]
    assert messages["en"] == "Not a valid integer value."
    assert messages["es"] == messages["es again"] != messages["en"]


def test_a_report_writes_its_figures_in_the_language_of_its_request(app: Flask) -> None:
    # The report tables look the language up once and write hundreds of figures with it.
    with _request(app, SPANISH):
        spanish = i18n.format_number.bound()
        assert spanish(1234.5) == "1.234,5" and spanish(0.25, "#,##0.#") == "0,2"
    with _request(app, ENGLISH):
        assert i18n.format_number.bound()(1234.5) == "1,234.5"
        assert spanish(98765.5) == "98.765,5"  # bound in Spanish, it stays Spanish


def test_a_date_follows_a_language_forced_in_the_middle_of_a_request(app: Flask) -> None:
    # An email to an English reader, sent while a Spanish page is being written.
    day = date(2026, 3, 5)
    with _request(app, SPANISH):
        assert i18n.format_date(day, "long") == "5 de marzo de 2026"
        with i18n.force_locale("en"):
            assert i18n.format_date(day, "long") == "March 5, 2026"
        assert i18n.format_date(day, "long") == "5 de marzo de 2026"


def test_labels_follow_a_language_forced_in_the_middle_of_a_request(app: Flask) -> None:
    # The request's language is looked up once; a notice in the reader's language, written
    # in the middle of a page, must neither be written in the page's language nor leave the
    # rest of the page in the reader's.
    with _request(app, SPANISH):
        assert str(CLIENT_STATUS_LABELS["active"]) == "Activo"
        with i18n.force_locale("en"):
            assert str(CLIENT_STATUS_LABELS["active"]) == "Active"
            assert i18n.gettext("Overdue") == "Overdue"
            with i18n.force_locale("es"):
                assert i18n.gettext("Overdue") == "Vencida"
            assert i18n.gettext("Overdue") == "Overdue"
        assert str(CLIENT_STATUS_LABELS["active"]) == "Activo"
        assert i18n.gettext("Overdue") == "Vencida"


def test_a_language_chosen_in_the_middle_of_a_request_applies_at_once(app: Flask) -> None:
    # Saving one's language refreshes it for the rest of the request (its confirmation).
    with _request(app, SPANISH):
        assert i18n.gettext("Overdue") == "Vencida"
        session[i18n.SESSION_KEY] = "en"
        assert i18n.gettext("Overdue") == "Vencida"  # looked up once per request
        i18n.refresh()
        assert i18n.gettext("Overdue") == "Overdue"


def test_the_portal_forces_a_language_only_through_its_own_helpers() -> None:
    # Flask-Babel's force_locale and refresh change its language but not the one the
    # request has already looked up (``i18n.catalog``): only portal.i18n may call them.
    callers = portal_modules_matching(
        r"^from flask_babel import[^\n]*\b(force_locale|refresh)\b"
        r"|flask_babel\.(force_locale|refresh)\b",
        besides="i18n.py",
    )
    assert callers == []


def test_the_portal_reads_the_language_only_through_its_own_helper() -> None:
    # One fallback for "no language at all" (the command line), in i18n.current_language.
    callers = portal_modules_matching(r"\bget_locale\(", besides="i18n.py")
    assert callers == []
