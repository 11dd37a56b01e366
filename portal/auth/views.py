"""Sign-in (password, two-step, emailed link), sign-out, password reset, session status."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from .. import policy
from ..extensions import db
from ..models import Role, User, utcnow
from ..navigation import safe_next
from ..services import audit, passwords, sessions, tokens, users
from ..services import mfa as mfa_service
from . import bp, emails
from .forms import ConfirmForm, EmailForm, LoginForm, LogoutForm, MfaForm, NewPasswordForm
from .web import ENDED_KEY, begin_session, client_ip, current_session, fresh_session

MFA_PENDING_KEY = "mfa_pending"
MFA_PENDING_SECONDS = 5 * 60
LINK_ROLES = frozenset({Role.CLIENT, Role.FAMILY})


def _after_sign_in(user: User, target: str | None) -> str:
    return safe_next(target) or url_for(policy.home_endpoint(user))


ENDED_MESSAGES = {
    "idle": lambda: _(
        "You were signed out because you were away for a while. Please sign in again."
    ),
    "absolute": lambda: _("For your safety, sessions last at most 12 hours. Please sign in again."),
}


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    """Show the sign-in form and check the password; staff with two-step sign-in go on to it."""
    if current_user.is_authenticated:
        return redirect(url_for(policy.home_endpoint(current_user)))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        ended = session.pop(ENDED_KEY, None)
        if ended in ENDED_MESSAGES:
            flash(ENDED_MESSAGES[ended](), "info")
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 422 if form.errors else 200
    check = users.check_credentials(form.email.data or "", form.password.data or "", ip=client_ip())
    form.password.data = ""
    if check.status != "ok" or check.user is None:
        db.session.commit()
        if check.status == "locked":
            minutes = current_app.config["LOCKOUT_MINUTES"]
            form.form_errors.append(
                _(
                    "Too many attempts. For your safety, sign-in with this email is paused for "
                    "%(minutes)s minutes. You can reset your password in the meantime.",
                    minutes=minutes,
                )
            )
        else:
            form.form_errors.append(_("The email or password is not right. Please try again."))
        return render_template("auth/login.html", form=form), 422
    user = check.user
    if user.has_mfa:
        fresh_session()
        session[MFA_PENDING_KEY] = {
            "user_id": user.id,
            "at": utcnow().timestamp(),
            "next": safe_next(form.next.data) or "",
        }
        db.session.commit()
        return redirect(url_for("auth.mfa"), code=303)
    begin_session(user, method="password")
    db.session.commit()
    return redirect(_after_sign_in(user, form.next.data), code=303)


def _pending_mfa_user() -> tuple[User, str] | None:
    pending = session.get(MFA_PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if utcnow().timestamp() - float(pending.get("at", 0)) > MFA_PENDING_SECONDS:
        session.pop(MFA_PENDING_KEY, None)
        return None
    user = db.session.get(User, int(pending["user_id"]))
    if user is None or not user.active or not user.has_mfa:
        return None
    return user, str(pending.get("next") or "")


@bp.route("/mfa", methods=["GET", "POST"])
def mfa() -> str | Response | tuple[str, int]:
    """Second step: a code from the authenticator app, or one of the recovery codes."""
    pending = _pending_mfa_user()
    if pending is None:
        flash(_("Please sign in again."), "info")
        return redirect(url_for("auth.login"))
    user, target = pending
    form = MfaForm()
    if not form.validate_on_submit():
        return render_template("auth/mfa.html", form=form), 422 if form.errors else 200
    code = form.code.data or ""
    if users.is_locked(user.email):
        form.code.errors = [_("Too many attempts. Please wait and sign in again.")]
        return render_template("auth/mfa.html", form=form), 422
    if mfa_service.verify_code(user, code):
        method = "password+totp"
    elif mfa_service.use_recovery_code(user, code, ip=client_ip()):
        method = "password+recovery_code"
    else:
        audit.record(
            "mfa_failed",
            actor=None,
            ip=client_ip(),
            outcome="failure",
            object_type="user",
            object_id=user.id,
        )
        users.count_failure(user.email, user.id, ip=client_ip())
        db.session.commit()
        form.code.data = ""
        form.code.errors = [
            _("That code did not work. Codes change every 30 seconds, and each works once.")
        ]
        return render_template("auth/mfa.html", form=form), 422
    session.pop(MFA_PENDING_KEY, None)
    begin_session(user, method=method)
    db.session.commit()
    if method == "password+recovery_code":
        # After begin_session, which starts a fresh session (and so drops earlier flashes).
        left = mfa_service.recovery_codes_left(user)
        message = ngettext(
            "You used a recovery code. You have %(num)s left.",
            "You used a recovery code. You have %(num)s left.",
            left,
        )
        flash(message, "info")
    return redirect(_after_sign_in(user, target), code=303)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> str | Response:
    """Confirm, then sign out: the server-side session ends, so the cookie is worthless."""
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        record = current_session()
        if record is not None:
            sessions.end(record, "signed_out", ip=client_ip())
            db.session.commit()
        logout_user()
        session.clear()
        flash(_("You have signed out."), "success")
        return redirect(url_for("auth.login"), code=303)
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
def reset_request() -> str | tuple[str, int]:
    """Ask for a reset link; the answer is the same whether or not the address has an account."""
    form = EmailForm()
    if not form.validate_on_submit():
        return render_template("auth/reset_request.html", form=form), 422 if form.errors else 200
    user = users.find_by_email(form.email.data or "")
    audit.record(
        "password_reset_request",
        actor=None,
        ip=client_ip(),
        object_type="user" if user else None,
        object_id=user.id if user else None,
        detail=None if user and user.active else "no active account",
    )
    if user is not None and user.active:
        minutes = current_app.config["RESET_TOKEN_MINUTES"]
        raw = tokens.issue(user, "reset", minutes=minutes)
        emails.send_password_reset(
            user, url_for("auth.reset_confirm", token=raw, _external=True), minutes
        )
    db.session.commit()
    return render_template("auth/email_sent.html", purpose="reset")


def _choose_password(token: str, purpose: str, template: str) -> User | str | tuple[str, int]:
    """The page behind an emailed reset or invitation link: a valid new password uses the
    token up and returns its user; anything else is a page to show."""
    record = tokens.peek(token, purpose)
    if record is None:
        return render_template("auth/token_invalid.html", purpose=purpose), 410
    form = NewPasswordForm()
    if form.validate_on_submit():
        new_password = form.password.data or ""
        problems = passwords.password_problems(new_password, email=record.user.email)
        form.password.errors = problems
        user = None if problems else tokens.redeem(token, purpose)
        if user is not None:
            action = "password_reset" if purpose == "reset" else "password_change"
            users.change_password(user, new_password, ip=client_ip(), action=action)
            return user
        if not problems:
            return render_template("auth/token_invalid.html", purpose=purpose), 410
    return render_template(template, form=form, user=record.user), 422 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_confirm(token: str) -> str | Response | tuple[str, int]:
    """Choose a new password with a valid reset link; every other session of the user ends."""
    result = _choose_password(token, "reset", "auth/reset_form.html")
    if not isinstance(result, User):
        return result
    users.unlock(result.email, actor=result, ip=client_ip())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Your password has been changed. Sign in with your new password."), "success")
    return redirect(url_for("auth.login"), code=303)


def _links_enabled() -> None:
    if not current_app.config["SIGN_IN_LINKS_ENABLED"]:
        abort(404)


@bp.route("/login/link", methods=["GET", "POST"])
def link_request() -> str | tuple[str, int]:
    """Email a single-use sign-in link, for clients and family only; the answer never differs."""
    _links_enabled()
    form = EmailForm()
    if not form.validate_on_submit():
        return render_template("auth/link_request.html", form=form), 422 if form.errors else 200
    user = users.find_by_email(form.email.data or "")
    eligible = user is not None and user.active and user.role in LINK_ROLES
    audit.record(
        "sign_in_link_request",
        actor=None,
        ip=client_ip(),
        object_type="user" if user else None,
        object_id=user.id if user else None,
        detail=None if eligible else "not eligible",
    )
    if eligible and user is not None:
        minutes = current_app.config["SIGN_IN_LINK_MINUTES"]
        raw = tokens.issue(user, "sign_in", minutes=minutes)
        emails.send_sign_in_link(
            user, url_for("auth.link_sign_in", token=raw, _external=True), minutes
        )
    db.session.commit()
    return render_template("auth/email_sent.html", purpose="sign_in")


@bp.route("/login/link/<token>", methods=["GET", "POST"])
def link_sign_in(token: str) -> str | Response | tuple[str, int]:
    """Opening the link shows a button; pressing it signs in (mail scanners only open links)."""
    _links_enabled()
    record = tokens.peek(token, "sign_in")
    if record is None or record.user.role not in LINK_ROLES:
        return render_template("auth/token_invalid.html", purpose="sign_in"), 410
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("auth/link_confirm.html", form=form, user=record.user)
    user = tokens.redeem(token, "sign_in")
    if user is None:
        return render_template("auth/token_invalid.html", purpose="sign_in"), 410
    begin_session(user, method="email_link")
    db.session.commit()
    return redirect(url_for(policy.home_endpoint(user)), code=303)


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def welcome(token: str) -> str | Response | tuple[str, int]:
    """Accept an invitation: choose a password, then land on one's home."""
    result = _choose_password(token, "invite", "auth/welcome.html")
    if not isinstance(result, User):
        return result
    begin_session(result, method="invitation")
    db.session.commit()
    flash(_("Welcome to Waypoint. Your password is set."), "success")
    return redirect(url_for(policy.home_endpoint(result)), code=303)


@bp.route("/session/status")
def session_status() -> tuple[Response, int]:
    """Seconds left in this session, for the timeout warning; asking does not extend it."""
    record = current_session()
    if record is None:
        return jsonify(signed_in=False, seconds_left=0), 401
    return jsonify(signed_in=True, seconds_left=sessions.seconds_left(record, current_user)), 200


@bp.route("/session/keepalive", methods=["POST"])
def session_keepalive() -> tuple[Response, int]:
    """ "Stay signed in": a deliberate action, so it counts as activity."""
    record = current_session()
    if record is None:
        return jsonify(signed_in=False, seconds_left=0), 401
    sessions.touch(record, force=True)
    db.session.commit()
    return jsonify(signed_in=True, seconds_left=sessions.seconds_left(record, current_user)), 200
