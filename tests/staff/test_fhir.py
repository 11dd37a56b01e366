"""A client's record as a FHIR R4 Bundle: it validates, holds what the record holds (and no
other client's data), references resolve inside it, and only who may export gets it."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from PIL import Image
from werkzeug.datastructures import FileStorage

from portal import i18n
from portal.extensions import db
from portal.models import Client, User, utcnow
from portal.services import assessments, care_plans, documents

from ..factories import grant_family_access, make_appointment, make_client, make_user
from .support import ROLES, events, page, sign_in, sign_in_as
from .test_care_plans import build_draft, sign_plan

PHQ9_TOTAL, GAD7_TOTAL = "44261-6", "70274-6"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


PNG = png_bytes()


def url(client_id: int) -> str:
    return f"/staff/clients/{client_id}/export/fhir"


def administer(person: Client, actor: User, code: str, value: int) -> None:
    """A PHQ-9 or GAD-7 with every item answered ``value``."""
    instrument = assessments.instruments()[code]
    answers = {item.id: value for item in instrument.items}
    assessments.record(
        person, instrument, answers, {}, actor=actor, ip=None, today=i18n.agency_today()
    )


def keep_document(person: Client, actor: User, name: str) -> None:
    documents.store(
        person,
        FileStorage(io.BytesIO(PNG), filename=name),
        kind="id",
        description="State ID card",
        actor=actor,
        ip=None,
    )


def give_plan(person: Client, actor: User) -> None:
    plan = build_draft(
        person,
        actor,
        [
            {
                "description": "I want my own place by the summer",
                "domain": "housing",
                "target_date": date(2031, 6, 30),
                "status": "in_progress",
                "objectives": ["Apply for two housing programs"],
                "interventions": ["Help with the housing applications"],
            },
            {
                "description": "Sleep through the night",
                "status": "achieved",
                "objectives": ["Keep a sleep diary for a month"],
            },
        ],
    )
    plan.goals[0].objectives[0].target_date = date(2031, 3, 1)
    db.session.flush()
    sign_plan(plan, actor)


@pytest.fixture
def record(agency: Any, app: Any) -> dict[str, Any]:
    """Olive's record with something of every kind, and Theodora's with look-alikes."""
    own, cm = agency.own, agency.cm
    give_plan(own, cm)
    administer(own, cm, "phq9", 2)
    administer(own, cm, "gad7", 1)
    start = utcnow().replace(microsecond=0)
    seen = {}
    for n, status in enumerate(("scheduled", "attended", "no_show", "cancelled")):
        visit = make_appointment(
            own, agency.team, starts_at=start + timedelta(days=n - 2), status=status
        )
        seen[visit.id] = status
    revoked = grant_family_access(
        own,
        make_user("family", display_name="Rex Revoked"),
        scopes=("goals",),
        revoked_at=utcnow() - timedelta(days=1),
    )
    keep_document(own, cm, "olive-id.png")
    # Another client's record: none of it may appear in Olive's export.
    theirs, other = agency.theirs, agency.cm_other
    give_plan(theirs, other)
    administer(theirs, other, "phq9", 3)
    make_appointment(theirs, other)
    keep_document(theirs, other, "theodora-id.png")
    db.session.flush()
    return {"appointments": seen, "revoked": revoked.id, "active": agency.ids["consent"]}


def export(browser: Any, client_id: int) -> tuple[Any, Bundle, dict[str, Any]]:
    response = browser.get(url(client_id))
    assert response.status_code == 200, response.status_code
    bundle = Bundle.model_validate_json(response.data)
    return response, bundle, json.loads(response.data)


def of_type(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind]


def references(node: Any) -> list[str]:
    """Every ``reference`` anywhere under this JSON node."""
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("reference"), str):
            found.append(node["reference"])
        for value in node.values():
            found.extend(references(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(references(value))
    return found


# ---- What the bundle holds -----------------------------------------------------------------


def test_the_export_is_a_valid_fhir_collection_bundle_download(client, agency, record):
    sign_in(client, agency.cm)
    response, bundle, data = export(client, agency.own.id)
    assert response.mimetype == "application/fhir+json"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="client-WP-000501.fhir.json"'
    )
    assert bundle.type == "collection"
    assert data["resourceType"] == "Bundle"
    counts: dict[str, int] = {}
    for entry in data["entry"]:
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    assert counts == {
        "Patient": 1,
        "CarePlan": 1,
        "Goal": 2,
        "QuestionnaireResponse": 2,
        "Observation": 2,
        "Appointment": 4,
        "RelatedPerson": 2,
        "Consent": 2,
        "DocumentReference": 1,
        # Casey (case manager: plan, assessments, document) and Pat (the appointments).
        "Practitioner": 2,
    }


def test_every_reference_resolves_to_an_entry_of_the_bundle(client, agency, record):
    sign_in(client, agency.cm)
    _response, _bundle, data = export(client, agency.own.id)
    full_urls = [e["fullUrl"] for e in data["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    for entry in data["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
    refs = references(data)
    assert refs
    assert set(refs) <= set(full_urls)


def test_full_urls_are_the_same_in_every_export(client, agency, record):
    sign_in(client, agency.cm)
    first = [e["fullUrl"] for e in export(client, agency.own.id)[2]["entry"]]
    again = [e["fullUrl"] for e in export(client, agency.own.id)[2]["entry"]]
    assert first == again


def test_the_patient_carries_names_birth_date_and_record_number(client, agency, record):
    sign_in(client, agency.cm)
    (patient,) = of_type(export(client, agency.own.id)[2], "Patient")
    assert {n["use"]: n["text"] for n in patient["name"]} == {
        "official": "Olivia Quince",
        "usual": "Olive",
    }
    assert patient["birthDate"] == "1988-04-12"
    assert patient["identifier"][0]["value"] == "WP-000501"
    assert {c["name"]["text"] for c in patient["contact"]} == {"Ana Quince", "Ben Quince"}


def test_scores_are_loinc_observations_derived_from_their_questionnaire(client, agency, record):
    sign_in(client, agency.cm)
    _response, _bundle, data = export(client, agency.own.id)
    responses = {f"urn:uuid:{r['id']}": r for r in of_type(data, "QuestionnaireResponse")}
    totals = {}
    for observation in of_type(data, "Observation"):
        (coding,) = observation["code"]["coding"]
        assert coding["system"] == "http://loinc.org"
        assert observation["category"][0]["coding"][0]["code"] == "survey"
        assert observation["status"] == "final"
        assert "effectiveDateTime" in observation
        (source,) = observation["derivedFrom"]
        answered = responses[source["reference"]]
        assert answered["status"] == "completed"
        assert (
            sum(i["answer"][0]["valueInteger"] for i in answered["item"])
            == (observation["valueInteger"])
        )
        totals[coding["code"]] = observation["valueInteger"]
    assert totals == {PHQ9_TOTAL: 18, GAD7_TOTAL: 7}


def test_plan_goals_carry_the_clients_words_status_and_target(client, agency, record):
    sign_in(client, agency.cm)
    _response, _bundle, data = export(client, agency.own.id)
    goals = {g["description"]["text"]: g for g in of_type(data, "Goal")}
    housing = goals["I want my own place by the summer"]
    assert housing["lifecycleStatus"] == "active"
    assert housing["achievementStatus"]["coding"][0]["code"] == "in-progress"
    assert housing["target"] == [{"dueDate": "2031-06-30"}]
    sleep = goals["Sleep through the night"]
    assert sleep["lifecycleStatus"] == "completed"
    assert sleep["achievementStatus"]["coding"][0]["code"] == "achieved"
    (plan,) = of_type(data, "CarePlan")
    assert plan["status"] == "active"
    assert plan["intent"] == "plan"
    assert len(plan["goal"]) == 2
    described = sorted(a["detail"]["description"] for a in plan["activity"])
    periods = [a["detail"].get("scheduledPeriod") for a in plan["activity"]]
    assert {"end": "2031-03-01"} in periods
    assert described == [
        "Apply for two housing programs",
        "Help with the housing applications",
        "Keep a sleep diary for a month",
    ]


def test_appointment_statuses_are_mapped_and_both_people_take_part(client, agency, record):
    sign_in(client, agency.cm)
    _response, _bundle, data = export(client, agency.own.id)
    appointments = of_type(data, "Appointment")
    assert sorted(a["status"] for a in appointments) == [
        "booked",
        "cancelled",
        "fulfilled",
        "noshow",
    ]
    kinds = {e["fullUrl"]: e["resource"]["resourceType"] for e in data["entry"]}
    for appointment in appointments:
        actors = sorted(kinds[p["actor"]["reference"]] for p in appointment["participant"])
        assert actors == ["Patient", "Practitioner"]


def test_a_revoked_consent_is_inactive_and_scopes_are_provision_codes(client, agency, record):
    sign_in(client, agency.cm)
    _response, _bundle, data = export(client, agency.own.id)
    consents = {c["id"]: c for c in of_type(data, "Consent")}
    by_scopes = {
        tuple(sorted(code["coding"][0]["code"] for code in c["provision"]["code"])): c
        for c in consents.values()
    }
    active = by_scopes[("appointments", "materials")]
    revoked = by_scopes[("goals",)]
    assert active["status"] == "active"
    assert revoked["status"] == "inactive"
    assert revoked["scope"]["coding"][0]["code"] == "patient-privacy"
    assert "end" in revoked["provision"]["period"]


def test_documents_are_metadata_only_with_the_sha256_in_an_extension(client, agency, record):
    sign_in(client, agency.cm)
    _response, _bundle, data = export(client, agency.own.id)
    (reference,) = of_type(data, "DocumentReference")
    (content,) = reference["content"]
    attachment = content["attachment"]
    assert attachment["contentType"] == "image/png"
    assert attachment["title"] == "olive-id.png"
    assert attachment["size"] == len(PNG)
    assert "data" not in attachment
    assert "url" not in attachment
    assert "hash" not in attachment
    (extension,) = attachment["extension"]
    assert len(extension["valueString"]) == 64


def test_nothing_of_another_client_is_in_the_export(client, agency, record):
    sign_in(client, agency.supervisor)
    response, _bundle, _data = export(client, agency.own.id)
    body = response.get_data(as_text=True)
    for foreign in ("Theodora", "WP-000502", "theodora-id.png", "Cleo Other"):
        assert foreign not in body


def test_the_export_is_audited(client, agency, record):
    sign_in(client, agency.cm)
    export(client, agency.own.id)
    (event,) = events("export", agency.own.id)
    assert (event.actor_id, event.object_type, event.object_id, event.detail) == (
        agency.cm.id,
        "client",
        str(agency.own.id),
        "fhir",
    )


def test_a_client_with_nothing_yet_exports_just_the_patient(client, agency):
    bare = make_client(primary_case_manager=agency.cm, legal_name="Nell New")
    sign_in(client, agency.cm)
    response, _bundle, data = export(client, bare.id)
    assert [e["resource"]["resourceType"] for e in data["entry"]] == ["Patient", "Practitioner"]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="client-{bare.id}.fhir.json"'
    )


# ---- Who may export ------------------------------------------------------------------------

EXPECTED = {
    "cm": 200,
    "cm_other": 404,
    "team": 403,
    "not_team": 404,
    "supervisor": 200,
    "other_supervisor": 404,
    "admin": 404,
    "client_user": 403,
    "family": 403,
    "anonymous": 302,
}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_export_the_record(client, agency, role):
    sign_in_as(client, agency, role)
    response = client.get(url(agency.own.id))
    assert response.status_code == EXPECTED[role]
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/login?next=")
    exported = events("export", agency.own.id)
    assert len(exported) == (1 if EXPECTED[role] == 200 else 0)
    assert b"Olivia" not in response.data or EXPECTED[role] == 200


@pytest.mark.parametrize(("role", "shown"), [("cm", True), ("supervisor", True), ("team", False)])
def test_the_overview_links_the_export_for_who_may_use_it(client, agency, role, shown):
    sign_in(client, getattr(agency, role))
    body = page(client.get(f"/staff/clients/{agency.own.id}"))
    assert (url(agency.own.id) in body) is shown


# ---- Speed ---------------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_the_record(client, agency, count_queries):
    small = make_client(primary_case_manager=agency.cm)
    large = make_client(primary_case_manager=agency.cm)
    for person, n in ((small, 1), (large, 15)):
        give_plan(person, agency.cm)
        for i in range(n):
            administer(person, agency.cm, "phq9" if i % 2 else "gad7", 1)
            make_appointment(
                person,
                make_user("care_team"),
                starts_at=utcnow().replace(microsecond=0) + timedelta(days=i + 1),
            )
            keep_document(person, agency.cm, f"doc-{i}.png")
            grant_family_access(person, make_user("family"), scopes=("goals",))
    sign_in(client, agency.cm)
    with count_queries() as one:
        export(client, small.id)
    with count_queries() as many:
        data = export(client, large.id)[2]
    assert len(of_type(data, "Appointment")) == 15
    assert many.count == one.count


def test_one_family_member_is_one_related_person_and_an_expired_consent_is_inactive(client, agency):
    grant_family_access(
        agency.own,
        agency.family,
        scopes=("goals",),
        expires_at=utcnow() - timedelta(days=2),
    )
    sign_in(client, agency.cm)
    _response, _bundle, data = export(client, agency.own.id)
    (person,) = of_type(data, "RelatedPerson")
    assert person["name"] == [{"text": "Fay Family"}]
    statuses = sorted(c["status"] for c in of_type(data, "Consent"))
    assert statuses == ["active", "inactive"]
    for consent in of_type(data, "Consent"):
        (actor,) = consent["provision"]["actor"]
        assert actor["reference"]["reference"] == f"urn:uuid:{person['id']}"


def test_a_goal_keeps_its_full_url_in_the_next_plan_version(client, agency):
    give_plan(agency.own, agency.cm)
    sign_in(client, agency.cm)
    before = {
        g["description"]["text"]: g["id"] for g in of_type(export(client, agency.own.id)[2], "Goal")
    }
    plan = care_plans.start_draft(agency.own, actor=agency.cm, ip=None)
    sign_plan(plan, agency.cm)
    after = {
        g["description"]["text"]: g["id"] for g in of_type(export(client, agency.own.id)[2], "Goal")
    }
    assert after == before
    assert len(after) == 2
