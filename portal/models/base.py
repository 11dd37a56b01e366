"""Column helpers shared by the models."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, DateTime, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql._typing import _ColumnExpressionArgument
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

_T = TypeVar("_T")


def utcnow() -> datetime:
    """The current moment, timezone-aware in UTC."""
    return datetime.now(UTC)


def folded(text: str | None) -> str:
    """Lower-case words without accents: what search compares, folded here in Python so that
    SQLite (whose ``lower()`` folds ASCII only) and PostgreSQL match the same rows.

    The ``search_text`` columns hold text folded by this: changing it needs a migration
    that folds them again.
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class unindexed(ColumnElement[_T]):  # noqa: N801 - used like the SQL function it stands for
    """``column`` as SQLite's ``+column``, which no index answers; the plain column elsewhere.

    SQLite's planner guesses how many rows a bound value selects. Where a filter or sort on one
    column names rows all over the agency and another (the client) narrows to a caseload, this
    makes SQLite search by the caseload, as PostgreSQL's costed plan does.
    """

    inherit_cache = True

    def __init__(self, column: _ColumnExpressionArgument[_T]) -> None:
        self.column = coercions.expect(roles.ExpressionElementRole, column)
        self.type = self.column.type

    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]


@compiles(unindexed)
def _unindexed(element: unindexed[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.column, **kw)


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed[Any], compiler: SQLCompiler, **kw: Any) -> str:
    return "+" + compiler.process(element.column, **kw)
