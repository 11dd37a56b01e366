"""Small helpers for WTForms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms expects (labels may be lazy)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def strip(value: str | None) -> str | None:
    """A filter: surrounding spaces (a pasted address, a name) are not part of the answer."""
    return value.strip() if isinstance(value, str) else value


def email_format() -> Email:
    """The one check that an email address looks like one, with the one message for it."""
    return Email(
        message=_l("Enter an email address like name@example.org."), check_deliverability=False
    )
