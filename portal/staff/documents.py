"""Documents on a client's record: upload, list, preview and download through the policy."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, send_file
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from .. import policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..models import Client, Document
from ..services import documents
from . import bp
from .clients import _audit_view, _load, _record_context
from .forms import ButtonForm, DocumentForm

REFUSALS = {
    "empty": lambda: _("The file is empty. Choose another file."),
    "too_large": lambda: _("The file is larger than 10 MB. Scan it at a lower resolution."),
    "not_allowed": lambda: _(
        "Only PDF, PNG and JPEG files can be uploaded, and this file is none of them "
        "(whatever its name says)."
    ),
}


def _page(client: Client, form: DocumentForm, status: int = 200) -> Any:
    rows = db.session.scalars(
        select(Document)
        .options(selectinload(Document.uploaded_by))
        .where(Document.client_id == client.id, Document.deleted_at.is_(None))
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
    ).all()
    return render_template(
        "staff/documents/index.html",
        documents=rows,
        form=form,
        button=ButtonForm(),
        may_upload=policy.may_write_notes(current_user),
        **_record_context(client, "documents"),
    ), status


@bp.route("/clients/<int:client_id>/documents", methods=["GET", "POST"])
def document_index(client_id: int) -> Any:
    """The record's documents and the upload form."""
    client = _load(client_id)
    form = DocumentForm()
    if form.is_submitted():
        if not policy.may_write_notes(current_user):
            abort(403)
        if form.validate():
            try:
                documents.store(
                    client,
                    form.file.data,
                    kind=form.kind.data or "other",
                    description=form.description.data,
                    actor=current_user,
                    ip=client_ip(),
                )
            except documents.UploadRefused as refused:
                db.session.rollback()
                form.file.errors = [REFUSALS[refused.reason]()]
                return _page(client, form, 422)
            db.session.commit()
            flash(_("Document uploaded."), "success")
            return redirect(url_for("staff.document_index", client_id=client.id), code=303)
        return _page(client, form, 422)
    _audit_view(client, "documents")
    db.session.commit()
    return _page(client, form)


def _send(client_id: int, document_id: int, *, inline: bool) -> Response:
    client = _load(client_id)
    document = policy.get_document_or_404(client, document_id)
    path = documents.path_of(document)
    if not path.is_file():
        abort(404)
    documents.record_download(document, actor=current_user, ip=client_ip(), inline=inline)
    db.session.commit()
    response = send_file(
        path,
        mimetype=document.content_type,
        as_attachment=not inline,
        download_name=document.original_name,
        max_age=0,
    )
    # Whatever the file holds, the browser runs nothing from it and fetches nothing for it.
    # Chrome's and Safari's PDF viewers refuse to open under "sandbox", so a PDF shown in
    # the browser gets "default-src 'none'" alone; images and downloads keep the sandbox.
    sandboxed = not (inline and document.content_type == "application/pdf")
    response.headers["Content-Security-Policy"] = "default-src 'none'" + (
        "; sandbox" if sandboxed else ""
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/clients/<int:client_id>/documents/<int:document_id>/download")
def document_download(client_id: int, document_id: int) -> Response:
    """The file as an attachment; audited."""
    return _send(client_id, document_id, inline=False)


@bp.route("/clients/<int:client_id>/documents/<int:document_id>/preview")
def document_preview(client_id: int, document_id: int) -> Response:
    """The PDF or image shown in the browser (never as HTML); audited."""
    return _send(client_id, document_id, inline=True)


@bp.route("/clients/<int:client_id>/documents/<int:document_id>/remove", methods=["POST"])
def document_remove(client_id: int, document_id: int) -> Response:
    """Take a document off the record (kept for the audit)."""
    client = _load(client_id)
    if not policy.may_edit_client(current_user):
        abort(403)
    document = policy.get_document_or_404(client, document_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    documents.remove(document, actor=current_user, ip=client_ip())
    db.session.commit()
    flash(_("Document removed from the record."), "success")
    return redirect(url_for("staff.document_index", client_id=client.id), code=303)
