"""Forms for secure messages (the client's, the family's and the team's)."""

from __future__ import annotations

from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..formutils import PortalForm, strip
from ..i18n import lazy_gettext as _l


class NewThreadForm(PortalForm):
    subject = StringField(
        _l("Subject"),
        filters=[strip],
        validators=[DataRequired(_l("Write a few words about what it is about.")), Length(max=200)],
    )
    body = TextAreaField(
        _l("Your message"),
        filters=[strip],
        validators=[DataRequired(_l("Write your message.")), Length(max=5000)],
    )


class FamilyThreadForm(NewThreadForm):
    client_id = SelectField(_l("About"), coerce=int, validate_choice=True)


class ReplyForm(PortalForm):
    body = TextAreaField(
        _l("Your answer"),
        filters=[strip],
        validators=[DataRequired(_l("Write your message.")), Length(max=5000)],
    )
