"""Choosing the user's language and time zone, and the switcher's list of languages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import flask_babel
from babel import Locale, UnknownLocaleError
from babel.support import NullTranslations
from flask import Flask, current_app, has_app_context, has_request_context, request, session
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


def current_language(fallback: str = "en") -> str:
    """The language of this moment as a code: the request's, or the one ``force_locale``
    set; ``fallback`` where there is none (the command line)."""
    return str(get_locale() or fallback)


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


@dataclass(slots=True)
class _Language:
    """This request's language as the formatters need it: its catalog, and the language and
    time zone remembered texts are kept under."""

    catalog: NullTranslations
    locale: str
    zone: str


class _RequestLanguage:
    """A request's language, looked up on first use and again after ``force_locale`` or
    ``refresh``; bound to the request in ``_language`` (see ``init_app``)."""

    __slots__ = ("language",)

    def __init__(self) -> None:
        self.language: _Language | None = None


# Flask-Babel finds the language through Flask's context proxies on every call: a few
# microseconds, paid by every label of every row. A request asks once; the context variable
# costs a tenth of that. Unbound outside a request (the command line, a test's request context
# without the request's hooks), where every call asks Flask-Babel.
_language: ContextVar[_RequestLanguage | None] = ContextVar("waypoint_language", default=None)


def _looked_up() -> _Language:
    return _Language(get_translations(), str(get_locale()), str(get_timezone()))


def _current() -> _Language:
    bound = _language.get()
    if bound is None:
        return _looked_up()
    if bound.language is None:
        bound.language = _looked_up()
    return bound.language


def catalog() -> NullTranslations:
    """This request's catalog, looked up once rather than once per string (and again inside
    ``force_locale``: an email in the reader's language in the middle of a request)."""
    if not has_app_context():
        return get_translations()
    return _current().catalog


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
    language: a page writes dozens of dates."""
    if not has_app_context():
        return str(get_locale()), str(get_timezone())
    language = _current()
    return language.locale, language.zone


@contextmanager
def force_locale(locale: str) -> Iterator[None]:
    """Flask-Babel's ``force_locale``, with this request's language looked up again inside it
    and restored after. The portal's code uses this one: Flask-Babel's own would leave
    ``catalog()`` in the request's language."""
    bound = _language.get()
    kept = bound.language if bound is not None else None
    with flask_babel.force_locale(locale):
        if bound is not None:
            bound.language = None
        try:
            yield
        finally:
            if bound is not None:
                bound.language = kept


def refresh() -> None:
    """Flask-Babel's ``refresh`` (the user chose another language): this request's language
    is looked up again too."""
    flask_babel.refresh()
    bound = _language.get()
    if bound is not None:
        bound.language = None


def _bind() -> None:
    _language.set(_RequestLanguage())


def _unbind(_error: BaseException | None = None) -> None:
    _language.set(None)


def init_app(app: Flask) -> None:
    """Give each request its own language lookup, first thing, and drop it when it ends."""
    app.before_request_funcs.setdefault(None, []).insert(0, _bind)
    app.teardown_request(_unbind)


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
            with force_locale(locale):
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
