"""The client's resources: their referrals in plain words, the directory, "my resources"."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from .. import i18n
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..labels import CLIENT_LANGUAGES
from ..models import RESOURCE_CATEGORIES, Referral, Resource, SavedResource
from ..services import audit, referrals, resources
from . import client_bp
from .safety_plan import own_client


@client_bp.route("/resources", endpoint="resources")
def resources_page() -> Any:
    """My referrals and where each stands, my saved resources, and the directory's search
    (in my language unless I choose "any")."""
    client = own_client()
    mine = db.session.scalars(
        select(Referral)
        .options(selectinload(Referral.resource))
        .where(Referral.client_id == client.id)
        .order_by(Referral.status.in_(("completed", "declined", "cancelled")), Referral.id.desc())
    ).all()
    saved = db.session.scalars(
        select(SavedResource)
        .options(selectinload(SavedResource.resource))
        .where(SavedResource.client_id == client.id)
        .order_by(SavedResource.saved_at.desc())
    ).all()
    args = request.args
    language = args.get("language", client.preferred_language)
    f = resources.DirectoryFilters(
        q=args.get("q", "").strip()[:100],
        category=args.get("category", "") if args.get("category") in RESOURCE_CATEGORIES else "",
        language=language if language in CLIENT_LANGUAGES else "",
    )
    found = db.session.scalars(resources.search(f).limit(20)).all() if (f.q or f.category) else []
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="referral_list",
        object_id=client.id,
        client_id=client.id,
        detail="client portal",
    )
    db.session.commit()
    locale = i18n.current_language()
    return render_template(
        "client/resources.html",
        referrals=mine,
        saved=saved,
        saved_ids={s.resource_id for s in saved},
        found=found,
        f=f,
        searched=bool(f.q or f.category),
        languages=[(c, i18n.language_name(c, locale)) for c in CLIENT_LANGUAGES],
    )


def _resource(resource_id: int) -> Resource:
    resource = db.session.get(Resource, resource_id)
    if resource is None or not resource.active:
        abort(404)
    return resource


@client_bp.route("/resources/<int:resource_id>/save", methods=["POST"])
def resource_save(resource_id: int) -> Response:
    """Keep a resource in "my resources", or take it out again."""
    client = own_client()
    resource = _resource(resource_id)
    if request.form.get("remove") == "1":
        referrals.unsave_for_client(client, resource, actor=current_user, ip=client_ip())
        message = _("Removed from your resources.")
    else:
        referrals.save_for_client(client, resource, actor=current_user, ip=client_ip())
        message = _("Saved to your resources.")
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("client.resources") + "#saved", code=303)
