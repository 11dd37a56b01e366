"""The root redirect, the health check, public help and the language switcher."""

from __future__ import annotations

from flask import jsonify, redirect, render_template, request, session
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from .. import i18n, policy
from ..addresses import url_for
from ..extensions import csrf, db
from ..formutils import choices
from ..navigation import safe_next
from ..services import safety_plans, users
from . import bp
from .forms import LanguageForm


@bp.route("/")
def index() -> Response:
    """Send each role to its home, and everyone else to sign in."""
    if current_user.is_authenticated:
        return redirect(url_for(policy.home_endpoint(current_user)))
    return redirect(url_for("auth.login"))


@bp.route("/healthz")
@csrf.exempt
def healthz() -> tuple[Response, int]:
    """Report whether the app can reach its database."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


@bp.route("/help")
def get_help() -> str:
    """Get help now: the 988 Lifeline and the agency crisis line, signed in or not; a signed-in
    client also sees the steps and people they pinned from their safety plan."""
    pinned: list[dict[str, str]] = []
    if current_user.is_authenticated:
        client = policy.own_record(current_user)
        if client is not None:
            pinned = safety_plans.pinned_items(safety_plans.current(client))
    return render_template("main/help.html", pinned=pinned)


@bp.route("/language", methods=["POST"])
def language() -> Response:
    """Switch the language; saved on the account for signed-in users."""
    form = LanguageForm()
    form.locale.choices = choices(i18n.language_choices())
    target = safe_next(form.next.data) or url_for("main.index")
    if form.validate_on_submit():
        chosen = form.locale.data or "en"
        session[i18n.SESSION_KEY] = chosen
        if current_user.is_authenticated:
            users.set_locale(current_user, chosen, ip=request.remote_addr)
            db.session.commit()
    return redirect(target, code=303)
