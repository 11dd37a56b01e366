"""The activity timeline of a client's record, page by page."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from ..extensions import db
from ..htmx import is_partial
from . import bp
from .activity import source_url, timeline_page
from .clients import _audit_view, _open_record


@bp.route("/clients/<int:client_id>/timeline")
def client_timeline(client_id: int) -> Any:
    """The next page of the timeline (htmx loads it as the reader scrolls; a link without)."""
    client, context = _open_record(client_id, "overview")
    before = request.args.get("before", type=int)
    lines, after = timeline_page(client.id, before)
    _audit_view(client, "timeline")
    db.session.commit()
    template = (
        "staff/clients/_timeline_items.html" if is_partial() else "staff/clients/timeline.html"
    )
    return render_template(
        template,
        timeline=lines,
        after=after,
        source_url=source_url,
        **context,
    )
