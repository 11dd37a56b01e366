"""The education materials library: find, write and translate materials, archive them, and
give them to a client from the client's record."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import i18n
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import PortalForm, choices, strip
from ..htmx import fragment_or_page, is_partial
from ..i18n import lazy_gettext as _l
from ..material_policy import (
    get_assignment_or_404,
    get_material_or_404,
    may_assign_materials,
    may_write_materials,
)
from ..models import (
    MATERIAL_AUDIENCES,
    MATERIAL_TOPICS,
    Client,
    Material,
    MaterialTranslation,
    folded,
)
from ..paging import paginate, requested_page
from ..services import materials
from ..services.errors import DomainError, StaleEdit
from . import bp
from .clients import _audit_view, _load, _record_context
from .forms import ButtonForm

PAGE_SIZE = 25


class MaterialForm(PortalForm):
    """One language's text of a material, and what the material is about and for."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(message=_l("Enter a title.")), Length(max=200)],
        filters=[strip],
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[Optional(), Length(max=500)],
        filters=[strip],
        render_kw={"rows": 2},
    )
    body = TextAreaField(
        _l("Text"),
        validators=[DataRequired(message=_l("Write the text.")), Length(max=30000)],
        render_kw={"rows": 18},
    )
    topic = SelectField(_l("Topic"), choices=choices(materials.TOPIC_LABELS.items()))
    audience = SelectField(_l("Written for"), choices=choices(materials.AUDIENCE_LABELS.items()))
    general = BooleanField(_l("Offer it to everyone it is written for"), default=True)
    version = HiddenField()


class NewMaterialForm(MaterialForm):
    locale = SelectField(_l("Language of this text"))


def _optional_id(value: Any) -> int | None:
    """The select's value: an id, or None for the "choose one" line (or anything else)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class AssignForm(PortalForm):
    material_id = SelectField(
        _l("Material"),
        coerce=_optional_id,
        validate_choice=False,
        validators=[DataRequired(message=_l("Choose a material."))],
    )
    note = StringField(
        _l("Note for the client (optional)"),
        validators=[Optional(), Length(max=300)],
        filters=[strip],
    )


def _locale() -> str:
    return i18n.current_language(materials.FALLBACK_LOCALE)


def _languages() -> list[tuple[str, str]]:
    """The languages a material can be written in, named in the reader's language."""
    return [(code, i18n.language_name(code, _locale())) for code in i18n.available_locales()]


def _labels() -> dict[str, Any]:
    return {
        "topic_labels": materials.TOPIC_LABELS,
        "audience_labels": materials.AUDIENCE_LABELS,
    }


def _require_writer() -> None:
    if not may_write_materials(current_user):
        abort(403)


def _filters() -> materials.LibraryFilters:
    args = request.args
    return materials.LibraryFilters(
        q=args.get("q", "").strip()[:100],
        topic=args.get("topic", "") if args.get("topic") in MATERIAL_TOPICS else "",
        audience=args.get("audience", "") if args.get("audience") in MATERIAL_AUDIENCES else "",
        include_archived=args.get("archived") == "1",
    )


@bp.route("/materials")
def material_index() -> Response:
    """The library: search by title, filter by topic and audience (one URL, two renderings)."""
    f = _filters()
    query = materials.library(f)
    paged = paginate(
        query,
        (Material.slug, Material.id),
        size=PAGE_SIZE,
        requested=requested_page(),
        options=(selectinload(Material.translations),),
    )
    locale = _locale()
    context = {
        **paged.context(),
        "rows": [(m, materials.pick_translation(m, locale)[0]) for m in paged.rows],
        "counts": materials.assignment_counts(m.id for m in paged.rows),
        "f": f,
        "languages": dict(_languages()),
        "may_write": may_write_materials(current_user),
        **_labels(),
    }
    template = "staff/materials/_results.html" if is_partial() else "staff/materials/index.html"
    return fragment_or_page(render_template(template, **context))


def _form_page(
    form: MaterialForm,
    material: Material | None,
    locale: str,
    *,
    status: int,
    preview: Any = None,
    conflict: bool = False,
    saved: MaterialTranslation | None = None,
) -> Any:
    source = None
    if material is not None:
        source = next((t for t in _ordered(material) if t.locale != locale), None)
    return render_template(
        "staff/materials/form.html",
        form=form,
        material=material,
        locale=locale,
        language=dict(_languages()).get(locale, locale),
        language_names=dict(_languages()),
        source=source,
        preview=preview,
        conflict=conflict,
        saved=saved,
    ), status


def _ordered(material: Material) -> list[MaterialTranslation]:
    """Translations with English (the readers' fallback) first."""
    return sorted(material.translations, key=lambda t: (t.locale != materials.FALLBACK_LOCALE,))


@bp.route("/materials/new", methods=["GET", "POST"])
def material_new() -> Any:
    """Write a new material in one language; the others are added from its page."""
    _require_writer()
    form = NewMaterialForm()
    form.locale.choices = choices(_languages())
    if request.method == "GET":
        form.locale.data = materials.FALLBACK_LOCALE
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = materials.render(form.body.data or "")
        else:
            try:
                material = materials.create(
                    form.data, locale=form.locale.data or "", actor=current_user, ip=client_ip()
                )
            except DomainError:
                db.session.rollback()
                form.body.errors = [_("This text could not be saved. Check it and try again.")]
            else:
                db.session.commit()
                flash(_("Material saved."), "success")
                return redirect(url_for("staff.material_detail", material_id=material.id), code=303)
    return _form_page(
        form,
        None,
        form.locale.data or materials.FALLBACK_LOCALE,
        status=422 if form.errors else 200,
        preview=preview,
    )


def _lang_arg() -> str:
    lang = request.args.get("lang") or materials.FALLBACK_LOCALE
    if lang not in i18n.available_locales():
        abort(404)
    return lang


def _edit_form(material: Material, locale: str) -> MaterialForm:
    """The form for one language: the saved text on GET (empty for a new language)."""
    if request.method != "GET":
        return MaterialForm()
    translation = next((t for t in material.translations if t.locale == locale), None)
    form = MaterialForm(obj=translation)
    form.topic.data = material.topic
    form.audience.data = material.audience
    form.general.data = material.general
    form.version.data = str(material.version)
    return form


def _save(material: Material, form: MaterialForm, locale: str) -> Any:
    """Save one language; the redirect, the conflict page, or None with the error at the
    field."""
    try:
        added = materials.update(
            material,
            form.data,
            locale=locale,
            expected_version=int(form.version.data or 0),
            actor=current_user,
            ip=client_ip(),
        )
    except StaleEdit:
        # Someone saved first: the typed text stays in the form, the saved text beside it.
        db.session.rollback()
        material = get_material_or_404(material.id)
        form.version.data = str(material.version)
        saved = next((t for t in material.translations if t.locale == locale), None)
        return _form_page(form, material, locale, status=409, conflict=True, saved=saved)
    except DomainError:
        db.session.rollback()
        form.body.errors = [_("This text could not be saved. Check it and try again.")]
        return None
    db.session.commit()
    flash(_("Translation added.") if added else _("Material saved."), "success")
    target = url_for("staff.material_detail", material_id=material.id, lang=locale)
    return redirect(target, code=303)


@bp.route("/materials/<int:material_id>/edit", methods=["GET", "POST"])
def material_edit(material_id: int) -> Any:
    """Edit one language's text (``?lang=es``); saving a language it lacks adds it. A stale
    save is refused with the saved text shown beside the typed one."""
    _require_writer()
    material = get_material_or_404(material_id)
    locale = _lang_arg()
    form = _edit_form(material, locale)
    preview = None
    if form.validate_on_submit():
        if "preview" in request.form:
            preview = materials.render(form.body.data or "")
        elif (answer := _save(material, form, locale)) is not None:
            return answer
    return _form_page(form, material, locale, status=422 if form.errors else 200, preview=preview)


@bp.route("/materials/<int:material_id>")
def material_detail(material_id: int) -> str:
    """A material as readers see it, in one language, with its translations and how many
    clients have it."""
    material = get_material_or_404(material_id)
    lang = request.args.get("lang")
    locale = lang if lang in i18n.available_locales() else _locale()
    translation, fallback = materials.pick_translation(material, locale)
    languages = _languages()
    have = {t.locale for t in material.translations}
    return render_template(
        "staff/materials/detail.html",
        material=material,
        translation=translation,
        fallback=fallback,
        locale=locale,
        body=materials.render(translation.body) if translation else None,
        translations=[(code, name, code in have) for code, name in languages],
        language_names=dict(languages),
        assigned=materials.assignment_counts([material.id]).get(material.id, 0),
        reads=materials.read_count(material),
        may_write=may_write_materials(current_user),
        button=ButtonForm(),
        **_labels(),
    )


@bp.route("/materials/<int:material_id>/archive", methods=["POST"])
def material_archive(material_id: int) -> Response:
    """Archive a material (readers no longer see it) or, with ``active=1``, bring it back."""
    _require_writer()
    material = get_material_or_404(material_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    materials.set_active(material, active, actor=current_user, ip=client_ip())
    db.session.commit()
    flash(_("Material back in the library.") if active else _("Material archived."), "success")
    return redirect(url_for("staff.material_detail", material_id=material.id), code=303)


# --- on a client's record ------------------------------------------------------------------


def _assign_form(client: Client) -> AssignForm:
    form = AssignForm()
    locale = _locale()
    options = []
    for material in materials.assignable(client):
        translation, _fallback = materials.pick_translation(material, locale)
        if translation is not None:
            audience = materials.AUDIENCE_LABELS[material.audience]
            options.append((material.id, f"{translation.title} ({audience})"))
    options.sort(key=lambda pair: folded(str(pair[1])))
    form.material_id.choices = choices([("", _("Choose a material")), *options])
    return form


def _client_page(client: Client, form: AssignForm, status: int = 200) -> Any:
    locale = _locale()
    return render_template(
        "staff/materials/client.html",
        form=form,
        rows=materials.assigned_to(client, locale),
        may_assign=may_assign_materials(current_user),
        client_language=client.preferred_language,
        button=ButtonForm(),
        **_record_context(client, "materials"),
    ), status


@bp.route("/clients/<int:client_id>/materials", methods=["GET", "POST"])
def client_materials(client_id: int) -> Any:
    """The client's materials with when they read each, and a form to give one more."""
    client = _load(client_id)
    form = _assign_form(client)
    if request.method == "GET":
        _audit_view(client, "materials")
        db.session.commit()
        return _client_page(client, form)
    if not may_assign_materials(current_user):
        abort(403)
    if form.validate_on_submit():
        material = db.session.get(Material, form.material_id.data or 0)
        if material is None or not material.active:
            form.material_id.errors = [_("Choose a material from the library.")]
        else:
            try:
                materials.assign(
                    material, client, note=form.note.data, actor=current_user, ip=client_ip()
                )
            except DomainError:
                db.session.rollback()
                form.material_id.errors = [_("The client already has this material.")]
            else:
                db.session.commit()
                flash(_("Material given to the client."), "success")
                return redirect(url_for("staff.client_materials", client_id=client.id), code=303)
    return _client_page(client, form, status=422)


@bp.route("/clients/<int:client_id>/materials/<int:material_id>/unassign", methods=["POST"])
def client_material_unassign(client_id: int, material_id: int) -> Response:
    """Take a material back from the client (what they read stays recorded)."""
    client = _load(client_id)
    if not may_assign_materials(current_user):
        abort(403)
    assignment = get_assignment_or_404(client, material_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    materials.unassign(assignment, actor=current_user, ip=client_ip())
    db.session.commit()
    flash(_("Material taken back."), "success")
    return redirect(url_for("staff.client_materials", client_id=client.id), code=303)
