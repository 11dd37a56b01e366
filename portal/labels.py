"""Human labels for stored codes, translated when shown."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "supervisor": _l("Supervisor"),
    "case_manager": _l("Case manager"),
    "care_team": _l("Care team"),
    "client": _l("Client"),
    "family": _l("Family member"),
}

CLIENT_STATUS_LABELS = {
    "referred": _l("Referred"),
    "intake": _l("Intake"),
    "active": _l("Active"),
    "on_hold": _l("On hold"),
    "discharged": _l("Discharged"),
}

FAMILY_SCOPE_LABELS = {
    "materials": _l("Education materials"),
    "appointments": _l("Appointments"),
    "goals": _l("Goals"),
    "safety_plan": _l("Safety plan"),
}
