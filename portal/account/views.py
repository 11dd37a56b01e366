"""The account pages: profile, password, re-authentication, two-step sign-in, sessions."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, session
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from .. import policy
from ..addresses import url_for
from ..auth.web import begin_session, client_ip, current_session
from ..extensions import db
from ..formutils import choices
from ..i18n import agency_today, current_language, language_choices, refresh
from ..navigation import safe_next
from ..services import mfa, passwords, profile, sessions, users
from . import bp
from .forms import (
    ButtonForm,
    ChangePasswordForm,
    ContactForm,
    MfaEnableForm,
    PreferencesForm,
    ProfileForm,
    ReauthForm,
)


def _needs_reauth() -> Response | None:
    """Changing the email or two-step sign-in asks for the password again after a few minutes."""
    if sessions.recently_reauthenticated(current_session()):
        return None
    # After a POST (turning MFA off) come back to the page with the button, not to the POST URL.
    target = request.full_path.rstrip("?") if request.method == "GET" else url_for("account.index")
    return redirect(url_for("account.reauth", next=target))


PENDING_PROFILE_KEY = "pending_profile"


def mfa_required() -> bool:
    return bool(current_app.config["MFA_REQUIRED_FOR_STAFF"]) and current_user.is_staff


@bp.route("/", methods=["GET", "POST"])
def index() -> str | Response | tuple[str, int]:
    """Profile: name and email; links to password, two-step sign-in, and signing out everywhere."""
    pending = session.pop(PENDING_PROFILE_KEY, None) if request.method == "GET" else None
    if isinstance(pending, dict):
        # Back from re-authentication: what was typed before it is still here to save.
        form = ProfileForm(formdata=None, data=pending)
        flash(_("Check your changes and save them again."), "info")
    else:
        form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        email = (form.email.data or "").strip().lower()
        if email != current_user.email:
            reauth = _needs_reauth()
            if reauth is not None:
                session[PENDING_PROFILE_KEY] = {
                    "display_name": form.display_name.data or "",
                    "email": form.email.data or "",
                }
                flash(_("To change your email, enter your password again first."), "info")
                return reauth
            try:
                users.change_email(current_user, email, ip=client_ip())
            except users.EmailTaken:
                form.email.errors = [_("Another account uses this email.")]
                return _index_page(form), 422
        current_user.display_name = (form.display_name.data or "").strip()
        db.session.commit()
        flash(_("Your details are saved."), "success")
        return redirect(url_for("account.index"), code=303)
    return _index_page(form), 422 if form.errors else 200


def _preferences_form(**kwargs: Any) -> PreferencesForm:
    form = PreferencesForm(**kwargs)
    form.locale.choices = choices(language_choices())
    return form


def _index_page(
    form: ProfileForm,
    *,
    contact: ContactForm | None = None,
    preferences: PreferencesForm | None = None,
) -> str:
    record = policy.own_record(current_user)
    if contact is None and record is not None:
        contact = ContactForm(formdata=None, phone=record.phone, contact_email=record.email)
    if preferences is None:
        preferences = _preferences_form(
            formdata=None,
            locale=current_user.locale or current_language(),
            notify_messages=current_user.notify_messages,
            notify_reminders=current_user.notify_reminders,
        )
    return render_template(
        "account/index.html",
        form=form,
        contact=contact,
        preferences=preferences,
        button=ButtonForm(),
        codes_left=mfa.recovery_codes_left(current_user) if current_user.has_mfa else 0,
        mfa_required=mfa_required(),
    )


@bp.route("/contact", methods=["POST"])
def contact() -> str | Response | tuple[str, int]:
    """A client changes the phone and email on their record; their case manager is told."""
    record = policy.own_record(current_user)
    if record is None:
        abort(404)
    form = ContactForm()
    if form.validate_on_submit():
        changed = profile.update_contact(
            record,
            phone=form.phone.data,
            email=form.contact_email.data,
            actor=current_user,
            ip=client_ip(),
            today=agency_today(),
        )
        db.session.commit()
        flash(
            _("Saved. Your case manager has been told.") if changed else _("Nothing changed."),
            "success",
        )
        return redirect(url_for("account.index"), code=303)
    return _index_page(ProfileForm(obj=current_user), contact=form), 422


@bp.route("/preferences", methods=["POST"])
def preferences() -> str | Response | tuple[str, int]:
    """Language and which emails to get; the language applies at once, emails included."""
    form = _preferences_form()
    if form.validate_on_submit():
        profile.update_preferences(
            current_user,
            locale=form.locale.data,
            notify_messages=bool(form.notify_messages.data),
            # Staff have no reminders to choose (the box is not on their page): keep them.
            notify_reminders=(
                current_user.notify_reminders
                if current_user.is_staff
                else bool(form.notify_reminders.data)
            ),
            ip=client_ip(),
        )
        db.session.commit()
        refresh()
        flash(_("Your choices are saved."), "success")
        return redirect(url_for("account.index"), code=303)
    return _index_page(ProfileForm(obj=current_user), preferences=form), 422


@bp.route("/password", methods=["GET", "POST"])
def password() -> str | Response | tuple[str, int]:
    """Change the password (current one required); every other session of the user ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not users.verify_password(current_user, form.current.data or ""):
            form.current.errors = [_("That is not your current password.")]
        else:
            problems = passwords.password_problems(
                form.password.data or "", email=current_user.email
            )
            if not problems:
                user = current_user._get_current_object()
                users.change_password(
                    user, form.password.data or "", ip=client_ip(), action="password_change"
                )
                begin_session(user, method="password_change")
                db.session.commit()
                flash(
                    _("Your password is changed. You were signed out everywhere else."), "success"
                )
                return redirect(url_for("account.index"), code=303)
            form.password.errors = problems
    return render_template("account/password.html", form=form), 422 if form.errors else 200


@bp.route("/reauth", methods=["GET", "POST"])
def reauth() -> str | Response | tuple[str, int]:
    """Enter the password (and a code, with two-step sign-in) again before a sensitive change."""
    form = ReauthForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        ok = users.verify_password(current_user, form.password.data or "")
        if ok and current_user.has_mfa and not mfa.verify_code(current_user, form.code.data or ""):
            form.code.errors = [_("That code did not work. Try the newest code in your app.")]
        elif not ok:
            form.password.errors = [_("That is not your password.")]
            users.count_failure(current_user.email, current_user.id, ip=client_ip())
        else:
            record = current_session()
            if record is not None:
                sessions.mark_reauthenticated(record)
            db.session.commit()
            return redirect(safe_next(form.next.data) or url_for("account.index"), code=303)
        db.session.commit()
    return render_template("account/reauth.html", form=form), 422 if form.errors else 200


@bp.route("/mfa", methods=["GET", "POST"])
def mfa_setup() -> str | Response | tuple[str, int]:
    """Set up two-step sign-in: scan the QR code (or type the key), then confirm with a code."""
    reauth = _needs_reauth()
    if reauth is not None:
        return reauth
    if current_user.has_mfa:
        return redirect(url_for("account.index"))
    record = current_session()
    if record is None:  # pragma: no cover - the guard signs people in first
        return redirect(url_for("auth.login"))
    if record.pending_totp_secret is None:
        record.pending_totp_secret = mfa.new_secret()
        db.session.commit()
    secret = record.pending_totp_secret
    form = MfaEnableForm()
    if form.validate_on_submit():
        codes = mfa.enable(current_user, secret, form.code.data or "", ip=client_ip())
        if codes is not None:
            record.pending_totp_secret = None
            sessions.mark_reauthenticated(record)
            db.session.commit()
            return render_template("account/recovery_codes.html", codes=codes)
        form.code.errors = [
            _("That code did not work. Check the time on your phone and try the newest code.")
        ]
        form.code.data = ""
    uri = mfa.provisioning_uri(current_user, secret)
    status = 422 if form.errors else 200
    return render_template(
        "account/mfa.html",
        form=form,
        qr_svg=mfa.qr_svg(uri),
        secret=secret,
        required=mfa_required(),
    ), status


@bp.route("/mfa/disable", methods=["POST"])
def mfa_disable() -> Response:
    """Turn two-step sign-in off, where the agency does not require it."""
    form = ButtonForm()
    reauth = _needs_reauth()
    if reauth is not None:
        return reauth
    if form.validate_on_submit() and current_user.has_mfa and not mfa_required():
        mfa.disable(current_user, actor=current_user, ip=client_ip())
        db.session.commit()
        flash(_("Two-step sign-in is off."), "success")
    elif mfa_required():
        flash(_("Your agency requires two-step sign-in for staff."), "error")
    return redirect(url_for("account.index"), code=303)


@bp.route("/sign-out-everywhere", methods=["POST"])
def sign_out_everywhere() -> Response:
    """End every session of this account, this one included."""
    form = ButtonForm()
    if form.validate_on_submit():
        ended = sessions.end_all(current_user, "everywhere", ip=client_ip())
        db.session.commit()
        logout_user()
        session.clear()
        message = ngettext(
            "You are signed out everywhere (%(num)s session ended).",
            "You are signed out everywhere (%(num)s sessions ended).",
            ended,
        )
        flash(message, "success")
        return redirect(url_for("auth.login"), code=303)
    return redirect(url_for("account.index"), code=303)
