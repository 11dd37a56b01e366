"""The staff workspace under /staff: closed to clients and family by one guard."""

from flask import Blueprint
from flask.typing import ResponseReturnValue

from .. import policy

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.before_request
def guard() -> ResponseReturnValue | None:
    """Every /staff route is for staff only; there is no route this misses."""
    return policy.guard_area("staff")


from . import (  # noqa: E402, F401
    appointments,
    assessments,
    care_plans,
    check_ins,
    clients,
    crisis,
    documents,
    emergency,
    goal_proposals,
    materials,
    meetings,
    messages,
    notes,
    referrals,
    resources,
    safety_plans,
    tasks,
    timeline,
    views,
)
