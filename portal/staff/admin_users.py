"""User administration under /staff/admin/users: administrators only, by one guard.

The routes live on a blueprint nested in the staff blueprint, so the staff guard runs
first (sign in; clients and family get 403) and then this one (403 for staff who may
not manage users); no route here can be forgotten by either.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import i18n, policy
from ..auth.web import client_ip
from ..extensions import db
from ..formutils import choices
from ..htmx import fragment_or_page, is_partial
from ..i18n import force_locale
from ..labels import ROLE_LABELS
from ..models import STAFF_ROLES, Role, User
from ..paging import paginate, requested_page
from ..services import admin_users, audit
from ..services.admin_users import AdminRefused, UserFilters
from ..services.mail import send_message
from ..services.users import EmailTaken
from . import bp
from .admin_forms import AccountForm, NewAccountForm
from .forms import ButtonForm

log = logging.getLogger(__name__)

users_bp = Blueprint("admin_users", __name__, url_prefix="/admin/users")
PAGE_SIZE = 25


@users_bp.before_request
def guard() -> None:
    """Accounts are the administrators'; the rest of the staff get 403 (audited)."""
    if not policy.may_manage_users(current_user):
        audit.record(
            "access_denied",
            actor=current_user,
            ip=client_ip(),
            outcome="denied",
            object_type="area",
            object_id="admin_users",
            detail=request.path,
        )
        db.session.commit()
        abort(403)


def _refusal(code: str, user: User) -> str:
    """What the administrator reads when a rule refuses the change."""
    messages = {
        "self_deactivate": lambda: _(
            "You cannot deactivate your own account. Ask another administrator."
        ),
        "self_demote": lambda: _(
            "You cannot change your own role. Ask another administrator to do it."
        ),
        "self_reset": lambda: _(
            "Change your own password or two-step sign-in on your account page."
        ),
        "team_not_empty": lambda: _(
            "%(name)s still supervises case managers. Give them another supervisor first.",
            name=user.display_name,
        ),
        "supervisor_invalid": lambda: _("Choose an active supervisor, or none."),
        "not_staff_role": lambda: _("Client and family accounts keep their role."),
    }
    return messages[code]()


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _filters() -> UserFilters:
    args = request.args
    return UserFilters(
        q=args.get("q", "").strip()[:100],
        role=args.get("role", "") if args.get("role") in ROLE_LABELS else "",
        active=args.get("active", "") if args.get("active") in ("0", "1") else "",
    )


@users_bp.route("")
def user_index() -> Response:
    """Every account, searched by name or email, filtered by role and state, paged."""
    f = _filters()
    paged = paginate(
        admin_users.search(f),
        admin_users.ORDER,
        size=PAGE_SIZE,
        requested=requested_page(),
        options=admin_users.WITH_SUPERVISOR,
    )
    template = "staff/admin/users/_rows.html" if is_partial() else "staff/admin/users/index.html"
    body = render_template(
        template,
        **paged.context(),
        locked=admin_users.locked_ids(paged.rows),
        f=f,
        roles=ROLE_LABELS,
    )
    return fragment_or_page(body)


def _prepare(form: AccountForm, user: User | None) -> None:
    """The choices that depend on the database and on the account being edited."""
    people = [s for s in admin_users.supervisors() if user is None or s.id != user.id]
    labels = [(str(s.id), s.display_name) for s in people]
    current = user.supervisor if user is not None else None
    if current is not None and current not in people:
        # A supervisor deactivated since stays choosable for this case manager, and says so.
        label = _("%(name)s (deactivated)", name=current.display_name)
        labels.append((str(current.id), label))
    form.supervisor_id.choices = choices([("", _("None")), *labels])
    if user is not None and user.role not in STAFF_ROLES:
        form.role.choices = choices([(user.role, ROLE_LABELS[user.role])])
    if isinstance(form, NewAccountForm):
        locale = i18n.current_language()
        form.locale.choices = choices(
            [("", _("The language of their browser"))]
            + [(code, i18n.language_name(code, locale)) for code in i18n.available_locales()]
        )


def _supervisor(form: AccountForm) -> User | None:
    value = form.supervisor_id.data or ""
    return db.session.get(User, int(value)) if value.isdigit() else None


def _field_for(code: str) -> str:
    return "supervisor_id" if code == "supervisor_invalid" else "role"


@users_bp.route("/new", methods=["GET", "POST"])
def user_new() -> Any:
    """Open a staff account; the person gets an emailed invitation to choose a password."""
    form = NewAccountForm()
    _prepare(form, None)
    if form.validate_on_submit():
        try:
            user, raw = admin_users.create_staff_user(
                email=form.email.data or "",
                display_name=form.display_name.data or "",
                role=form.role.data or "",
                supervisor=_supervisor(form),
                locale=form.locale.data or None,
                actor=current_user,
                ip=client_ip(),
            )
        except EmailTaken:
            db.session.rollback()
            form.email.errors = [_("Another account uses this email.")]
        except AdminRefused as refused:
            db.session.rollback()
            form[_field_for(refused.code)].errors = [_refusal(refused.code, current_user)]
        else:
            db.session.commit()
            _announce(_email_invitation(user, raw), user)
            return redirect(url_for(".user_detail", user_id=user.id), code=303)
    return render_template("staff/admin/users/form.html", form=form, user=None), (
        422 if form.errors else 200
    )


@users_bp.route("/<int:user_id>")
def user_detail(user_id: int) -> str:
    """One account: its state, its supervisor or team, and what can be done to it."""
    user = _user_or_404(user_id)
    return render_template(
        "staff/admin/users/detail.html",
        user=user,
        team=admin_users.team_of(user) if user.role == Role.SUPERVISOR else [],
        locked=admin_users.is_locked(user),
        is_self=user.id == current_user.id,
        button=ButtonForm(),
        roles=ROLE_LABELS,
    )


@users_bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
def user_edit(user_id: int) -> Any:
    """Change the name, the role and (for a case manager) the supervisor."""
    user = _user_or_404(user_id)
    form = AccountForm(
        obj=user if request.method == "GET" else None,
        data={"supervisor_id": str(user.supervisor_id or "")} if request.method == "GET" else None,
    )
    _prepare(form, user)
    if form.validate_on_submit():
        try:
            admin_users.update_account(
                user,
                display_name=form.display_name.data or "",
                role=form.role.data or user.role,
                supervisor=_supervisor(form),
                actor=current_user,
                ip=client_ip(),
            )
        except AdminRefused as refused:
            db.session.rollback()
            form[_field_for(refused.code)].errors = [_refusal(refused.code, user)]
        else:
            db.session.commit()
            flash(_("Account saved."), "success")
            return redirect(url_for(".user_detail", user_id=user.id), code=303)
    return render_template("staff/admin/users/form.html", form=form, user=user), (
        422 if form.errors else 200
    )


R = TypeVar("R")


def _act(user_id: int, service: Callable[..., R], done: Callable[[User, R], None]) -> Response:
    """A button on an account's page: one service, one commit, then back to the page."""
    user = _user_or_404(user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        result = service(user, actor=current_user, ip=client_ip())
    except AdminRefused as refused:
        db.session.rollback()
        flash(_refusal(refused.code, user), "error")
    else:
        db.session.commit()
        done(user, result)
    return redirect(url_for(".user_detail", user_id=user_id), code=303)


@users_bp.route("/<int:user_id>/deactivate", methods=["POST"])
def user_deactivate(user_id: int) -> Response:
    """Close the account: sign-in refused, every session ended at its next request."""

    def done(user: User, _result: None) -> None:
        flash(
            _(
                "%(name)s's account is deactivated and every session has ended.",
                name=user.display_name,
            ),
            "success",
        )

    return _act(user_id, admin_users.deactivate, done)


@users_bp.route("/<int:user_id>/reactivate", methods=["POST"])
def user_reactivate(user_id: int) -> Response:
    """Open a closed account again."""

    def done(user: User, _result: None) -> None:
        flash(_("%(name)s's account is active again.", name=user.display_name), "success")

    return _act(user_id, admin_users.reactivate, done)


@users_bp.route("/<int:user_id>/reset-mfa", methods=["POST"])
def user_reset_mfa(user_id: int) -> Response:
    """Turn two-step sign-in off (a lost phone) and end every session."""

    def done(user: User, _result: None) -> None:
        flash(
            _(
                "Two-step sign-in of %(name)s is reset and every session has ended. They set "
                "it up again when they next sign in.",
                name=user.display_name,
            ),
            "success",
        )

    return _act(user_id, admin_users.reset_mfa, done)


@users_bp.route("/<int:user_id>/reset-password", methods=["POST"])
def user_reset_password(user_id: int) -> Response:
    """Stop the current password now, end every session and email a reset link."""

    def done(user: User, raw: str) -> None:
        _announce(_email_reset(user, raw), user, reset=True)

    return _act(user_id, admin_users.force_password_reset, done)


@users_bp.route("/<int:user_id>/unlock", methods=["POST"])
def user_unlock(user_id: int) -> Response:
    """Lift a sign-in lock-out before it runs out."""

    def done(user: User, was_locked: bool) -> None:
        name = user.display_name
        if was_locked:
            flash(_("%(name)s can sign in again.", name=name), "success")
        else:
            flash(
                _(
                    "%(name)s was not locked out; the count of failed sign-ins is cleared.",
                    name=name,
                ),
                "info",
            )

    return _act(user_id, admin_users.unlock, done)


# --- the emails -------------------------------------------------------------------------------


def _send(user: User, template: str, subject: Callable[[], str], link: str, **context: Any) -> bool:
    """Send one account email in the person's language; False when the mail server failed.

    Unlike the sign-in pages, the administrator is told of a failure: it reveals nothing they
    do not know, and they can send a new link.
    """
    with force_locale(user.locale or i18n.current_language()):
        title = subject()
        body = render_template(template, user=user, link=link, **context)
    try:
        send_message(user.email, subject=title, body=body, link=link)
    except (smtplib.SMTPException, OSError):
        log.exception("could not send %r to user %s", title, user.id)
        return False
    return True


def _email_invitation(user: User, raw: str) -> bool:
    return _send(
        user,
        "mail/staff_invitation.txt",
        lambda: _("You are invited to Waypoint"),
        url_for("auth.welcome", token=raw, _external=True),
        days=int(current_app.config["INVITE_TOKEN_DAYS"]),
    )


def _email_reset(user: User, raw: str) -> bool:
    return _send(
        user,
        "mail/password_reset_forced.txt",
        lambda: _("Reset your Waypoint password"),
        url_for("auth.reset_confirm", token=raw, _external=True),
        minutes=int(current_app.config["RESET_TOKEN_MINUTES"]),
    )


def _announce(sent: bool, user: User, *, reset: bool = False) -> None:
    """Say what happened, and whether the email went out."""
    name, email = user.display_name, user.email
    if reset:
        flash(
            _(
                "The password of %(name)s no longer works and every session has ended.",
                name=name,
            ),
            "success",
        )
    else:
        flash(_("Account created for %(name)s.", name=name), "success")
    if not sent:
        flash(
            _(
                "The email to %(email)s could not be sent. Try again later with "
                "“Force a password reset”.",
                email=email,
            ),
            "error",
        )
    elif reset:
        flash(_("A reset link went to %(email)s.", email=email), "success")
    else:
        flash(_("An invitation to choose a password went to %(email)s.", email=email), "success")


bp.register_blueprint(users_bp)
