"""The staff workspace under /staff: closed to clients and family by one guard."""

from flask import Blueprint
from flask.typing import ResponseReturnValue

from .. import policy

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
def guard() -> ResponseReturnValue | None:
    """Every /staff route is for staff only, and a discharged record takes no changes;
    there is no route this misses."""
    return policy.guard_area("staff") or policy.guard_discharged()


from . import (  # noqa: E402, F401
    admin_users,
    appointments,
    assessments,
    audit_viewer,
    care_plans,
    check_ins,
    clients,
    crisis,
    documents,
    emergency,
    fhir,
    goal_proposals,
    materials,
    meetings,
    messages,
    notes,
    referrals,
    reports,
    resources,
    safety_plans,
    tasks,
    timeline,
    views,
)
