"""Forms of the staff workspace."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional

from ..formutils import choices, email_format, strip
from ..i18n import agency_today
from ..labels import (
    CARE_TEAM_ROLE_LABELS,
    CLIENT_STATUS_LABELS,
    FAMILY_SCOPE_LABELS,
    RISK_LABELS,
)


def _not_in_future(_form: FlaskForm, field: DateField) -> None:
    if field.data is not None and field.data > agency_today():
        raise ValidationError(_l("The date of birth cannot be in the future."))
    if field.data is not None and field.data.year < 1900:
        raise ValidationError(_l("Check the year of the date of birth."))


def _not_in_past(_form: FlaskForm, field: DateField) -> None:
    if field.data is not None and field.data < agency_today():
        raise ValidationError(_l("The end date cannot be in the past."))


class ClientForm(FlaskForm):
    """Demographics and contact details: what intake asks and what an edit may change."""

    legal_name = StringField(
        _l("Legal name"),
        validators=[DataRequired(message=_l("Enter the legal name.")), Length(max=200)],
        filters=[strip],
    )
    preferred_name = StringField(
        _l("Preferred name"), validators=[Optional(), Length(max=120)], filters=[strip]
    )
    pronouns = StringField(_l("Pronouns"), validators=[Optional(), Length(max=40)], filters=[strip])
    date_of_birth = DateField(
        _l("Date of birth"),
        validators=[Optional(), _not_in_future],
    )
    preferred_language = SelectField(_l("Preferred language"))
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=40)],
        filters=[strip],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    email = EmailField(
        _l("Email"),
        validators=[
            Optional(),
            Length(max=254),
            email_format(),
        ],
        filters=[strip],
        render_kw={"autocomplete": "off"},
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)], filters=[strip])
    referral_source = StringField(
        _l("How referred"), validators=[Optional(), Length(max=200)], filters=[strip]
    )
    presenting_needs = TextAreaField(
        _l("Presenting needs"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 4}
    )


class IntakeForm(ClientForm):
    status = RadioField(
        _l("Start as"),
        choices=choices(
            [
                ("referred", CLIENT_STATUS_LABELS["referred"]),
                ("intake", CLIENT_STATUS_LABELS["intake"]),
            ]
        ),
        default="referred",
    )
    confirm_duplicate = BooleanField(_l("This is a different person: create a new record"))


class EditClientForm(ClientForm):
    version = HiddenField()


class ContactForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Enter a name.")), Length(max=200)],
        filters=[strip],
    )
    relationship_label = StringField(
        _l("Relationship"), validators=[Optional(), Length(max=80)], filters=[strip]
    )
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=40)],
        filters=[strip],
        render_kw={"inputmode": "tel"},
    )
    notes = StringField(_l("Notes"), validators=[Optional(), Length(max=300)], filters=[strip])
    version = HiddenField()


class StatusForm(FlaskForm):
    # Any status may be posted; the lifecycle (not the form) says which change is legal.
    to_status = SelectField(_l("New status"), validators=[DataRequired()], validate_choice=False)
    effective_on = DateField(
        _l("Date"), validators=[DataRequired(message=_l("Enter the date."))], default=agency_today
    )
    reason = TextAreaField(
        _l("Reason"), validators=[Optional(), Length(max=500)], render_kw={"rows": 2}
    )
    followups = TextAreaField(
        _l("Follow-up appointments to book"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"rows": 2},
    )
    resources = TextAreaField(
        _l("Resources"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )
    crisis_contact = StringField(
        _l("Who to call in a crisis"), validators=[Optional(), Length(max=300)]
    )


class RiskForm(FlaskForm):
    level = RadioField(
        _l("Risk level"),
        choices=choices(RISK_LABELS.items()),
        validators=[DataRequired(message=_l("Choose a risk level."))],
    )
    reason = TextAreaField(
        _l("Why"),
        validators=[DataRequired(message=_l("Say why the risk level is set.")), Length(max=500)],
        render_kw={"rows": 2},
    )


class CareTeamForm(FlaskForm):
    user_id = SelectField(
        _l("Staff member"),
        coerce=int,
        validators=[DataRequired(message=_l("Choose a staff member."))],
    )
    role_label = SelectField(_l("Role on the team"), choices=choices(CARE_TEAM_ROLE_LABELS.items()))


class PrimaryForm(FlaskForm):
    case_manager_id = SelectField(
        _l("Primary case manager"), coerce=int, validators=[DataRequired()]
    )


class PortalInviteForm(FlaskForm):
    email = EmailField(
        _l("Client's email"),
        validators=[
            DataRequired(message=_l("Enter the client's email address.")),
            Length(max=254),
            email_format(),
        ],
        filters=[strip],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ConsentForm(FlaskForm):
    family_name = StringField(
        _l("Family member's name"),
        validators=[DataRequired(message=_l("Enter the family member's name.")), Length(max=120)],
        filters=[strip],
    )
    family_email = EmailField(
        _l("Family member's email"),
        validators=[
            DataRequired(message=_l("Enter the family member's email address.")),
            Length(max=254),
            email_format(),
        ],
        filters=[strip],
    )
    relationship_label = StringField(
        _l("Relationship to the client"),
        validators=[
            DataRequired(message=_l("Enter the relationship, for example Mother or Friend.")),
            Length(max=80),
        ],
        filters=[strip],
    )
    scopes = MultiCheckboxField(
        _l("What the client agrees to share"),
        choices=choices(FAMILY_SCOPE_LABELS.items()),
        validators=[DataRequired(message=_l("Choose at least one thing to share."))],
    )
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=200)], filters=[strip])
    expires_on = DateField(_l("Until (optional)"), validators=[Optional(), _not_in_past])


class EmergencyAccessForm(FlaskForm):
    record_number = StringField(
        _l("Record number"), validators=[Optional(), Length(max=20)], filters=[strip]
    )
    legal_name = StringField(
        _l("Legal name"), validators=[Optional(), Length(max=200)], filters=[strip]
    )
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])
    reason = TextAreaField(
        _l("Why you need this record now"),
        validators=[
            DataRequired(message=_l("Say why you need the record.")),
            Length(min=10, max=500, message=_l("Say a little more (at least 10 characters).")),
        ],
        render_kw={"rows": 3},
    )


class TaskForm(FlaskForm):
    title = StringField(
        _l("Task"),
        validators=[DataRequired(message=_l("Describe the task.")), Length(max=200)],
        filters=[strip],
    )
    due_on = DateField(_l("Due"), validators=[Optional()])


class ButtonForm(FlaskForm):
    """A button with a CSRF token."""
