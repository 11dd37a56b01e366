"""Secure messages in the portal: the client's conversations with their care team, and a
family member's notes to a client's team ("tell the team something")."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template
from flask_babel import gettext as _
from flask_login import current_user

from .. import policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import choices
from ..models import Client, MessageThread, User
from ..services import audit, messages
from . import client_bp, family_bp
from .message_forms import FamilyThreadForm, NewThreadForm, ReplyForm
from .safety_plan import own_client


def link_for_reader() -> Any:
    """Where an email sends each reader: their portal's messages or the staff inbox."""

    def link(user: User) -> str:
        if user.role in ("client", "family"):
            return url_for(f"{user.role}.messages", _external=True)
        return url_for("staff.message_inbox", _external=True)

    return link


def notify(thread: MessageThread) -> None:
    """Tell the other side that the newest message of the conversation is waiting."""
    newest = messages.load_messages(thread)[-1]
    messages.notify_new_message(thread, newest, link_for=link_for_reader())


def _crisis() -> dict[str, Any]:
    return {
        "crisis_line_name": current_app.config["CRISIS_LINE_NAME"],
        "crisis_line_phone": current_app.config["CRISIS_LINE_PHONE"],
    }


def _audit_thread(thread: MessageThread) -> None:
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="message_thread",
        object_id=thread.id,
        client_id=thread.client_id,
    )


# --- the client ------------------------------------------------------------------------------


@client_bp.route("/messages", endpoint="messages")
def client_messages() -> Any:
    """My conversations with my care team, unread first to the eye."""
    client = own_client()
    threads = messages.client_threads(client, current_user)
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="message_thread",
        object_id=client.id,
        client_id=client.id,
        detail="list",
    )
    db.session.commit()
    return render_template("client/messages.html", area="client", threads=threads, **_crisis())


@client_bp.route("/messages/new", methods=["GET", "POST"], endpoint="message_new")
def client_message_new() -> Any:
    """Write to my care team."""
    client = own_client()
    form = NewThreadForm()
    if form.validate_on_submit():
        thread = messages.start_thread(
            client,
            subject=form.subject.data or "",
            body=form.body.data or "",
            actor=current_user,
            ip=client_ip(),
        )
        db.session.commit()
        notify(thread)
        flash(_("Sent. Someone from your care team will answer here."), "success")
        return redirect(url_for("client.message_thread", thread_id=thread.id), code=303)
    return render_template(
        "client/message_new.html", area="client", form=form, **_crisis()
    ), 422 if form.errors else 200


def _thread_page(area: str, thread: MessageThread, form: ReplyForm, status: int = 200) -> Any:
    return render_template(
        "client/thread.html",
        area=area,
        thread=thread,
        items=messages.load_messages(thread),
        form=form,
        **_crisis(),
    ), status


def _thread(area: str, thread_id: int) -> Any:
    thread = policy.get_thread_or_404(thread_id, for_user=current_user)
    form = ReplyForm()
    if form.validate_on_submit():
        messages.reply(thread, body=form.body.data or "", actor=current_user, ip=client_ip())
        db.session.commit()
        notify(thread)
        flash(_("Sent."), "success")
        return redirect(url_for(f"{area}.message_thread", thread_id=thread.id), code=303)
    if form.errors:
        return _thread_page(area, thread, form, 422)
    messages.mark_read(thread, current_user)
    _audit_thread(thread)
    db.session.commit()
    return _thread_page(area, thread, form)


@client_bp.route("/messages/<int:thread_id>", methods=["GET", "POST"])
def message_thread(thread_id: int) -> Any:
    """One conversation, and my answer."""
    own_client()
    return _thread("client", thread_id)


# --- family ----------------------------------------------------------------------------------


@family_bp.route("/messages", endpoint="messages")
def family_messages() -> Any:
    """What I told a care team, and their answers."""
    return render_template(
        "client/messages.html",
        area="family",
        threads=messages.family_threads(current_user),
        may_write=bool(messages.family_can_write_about(current_user)),
        **_crisis(),
    )


def _family_form() -> FamilyThreadForm:
    form = FamilyThreadForm()
    clients: list[Client] = list(messages.family_can_write_about(current_user))
    form.client_id.choices = choices((c.id, c.display_name) for c in clients)
    return form


@family_bp.route("/messages/new", methods=["GET", "POST"], endpoint="message_new")
def family_message_new() -> Any:
    """Tell the care team something; it opens nothing of the client's record in return."""
    form = _family_form()
    if not form.client_id.choices:
        flash(_("You can write to a care team once someone has added you as family."), "info")
        return redirect(url_for("family.messages"), code=303)
    if form.validate_on_submit():
        client = db.session.get(Client, form.client_id.data or 0)
        if client is None:
            abort(404)
        thread = messages.start_thread(
            client,
            subject=form.subject.data or "",
            body=form.body.data or "",
            actor=current_user,
            ip=client_ip(),
        )
        db.session.commit()
        notify(thread)
        flash(_("Sent to the care team. They read every message."), "success")
        return redirect(url_for("family.message_thread", thread_id=thread.id), code=303)
    return render_template(
        "client/message_new.html", area="family", form=form, **_crisis()
    ), 422 if form.errors else 200


@family_bp.route("/messages/<int:thread_id>", methods=["GET", "POST"], endpoint="message_thread")
def family_message_thread(thread_id: int) -> Any:
    return _thread("family", thread_id)
