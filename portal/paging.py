"""One page of a list and the number of rows in the whole list, read by one statement."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Integer, Select, bindparam, func, select
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


@dataclass(frozen=True)
class Listing:
    """A list's page statement, built once when its shape repeats (see ``listing``): one
    page of rows with the whole list's count."""

    page: Select[Any]
    query: Select[Any]  # the list before the cut, counted when a page is past the end
    plain: bool  # each row is the model alone, without ``columns``


def listing(
    query: Select[Any],
    order: Sequence[Any],
    *,
    options: Sequence[ExecutableOption] = (),
    columns: Sequence[Any] = (),
) -> Listing:
    """The statement that pages ``query`` (a ``select`` of one model with its filters) in
    this ``order``, each row loaded with ``options``; the page's size and start are the
    bound parameters ``page_size`` and ``page_offset``.

    ``columns`` (labelled SQL about each row, such as a correlated subquery) are read for
    the page's rows only; with them, each of the rows is a result row of the model and these
    columns, else the model alone.

    A subquery picks the page's ids in order, with a window count of every row taken before
    the cut; the page's rows are then read by id, so the whole list is counted on its ids
    alone."""
    model = query.column_descriptions[0]["entity"]
    picked = (
        query.with_only_columns(model.id, func.count().over().label("total"))
        .order_by(*order)
        .limit(bindparam("page_size", type_=Integer()))
        .offset(bindparam("page_offset", type_=Integer()))
        .subquery("picked")
    )
    page = (
        select(model, *columns, picked.c.total)
        .join(picked, picked.c.id == model.id)
        .options(*options)
        .order_by(*order)
    )
    return Listing(page, query, plain=not columns)


def paginate(
    query: Select[Any],
    order: Sequence[Any],
    *,
    size: int,
    requested: int,
    options: Sequence[ExecutableOption] = (),
    columns: Sequence[Any] = (),
) -> Paged:
    """Page ``requested`` of the rows of ``query`` in this ``order``, ``size`` to a page:
    ``read`` of this ``listing``, for a list whose statement is built for each request."""
    built = listing(query, order, options=options, columns=columns)
    return read(built, size=size, requested=requested)


def read(
    built: Listing, *, size: int, requested: int, params: Mapping[str, Any] | None = None
) -> Paged:
    """Page ``requested`` of a list, ``size`` to a page, its statements run with ``params``
    (the values of the list's own bound parameters).

    One statement. A page past the end (the list shrank since the link was drawn) shows the
    last page; only then does it take a count and a second statement."""
    values = dict(params or {})
    rows, total = _cut(built, size, requested, values)
    pages = max(1, (total + size - 1) // size)
    if requested > pages and total:
        rows, total = _cut(built, size, pages, values)
    return Paged(rows, total, min(requested, pages), pages)


def _cut(built: Listing, size: int, page: int, values: dict[str, Any]) -> tuple[list[Any], int]:
    found = db.session.execute(
        built.page, {**values, "page_size": size, "page_offset": (page - 1) * size}
    ).all()
    if found:
        return [row[0] if built.plain else row for row in found], int(found[0].total)
    if page == 1:
        return [], 0
    # An empty later page tells nothing of the rows before it.
    count = select(func.count()).select_from(built.query.subquery())
    return [], db.session.scalar(count, values) or 0
