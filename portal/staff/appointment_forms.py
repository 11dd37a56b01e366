"""Forms of the staff calendar: an appointment, its outcome, the answer to a request."""

from __future__ import annotations

from typing import Any

from wtforms import (
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional

from ..formutils import PortalForm, choices, strip
from ..i18n import lazy_gettext as _l
from ..labels import APPOINTMENT_KIND_LABELS, CANCELLED_BY_LABELS


class _TimesMixin:
    # Required when a time is being booked; the view checks them (a decline needs none).
    day = DateField(_l("Date"), validators=[Optional()])
    start = TimeField(_l("Starts at"), validators=[Optional()])
    end = TimeField(_l("Ends at"), validators=[Optional()])
    staff_id = SelectField(_l("With"), coerce=int, validate_choice=True)
    location = StringField(_l("Place"), filters=[strip], validators=[Optional(), Length(max=300)])
    video_link = URLField(
        _l("Video link"),
        filters=[strip],
        validators=[
            Optional(),
            URL(require_tld=False, message=_l("Enter a full link, starting with https://.")),
            Length(max=500),
        ],
    )
    client_note = TextAreaField(
        _l("Note for the client"),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
    )
    overlap_reason = StringField(
        _l("Book it anyway, because"), filters=[strip], validators=[Optional(), Length(max=300)]
    )
    version = HiddenField()


class AppointmentForm(_TimesMixin, PortalForm):
    client_id = SelectField(_l("Client"), coerce=int, validate_choice=True)
    kind = SelectField(
        _l("Kind"), choices=choices(APPOINTMENT_KIND_LABELS.items()), default="office"
    )


class OutcomeForm(PortalForm):
    outcome = RadioField(
        _l("What happened"),
        choices=choices(
            [
                ("attended", _l("Attended")),
                ("no_show", _l("No-show")),
                ("cancelled", _l("Cancelled")),
            ]
        ),
        validators=[InputRequired(_l("Choose what happened."))],
    )
    cancelled_by = SelectField(
        _l("Cancelled by"),
        choices=choices([("", _l("Not cancelled")), *CANCELLED_BY_LABELS.items()]),
        validators=[Optional()],
    )
    reason = StringField(
        _l("Reason or comment"), filters=[strip], validators=[Optional(), Length(max=500)]
    )
    version = HiddenField()

    def validate(self, extra_validators: Any = None) -> bool:
        """A cancellation says who cancelled and why: both asked for at once."""
        valid = super().validate(extra_validators)
        if self.outcome.data == "cancelled":
            if not self.cancelled_by.data:
                self.cancelled_by.errors = [*self.cancelled_by.errors, _l("Say who cancelled.")]
                valid = False
            if not self.reason.data:
                self.reason.errors = [
                    *self.reason.errors,
                    _l("Give the reason for the cancellation."),
                ]
                valid = False
        return valid


class RequestAnswerForm(_TimesMixin, PortalForm):
    answer = RadioField(
        _l("Your answer"),
        choices=choices(
            [
                ("accept", _l("Book this time")),
                ("propose", _l("Propose this time to the client")),
                ("decline", _l("Decline")),
            ]
        ),
        default="accept",
        validators=[DataRequired(_l("Choose an answer."))],
    )
    message = TextAreaField(
        _l("Message to the client"),
        filters=[strip],
        validators=[Optional(), Length(max=2000)],
    )
