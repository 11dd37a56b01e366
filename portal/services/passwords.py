"""Password rules as OWASP ASVS 2.1 asks: length, no composition rules, no common passwords."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the most common passwords, lower-cased."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Everything wrong with a new password, as messages for the person choosing it.

    Any character is allowed, spaces included, and nothing is truncated: the
    whole passphrase is hashed.
    """
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    maximum = current_app.config["PASSWORD_MAX_LENGTH"]
    problems = []
    if len(password) < minimum:
        problems.append(
            _(
                "Use at least %(minimum)s characters. A few words together are easy to remember.",
                minimum=minimum,
            )
        )
    elif len(password) > maximum:
        problems.append(_("Use at most %(maximum)s characters.", maximum=maximum))
    lowered = password.lower()
    if lowered in common_passwords() or lowered.strip() in common_passwords():
        problems.append(_("This password is too common and easy to guess. Choose another."))
    elif email and lowered == email.strip().lower():
        problems.append(_("Do not use your email address as your password."))
    return problems
