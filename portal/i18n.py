"""Choosing the user's language and time zone, and the switcher's list of languages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import flask_babel
from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations
from flask import current_app, g, has_app_context, has_request_context, request, session
from flask_babel import LazyString, get_locale, get_timezone, get_translations
from flask_login import current_user

# Languages written right to left; the layout flips for them.
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
SESSION_KEY = "locale"


def available_locales() -> list[str]:
    """Codes of the languages the portal carries, in the configured order."""
    return list(current_app.config["LANGUAGES"])


def language_choices() -> list[tuple[str, str]]:
    """(code, name in that language) pairs for the language switcher."""
    return [(code, language_name(code, code)) for code in available_locales()]


@lru_cache(maxsize=1024)
def language_name(code: str, in_locale: str) -> str:
    """A language's name as a reader of ``in_locale`` writes it, capitalised as a label:
    ``language_name("es", "es")`` is "Español", ``language_name("es", "en")`` "Spanish".

    Remembered: Babel's locale data does not change while the app runs, and the caseload's
    language filter and the language switcher name every language on every page."""
    try:
        name = Locale.parse(code).get_display_name(in_locale) or code
    except (ValueError, UnknownLocaleError):  # a stored code Babel does not know: show it
        return code
    return name[:1].upper() + name[1:]


def select_locale() -> str:
    """The user's saved choice, then the switcher's, then the browser's, then English."""
    languages = available_locales()
    if not has_request_context():  # command line: the default language
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user.is_authenticated and current_user.locale in languages:
        return str(current_user.locale)
    chosen = session.get(SESSION_KEY)
    if chosen in languages:
        return str(chosen)
    best = request.accept_languages.best_match(languages)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Every date and time is shown in the agency's time zone."""
    return str(current_app.config["TIMEZONE"])


def agency_zone() -> ZoneInfo:
    """The agency's time zone (``TIMEZONE``): what "today" means for everyone using the app."""
    return ZoneInfo(str(current_app.config["TIMEZONE"]))


def agency_today() -> date:
    """Today's date in the agency's time zone."""
    return datetime.now(agency_zone()).date()


def text_direction(locale: str) -> str:
    """``rtl`` for right-to-left languages, else ``ltr``."""
    return "rtl" if locale.split("_")[0] in RTL_LANGUAGES else "ltr"


def catalog() -> NullTranslations:
    """This request's catalog, looked up once per locale rather than once per string.

    Keyed by the locale object, so ``force_locale`` (an email in the reader's language in
    the middle of a request) still gets its own catalog.
    """
    if not has_app_context():
        return get_translations()
    locale = get_locale()
    cached = g.get("_catalog")
    if cached is None or cached[0] is not locale:
        cached = g._catalog = (locale, get_translations())
    return cached[1]


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext`` through ``catalog()``."""
    text = catalog().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Flask-Babel's ``lazy_gettext`` translated through ``catalog()``: a label shown on every
    row of a list costs a dictionary lookup, not Flask-Babel's context lookups each time."""
    return LazyString(gettext, string, **variables)


def _format_keys() -> tuple[str, str]:
    """The language and time zone a remembered text is kept under, read once per request and
    language: a page writes dozens of dates, and Flask-Babel looks each up in its context."""
    locale = get_locale()
    if not has_app_context():
        return str(locale), str(get_timezone())
    keys = g.get("_format_keys")
    if keys is None or keys[0] is not locale:  # a new request, or force_locale
        keys = g._format_keys = (locale, str(locale), str(get_timezone()))
    return keys[1], keys[2]


class _Remembered:
    """A Flask-Babel formatter that remembers what it wrote (the templates' filters, the
    report tables' figures).

    A date, time or number in a given format, language and time zone always reads the same,
    and Babel takes longer to format one than the rest of a table row takes to render; a
    page of appointments repeats the same days many times. Only the formatting is kept,
    never a value of the user's: the value is the key. ``None`` (Flask-Babel's "now") is
    never kept."""

    def __init__(self, formatter: Callable[..., str]) -> None:
        self._formatter = formatter

        @lru_cache(maxsize=4096, typed=True)
        def formatted(
            value: Any, _spelling: str | None, format: Any, locale: str, _zone: str
        ) -> str:
            # Written in the language it is kept under, whatever the request's is now.
            with flask_babel.force_locale(locale):
                return formatter(value, format)

        self._formatted = formatted

    def __call__(self, value: Any = None, format: Any = None) -> str:
        return self._write(value, format, *_format_keys())

    def bound(self) -> Callable[..., str]:
        """This formatter with the language and time zone of this moment looked up once, for
        code that writes hundreds of figures at a time (a report's tables): asking
        Flask-Babel for them cost more than the remembered text."""
        locale, zone = _format_keys()
        return lambda value=None, format=None: self._write(value, format, locale, zone)

    def _write(self, value: Any, format: Any, locale: str, zone: str) -> str:
        if value is None:
            return self._formatter(value, format)
        # 0.0 and -0.0, Decimal 1.5 and 1.50 are equal keys that may be written differently:
        # those are also keyed by repr.
        spelling = repr(value) if isinstance(value, (float, Decimal)) else None
        return self._formatted(value, spelling, format, locale, zone)


format_date = _Remembered(flask_babel.format_date)
format_datetime = _Remembered(flask_babel.format_datetime)
format_time = _Remembered(flask_babel.format_time)
format_percent = _Remembered(flask_babel.format_percent)
format_number = _Remembered(flask_babel.format_decimal)
