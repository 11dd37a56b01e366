"""Error pages inside the layout, and the answers htmx gets instead of them."""

from __future__ import annotations

import logging

from flask import Flask, Response, make_response, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from .extensions import db

log = logging.getLogger(__name__)


def _page(template: str, status: int, **context: object) -> tuple[str, int]:
    return render_template(template, **context), status


def init_app(app: Flask) -> None:
    """Register the handlers for 400, 403, 404, 405, 413, 429 and 500."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        message = _("This form has expired. Please go back, reload the page and try again.")
        return _page("errors/400.html", 400, message=message)

    @app.errorhandler(403)
    def forbidden(_error: HTTPException) -> tuple[str, int]:
        return _page("errors/403.html", 403)

    @app.errorhandler(404)
    def not_found(_error: HTTPException) -> tuple[str, int]:
        return _page("errors/404.html", 404)

    @app.errorhandler(405)
    def not_allowed(_error: HTTPException) -> tuple[str, int]:
        return _page("errors/405.html", 405)

    @app.errorhandler(413)
    def too_large(_error: HTTPException) -> tuple[str, int]:
        message = _(
            "What you sent is too large (a document may be up to 10 MB). "
            "Go back and choose a smaller file."
        )
        return _page("errors/400.html", 413, message=message)

    @app.errorhandler(429)
    def too_many(error: HTTPException) -> Response:
        response = make_response(_page("errors/429.html", 429))
        # Flask-Limiter adds Retry-After when headers are enabled; say it even when they are not.
        retry = getattr(error, "retry_after", None) or 60
        response.headers.setdefault("Retry-After", str(int(retry)))
        return response

    @app.errorhandler(500)
    def server_error(_error: Exception) -> tuple[str, int]:
        db.session.rollback()
        return _page("errors/500.html", 500)
