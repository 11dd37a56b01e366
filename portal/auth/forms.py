"""Sign-in, two-step, reset and sign-in-link forms."""

from __future__ import annotations

from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..formutils import PortalForm
from ..i18n import lazy_gettext as _l

EMAIL_ATTRS = {"autocomplete": "username", "inputmode": "email", "spellcheck": "false"}


def _email_field() -> EmailField:
    return EmailField(
        _l("Email"),
        validators=[DataRequired(message=_l("Enter your email address.")), Length(max=254)],
        render_kw=EMAIL_ATTRS,
    )


class LoginForm(PortalForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class LogoutForm(PortalForm):
    """Signing out changes state, so it is a POST with a CSRF token."""


class MfaForm(PortalForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(message=_l("Enter the code from your app or a recovery code."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class EmailForm(PortalForm):
    """Asks only for an address: reset requests and sign-in links."""

    email = _email_field()


class NewPasswordForm(PortalForm):
    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(message=_l("Enter a new password."))],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(message=_l("Enter the new password again.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ConfirmForm(PortalForm):
    """A button press with a CSRF token (sign-in links are used by a POST, not by opening them)."""
