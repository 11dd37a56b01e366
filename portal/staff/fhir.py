"""A client's record as a FHIR R4 Bundle for another system to import."""

from __future__ import annotations

import re

from flask import abort
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import policy
from ..auth.web import client_ip
from ..extensions import db
from ..services import fhir
from . import bp
from .clients import _load

FHIR_JSON = "application/fhir+json"
# Only these characters go into the quoted filename of the Content-Disposition header.
SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")

# The record overview shows its "Export as FHIR" link by asking the same policy the route does.
bp.add_app_template_global(policy.may_export_record, "may_export_record")


@bp.route("/clients/<int:client_id>/export/fhir")
def client_export_fhir(client_id: int) -> Response:
    """The record as a FHIR collection Bundle, downloaded as a file; audited as an export."""
    # The loader first: a record the user may not see is missing (404), whatever their role.
    client = _load(client_id)
    if not policy.may_export_record(current_user):
        abort(403)
    bundle = fhir.export(client, actor=current_user, ip=client_ip())
    db.session.commit()
    name = SAFE_NAME.sub("_", client.record_number or str(client.id))
    response = Response(bundle.model_dump_json(), mimetype=FHIR_JSON)
    response.headers["Content-Type"] = f"{FHIR_JSON}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="client-{name}.fhir.json"'
    return response
