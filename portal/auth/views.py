"""Sign-in and sign-out views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from .. import policy
from ..extensions import db
from ..i18n import SESSION_KEY as LOCALE_KEY
from ..services import audit, users
from . import bp
from .forms import LoginForm, LogoutForm


def safe_next(target: str | None) -> str | None:
    """Accept only a local path: no scheme, no host, no protocol-relative //, no backslash."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """Show the sign-in form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(url_for(policy.home_endpoint(current_user)))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = users.authenticate(
            form.email.data or "", form.password.data or "", ip=request.remote_addr
        )
        if user is not None:
            target = safe_next(form.next.data) or url_for(policy.home_endpoint(user))
            locale = session.get(LOCALE_KEY)
            # A fresh session at sign-in: nothing set before it (a planted session) survives.
            session.clear()
            if locale:
                session[LOCALE_KEY] = locale
            login_user(user)
            db.session.commit()
            return redirect(target, code=303)
        db.session.commit()
        form.form_errors.append(_("The email or password is not right. Please try again."))
        form.password.data = ""
        return render_template("auth/login.html", form=form), 422
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> str | Response:
    """Confirm, then sign out and forget the session."""
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            audit.record(
                "logout",
                actor=current_user,
                ip=request.remote_addr,
                object_type="user",
                object_id=current_user.id,
            )
            db.session.commit()
        logout_user()
        session.clear()
        flash(_("You have signed out."), "success")
        return redirect(url_for("auth.login"), code=303)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)
