"""A discharged client's record is kept read-only: every change is refused whichever view
it reaches, except re-admission, recording a crisis, finishing documentation and reducing
access; and nothing clinical can be deleted through the UI."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from portal.extensions import db
from portal.i18n import agency_today
from portal.models import CarePlan, Client, CrisisEvent, EmergencyContact, Referral

from .support import page, post, sign_in

READ_ONLY = "This client is discharged, so the record is read-only."


@pytest.fixture
def discharged(agency):
    agency.own.status = "discharged"
    db.session.flush()
    return agency


def count(model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("path", "data", "model"),
    [
        ("edit", {"legal_name": "Changed Name", "version": "1"}, None),
        ("contacts", {"name": "New Contact"}, EmergencyContact),
        ("plan/start", {}, CarePlan),
        ("referrals", {"reason": "Food", "resource_id": "1"}, Referral),
        ("risk", {"level": "high", "reason": "Changed"}, None),
    ],
)
def test_changes_to_a_discharged_record_are_refused(client, discharged, path, data, model):
    before = count(model) if model else None
    name = discharged.own.legal_name
    sign_in(client, discharged.cm)

    response = post(client, f"/staff/clients/{discharged.own.id}/{path}", data)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/clients/{discharged.own.id}"
    assert READ_ONLY in page(client.get(response.headers["Location"]))
    if model is not None:
        assert count(model) == before
    assert db.session.get(Client, discharged.own.id).legal_name == name
    assert db.session.get(Client, discharged.own.id).risk_level == "low"


def test_an_htmx_change_is_sent_to_the_record_instead_of_swapped(client, discharged):
    sign_in(client, discharged.cm)
    response = post(
        client, f"/staff/clients/{discharged.own.id}/contacts", {"name": "X"}, htmx=True
    )
    assert response.status_code == 204
    assert response.headers["HX-Location"] == f"/staff/clients/{discharged.own.id}"


def test_the_record_says_it_is_read_only(client, discharged):
    sign_in(client, discharged.cm)
    body = page(client.get(f"/staff/clients/{discharged.own.id}"))
    assert "Discharged: this record is read-only." in body


def test_an_active_record_still_takes_changes(client, agency):
    sign_in(client, agency.cm)
    before = count(EmergencyContact)
    post(client, f"/staff/clients/{agency.own.id}/contacts", {"name": "New Contact"})
    assert count(EmergencyContact) == before + 1


def test_readmission_is_allowed(client, discharged):
    sign_in(client, discharged.cm)
    response = post(
        client,
        f"/staff/clients/{discharged.own.id}/status",
        {
            "to_status": "referred",
            "effective_on": agency_today().isoformat(),
            "reason": "Came back to the agency",
        },
    )
    assert response.status_code == 303
    assert db.session.get(Client, discharged.own.id).status == "referred"


def test_a_crisis_can_always_be_recorded(client, discharged):
    from .test_crisis import crisis_form

    sign_in(client, discharged.cm)
    before = count(CrisisEvent)
    response = post(client, f"/staff/clients/{discharged.own.id}/crisis/new", crisis_form())
    assert response.status_code == 303
    assert count(CrisisEvent) == before + 1


def test_only_non_clinical_or_draft_parts_can_be_removed(app: Flask):
    """Signed notes, plans, assessments, crises, referrals and appointments have no delete
    route. What can be taken away: who to call and who works with the client, a part of a
    plan still in draft, a safety-plan line (each save is a new version, the old ones kept)
    and a document (a soft removal: the file and its row stay)."""
    deleting = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff/") and any(w in rule.rule for w in ("delete", "remove"))
    )
    assert deleting == [
        "/staff/clients/<int:client_id>/care-team/<int:member_id>/remove",
        "/staff/clients/<int:client_id>/contacts/<int:contact_id>/delete",
        "/staff/clients/<int:client_id>/documents/<int:document_id>/remove",
        "/staff/clients/<int:client_id>/plan/<any(goal,objective,intervention):kind>"
        "/<int:part_id>/delete",
        "/staff/clients/<int:client_id>/safety-plan/items/<key>/remove",
    ]
