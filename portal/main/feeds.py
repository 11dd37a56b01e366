"""Private calendar feeds: a calendar app follows ``/feeds/<token>.ics`` with no sign-in, so
the token is the credential. A revoked, replaced or unknown token answers 404, as does one
whose owner's account is turned off; a family member's feed shows only what consents in
force share at the moment of the fetch."""

from __future__ import annotations

from flask import Response, abort, current_app, request
from flask_babel import gettext as _

from ..extensions import db
from ..i18n import force_locale
from ..models import Role
from ..models.base import utcnow
from ..services import audit, calendars
from . import bp


@bp.route("/feeds/<token>.ics")
def calendar_feed(token: str) -> Response:
    """The owner's appointments as an iCalendar feed, in the owner's language."""
    found = calendars.feed_owner(token[:100])
    if found is None:
        abort(404)
    owner, locale = found.user, found.language
    rows = calendars.feed_appointments(owner)
    with force_locale(locale):
        name = _("%(agency)s appointments", agency=current_app.config["AGENCY_NAME"])
    body = calendars.to_ical(
        rows, locale=locale, calendar_name=name, for_family=owner.role == Role.FAMILY
    )
    calendars.stamp_fetch(found.feed, utcnow())
    audit.record(
        "export",
        actor=owner,
        ip=request.remote_addr,
        object_type="calendar_feed",
        object_id=owner.id,
        detail=f"{len(rows)} events",
    )
    db.session.commit()
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    return response
