"""Account forms."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..auth.forms import NewPasswordForm
from ..formutils import PortalForm, email_format, strip
from ..i18n import lazy_gettext as _l


class ProfileForm(PortalForm):
    display_name = StringField(
        _l("Your name"),
        validators=[DataRequired(message=_l("Enter your name.")), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter your email address.")),
            Length(max=254),
            email_format(),
        ],
        filters=[strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )


class ReauthForm(PortalForm):
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code from your authenticator app"),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    next = HiddenField()


class MfaEnableForm(PortalForm):
    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(message=_l("Enter the 6-digit code your app shows."))],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class ButtonForm(PortalForm):
    """A button with a CSRF token."""


class ContactForm(PortalForm):
    """A client's own phone and email on their record (not the sign-in email)."""

    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=40)],
        filters=[strip],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    contact_email = EmailField(
        _l("Email for your care team"),
        validators=[Optional(), Length(max=254), email_format()],
        filters=[strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


class PreferencesForm(PortalForm):
    locale = SelectField(_l("Language"), validate_choice=True)
    notify_messages = BooleanField(_l("Email me when a message is waiting"))
    notify_reminders = BooleanField(_l("Email me a reminder before each appointment"))
