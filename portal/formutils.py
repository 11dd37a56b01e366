"""Small helpers for WTForms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as the SelectChoice objects WTForms expects (labels may be lazy)."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]
