"""Forms of the client's appointments page: ask for one, move one, cancel one, answer."""

from __future__ import annotations

from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..formutils import PortalForm, choices, strip
from ..i18n import lazy_gettext as _l
from ..labels import APPOINTMENT_KIND_LABELS

CLIENT_KINDS = ("office", "home_visit", "telehealth", "phone")


class RequestForm(PortalForm):
    kind = SelectField(
        _l("How would you like to meet?"),
        choices=choices((k, APPOINTMENT_KIND_LABELS[k]) for k in CLIENT_KINDS),
        default="office",
    )
    reason = TextAreaField(
        _l("What would you like to talk about?"),
        filters=[strip],
        validators=[
            DataRequired(_l("Tell us a few words about why, so we can plan the time.")),
            Length(max=2000),
        ],
    )
    preferred_1 = DateTimeLocalField(
        _l("A time that suits you"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=[DataRequired(_l("Give at least one day and time that suits you."))],
    )
    preferred_2 = DateTimeLocalField(
        _l("Another time (optional)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=[Optional()],
    )
    preferred_3 = DateTimeLocalField(
        _l("A third time (optional)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        validators=[Optional()],
    )


class CancelForm(PortalForm):
    reason = StringField(
        _l("Why can't you come? (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=500)],
    )


class ProposalAnswerForm(PortalForm):
    answer = HiddenField()
    version = HiddenField()
    message = TextAreaField(
        _l("Message to your care team (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
    )
