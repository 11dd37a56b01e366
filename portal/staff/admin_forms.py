"""Forms of the administration area: staff accounts."""

from __future__ import annotations

from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ..formutils import PortalForm, choices, email_format, strip
from ..i18n import lazy_gettext as _l
from ..labels import ROLE_LABELS
from ..services.admin_users import ASSIGNABLE_ROLES


def _role_choices() -> list[tuple[str, object]]:
    return [(role, ROLE_LABELS[role]) for role in ASSIGNABLE_ROLES]


class AccountForm(PortalForm):
    """Name, role and supervisor: what an administrator edits on any staff account.

    The supervisor's choices (active supervisors) and the languages are set by the view.
    """

    display_name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Enter the person's name.")), Length(max=120)],
        filters=[strip],
    )
    role = SelectField(_l("Role"), choices=choices(_role_choices()))
    supervisor_id = SelectField(_l("Supervisor"), validate_choice=True)


class NewAccountForm(AccountForm):
    """A new staff account: the person chooses their own password from the invitation."""

    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(message=_l("Enter the person's email address.")),
            Length(max=254),
            email_format(),
        ],
        filters=[strip],
    )
    locale = SelectField(_l("Language of the emails and pages"), validate_choice=True)
