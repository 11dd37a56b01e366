"""One page of a list and the number of rows in the whole list, read by one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.sql.base import ExecutableOption

from .extensions import db


@dataclass(frozen=True)
class Paged:
    """The rows of one page, which page it is, and of how many."""

    rows: list[Any]
    total: int
    page: int
    pages: int

    def context(self) -> dict[str, Any]:
        """What the list templates and the pager read: rows, total, page and pages."""
        return {"rows": self.rows, "total": self.total, "page": self.page, "pages": self.pages}


def requested_page() -> int:
    """The ``page`` of the address (1 when it is missing or not a positive number)."""
    return max(1, request.args.get("page", 1, type=int) or 1)


def paginate(
    query: Select[Any],
    order: Sequence[Any],
    *,
    size: int,
    requested: int,
    options: Sequence[ExecutableOption] = (),
    columns: Sequence[Any] = (),
) -> Paged:
    """Page ``requested`` of the rows of ``query`` (a ``select`` of one model with its
    filters) in this ``order``, ``size`` to a page, each loaded with ``options``.

    ``columns`` (labelled SQL about each row, such as a correlated subquery) are read for
    the page's rows only; with them, each of the rows is a result row of the model and these
    columns, else the model alone.

    One statement: a subquery picks the page's ids in order, with a window count of every
    row taken before the cut; the page's rows are then read by id, so the whole list is
    counted on its ids alone. A page past the end (the list shrank since the link was drawn)
    shows the last page; only then does it take a count and a second statement."""
    rows, total = _cut(query, order, size, requested, options, columns)
    pages = max(1, (total + size - 1) // size)
    if requested > pages and total:
        rows, total = _cut(query, order, size, pages, options, columns)
    return Paged(rows, total, min(requested, pages), pages)


def _cut(
    query: Select[Any],
    order: Sequence[Any],
    size: int,
    page: int,
    options: Sequence[ExecutableOption],
    columns: Sequence[Any],
) -> tuple[list[Any], int]:
    model = query.column_descriptions[0]["entity"]
    picked = (
        query.with_only_columns(model.id, func.count().over().label("total"))
        .order_by(*order)
        .limit(size)
        .offset((page - 1) * size)
        .subquery("picked")
    )
    found = db.session.execute(
        select(model, *columns, picked.c.total)
        .join(picked, picked.c.id == model.id)
        .options(*options)
        .order_by(*order)
    ).all()
    if found:
        return [row if columns else row[0] for row in found], int(found[0].total)
    if page == 1:
        return [], 0
    # An empty later page tells nothing of the rows before it.
    return [], db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
