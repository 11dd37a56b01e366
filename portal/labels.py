"""Human labels for stored codes, translated when shown."""

from __future__ import annotations

from typing import Any

from .i18n import gettext as _
from .i18n import lazy_gettext as _l

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "supervisor": _l("Supervisor"),
    "case_manager": _l("Case manager"),
    "care_team": _l("Care team"),
    "client": _l("Client"),
    "family": _l("Family member"),
}

CLIENT_STATUS_LABELS = {
    "referred": _l("Referred"),
    "intake": _l("Intake"),
    "active": _l("Active"),
    "on_hold": _l("On hold"),
    "discharged": _l("Discharged"),
}

FAMILY_SCOPE_LABELS = {
    "materials": _l("Education materials"),
    "appointments": _l("Appointments"),
    "goals": _l("Goals"),
    "safety_plan": _l("Safety plan"),
}

RISK_LABELS = {
    "low": _l("Low"),
    "moderate": _l("Moderate"),
    "high": _l("High"),
}

GOAL_STATUS_LABELS = {
    "not_started": _l("Not started"),
    "in_progress": _l("In progress"),
    "achieved": _l("Achieved"),
    "discontinued": _l("Discontinued"),
}

PLAN_STATUS_LABELS = {
    "draft": _l("Draft"),
    "awaiting_approval": _l("Signed, awaiting approval"),
    "active": _l("In force"),
    "superseded": _l("Replaced by a later version"),
}

LIFE_DOMAIN_LABELS = {
    "mental_health": _l("Mental health"),
    "housing": _l("Housing"),
    "employment": _l("Employment"),
    "education": _l("Education"),
    "income": _l("Income and benefits"),
    "physical_health": _l("Physical health"),
    "substance_use": _l("Substance use"),
    "legal": _l("Legal"),
    "social_support": _l("Social support"),
    "transportation": _l("Transportation"),
    "daily_living": _l("Daily living"),
}

CONTACT_TYPE_LABELS = {
    "office": _l("Office visit"),
    "phone": _l("Phone call"),
    "video": _l("Video call"),
    "home_visit": _l("Home visit"),
    "collateral": _l("Collateral contact"),
    "team_meeting": _l("Team meeting"),
    "crisis": _l("Crisis contact"),
}

NOTE_FORMAT_LABELS = {
    "dap": _l("DAP (data, assessment, plan)"),
    "soap": _l("SOAP (subjective, objective, assessment, plan)"),
    "birp": _l("BIRP (behavior, intervention, response, plan)"),
    "narrative": _l("Narrative"),
}

# Each section of a note format: its label and a hint for the writer.
SECTION_LABELS = {
    "data": (_l("Data"), _l("What you saw and heard: facts, the client's words, what happened.")),
    "assessment": (_l("Assessment"), _l("What it means: progress, risk, your clinical view.")),
    "plan": (_l("Plan"), _l("What happens next, who does it, and when.")),
    "subjective": (_l("Subjective"), _l("What the client reports, in their words.")),
    "objective": (_l("Objective"), _l("What you observed: appearance, behavior, measures.")),
    "behavior": (_l("Behavior"), _l("The client's presentation and what they said or did.")),
    "intervention": (_l("Intervention"), _l("What you did: skills taught, support, referrals.")),
    "response": (_l("Response"), _l("How the client responded to the intervention.")),
    "narrative": (_l("Note"), _l("What happened in this contact and what comes next.")),
}

TASK_KIND_LABELS = {
    "disability": _l("Disability application (SSI/SSDI)"),
    "insurance": _l("Insurance (Medicaid)"),
    "housing": _l("Housing application"),
    "release": _l("Release of information"),
    "follow_up": _l("Follow-up"),
    "other": _l("Other"),
}

DOCUMENT_KIND_LABELS = {
    "consent": _l("Consent form"),
    "release": _l("Release of information"),
    "id": _l("Identification"),
    "benefits": _l("Benefits letter"),
    "medical": _l("Medical record"),
    "housing": _l("Housing document"),
    "letter": _l("Letter"),
    "other": _l("Other"),
}

CRISIS_ACTION_LABELS = {
    "safety_planning": _l("Safety planning"),
    "mobile_crisis": _l("Mobile crisis team"),
    "called_988": _l("Called 988"),
    "emergency_department": _l("Emergency department"),
    "welfare_check": _l("Police welfare check"),
    "other": _l("Other"),
}

CRISIS_OUTCOME_LABELS = {
    "safe_at_home": _l("Safe at home"),
    "stayed_with_support": _l("Stayed with a support person"),
    "emergency_department": _l("Went to the emergency department"),
    "hospital_admission": _l("Admitted to hospital"),
    "other": _l("Other"),
}

# The safety plan's sections, in the client's voice, with a prompt for each.
SAFETY_SECTION_LABELS = {
    "warning_signs": (
        _l("Signs that a crisis may be coming"),
        _l("Thoughts, feelings, situations or behaviour that tell me I am heading for a crisis."),
    ),
    "coping": (
        _l("Things I can do on my own to feel better"),
        _l("Ways to take my mind off things without asking anyone else."),
    ),
    "distraction": (
        _l("People and places that help me feel better"),
        _l("Who I can be with and where I can go to be among others."),
    ),
    "help_people": (
        _l("People I can ask for help"),
        _l("Family members or friends I can tell that I need help."),
    ),
    "professionals": (
        _l("Professionals and services I can call"),
        _l("My clinicians, the agency and crisis lines, any time of day."),
    ),
    "safe_environment": (
        _l("Making where I am safer"),
        _l("Steps to keep things I could use to hurt myself out of reach."),
    ),
    "reasons": (
        _l("My reasons for living"),
        _l("What matters most to me and is worth living for."),
    ),
}

RESOURCE_CATEGORY_LABELS = {
    "housing": _l("Housing"),
    "employment": _l("Employment"),
    "education": _l("Education"),
    "food": _l("Food"),
    "benefits": _l("Benefits"),
    "legal": _l("Legal help"),
    "substance_use": _l("Substance use"),
    "support_group": _l("Support group"),
    "therapy": _l("Therapy"),
    "psychiatry": _l("Psychiatry"),
    "primary_care": _l("Primary care"),
    "crisis": _l("Crisis services"),
    "transportation": _l("Transportation"),
}

REFERRAL_STATUS_LABELS = {
    "proposed": _l("Proposed"),
    "sent": _l("Sent"),
    "accepted": _l("Accepted"),
    "completed": _l("Completed"),
    "declined": _l("Declined"),
    "cancelled": _l("Cancelled"),
}

# What a referral's status means to the client, and what they can do next.
REFERRAL_STATUS_FOR_CLIENT = {
    "proposed": (
        _l("Your case manager suggested this"),
        _l("Talk it over at your next visit, or message your case manager."),
    ),
    "sent": (
        _l("Your case manager has contacted them"),
        _l("They may call you. You can also call them yourself."),
    ),
    "accepted": (
        _l("They said yes"),
        _l("Go or call at the hours below, and bring what they ask for."),
    ),
    "completed": (_l("Done"), _l("Tell your case manager how it went.")),
    "declined": (
        _l("They could not help this time"),
        _l("Your case manager will look for another option."),
    ),
    "cancelled": (_l("No longer needed"), _l("Nothing to do.")),
}

APPOINTMENT_KIND_LABELS = {
    "office": _l("Office visit"),
    "home_visit": _l("Home visit"),
    "telehealth": _l("Video call"),
    "phone": _l("Phone call"),
    "group": _l("Group session"),
}

APPOINTMENT_STATUS_LABELS = {
    "scheduled": _l("Scheduled"),
    "attended": _l("Attended"),
    "no_show": _l("No-show"),
    "cancelled": _l("Cancelled"),
}

CANCELLED_BY_LABELS = {
    "client": _l("Cancelled by the client"),
    "staff": _l("Cancelled by staff"),
}

REQUEST_STATUS_LABELS = {
    "pending": _l("Waiting for an answer"),
    "proposed": _l("Another time proposed"),
    "accepted": _l("Booked"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
}

# What a request's state means to the client who sent it.
REQUEST_STATUS_FOR_CLIENT = {
    "pending": _l("Your care team has your request and will answer soon."),
    "proposed": _l("Your care team suggested another time. Does it suit you?"),
    "accepted": _l("Your appointment is booked."),
    "declined": _l("Your care team could not book this. Read their message below."),
    "withdrawn": _l("You withdrew this request."),
}

IMPORT_PROBLEM_LABELS = {
    "no_name": _l("the name is empty"),
    "bad_category": _l("the category is not one of the directory's"),
    "bad_language": _l("a language code is not one the app knows"),
    "bad_date": _l("the verification date is not a date like 2026-03-31"),
    "unknown_id": _l("the id matches no entry"),
    "bad_yes_no:walk_ins": _l("walk_ins is not yes or no"),
    "bad_yes_no:active": _l("active is not yes or no"),
}

CARE_TEAM_ROLE_LABELS = {
    "psychiatrist": _l("Psychiatrist"),
    "nurse": _l("Nurse"),
    "therapist": _l("Therapist"),
    "peer_specialist": _l("Peer specialist"),
    "case_manager": _l("Case manager"),
    "other": _l("Other"),
}

# Languages a client may prefer (services are offered in more languages than the portal).
CLIENT_LANGUAGES = ("en", "es", "vi", "zh", "ar", "fr", "ht", "ru", "ko", "so", "pt", "tl")


def care_team_role(code: str) -> str:
    """The translated label of a care-team role; unknown codes are shown as stored."""
    label = CARE_TEAM_ROLE_LABELS.get(code)
    return str(label) if label is not None else code


# A timeline line per (action, object type) of the audit log, when nothing more specific applies.
ACTIVITY_LABELS = {
    ("create", "client"): _l("Record created"),
    ("update", "client"): _l("Details changed"),
    ("care_team_change", "care_team_member"): _l("Care team changed"),
    ("care_team_change", "client"): _l("Primary case manager changed"),
    ("create", "emergency_contact"): _l("Emergency contact added"),
    ("update", "emergency_contact"): _l("Emergency contact changed"),
    ("delete", "emergency_contact"): _l("Emergency contact removed"),
    ("consent_change", "family_access"): _l("Family access changed"),
    ("portal_invite", "user"): _l("Portal invitation sent"),
    ("portal_disable", "user"): _l("Portal account turned off"),
    ("emergency_access", "emergency_access"): _l("Emergency access opened"),
    ("emergency_review", "emergency_access"): _l("Emergency access reviewed"),
    ("create", "task"): _l("Task added"),
    ("create", "assessment"): _l("Assessment completed"),
    ("update", "task"): _l("Task done"),
    ("create", "care_plan"): _l("Care plan draft started"),
    ("update", "care_plan"): _l("Care plan draft edited"),
    ("sign", "care_plan"): _l("Care plan signed"),
    ("approve", "care_plan"): _l("Care plan approved"),
    ("acknowledge", "care_plan"): _l("Care plan acknowledged by the client"),
    ("create", "goal_progress"): _l("Goal progress recorded"),
    ("sign", "progress_note"): _l("Note signed"),
    ("create", "document"): _l("Document uploaded"),
    ("export", "document"): _l("Document downloaded"),
    ("delete", "document"): _l("Document removed"),
    ("create", "team_meeting"): _l("Discussed at a team meeting"),
    ("create", "crisis_event"): _l("Crisis recorded"),
    ("update", "crisis_event"): _l("Crisis resolved"),
    ("create", "safety_plan"): _l("Safety plan started"),
    ("update", "safety_plan"): _l("Safety plan changed"),
    ("create", "referral"): _l("Referral proposed"),
    ("create", "goal_proposal"): _l("Goal or step proposed by the client"),
    ("update", "goal_proposal"): _l("The client's proposal answered"),
    ("create", "appointment"): _l("Appointment scheduled"),
    ("update", "appointment"): _l("Appointment changed"),
    ("create", "appointment_request"): _l("Appointment requested by the client"),
    ("update", "appointment_request"): _l("Appointment request answered"),
}


def activity_label(event: Any) -> str:
    """A timeline line for an audit event of a client record, in the reader's language."""
    action, kind, detail = event.action, event.object_type, event.detail or ""
    if action == "status_change" and "->" in detail:
        before, after = detail.split("->", 1)
        return _(
            "Status changed from %(before)s to %(after)s",
            before=CLIENT_STATUS_LABELS.get(before, before),
            after=CLIENT_STATUS_LABELS.get(after, after),
        )
    if action == "risk_change":
        return _("Risk level set to %(level)s", level=RISK_LABELS.get(detail, detail))
    if action == "update" and kind == "referral" and "->" in detail:
        before, after = detail.split("->", 1)
        return _(
            "Referral moved from %(before)s to %(after)s",
            before=REFERRAL_STATUS_LABELS.get(before, before),
            after=REFERRAL_STATUS_LABELS.get(after, after),
        )
    if kind == "message":
        if detail.endswith(" team"):
            return _("Message sent to the client")
        if detail.endswith(" family"):
            return _("Note from a family member")
        return _("Message from the client")
    if kind == "appointment" and detail.startswith("scheduled->"):
        outcome = detail.split("->", 1)[1].split(" ")[0]
        return _(
            "Appointment outcome: %(outcome)s",
            outcome=APPOINTMENT_STATUS_LABELS.get(outcome, outcome),
        )
    if kind == "appointment_request" and "->" in detail:
        after = detail.split("->", 1)[1]
        return _(
            "Appointment request: %(status)s",
            status=REQUEST_STATUS_LABELS.get(after, after),
        )
    if kind == "progress_note" and detail.startswith("addendum"):
        return _("Addendum added to a note")
    if kind == "progress_note" and detail == "co-signature":
        return _("Note co-signed")
    label = ACTIVITY_LABELS.get((action, kind or ""))
    return str(label) if label is not None else _("Record changed")


# --- the audit log viewer and the accounting of disclosures ----------------------------------

AUDIT_ACTION_LABELS = {
    "view": _l("Viewed"),
    "create": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Removed"),
    "sign": _l("Signed"),
    "approve": _l("Approved"),
    "acknowledge": _l("Acknowledged"),
    "export": _l("Exported or downloaded"),
    "print": _l("Printed"),
    "login": _l("Signed in"),
    "login_failed": _l("Sign-in failed"),
    "logout": _l("Signed out"),
    "access_denied": _l("Access refused"),
    "consent_change": _l("Consent changed"),
    "user_create": _l("Account created"),
    "locale_change": _l("Language changed"),
    "session_end": _l("Session ended"),
    "account_locked": _l("Account locked"),
    "account_unlocked": _l("Account unlocked"),
    "password_change": _l("Password changed"),
    "password_reset_request": _l("Password reset asked for"),
    "password_reset": _l("Password reset"),
    "sign_in_link_request": _l("Sign-in link asked for"),
    "mfa_enable": _l("Two-step sign-in turned on"),
    "mfa_disable": _l("Two-step sign-in turned off"),
    "mfa_reset": _l("Two-step sign-in reset"),
    "mfa_failed": _l("Two-step sign-in code refused"),
    "recovery_code_used": _l("Recovery code used"),
    "email_change": _l("Email address changed"),
    "deactivate": _l("Account turned off"),
    "reactivate": _l("Account turned on again"),
    "role_change": _l("Role changed"),
    "supervisor_change": _l("Supervisor changed"),
    "password_reset_forced": _l("Password reset required"),
    "emergency_access": _l("Emergency access opened"),
    "emergency_review": _l("Emergency access reviewed"),
    "status_change": _l("Status changed"),
    "risk_change": _l("Risk level changed"),
    "care_team_change": _l("Care team changed"),
    "portal_invite": _l("Portal invitation sent"),
    "portal_disable": _l("Portal account turned off"),
}

# What an audit event is about; a type missing here is shown as stored.
AUDIT_OBJECT_LABELS = {
    "client": _l("Client record"),
    "client_list": _l("Client list"),
    "progress_note": _l("Progress note"),
    "care_plan": _l("Care plan"),
    "goal_progress": _l("Goal progress"),
    "goal_proposal": _l("Client's proposal"),
    "assessment": _l("Assessment"),
    "safety_plan": _l("Safety plan"),
    "crisis_event": _l("Crisis"),
    "referral": _l("Referral"),
    "referral_list": _l("Referrals"),
    "appointment": _l("Appointment"),
    "appointment_list": _l("Appointments"),
    "appointment_request": _l("Appointment request"),
    "task": _l("Task"),
    "document": _l("Document"),
    "message": _l("Message"),
    "message_thread": _l("Messages"),
    "team_meeting": _l("Team meeting"),
    "emergency_contact": _l("Emergency contact"),
    "emergency_access": _l("Emergency access"),
    "care_team_member": _l("Care team"),
    "family_access": _l("Family access"),
    "material": _l("Education material"),
    "material_list": _l("Education materials"),
    "material_assignment": _l("Assigned material"),
    "check_in": _l("Check-in"),
    "user": _l("User account"),
    "session": _l("Session"),
    "calendar_feed": _l("Calendar feed"),
    "resource": _l("Resource"),
    "saved_resource": _l("Saved resource"),
    "area": _l("Part of the site"),
    "audit_log": _l("Audit log"),
    "disclosures": _l("Accounting of disclosures"),
}
