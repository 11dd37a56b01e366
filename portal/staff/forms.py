"""Forms of the staff workspace."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    DecimalField,
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
    widgets,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from ..formutils import PortalForm, choices, email_format, strip
from ..i18n import agency_today
from ..labels import (
    CARE_TEAM_ROLE_LABELS,
    CLIENT_STATUS_LABELS,
    CONTACT_TYPE_LABELS,
    CRISIS_ACTION_LABELS,
    CRISIS_OUTCOME_LABELS,
    DOCUMENT_KIND_LABELS,
    FAMILY_SCOPE_LABELS,
    GOAL_STATUS_LABELS,
    LIFE_DOMAIN_LABELS,
    NOTE_FORMAT_LABELS,
    RESOURCE_CATEGORY_LABELS,
    RISK_LABELS,
    TASK_KIND_LABELS,
)


def _not_in_future(_form: PortalForm, field: DateField) -> None:
    if field.data is not None and field.data > agency_today():
        raise ValidationError(_l("The date of birth cannot be in the future."))
    if field.data is not None and field.data.year < 1900:
        raise ValidationError(_l("Check the year of the date of birth."))


def _not_in_past(_form: PortalForm, field: DateField) -> None:
    if field.data is not None and field.data < agency_today():
        raise ValidationError(_l("The end date cannot be in the past."))


class ClientForm(PortalForm):
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


class ContactForm(PortalForm):
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


class StatusForm(PortalForm):
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


class RiskForm(PortalForm):
    level = RadioField(
        _l("Risk level"),
        choices=choices(RISK_LABELS.items()),
        validators=[DataRequired(message=_l("Choose a risk level."))],
    )
    reason = TextAreaField(
        _l("Why"),
        validators=[DataRequired(message=_l("Say why the risk level is set.")), Length(max=500)],
        render_kw={"rows": 2},
        # Its own id: the status form beside it on the page has a "reason" too.
        id="risk-reason",
    )


class CareTeamForm(PortalForm):
    # The choices are the staff a search found (or, on a post, the one person chosen if they
    # may still join): never the whole staff.
    user_id = RadioField(
        _l("Staff member"),
        coerce=int,
        choices=[],
        validators=[DataRequired(message=_l("Choose a staff member."))],
    )
    role_label = SelectField(_l("Role on the team"), choices=choices(CARE_TEAM_ROLE_LABELS.items()))


class PrimaryForm(PortalForm):
    case_manager_id = SelectField(
        _l("Primary case manager"), coerce=int, validators=[DataRequired()]
    )


class PortalInviteForm(PortalForm):
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


class ConsentForm(PortalForm):
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


class EmergencyAccessForm(PortalForm):
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


class TaskForm(PortalForm):
    title = StringField(
        _l("Task"),
        validators=[DataRequired(message=_l("Describe the task.")), Length(max=200)],
        filters=[strip],
    )
    kind = SelectField(_l("Kind"), choices=choices(TASK_KIND_LABELS.items()), default="follow_up")
    due_on = DateField(_l("Due"), validators=[Optional()])
    assignee_id = SelectField(_l("Assigned to"), coerce=int, validate_choice=True)
    checklist = TextAreaField(
        _l("Checklist (one step per line)"),
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 4},
    )
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)], filters=[strip])


class TaskStepForm(PortalForm):
    text = StringField(
        _l("New step"),
        validators=[DataRequired(message=_l("Describe the step.")), Length(max=300)],
        filters=[strip],
    )


class ButtonForm(PortalForm):
    """A button with a CSRF token."""


# --- care plans ------------------------------------------------------------------------------


def _progress_field(label: Any, *, required: bool = True) -> IntegerField:
    return IntegerField(
        label,
        default=None if required else 0,
        validators=[
            InputRequired(message=_l("Enter a number from 0 to 100.")) if required else Optional(),
            NumberRange(min=0, max=100, message=_l("Enter a number from 0 to 100.")),
        ],
        render_kw={"inputmode": "numeric", "min": 0, "max": 100},
    )


class GoalForm(PortalForm):
    description = TextAreaField(
        _l("Goal, in the client's own words"),
        validators=[DataRequired(message=_l("Write the goal.")), Length(max=2000)],
        filters=[strip],
        render_kw={"rows": 2},
    )
    domain = SelectField(_l("Life domain"), choices=choices(LIFE_DOMAIN_LABELS.items()))
    target_date = DateField(_l("Target date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=choices(GOAL_STATUS_LABELS.items()))
    # A new goal starts at 0 unless the writer says otherwise.
    progress = _progress_field(_l("Progress (0–100%)"), required=False)
    version = HiddenField()


class ObjectiveForm(PortalForm):
    description = TextAreaField(
        _l("Objective: a measurable step"),
        validators=[DataRequired(message=_l("Describe the step.")), Length(max=2000)],
        filters=[strip],
        render_kw={"rows": 2},
    )
    target_date = DateField(_l("Target date"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=choices(GOAL_STATUS_LABELS.items()))
    version = HiddenField()


class InterventionForm(PortalForm):
    description = TextAreaField(
        _l("Intervention: what will be done"),
        validators=[DataRequired(message=_l("Describe the intervention.")), Length(max=2000)],
        filters=[strip],
        render_kw={"rows": 2},
    )
    responsible = StringField(_l("Who"), validators=[Optional(), Length(max=200)], filters=[strip])
    frequency = StringField(
        _l("How often"), validators=[Optional(), Length(max=200)], filters=[strip]
    )
    version = HiddenField()


def _after_today(_form: PortalForm, field: DateField) -> None:
    if field.data is not None and field.data <= agency_today():
        raise ValidationError(_l("The review date must be after today."))


class SignPlanForm(PortalForm):
    review_due_on = DateField(
        _l("Review due"),
        validators=[InputRequired(message=_l("Enter the review date.")), _after_today],
    )
    confirm = BooleanField(
        _l("I have gone through this plan with the client and sign it."),
        validators=[DataRequired(message=_l("Confirm that you sign the plan."))],
    )


def _not_after_today(_form: PortalForm, field: DateField) -> None:
    if field.data is not None and field.data > agency_today():
        raise ValidationError(_l("The date cannot be in the future."))


class ProgressForm(PortalForm):
    recorded_on = DateField(
        _l("Date"),
        validators=[InputRequired(message=_l("Enter the date.")), _not_after_today],
    )
    rating = _progress_field(_l("Progress towards the goal (0–100%)"))
    comment = TextAreaField(
        _l("Comment"),
        validators=[Optional(), Length(max=2000)],
        filters=[strip],
        render_kw={"rows": 2},
    )


# --- progress notes ------------------------------------------------------------------------


class NoteForm(PortalForm):
    """The note editor. Autosave keeps whatever is valid; signing needs it all."""

    known_goal_keys: set[str] = set()

    note_id = HiddenField()
    version = HiddenField()
    contact_at = DateTimeLocalField(
        _l("Date and time of the contact"), format="%Y-%m-%dT%H:%M", validators=[Optional()]
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=24 * 60, message=_l("Enter the minutes, from 1 to 1440.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    contact_type = SelectField(_l("Contact type"), choices=choices(CONTACT_TYPE_LABELS.items()))
    format = SelectField(_l("Note format"), choices=choices(NOTE_FORMAT_LABELS.items()))
    location = StringField(
        _l("Location of the home visit"), validators=[Optional(), Length(max=300)], filters=[strip]
    )
    mileage = DecimalField(
        _l("Mileage (miles driven)"),
        places=1,
        validators=[
            Optional(),
            NumberRange(min=0, max=2000, message=_l("Enter the miles, from 0 to 2000.")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    goal_keys = SelectMultipleField(
        _l("Goals worked on"),
        choices=[],
        validate_choice=False,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    data = TextAreaField(render_kw={"rows": 5})
    assessment = TextAreaField(render_kw={"rows": 5})
    plan = TextAreaField(render_kw={"rows": 4})
    subjective = TextAreaField(render_kw={"rows": 5})
    objective = TextAreaField(render_kw={"rows": 5})
    behavior = TextAreaField(render_kw={"rows": 5})
    intervention = TextAreaField(render_kw={"rows": 5})
    response = TextAreaField(render_kw={"rows": 4})
    narrative = TextAreaField(render_kw={"rows": 10})
    password = PasswordField(
        _l("Your password, to sign"), render_kw={"autocomplete": "current-password"}
    )


class AddendumForm(PortalForm):
    text = TextAreaField(
        _l("Addendum"),
        validators=[DataRequired(message=_l("Write the addendum.")), Length(max=5000)],
        filters=[strip],
        render_kw={"rows": 4},
    )


class DocumentForm(PortalForm):
    file = FileField(
        _l("File (PDF, PNG or JPEG, up to 10 MB)"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
        render_kw={"accept": "application/pdf,image/png,image/jpeg"},
    )
    kind = SelectField(_l("Type of document"), choices=choices(DOCUMENT_KIND_LABELS.items()))
    description = StringField(
        _l("Description"), validators=[Optional(), Length(max=300)], filters=[strip]
    )


# --- team meetings -------------------------------------------------------------------------


class DiscussionForm(Form):
    """One client discussed at a meeting: a row of the meeting form."""

    client_id = SelectField(_l("Client"), coerce=int, validate_choice=False)
    text = TextAreaField(
        _l("What was discussed and decided about this client"),
        validators=[Optional(), Length(max=5000)],
        filters=[strip],
        render_kw={"rows": 3},
    )


class FollowUpForm(Form):
    title = StringField(_l("Follow-up"), validators=[Optional(), Length(max=200)], filters=[strip])
    client_id = SelectField(_l("About"), coerce=int, validate_choice=False)
    assignee_id = SelectField(_l("Who"), coerce=int, validate_choice=False)
    due_on = DateField(_l("Due"), validators=[Optional()])


class MeetingForm(PortalForm):
    held_at = DateTimeLocalField(
        _l("Date and time"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Enter when the meeting took place."))],
    )
    duration_minutes = IntegerField(
        _l("Duration (minutes)"),
        validators=[
            InputRequired(message=_l("Enter how long the meeting took.")),
            NumberRange(min=1, max=24 * 60, message=_l("Enter the minutes, from 1 to 1440.")),
        ],
    )
    title = StringField(
        _l("Meeting"),
        validators=[DataRequired(message=_l("Give the meeting a name.")), Length(max=200)],
        filters=[strip],
    )
    attendee_ids = SelectMultipleField(
        _l("Who attended"),
        coerce=int,
        validate_choice=False,
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    decisions = TextAreaField(
        _l("Decisions for the whole team"),
        validators=[Optional(), Length(max=5000)],
        filters=[strip],
        render_kw={"rows": 3},
    )
    discussions = FieldList(FormField(DiscussionForm), min_entries=4, max_entries=12)
    follow_ups = FieldList(FormField(FollowUpForm), min_entries=3, max_entries=12)
    password = PasswordField(
        _l("Your password, to sign the notes"),
        validators=[InputRequired(message=_l("Enter your password to sign."))],
        render_kw={"autocomplete": "current-password"},
    )


# --- crisis and safety plans ---------------------------------------------------------------


class CrisisForm(PortalForm):
    occurred_at = DateTimeLocalField(
        _l("When"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(message=_l("Enter when it happened."))],
    )
    what_happened = TextAreaField(
        _l("What happened"),
        validators=[DataRequired(message=_l("Say what happened.")), Length(max=5000)],
        filters=[strip],
        render_kw={"rows": 4},
    )
    risk_level = RadioField(
        _l("Risk now"),
        choices=choices(RISK_LABELS.items()),
        validators=[InputRequired(message=_l("Choose the risk level."))],
    )
    risk_notes = TextAreaField(
        _l("Risk assessment notes"),
        validators=[Optional(), Length(max=5000)],
        filters=[strip],
        render_kw={"rows": 3},
    )
    actions = SelectMultipleField(
        _l("Actions taken"),
        choices=choices(CRISIS_ACTION_LABELS.items()),
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    actions_other = StringField(
        _l("Other action"), validators=[Optional(), Length(max=300)], filters=[strip]
    )
    outcome = SelectField(_l("Outcome"), choices=choices(CRISIS_OUTCOME_LABELS.items()))
    outcome_notes = TextAreaField(
        _l("Outcome notes"),
        validators=[Optional(), Length(max=5000)],
        filters=[strip],
        render_kw={"rows": 2},
    )
    follow_up_due = DateField(_l("Follow up by"), validators=[Optional()])


class ResolveCrisisForm(PortalForm):
    resolution = TextAreaField(
        _l("How it was resolved"),
        validators=[DataRequired(message=_l("Say how the crisis was resolved.")), Length(max=5000)],
        filters=[strip],
        render_kw={"rows": 3},
    )


class SafetyItemForm(PortalForm):
    section = HiddenField()
    version = HiddenField()
    text = StringField(
        _l("Item"),
        validators=[DataRequired(message=_l("Write the item.")), Length(max=300)],
        filters=[strip],
    )
    phone = StringField(
        _l("Phone (optional)"),
        validators=[Optional(), Length(max=40)],
        filters=[strip],
        render_kw={"inputmode": "tel"},
    )


# --- resources and referrals ----------------------------------------------------------------


class ResourceForm(PortalForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Enter the name.")), Length(max=200)],
        filters=[strip],
    )
    category = SelectField(_l("Category"), choices=choices(RESOURCE_CATEGORY_LABELS.items()))
    description = TextAreaField(
        _l("What they offer"), validators=[Optional(), Length(max=5000)], filters=[strip]
    )
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)], filters=[strip])
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=40)],
        filters=[strip],
        render_kw={"inputmode": "tel"},
    )
    website = URLField(
        _l("Website"),
        validators=[
            Optional(),
            Length(max=300),
            URL(message=_l("Enter a web address like https://example.org.")),
        ],
        filters=[strip],
    )
    hours = StringField(_l("Hours"), validators=[Optional(), Length(max=300)], filters=[strip])
    languages = SelectMultipleField(
        _l("Languages served"),
        choices=[],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    eligibility = TextAreaField(
        _l("Who is eligible"), validators=[Optional(), Length(max=2000)], filters=[strip]
    )
    cost = StringField(_l("Cost"), validators=[Optional(), Length(max=200)], filters=[strip])
    walk_ins = BooleanField(_l("Accepts walk-ins"))
    last_verified_on = DateField(_l("Details last checked on"), validators=[Optional()])
    version = HiddenField()


class ImportForm(PortalForm):
    file = FileField(
        _l("CSV file"),
        validators=[FileRequired(message=_l("Choose a CSV file."))],
        render_kw={"accept": ".csv,text/csv"},
    )


class ReferralForm(PortalForm):
    resource_id = SelectField(_l("Resource"), coerce=int, validate_choice=False)
    client_id = SelectField(_l("Client"), coerce=int, validate_choice=False)
    reason = TextAreaField(
        _l("Why this referral"),
        validators=[DataRequired(message=_l("Say why you refer the client.")), Length(max=2000)],
        filters=[strip],
        render_kw={"rows": 3},
    )
    goal_key = SelectField(_l("Goal it serves"), validate_choice=False)
    follow_up_on = DateField(_l("Follow up by"), validators=[Optional()])


class ReferralMoveForm(PortalForm):
    to_status = HiddenField()
    version = HiddenField()
    note = TextAreaField(
        _l("Note (a reason is needed to decline or cancel)"),
        validators=[Optional(), Length(max=2000)],
        filters=[strip],
        render_kw={"rows": 2},
    )
    outcome = TextAreaField(
        _l("Outcome"),
        validators=[Optional(), Length(max=2000)],
        filters=[strip],
        render_kw={"rows": 2},
    )
    follow_up_on = DateField(_l("Next follow-up"), validators=[Optional()])
