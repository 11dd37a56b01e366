"""Forms of the client's goals page."""

from __future__ import annotations

from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..formutils import PortalForm, choices, strip
from ..i18n import lazy_gettext as _l


class ProgressForm(PortalForm):
    rating = RadioField(
        _l("How close am I? (0 = just starting, 10 = there)"),
        choices=choices((str(n), str(n)) for n in range(11)),
        validators=[InputRequired(_l("Choose a number from 0 to 10."))],
    )
    comment = TextAreaField(
        _l("Anything you want to add? (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=1000)],
    )


class ProposalForm(PortalForm):
    goal_key = SelectField(_l("What is it?"), validate_choice=True)
    text = TextAreaField(
        _l("In your own words"),
        filters=[strip],
        validators=[DataRequired(_l("Write a few words.")), Length(max=2000)],
    )
