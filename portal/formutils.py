"""Small helpers for WTForms."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from babel.support import NullTranslations, Translations
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path
from wtforms.validators import Email

from .i18n import current_language
from .i18n import lazy_gettext as _l
from .models.base import folded


@cache
def _wtforms_catalog(locale: str) -> NullTranslations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsMessages:
    """WTForms' own messages ("Not a valid choice.") in the reader's language. Flask-WTF
    reads that catalog from disk again for every request that builds a form; the files do
    not change while the process runs, so each language is read once."""

    def gettext(self, string: str) -> str:
        return str(_wtforms_catalog(current_language()).ugettext(string))

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return str(_wtforms_catalog(current_language()).ungettext(singular, plural, n))


WTFORMS_MESSAGES = _WTFormsMessages()


class PortalForm(FlaskForm):
    """Every form of the portal: Flask-WTF's CSRF and request data, WTForms' own messages
    from ``WTFORMS_MESSAGES``."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> _WTFormsMessages:
            return WTFORMS_MESSAGES


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms expects (labels may be lazy)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def people_choices(*groups: Iterable[tuple[int, str]]) -> list[SelectChoice]:
    """(id, name) pairs from several lists as one list of choices: each person once, by
    name folded (``models.folded``: accents and case aside), then id."""
    people = {person_id: name for group in groups for person_id, name in group}
    return choices(sorted(people.items(), key=lambda person: (folded(person[1]), person[0])))


def strip(value: str | None) -> str | None:
    """A filter: surrounding spaces (a pasted address, a name) are not part of the answer."""
    return value.strip() if isinstance(value, str) else value


def email_format() -> Email:
    """The one check that an email address looks like one, with the one message for it."""
    return Email(
        message=_l("Enter an email address like name@example.org."), check_deliverability=False
    )
