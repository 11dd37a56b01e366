"""/account: the signed-in person's own profile, password, two-step sign-in and sessions."""

from flask import Blueprint
from flask.typing import ResponseReturnValue

from .. import policy

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
def guard() -> ResponseReturnValue | None:
    """Everyone signed in has an account page; nobody else does."""
    return policy.guard_signed_in()


from . import views  # noqa: E402, F401
