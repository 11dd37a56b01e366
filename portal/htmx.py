"""One URL, two renderings: helpers that read and answer htmx requests."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse


def is_htmx() -> bool:
    """True for any request htmx sent."""
    return request.headers.get("HX-Request") == "true"


def is_partial() -> bool:
    """True when the answer should be a fragment rather than a whole page."""
    h = request.headers
    return (
        h.get("HX-Request") == "true"
        and h.get("HX-Boosted") != "true"
        and h.get("HX-History-Restore-Request") != "true"
    )


def fragment_or_page(body: str, status: int = 200) -> Response:
    """The answer of an address that gives htmx a fragment and a browser the whole page: a
    cache must keep the two apart, by the HX-Request header."""
    response = current_app.make_response((body, status))
    response.headers["Vary"] = "HX-Request"
    return response


def page_at(url: str) -> WerkzeugResponse:
    """The answer of a fragment's address to a browser (a link opened in a tab, no
    JavaScript): the page that holds the fragment, ``url``. Kept apart from the fragment in a
    cache, by the HX-Request header."""
    response = redirect(url, code=303)
    response.headers["Vary"] = "HX-Request"
    return response


def hx_redirect(url: str, status: int = 204) -> Response:
    """Tell htmx to navigate (a 302 would land the whole page in the target)."""
    response = Response(status=status)
    response.headers["HX-Location"] = url
    return response


def hx_trigger(response: Response, events: dict[str, Any]) -> Response:
    """Ask htmx to fire client-side events after the swap."""
    response.headers["HX-Trigger"] = json.dumps(events)
    return response
