"""The audit log viewer (administrators and supervisors) and each client's accounting of
disclosures. Reading either is itself written to the log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from flask import abort, current_app, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import i18n, policy
from ..auth.web import client_ip
from ..extensions import db
from ..htmx import fragment_or_page, is_partial
from ..i18n import lazy_gettext as _l
from ..labels import AUDIT_ACTION_LABELS, AUDIT_OBJECT_LABELS, ROLE_LABELS
from ..models import AuditEvent, Client, User
from ..services import audit_log
from ..services.audit import ACTIONS, ChainReport
from . import bp
from .clients import _load, _record_context
from .forms import ButtonForm

OBJECT_TYPE_MAX = 40

# verify_chain's reasons, as the reader reads them.
CHAIN_REASONS = {
    "row missing from the chain": _l("an event is missing from the chain"),
    "previous-hash link broken": _l("the link to the event before it does not match"),
    "row content changed": _l("the event was changed after it was written"),
    "chain head missing": _l("the head of the chain is missing"),
    "newest rows removed (head is ahead)": _l("the newest events were removed"),
}


def _require_audit_reader() -> None:
    """403 for staff whose role does not read the log; the attempt is kept."""
    if not policy.may_view_audit(current_user):
        audit_log.refuse_audit_log(current_user, ip=client_ip(), path=request.path)
        db.session.commit()
        abort(403)


def _day(name: str, problems: dict[str, str]) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems[name] = _("Enter a date like 2024-03-31.")
        return None


def _filters() -> tuple[audit_log.AuditFilters, dict[str, str], dict[str, str]]:
    """The filters as typed (to show again), resolved (to query) and what was wrong with them."""
    args = request.args
    typed = {
        key: args.get(key, "").strip()[:254]
        for key in ("actor", "client", "action", "object", "from", "to")
    }
    problems: dict[str, str] = {}
    date_from, date_to = _day("from", problems), _day("to", problems)
    if date_from and date_to and date_to < date_from:
        problems["to"] = _("The end date is before the start date.")
    actor_id = audit_log.find_actor_id(typed["actor"]) if typed["actor"] else None
    client_id = audit_log.find_client_id(typed["client"]) if typed["client"] else None
    if typed["actor"] and actor_id is None:
        problems["actor"] = _("No one has this email address or user number.")
    if typed["client"] and client_id is None:
        problems["client"] = _("No client has this record number.")
    resolved = audit_log.AuditFilters(
        actor_id=actor_id,
        client_id=client_id,
        action=typed["action"] if typed["action"] in ACTIONS else "",
        object_type=typed["object"].lower()[:OBJECT_TYPE_MAX],
        date_from=date_from,
        date_to=date_to,
        unmatched=bool(problems),
    )
    return resolved, typed, problems


def _labels() -> dict[str, Any]:
    return {
        "chain_reasons": CHAIN_REASONS,
        "action_labels": AUDIT_ACTION_LABELS,
        "object_labels": AUDIT_OBJECT_LABELS,
        "role_names": ROLE_LABELS,
    }


def _audit_page(chain: ChainReport | None = None) -> Response:
    """The log page (or its results for htmx) for the request's filters and cursor."""
    f, typed, problems = _filters()
    before = request.args.get("before", type=int)
    found = audit_log.page(audit_log.filtered(f, zone=i18n.agency_zone()), before)
    if chain is None:
        audit_log.record_read(
            current_user, ip=client_ip(), object_type="audit_log", detail=f.summary()
        )
    db.session.commit()
    template = "staff/admin/audit/_events.html" if is_partial() else "staff/admin/audit/index.html"
    body = render_template(
        template,
        found=found,
        before=before,
        typed=typed,
        query_args={key: value for key, value in typed.items() if value},
        problems=problems,
        actions=sorted(ACTIONS, key=lambda code: str(AUDIT_ACTION_LABELS.get(code, code))),
        chain=chain,
        event_count=audit_log.event_count(),
        button=ButtonForm(),
        **_labels(),
    )
    return fragment_or_page(body, 422 if problems else 200)


@bp.route("/admin/audit")
def audit_index() -> Response:
    """The audit log, newest first, filtered and paged by event id (one URL, two renderings)."""
    _require_audit_reader()
    return _audit_page()


@bp.route("/admin/audit/verify", methods=["POST"])
def audit_verify() -> Response:
    """Walk the whole chain now and show its result (nothing kept; each check is logged)."""
    _require_audit_reader()
    report = audit_log.check_chain(current_user, ip=client_ip())
    if not is_partial():
        return _audit_page(chain=report)
    db.session.commit()
    return fragment_or_page(
        render_template(
            "staff/admin/audit/_chain.html",
            chain=report,
            event_count=audit_log.event_count(),
            button=ButtonForm(),
            **_labels(),
        )
    )


def _stream_csv(lines: Iterator[str], filename: str) -> Response:
    response = current_app.response_class(stream_with_context(lines), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/admin/audit/export.csv")
def audit_export() -> Response:
    """The filtered events as CSV, streamed; the export itself is logged first."""
    _require_audit_reader()
    f, _typed, _problems = _filters()
    query = audit_log.filtered(f, zone=i18n.agency_zone())
    event = audit_log.record_read(
        current_user, ip=client_ip(), object_type="audit_log", detail=f.summary(), action="export"
    )
    db.session.commit()
    rows = audit_log.batches(query, below=event.id)
    lines = audit_log.csv_lines(
        audit_log.AUDIT_CSV_HEADER, (audit_log.audit_csv_row(e, actor) for e, actor in rows)
    )
    return _stream_csv(lines, "audit-log.csv")


# --- a client's accounting of disclosures ---------------------------------------------------


@bp.app_template_global()
def may_see_disclosures(client: Client) -> bool:
    """For the record's access tab: whether to offer the link (the route decides again)."""
    return audit_log.may_see_disclosures(current_user, client)


def _load_disclosures(client_id: int) -> Client:
    client = _load(client_id)
    if not audit_log.may_see_disclosures(current_user, client):
        audit_log.refuse_disclosures(current_user, client, ip=client_ip(), path=request.path)
        db.session.commit()
        abort(404)
    return client


@bp.route("/clients/<int:client_id>/disclosures")
def client_disclosures(client_id: int) -> str:
    """Who on staff has seen, printed, exported or tried to open this client's record."""
    client = _load_disclosures(client_id)
    before = request.args.get("before", type=int)
    found = audit_log.page(audit_log.disclosures(client.id), before)
    audit_log.record_read(
        current_user, ip=client_ip(), object_type="disclosures", client_id=client.id
    )
    db.session.commit()
    return render_template(
        "staff/clients/disclosures.html",
        found=found,
        before=before,
        **_labels(),
        **_record_context(client, "access"),
    )


def _disclosure_row(event: AuditEvent, actor: User | None) -> tuple[object, ...]:
    zone = i18n.agency_zone()
    action = AUDIT_ACTION_LABELS.get(event.action)
    what = AUDIT_OBJECT_LABELS.get(event.object_type or "")
    role = ROLE_LABELS.get(event.actor_role or "")
    return (
        event.occurred_at.astimezone(zone).isoformat(timespec="seconds"),
        actor.display_name if actor else "",
        str(role) if role else event.actor_role or "",
        str(action) if action else event.action,
        str(what) if what else event.object_type or "",
        event.ip or "",
    )


@bp.route("/clients/<int:client_id>/disclosures.csv")
def client_disclosures_export(client_id: int) -> Response:
    """The accounting of disclosures as CSV, to hand to the client; the export is logged."""
    client = _load_disclosures(client_id)
    event = audit_log.record_read(
        current_user,
        ip=client_ip(),
        object_type="disclosures",
        client_id=client.id,
        action="export",
    )
    db.session.commit()
    header = (_("When"), _("Who"), _("Role"), _("Action"), _("What"), _("From (IP address)"))
    rows = audit_log.batches(audit_log.disclosures(client.id), below=event.id)
    lines = audit_log.csv_lines(header, (_disclosure_row(e, actor) for e, actor in rows))
    return _stream_csv(lines, f"disclosures-{client.id}.csv")
