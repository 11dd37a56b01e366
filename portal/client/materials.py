"""Education materials for clients and their families: what the team gave them and what is
there for everyone, in the reader's language (English, with a note, when there is no
translation yet). Opening one records that it was read."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user

from .. import i18n
from ..auth.web import client_ip
from ..extensions import db
from ..material_policy import client_material_or_404, family_material_or_404
from ..services import audit, materials
from . import client_bp, family_bp
from .safety_plan import own_client


def _locale() -> str:
    return i18n.current_language(materials.FALLBACK_LOCALE)


def _language_names() -> dict[str, Any]:
    """Each language a text may be in, and the reader's own (``"reader"``), named in the
    reader's language."""
    locale = _locale()
    names: dict[str, Any] = {
        code: i18n.language_name(code, locale) for code in i18n.available_locales()
    }
    names["reader"] = i18n.language_name(locale, locale)
    return names


@client_bp.route("/materials", endpoint="materials")
def client_materials() -> Any:
    """What my team gave me to read, then what is there for everyone; new ones marked."""
    client = own_client()
    entries = materials.for_client(client, _locale(), reader=current_user)
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="material_list",
        object_id=client.id,
        client_id=client.id,
        detail="client portal",
    )
    db.session.commit()
    return render_template(
        "client/materials.html",
        assigned=[e for e in entries if e.assignment is not None],
        general=materials.by_topic(e for e in entries if e.assignment is None),
        topic_labels=materials.TOPIC_LABELS,
        language_names=_language_names(),
    )


@client_bp.route("/materials/<slug>", endpoint="material")
def client_material(slug: str) -> Any:
    """One material to read; opening it is what counts as reading it."""
    client = own_client()
    entry = client_material_or_404(client, slug, _locale())
    materials.mark_read(entry.material, current_user)
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="material",
        object_id=entry.material.id,
        client_id=client.id,
        detail="client portal",
    )
    db.session.commit()
    return render_template(
        "client/material.html",
        entry=entry,
        body=materials.render(entry.translation.body),
        language_names=_language_names(),
    )


@family_bp.route("/materials", endpoint="materials")
def family_materials() -> Any:
    """What the people I support shared with me, and what is there for every family."""
    entries = materials.for_family(current_user, _locale())
    shared = [e for e in entries if e.shared_by]
    for client_id in sorted({c.id for e in shared for c in e.shared_by}):
        audit.record(
            "view",
            actor=current_user,
            ip=client_ip(),
            object_type="material_list",
            object_id=client_id,
            client_id=client_id,
            detail="family portal",
        )
    db.session.commit()
    return render_template(
        "family/materials.html",
        shared=shared,
        general=materials.by_topic(e for e in entries if not e.shared_by),
        topic_labels=materials.TOPIC_LABELS,
        language_names=_language_names(),
    )


@family_bp.route("/materials/<slug>", endpoint="material")
def family_material(slug: str) -> Any:
    """One material to read, general or shared by a client whose consent is in force."""
    entry = family_material_or_404(current_user, slug, _locale())
    materials.mark_read(entry.material, current_user)
    audit.record(
        "view",
        actor=current_user,
        ip=client_ip(),
        object_type="material",
        object_id=entry.material.id,
        client_id=entry.shared_by[0].id if entry.shared_by else None,
        detail="family portal",
    )
    db.session.commit()
    return render_template(
        "family/material.html",
        entry=entry,
        body=materials.render(entry.translation.body),
        language_names=_language_names(),
    )
