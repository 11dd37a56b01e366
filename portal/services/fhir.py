"""One client's record as a FHIR R4 ``Bundle`` of type ``collection`` (see docs/fhir.md).

Every resource is built with the models of ``fhir.resources`` (R4B, which keeps R4's shape
for every resource used here) rather than as hand-written dicts: each model validates as
it is built (required elements, cardinality, one value of a choice such as ``value[x]``, the
format of dates, ids and codes), so such a mistake fails here, in our tests, and never reaches
the system that imports the file. The library does not check codes against their value sets:
the status mappings below are tables, and the tests hold them.

Each kind of row is loaded in one query, so the number of queries does not grow with the
record. Nothing here commits; ``export`` writes the audit event in the caller's transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from fhir.resources.R4B.address import Address
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.appointment import AppointmentParticipant
from fhir.resources.R4B.attachment import Attachment
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.careplan import CarePlan as FhirCarePlan
from fhir.resources.R4B.careplan import CarePlanActivity, CarePlanActivityDetail
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.consent import Consent, ConsentProvision, ConsentProvisionActor
from fhir.resources.R4B.contactpoint import ContactPoint
from fhir.resources.R4B.documentreference import DocumentReference, DocumentReferenceContent
from fhir.resources.R4B.domainresource import DomainResource
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.goal import Goal as FhirGoal
from fhir.resources.R4B.goal import GoalTarget
from fhir.resources.R4B.humanname import HumanName
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient, PatientCommunication, PatientContact
from fhir.resources.R4B.period import Period
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.questionnaireresponse import (
    QuestionnaireResponse,
    QuestionnaireResponseItem,
    QuestionnaireResponseItemAnswer,
)
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.relatedperson import RelatedPerson
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..instruments import Instrument
from ..models import (
    Appointment,
    Assessment,
    CarePlan,
    Client,
    Document,
    EmergencyContact,
    FamilyAccess,
    Goal,
    User,
    utcnow,
)
from . import assessments, audit, care_plans

DEFAULT_SYSTEM_BASE = "https://waypoint.example.org/fhir"
LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
GOAL_ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
CONSENT_ACTION = "http://terminology.hl7.org/CodeSystem/consentaction"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
BCP47 = "urn:ietf:bcp:47"


@dataclass(frozen=True)
class Scale:
    """How one of our instruments is coded in FHIR: the LOINC panel and its total score."""

    questionnaire: str
    total_code: str
    total_display: str


# Only the two scales with a LOINC total are exported (docs/fhir.md says why the others are not).
SCALES: dict[str, Scale] = {
    "phq9": Scale(
        questionnaire="http://loinc.org/q/44249-1",
        total_code="44261-6",
        total_display="Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    ),
    "gad7": Scale(
        questionnaire="http://loinc.org/q/69737-5",
        total_code="70274-6",
        total_display="Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
    ),
}
APPOINTMENT_STATUS = {
    "scheduled": "booked",
    "attended": "fulfilled",
    "no_show": "noshow",
    "cancelled": "cancelled",
}
# Our goal status -> (Goal.lifecycleStatus, Goal.achievementStatus or None).
GOAL_STATUS: dict[str, tuple[str, str | None]] = {
    "not_started": ("planned", None),
    "in_progress": ("active", "in-progress"),
    "achieved": ("completed", "achieved"),
    "discontinued": ("cancelled", "not-achieved"),
}
# Our goal or objective status -> CarePlan.activity.detail.status.
ACTIVITY_STATUS = {
    "not_started": "not-started",
    "in_progress": "in-progress",
    "achieved": "completed",
    "discontinued": "stopped",
}


@dataclass
class _Export:
    """The bundle being assembled: one entry per object, ids derived from the object."""

    base: str
    namespace: uuid.UUID
    entries: list[BundleEntry] = field(default_factory=list)

    def uid(self, kind: str, key: int | str) -> str:
        # Derived, not random: the same object has the same fullUrl in every export.
        return str(uuid.uuid5(self.namespace, f"{kind}/{key}"))

    def ref(self, kind: str, key: int | str, display: str | None = None) -> Reference:
        return Reference(reference=f"urn:uuid:{self.uid(kind, key)}", display=display)

    def add(self, kind: str, key: int | str, resource: DomainResource) -> None:
        resource.id = self.uid(kind, key)
        self.entries.append(BundleEntry(fullUrl=f"urn:uuid:{resource.id}", resource=resource))

    def system(self, name: str) -> str:
        return f"{self.base}/{name}"

    def local(self, name: str, code: str) -> CodeableConcept:
        """A concept from one of our own code systems (life domains, document kinds, …)."""
        return CodeableConcept(coding=[Coding(system=self.system(f"CodeSystem/{name}"), code=code)])


def _concept(system: str, code: str, display: str | None = None) -> CodeableConcept:
    return CodeableConcept(coding=[Coding(system=system, code=code, display=display)])


def _until(day: date) -> Period:
    """A period ending on a day. FHIR's dateTime takes a date alone; the model's annotation
    says datetime, so the day goes through validation as text."""
    return Period.model_validate({"end": day.isoformat()})


# ---- Loading: one query per kind of row ----------------------------------------------------


@dataclass
class _Record:
    client: Client
    contacts: list[EmergencyContact]
    plan: CarePlan | None
    goals: list[Goal]
    assessments: list[Assessment]
    appointments: list[Appointment]
    consents: list[FamilyAccess]
    documents: list[Document]
    staff: dict[int, User]


def _load(client: Client) -> _Record:
    contacts = list(
        db.session.scalars(
            select(EmergencyContact)
            .where(EmergencyContact.client_id == client.id)
            .order_by(EmergencyContact.id)
        )
    )
    plan = care_plans.in_force(client)
    goals = care_plans.load_goals(plan) if plan is not None else []
    scored = list(
        db.session.scalars(
            select(Assessment)
            .where(Assessment.client_id == client.id, Assessment.instrument_code.in_(tuple(SCALES)))
            .order_by(Assessment.administered_at, Assessment.id)
        )
    )
    visits = list(
        db.session.scalars(
            select(Appointment)
            .where(Appointment.client_id == client.id)
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )
    consents = list(
        db.session.scalars(
            select(FamilyAccess)
            .options(selectinload(FamilyAccess.family_user))
            .where(FamilyAccess.client_id == client.id)
            .order_by(FamilyAccess.granted_at, FamilyAccess.id)
        )
    )
    files = list(
        db.session.scalars(
            select(Document)
            .where(Document.client_id == client.id, Document.deleted_at.is_(None))
            .order_by(Document.uploaded_at, Document.id)
        )
    )
    staff_ids = {
        client.primary_case_manager_id,
        plan.signed_by_id if plan is not None else None,
        *(a.administered_by_id for a in scored),
        *(a.staff_id for a in visits),
        *(d.uploaded_by_id for d in files),
    }
    staff_ids.discard(None)
    staff = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(staff_ids)))}
        if staff_ids
        else {}
    )
    return _Record(client, contacts, plan, goals, scored, visits, consents, files, staff)


# ---- Building ------------------------------------------------------------------------------


def _patient(out: _Export, record: _Record) -> None:
    client = record.client
    names = [HumanName(use="official", text=client.legal_name)]
    if client.preferred_name:
        names.append(HumanName(use="usual", text=client.preferred_name))
    telecom = []
    if client.phone:
        telecom.append(ContactPoint(system="phone", value=client.phone))
    if client.email:
        telecom.append(ContactPoint(system="email", value=client.email))
    contacts = [
        PatientContact(
            relationship=[
                _concept(CONTACT_ROLE, "C", "Emergency Contact"),
                *([CodeableConcept(text=c.relationship_label)] if c.relationship_label else []),
            ],
            name=HumanName(text=c.name),
            telecom=[ContactPoint(system="phone", value=c.phone)] if c.phone else None,
        )
        for c in record.contacts
    ]
    manager = client.primary_case_manager_id
    out.add(
        "client",
        client.id,
        Patient(
            identifier=[Identifier(system=out.system("record-number"), value=client.record_number)]
            if client.record_number
            else None,
            active=client.status != "discharged",
            name=names,
            telecom=telecom or None,
            birthDate=client.date_of_birth,
            address=[Address(text=client.address)] if client.address else None,
            contact=contacts or None,
            communication=[
                PatientCommunication(
                    language=_concept(BCP47, client.preferred_language), preferred=True
                )
            ],
            generalPractitioner=[_staff_ref(out, record, manager)] if manager else None,
        ),
    )


def _staff_ref(out: _Export, record: _Record, user_id: int) -> Reference:
    return out.ref("user", user_id, record.staff[user_id].display_name)


def _patient_ref(out: _Export, record: _Record) -> Reference:
    return out.ref("client", record.client.id, record.client.display_name)


def _practitioners(out: _Export, record: _Record) -> None:
    for user in sorted(record.staff.values(), key=lambda u: u.id):
        out.add(
            "user",
            user.id,
            Practitioner(active=user.active, name=[HumanName(text=user.display_name)]),
        )


def _plan(out: _Export, record: _Record) -> None:
    plan = record.plan
    if plan is None:
        return
    activities: list[CarePlanActivity] = []
    for goal in record.goals:
        goal_ref = [out.ref("goal", goal.key)]
        for objective in goal.objectives:
            activities.append(
                CarePlanActivity(
                    detail=CarePlanActivityDetail(
                        status=ACTIVITY_STATUS[objective.status],
                        description=objective.description,
                        goal=goal_ref,
                        scheduledPeriod=_until(objective.target_date)
                        if objective.target_date
                        else None,
                    )
                )
            )
        for intervention in goal.interventions:
            activities.append(
                CarePlanActivity(
                    detail=CarePlanActivityDetail(
                        # An intervention has no status of its own: it follows its goal's.
                        status=ACTIVITY_STATUS[goal.status],
                        description=intervention.description,
                        goal=goal_ref,
                        scheduledString=intervention.frequency or None,
                        # Who does it is free text ("Case manager"), so a display, not a link.
                        performer=[Reference(display=intervention.responsible)]
                        if intervention.responsible
                        else None,
                    )
                )
            )
    out.add(
        "care_plan",
        plan.id,
        FhirCarePlan(
            identifier=[
                Identifier(
                    system=out.system("care-plan-version"), value=f"{plan.client_id}-{plan.number}"
                )
            ],
            status="active",
            intent="plan",
            subject=_patient_ref(out, record),
            period=Period(start=plan.signed_at) if plan.signed_at else None,
            created=plan.signed_at,
            author=_staff_ref(out, record, plan.signed_by_id) if plan.signed_by_id else None,
            goal=[out.ref("goal", g.key) for g in record.goals] or None,
            activity=activities or None,
        ),
    )
    for goal in record.goals:
        lifecycle, achievement = GOAL_STATUS[goal.status]
        # By its key, which a goal keeps from one plan version to the next.
        out.add(
            "goal",
            goal.key,
            FhirGoal(
                lifecycleStatus=lifecycle,
                achievementStatus=_concept(GOAL_ACHIEVEMENT, achievement) if achievement else None,
                category=[out.local("life-domain", goal.domain)],
                # In the client's own words, and so expressed by the client.
                description=CodeableConcept(text=goal.description),
                subject=_patient_ref(out, record),
                expressedBy=_patient_ref(out, record),
                target=[GoalTarget(dueDate=goal.target_date)] if goal.target_date else None,
            ),
        )


def _answers(
    assessment: Assessment, instrument: Instrument | None
) -> list[QuestionnaireResponseItem]:
    items = []
    for link_id, value in assessment.answers.items():
        if value is None:
            continue
        text = None
        if instrument is not None:
            try:
                text = instrument.item(link_id).text("en")
            except KeyError:
                text = None
        items.append(
            QuestionnaireResponseItem(
                linkId=link_id,
                text=text,
                answer=[QuestionnaireResponseItemAnswer(valueInteger=int(value))],
            )
        )
    return items


def _scores(out: _Export, record: _Record) -> None:
    known = assessments.instruments()
    for assessment in record.assessments:
        scale = SCALES[assessment.instrument_code]
        if assessment.self_report or assessment.administered_by_id is None:
            by = _patient_ref(out, record)
        else:
            by = _staff_ref(out, record, assessment.administered_by_id)
        out.add(
            "assessment",
            assessment.id,
            QuestionnaireResponse(
                questionnaire=scale.questionnaire,
                status="completed",
                subject=_patient_ref(out, record),
                authored=assessment.administered_at,
                author=by,
                source=_patient_ref(out, record) if assessment.self_report else by,
                item=_answers(assessment, known.get(assessment.instrument_code)) or None,
            ),
        )
        if assessment.total is None:
            continue
        out.add(
            "score",
            assessment.id,
            Observation(
                status="final",
                category=[_concept(OBSERVATION_CATEGORY, "survey", "Survey")],
                code=_concept(LOINC, scale.total_code, scale.total_display),
                subject=_patient_ref(out, record),
                effectiveDateTime=assessment.administered_at,
                performer=[by],
                valueInteger=assessment.total,
                interpretation=[out.local("severity-band", assessment.band)]
                if assessment.band
                else None,
                derivedFrom=[out.ref("assessment", assessment.id)],
            ),
        )


def _appointments(out: _Export, record: _Record) -> None:
    for visit in record.appointments:
        out.add(
            "appointment",
            visit.id,
            FhirAppointment(
                status=APPOINTMENT_STATUS[visit.status],
                appointmentType=out.local("appointment-kind", visit.kind),
                cancelationReason=CodeableConcept(text=visit.outcome_reason)
                if visit.status == "cancelled" and visit.outcome_reason
                else None,
                start=visit.starts_at,
                end=visit.ends_at,
                created=visit.created_at,
                patientInstruction=visit.client_note or None,
                participant=[
                    AppointmentParticipant(actor=_patient_ref(out, record), status="accepted"),
                    AppointmentParticipant(
                        actor=_staff_ref(out, record, visit.staff_id), status="accepted"
                    ),
                ],
            ),
        )


def _consents(out: _Export, record: _Record, now: datetime) -> None:
    people: set[int] = set()
    for consent in record.consents:
        family = consent.family_user
        # One RelatedPerson per family member of this client, however many consents name them.
        key = f"{record.client.id}/{family.id}"
        person = out.ref("family", key, family.display_name)
        if family.id not in people:
            people.add(family.id)
            out.add(
                "family",
                key,
                RelatedPerson(
                    patient=_patient_ref(out, record),
                    relationship=[
                        _concept(ROLE_CODE, "FAMMEMB", "family member"),
                        CodeableConcept(text=consent.relationship_label),
                    ],
                    name=[HumanName(text=family.display_name)],
                ),
            )
        # The consent's period ends when it stopped: revoked, else its expiry.
        ends = consent.revoked_at or consent.expires_at
        if consent.revoked_at and consent.expires_at:
            ends = min(consent.revoked_at, consent.expires_at)
        out.add(
            "consent",
            consent.id,
            Consent(
                status="active" if consent.is_in_force(now) else "inactive",
                scope=_concept(CONSENT_SCOPE, "patient-privacy", "Privacy Consent"),
                category=[_concept(LOINC, "59284-0", "Patient Consent")],
                patient=_patient_ref(out, record),
                dateTime=consent.granted_at,
                performer=[_patient_ref(out, record)],
                policyRule=_concept(ACT_CODE, "OPTIN", "opt-in"),
                provision=ConsentProvision(
                    type="permit",
                    period=Period(start=consent.granted_at, end=ends),
                    actor=[
                        ConsentProvisionActor(
                            role=_concept(ROLE_CODE, "FAMMEMB", "family member"), reference=person
                        )
                    ],
                    action=[_concept(CONSENT_ACTION, "access", "Access")],
                    # What the family member may see: our scopes, as codes of our own system.
                    code=[out.local("family-access-scope", s) for s in sorted(consent.scopes)]
                    or None,
                ),
            ),
        )


def _documents(out: _Export, record: _Record) -> None:
    for document in record.documents:
        out.add(
            "document",
            document.id,
            DocumentReference(
                status="current",
                type=out.local("document-kind", document.kind),
                subject=_patient_ref(out, record),
                date=document.uploaded_at,
                author=[_staff_ref(out, record, document.uploaded_by_id)],
                description=document.description,
                content=[
                    DocumentReferenceContent(
                        # Metadata only: neither the file's bytes nor a link to it leave.
                        attachment=Attachment(
                            contentType=document.content_type,
                            title=document.original_name,
                            size=document.size,
                            creation=document.uploaded_at,
                            # Attachment.hash is SHA-1; we keep SHA-256, so it goes here.
                            extension=[
                                Extension(
                                    url=out.system("StructureDefinition/attachment-sha256"),
                                    valueString=document.sha256,
                                )
                            ],
                        )
                    )
                ],
            ),
        )


def build_bundle(client: Client, *, now: datetime | None = None) -> Bundle:
    """The client's record as a FHIR collection Bundle (no audit: see ``export``)."""
    now = now or utcnow()
    base = str(current_app.config.get("FHIR_SYSTEM_BASE") or DEFAULT_SYSTEM_BASE).rstrip("/")
    out = _Export(base=base, namespace=uuid.uuid5(uuid.NAMESPACE_URL, base))
    record = _load(client)
    _patient(out, record)
    _plan(out, record)
    _scores(out, record)
    _appointments(out, record)
    _consents(out, record, now)
    _documents(out, record)
    _practitioners(out, record)
    return Bundle(type="collection", timestamp=now, entry=out.entries or None)


def export(client: Client, *, actor: User, ip: str | None) -> Bundle:
    """Build the client's FHIR Bundle and audit it as an export of the record."""
    bundle = build_bundle(client)
    audit.record(
        "export",
        actor=actor,
        ip=ip,
        object_type="client",
        object_id=client.id,
        client_id=client.id,
        detail="fhir",
    )
    return bundle
