"""The client portal (/client) and the family view (/family), each closed by one guard."""

from flask import Blueprint
from flask.typing import ResponseReturnValue

from .. import policy

client_bp = Blueprint("client", __name__, url_prefix="/client")
family_bp = Blueprint("family", __name__, url_prefix="/family")


@client_bp.before_request
def client_guard() -> ResponseReturnValue | None:
    """Only clients enter /client."""
    return policy.guard_area("client")


@family_bp.before_request
def family_guard() -> ResponseReturnValue | None:
    """Only family members enter /family."""
    return policy.guard_area("family")


from . import (  # noqa: E402, F401
    appointments,
    check_ins,
    family,
    goals,
    materials,
    messages,
    resources,
    safety_plan,
    views,
)
