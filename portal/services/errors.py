"""Domain errors: a rule refused the change; the message is for the person who asked."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the domain refused the change."""


class StaleEdit(DomainError):
    """Someone saved the record after this form was read: show both, lose neither."""

    def __init__(self, current: Any) -> None:
        super().__init__("the record changed since it was read")
        self.current = current


class IllegalTransition(DomainError):
    def __init__(self, from_status: str, to_status: str) -> None:
        super().__init__(f"{from_status} -> {to_status} is not allowed")
        self.from_status = from_status
        self.to_status = to_status
