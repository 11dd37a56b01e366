"""Addresses of the app's pages, as Flask builds them, and faster for those a page writes
many times."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import flask
from flask import Flask, current_app, request

# The shape of an address: the names of its numbers in the order they stand, and the texts
# before, between and after them.
_Shape = tuple[tuple[str, ...], tuple[str, ...]]
_UNSHAPED: _Shape = ((), ())  # cannot be written from a shape: built each time
_ADDRESSES = "waypoint_addresses"
# A word (``kind="objective"``, ``view="week"``) is part of a shape's key, so the shapes kept
# are bounded: words no longer than this (record keys and tokens are longer, and a token is a
# credential), and at most this many shapes per app (the app's own templates keep a few
# hundred; a word taken from a query string must not grow them forever).
_LONGEST_WORD = 24
_MOST_KEPT = 4096
# This request's kept addresses and shapes (the app's, for the mount point it is served
# under), bound when the request starts and unbound when it ends: looking them up through
# Flask's context objects for every address would cost half of what building it costs.
_bound: ContextVar[tuple[dict[tuple[Any, ...], Any], str] | None] = ContextVar(
    "waypoint_addresses", default=None
)


def url_for(endpoint: str, **values: Any) -> str:
    """Flask's ``url_for``, faster for the addresses pages write most (the templates' own).

    A list links each row to its record, task or note, and the layout links to a dozen pages.
    So each app works out, once per mount point, the shape of each address whose values are
    whole numbers or words (identifiers such as ``kind="objective"``), or that has none: the
    text around the numbers, with the words written in. A page then only puts its numbers in.
    A shape is kept only after it wrote two other sets of numbers exactly as Flask does. A
    static file's address is kept whole. Anything else (other values, ``.name`` relative to
    the current blueprint, outside a request) is built each time, as Flask does."""
    bound = _bound.get()
    if bound is None or endpoint[0] == ".":
        return flask.url_for(endpoint, **values)
    kept, root = bound
    if endpoint == "static" and values.keys() == {"filename"}:
        key: tuple[Any, ...] = (endpoint, values["filename"], root)
        address = kept.get(key)
        if address is None:
            address = kept[key] = flask.url_for(endpoint, **values)
        return str(address)
    words: list[tuple[str, str]] = []
    for name, value in values.items():
        if type(value) is not int:
            if type(value) is not str or len(value) > _LONGEST_WORD or not value.isidentifier():
                return flask.url_for(endpoint, **values)
            words.append((name, value))
    key = (endpoint, tuple(values), root, *words)
    shape = kept.get(key)
    if shape is None:
        if len(kept) >= _MOST_KEPT:
            return flask.url_for(endpoint, **values)
        shape = kept[key] = _address_shape(endpoint, tuple(values), dict(words))
    if shape is _UNSHAPED:
        return flask.url_for(endpoint, **values)
    return _write(shape, values)


def _write(shape: _Shape, values: dict[str, Any]) -> str:
    names, texts = shape
    pieces = [texts[0]]
    for name, text in zip(names, texts[1:], strict=True):
        pieces += (str(values[name]), text)
    return "".join(pieces)


def _address_shape(endpoint: str, names: tuple[str, ...], words: dict[str, Any]) -> _Shape:
    """The shape of ``endpoint``'s address with these numbers and these words, checked
    against Flask's own address for two other sets of numbers; ``_UNSHAPED`` when the numbers
    do not simply stand in the address as they are written."""
    if any(current_app.url_default_functions.values()):
        return _UNSHAPED  # a default could depend on the request: Flask builds each one
    names = tuple(name for name in names if name not in words)
    marks: dict[str, Any] = {name: 987654321 + n for n, name in enumerate(names)}
    address = flask.url_for(endpoint, **marks, **words)
    if any(address.count(str(mark)) != 1 for mark in marks.values()):
        return _UNSHAPED
    order = tuple(sorted(names, key=lambda name: address.index(str(marks[name]))))
    texts = []
    for name in order:
        before, _, address = address.partition(str(marks[name]))
        texts.append(before)
    texts.append(address)
    shape = (order, tuple(texts))
    trials: list[dict[str, Any]] = [{name: n + 2 for n, name in enumerate(names)}]
    trials.append(dict.fromkeys(names, 10))
    if any(_write(shape, trial) != flask.url_for(endpoint, **trial, **words) for trial in trials):
        return _UNSHAPED
    return shape


def _bind() -> None:
    kept = current_app.extensions.setdefault(_ADDRESSES, {})
    _bound.set((kept, request.script_root))


def _unbind(_error: BaseException | None = None) -> None:
    _bound.set(None)


def init_app(app: Flask) -> None:
    """Bind each request's addresses first thing, and unbind them when it ends."""
    app.before_request_funcs.setdefault(None, []).insert(0, _bind)
    app.teardown_request(_unbind)
