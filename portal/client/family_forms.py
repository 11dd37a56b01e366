"""Forms of the client's "who can see what" page."""

from __future__ import annotations

from wtforms import (
    DateField,
    EmailField,
    SelectMultipleField,
    StringField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from ..formutils import PortalForm, choices, email_format, strip
from ..i18n import agency_today
from ..i18n import lazy_gettext as _l
from ..labels import FAMILY_SCOPE_LABELS


def _not_in_past(_form: PortalForm, field: DateField) -> None:
    if field.data is not None and field.data < agency_today():
        raise ValidationError(_l("Choose a date from today on."))


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _scopes_field() -> _Checkboxes:
    return _Checkboxes(
        _l("What they can see"),
        choices=choices(FAMILY_SCOPE_LABELS.items()),
        validators=[DataRequired(message=_l("Choose at least one thing to share."))],
    )


def _until_field() -> DateField:
    return DateField(_l("Until (optional)"), validators=[Optional(), _not_in_past])


class InviteForm(PortalForm):
    name = StringField(
        _l("Their name"),
        filters=[strip],
        validators=[DataRequired(_l("Write their name.")), Length(max=120)],
    )
    email = EmailField(
        _l("Their email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Write their email address.")),
            Length(max=254),
            email_format(),
        ],
    )
    relationship_label = StringField(
        _l("Who they are to you"),
        filters=[strip],
        validators=[DataRequired(_l("For example: mother, brother, friend.")), Length(max=80)],
    )
    scopes = _scopes_field()
    expires_on = _until_field()


class ScopesForm(PortalForm):
    scopes = _scopes_field()
    expires_on = _until_field()
