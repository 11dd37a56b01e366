"""The team's side of secure messages: one inbox for everyone who works with the client, so
any member answers, and the conversations on the client's record."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from .. import policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..client.message_forms import NewThreadForm, ReplyForm
from ..client.messages import notify
from ..extensions import db
from ..i18n import agency_zone
from ..models import utcnow
from ..services import audit, messages
from . import bp
from .clients import _audit_view, _load, _record_context


def _require_messaging() -> None:
    if not policy.may_message(current_user):
        abort(403)


@bp.route("/messages")
def message_inbox() -> Any:
    """Conversations of my clients (caseload, care teams, team): waiting ones first."""
    _require_messaging()
    waiting_only = request.args.get("show") == "waiting"
    mine = policy.regular_client_ids(current_user)
    threads = messages.inbox(current_user, mine, waiting_only=waiting_only)
    late = {t.id for t in messages.overdue(mine, now=utcnow(), zone=agency_zone(), limit=200)}
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="client_list",
        object_id="messages",
        detail=",".join(sorted({str(t.client_id) for t, _u in threads}))[:255] or None,
    )
    db.session.commit()
    return render_template(
        "staff/messages/index.html", threads=threads, late=late, waiting_only=waiting_only
    )


@bp.route("/messages/<int:thread_id>", methods=["GET", "POST"])
def message_detail(thread_id: int) -> Any:
    """One conversation with its client; anyone on the team answers."""
    _require_messaging()
    thread = policy.get_thread_or_404(thread_id, for_user=current_user)
    form = ReplyForm()
    if form.validate_on_submit():
        messages.reply(thread, body=form.body.data or "", actor=current_user, ip=client_ip())
        db.session.commit()
        notify(thread)
        flash(_("Answer sent. The client gets an email saying a message is waiting."), "success")
        return redirect(url_for("staff.message_detail", thread_id=thread.id), code=303)
    status = 422 if form.errors else 200
    if status == 200:
        messages.mark_read(thread, current_user)
        audit.record(
            "view",
            actor=current_user,
            ip=client_ip(),
            object_type="message_thread",
            object_id=thread.id,
            client_id=thread.client_id,
        )
        db.session.commit()
    return render_template(
        "staff/messages/thread.html",
        thread=thread,
        items=messages.load_messages(thread),
        form=form,
    ), status


@bp.route("/clients/<int:client_id>/messages", methods=["GET", "POST"])
def client_messages(client_id: int) -> Any:
    """The client's conversations (and their family's notes); write to the client."""
    client = _load(client_id)
    form = NewThreadForm()
    if request.method == "POST":
        _require_messaging()
        if client.portal_user_id is None:
            form.form_errors.append(_("The client has no portal account to read messages."))
        elif form.validate_on_submit():
            thread = messages.start_thread(
                client,
                subject=form.subject.data or "",
                body=form.body.data or "",
                actor=current_user,
                ip=client_ip(),
            )
            db.session.commit()
            notify(thread)
            flash(_("Message sent to the client."), "success")
            return redirect(url_for("staff.message_detail", thread_id=thread.id), code=303)
    else:
        _audit_view(client, "messages")
        db.session.commit()
    return render_template(
        "staff/messages/client.html",
        threads=messages.record_threads(client, current_user),
        form=form,
        may_write=policy.may_message(current_user) and client.portal_user_id is not None,
        **_record_context(client, "messages"),
    ), 422 if (form.errors or form.form_errors) else 200
