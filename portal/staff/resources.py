"""The resource directory: search as you type, keep entries current, import and export CSV."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import i18n, policy
from ..addresses import url_for
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import choices
from ..htmx import fragment_or_page, is_partial
from ..i18n import lazy_gettext as _l
from ..labels import CLIENT_LANGUAGES, IMPORT_PROBLEM_LABELS
from ..models import RESOURCE_CATEGORIES, Client, Resource
from ..paging import paginate, requested_page
from ..services import referrals, resources
from ..services.errors import DomainError
from . import bp
from .forms import ButtonForm, ImportForm, ReferralForm, ResourceForm

PAGE_SIZE = 25
IMPORT_PROBLEMS = {
    **IMPORT_PROBLEM_LABELS,
    "bad_website": _l("the website is not a web address like https://example.org"),
    **{
        f"too_long:{column}": _l("%(column)s is too long", column=column)
        for column in resources.MAX_LENGTHS
    },
}


def _languages() -> list[tuple[str, str]]:
    locale = i18n.current_language()
    return [(code, i18n.language_name(code, locale)) for code in CLIENT_LANGUAGES]


def _require_manager() -> None:
    if not policy.may_manage_resources(current_user):
        abort(403)


def _filters() -> resources.DirectoryFilters:
    args = request.args
    return resources.DirectoryFilters(
        q=args.get("q", "").strip()[:100],
        category=args.get("category", "") if args.get("category") in RESOURCE_CATEGORIES else "",
        language=args.get("language", "") if args.get("language") in CLIENT_LANGUAGES else "",
        walk_ins=args.get("walk_ins") == "1",
        include_retired=args.get("retired") == "1" and policy.may_manage_resources(current_user),
        sort=args.get("sort", "name")
        if args.get("sort") in ("name", "category", "verified")
        else "name",
    )


@bp.route("/resources")
def resource_index() -> Response:
    """The directory (one URL, two renderings: the results alone for htmx)."""
    f = _filters()
    paged = paginate(
        resources.matching(f), resources.order(f), size=PAGE_SIZE, requested=requested_page()
    )
    context = {
        **paged.context(),
        "f": f,
        "languages": _languages(),
        "today": i18n.agency_today(),
        "months": int(current_app.config["RESOURCE_VERIFY_MONTHS"]),
        "needs_verification": resources.needs_verification,
        "may_manage": policy.may_manage_resources(current_user),
    }
    template = "staff/resources/_results.html" if is_partial() else "staff/resources/index.html"
    return fragment_or_page(render_template(template, **context))


def _resource_or_404(resource_id: int) -> Resource:
    resource = db.session.get(Resource, resource_id)
    if resource is None:
        abort(404)
    return resource


def _form(resource: Resource | None = None) -> ResourceForm:
    form = ResourceForm(obj=resource if request.method == "GET" else None)
    form.languages.choices = choices(_languages())
    if resource is not None and request.method == "GET":
        form.version.data = str(resource.version)
    return form


@bp.route("/resources/new", methods=["GET", "POST"])
def resource_new() -> Any:
    """Add an entry to the directory."""
    _require_manager()
    form = _form()
    if form.validate_on_submit():
        resource = resources.create(form.data, actor=current_user, ip=client_ip())
        db.session.commit()
        flash(_("Added to the directory."), "success")
        return redirect(url_for("staff.resource_detail", resource_id=resource.id), code=303)
    return render_template("staff/resources/form.html", form=form, resource=None), (
        422 if form.errors else 200
    )


@bp.route("/resources/<int:resource_id>/edit", methods=["GET", "POST"])
def resource_edit(resource_id: int) -> Any:
    """Edit an entry; a stale version is refused with both versions shown."""
    _require_manager()
    resource = _resource_or_404(resource_id)
    form = _form(resource)
    conflict = False
    if form.validate_on_submit():
        if str(resource.version) != (form.version.data or ""):
            conflict = True
            form.version.data = str(resource.version)
        else:
            resources.update(resource, form.data, actor=current_user, ip=client_ip())
            db.session.commit()
            flash(_("Entry saved."), "success")
            return redirect(url_for("staff.resource_detail", resource_id=resource.id), code=303)
    status = 409 if conflict else (422 if form.errors else 200)
    return render_template(
        "staff/resources/form.html", form=form, resource=resource, conflict=conflict
    ), status


@bp.route("/resources/<int:resource_id>/active", methods=["POST"])
def resource_active(resource_id: int) -> Response:
    """Retire an entry (kept for the referrals that name it) or bring it back."""
    _require_manager()
    resource = _resource_or_404(resource_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    active = request.form.get("active") == "1"
    resources.update(resource, {"active": active}, actor=current_user, ip=client_ip())
    db.session.commit()
    flash(_("Entry back in the directory.") if active else _("Entry retired."), "success")
    return redirect(url_for("staff.resource_detail", resource_id=resource.id), code=303)


@bp.route("/resources/<int:resource_id>")
def resource_detail(resource_id: int) -> str:
    """An entry with its referral history and a form to refer one of my clients."""
    resource = _resource_or_404(resource_id)
    form = ReferralForm(formdata=None)
    mine = db.session.scalars(policy.regular_clients(current_user).order_by(Client.sort_name)).all()
    # Two clients may go by the same name: the record number tells them apart.
    form.client_id.choices = choices(
        [
            (c.id, f"{c.display_name} ({c.record_number})" if c.record_number else c.display_name)
            for c in mine
        ]
    )
    return render_template(
        "staff/resources/detail.html",
        resource=resource,
        history=referrals.history(resource),
        form=form,
        button=ButtonForm(),
        may_manage=policy.may_manage_resources(current_user),
        may_refer=policy.may_write_notes(current_user) and bool(mine) and resource.active,
        today=i18n.agency_today(),
        months=int(current_app.config["RESOURCE_VERIFY_MONTHS"]),
        needs_verification=resources.needs_verification,
    )


@bp.route("/resources/export.csv")
def resource_export() -> Response:
    """The whole directory as CSV, in the columns the import reads."""
    rows = db.session.scalars(select(Resource).order_by(Resource.id))
    response = current_app.response_class(resources.export_csv(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="resources.csv"'
    return response


def _imports_folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


@bp.route("/resources/import", methods=["GET", "POST"])
def resource_import() -> Any:
    """Upload a CSV and see, line by line, what would happen; nothing is saved yet."""
    _require_manager()
    form = ImportForm()
    rows: list[resources.ImportRow] = []
    token = ""
    error = None
    if form.validate_on_submit():
        raw = form.file.data.read(2 * 1024 * 1024 + 1)
        try:
            if len(raw) > 2 * 1024 * 1024:
                raise DomainError("too_large")
            text = raw.decode("utf-8-sig")
            rows = resources.parse_csv(text, CLIENT_LANGUAGES)
        except UnicodeDecodeError:
            error = _("The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”.")
        except DomainError as problem:
            error = _(
                "The file cannot be read as the directory's CSV (%(problem)s). "
                "It needs at least the columns name and category.",
                problem=str(problem),
            )
        else:
            token = secrets.token_hex(16)
            (_imports_folder() / f"{token}.csv").write_text(text, encoding="utf-8")
    return render_template(
        "staff/resources/import.html",
        form=form,
        rows=rows,
        token=token,
        error=error,
        problems=IMPORT_PROBLEMS,
        button=ButtonForm(),
        counts={a: sum(1 for r in rows if r.action == a) for a in ("create", "update", "reject")},
    ), 422 if (form.errors or error) else 200


@bp.route("/resources/import/confirm", methods=["POST"])
def resource_import_confirm() -> Response:
    """Apply the previewed file in one transaction (rejected lines are left out)."""
    _require_manager()
    if not ButtonForm().validate_on_submit():
        abort(400)
    token = request.form.get("token", "")
    if not (len(token) == 32 and token.isalnum()):
        abort(400)
    path = _imports_folder() / f"{token}.csv"
    if not path.is_file():
        flash(_("That preview has expired. Upload the file again."), "error")
        return redirect(url_for("staff.resource_import"), code=303)
    rows = resources.parse_csv(path.read_text(encoding="utf-8"), CLIENT_LANGUAGES)
    created, updated = resources.apply_import(rows, actor=current_user, ip=client_ip())
    db.session.commit()
    path.unlink(missing_ok=True)
    flash(
        _("Import done: %(created)s added, %(updated)s updated.", created=created, updated=updated),
        "success",
    )
    return redirect(url_for("staff.resource_index"), code=303)


@bp.route("/resources/<int:resource_id>/refer", methods=["POST"])
def resource_refer(resource_id: int) -> Any:
    """Refer one of my clients from the resource's page."""
    if not policy.may_write_notes(current_user):
        abort(403)
    resource = _resource_or_404(resource_id)
    form = ReferralForm()
    form.client_id.choices = choices([])
    form.goal_key.choices = choices([])
    client = policy.get_client_or_404(form.client_id.data or 0, for_user=current_user)
    if not form.validate_on_submit() or not resource.active:
        flash(_("Say why you refer the client."), "error")
        return redirect(url_for("staff.resource_detail", resource_id=resource.id), code=303)
    referral = referrals.create(
        client, resource, form.data, actor=current_user, ip=client_ip(), today=i18n.agency_today()
    )
    db.session.commit()
    flash(_("Referral proposed."), "success")
    return redirect(
        url_for("staff.referral_detail", client_id=client.id, referral_id=referral.id), code=303
    )
