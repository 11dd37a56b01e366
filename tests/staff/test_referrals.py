"""Referrals: the closed loop on the client's record, follow-up tasks, the printed summary,
the client's own resources page, and who may use which route of the directory and referrals."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _
from pypdf import PdfReader
from sqlalchemy import func, or_, select

from portal import i18n
from portal.extensions import db
from portal.models import (
    REFERRAL_STATUSES,
    REFERRAL_TRANSITIONS,
    Client,
    Referral,
    ReferralEvent,
    Resource,
    Role,
    SavedResource,
    Task,
    User,
    utcnow,
)
from portal.services import referrals, resources
from portal.services.errors import DomainError, IllegalTransition, StaleEdit

from ..factories import make_client, make_user
from ..helpers import csrf_token
from .support import (
    HTMX,
    ROLES,
    events,
    field_error,
    field_value,
    page,
    post,
    section,
    sign_in,
    sign_in_as,
)

C = "/staff/clients/{client}"


def make_resource(actor: User, **overrides: Any) -> Resource:
    data: dict[str, Any] = {
        "name": "Harbor House",
        "category": "housing",
        "description": "Emergency beds and help finding an apartment.",
        "address": "12 Pier Road, Springfield",
        "phone": "555-0100",
        "hours": "Mon-Fri 9-5",
        "languages": ["en", "es"],
        "last_verified_on": i18n.agency_today(),
    }
    data.update(overrides)
    return resources.create(data, actor=actor, ip=None)


# How to bring a referral to each status, and what each step needs.
PATHS: dict[str, list[str]] = {
    "proposed": [],
    "sent": ["sent"],
    "accepted": ["sent", "accepted"],
    "completed": ["sent", "accepted", "completed"],
    "declined": ["sent", "declined"],
    "cancelled": ["cancelled"],
}
ILLEGAL = [
    (before, after)
    for before in REFERRAL_STATUSES
    for after in (*REFERRAL_STATUSES, "bogus", "")
    if after not in REFERRAL_TRANSITIONS[before]
]
LEGAL = [(before, after) for before, steps in REFERRAL_TRANSITIONS.items() for after in steps]


def step(referral: Referral, to_status: str, actor: User, **kwargs: Any) -> None:
    referrals.move(
        referral,
        to_status,
        note=kwargs.get(
            "note", "Client moved away" if to_status in ("declined", "cancelled") else None
        ),
        outcome=kwargs.get("outcome", "Has a bed" if to_status == "completed" else None),
        follow_up_on=kwargs.get("follow_up_on"),
        expected_version=referral.version,
        actor=actor,
        ip=None,
    )


def make_referral(
    client: Client, resource: Resource, actor: User, status: str = "proposed", **data: Any
) -> Referral:
    referral = referrals.create(
        client,
        resource,
        {"reason": "Needs a safe place to sleep", **data},
        actor=actor,
        ip=None,
        today=i18n.agency_today(),
    )
    for to_status in PATHS[status]:
        step(referral, to_status, actor)
    db.session.flush()
    return referral


def stored(referral_id: int) -> Referral:
    db.session.expire_all()
    referral = db.session.get(Referral, referral_id)
    assert referral is not None
    return referral


def history(referral_id: int) -> list[tuple[str | None, str, int, str | None]]:
    rows = db.session.scalars(
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral_id)
        .order_by(ReferralEvent.id)
    )
    return [(e.from_status, e.to_status, e.by_id, e.note) for e in rows]


def detail_url(referral: Referral) -> str:
    return f"/staff/clients/{referral.client_id}/referrals/{referral.id}"


def move_form(referral: Referral, to_status: str, **extra: Any) -> dict[str, Any]:
    return {"to_status": to_status, "version": referral.version, "note": "", "outcome": "", **extra}


# ---- The loop, in the service ------------------------------------------------------------


def test_the_tables_agree():
    assert set(REFERRAL_TRANSITIONS) == set(REFERRAL_STATUSES)
    assert len(LEGAL) == 7
    assert len(ILLEGAL) == 6 * 8 - 7


@pytest.mark.parametrize(("before", "after"), LEGAL)
def test_every_legal_step_is_taken_and_recorded(app, agency, before, after):
    resource = make_resource(agency.admin)
    referral = make_referral(agency.own, resource, agency.cm, before)
    version = referral.version
    step(referral, after, agency.supervisor)
    assert referral.status == after
    assert referral.version == version + 1
    assert history(referral.id)[-1][:3] == (before, after, agency.supervisor.id)


@pytest.mark.parametrize(("before", "after"), ILLEGAL)
def test_every_illegal_step_is_refused_by_the_service(app, agency, before, after):
    resource = make_resource(agency.admin)
    referral = make_referral(agency.own, resource, agency.cm, before)
    db.session.commit()
    with pytest.raises(IllegalTransition):
        step(referral, after, agency.cm, note="why", outcome="what")
    db.session.rollback()
    assert stored(referral.id).status == before
    assert len(history(referral.id)) == len(PATHS[before]) + 1


def test_a_new_referral_is_proposed_with_a_follow_up_in_two_weeks(app, agency):
    resource = make_resource(agency.admin)
    referral = make_referral(agency.own, resource, agency.cm)
    assert (referral.status, referral.version, referral.created_by_id) == (
        "proposed",
        1,
        agency.cm.id,
    )
    assert referral.follow_up_on == i18n.agency_today() + timedelta(days=14)
    assert history(referral.id) == [(None, "proposed", agency.cm.id, None)]
    [event] = [e for e in events("create", agency.own.id) if e.object_type == "referral"]
    assert event.object_id == str(referral.id)


def test_a_retired_resource_or_no_reason_refers_no_one(app, agency):
    retired = make_resource(agency.admin, active=False)
    with pytest.raises(DomainError):
        make_referral(agency.own, retired, agency.cm)
    with pytest.raises(DomainError):
        make_referral(agency.own, make_resource(agency.admin), agency.cm, reason="   ")


def test_the_service_refuses_a_stale_version(app, agency):
    referral = make_referral(agency.own, make_resource(agency.admin), agency.cm)
    with pytest.raises(StaleEdit):
        referrals.move(
            referral,
            "sent",
            note=None,
            outcome=None,
            follow_up_on=None,
            expected_version=referral.version - 1,
            actor=agency.cm,
            ip=None,
        )
    assert referral.status == "proposed"


# ---- The loop, over HTTP -----------------------------------------------------------------


def test_a_case_manager_proposes_a_referral_from_the_record(client, agency):
    resource = make_resource(agency.admin)
    make_resource(agency.admin, name="Old Shelter", active=False)
    sign_in(client, agency.cm)
    url = C.format(client=agency.own.id) + "/referrals"
    form = page(client.get(url))
    assert "Propose a referral" in form and "No referrals yet" in form
    assert "Harbor House" in form and "Old Shelter" not in form  # only current entries offered

    soon = i18n.agency_today() + timedelta(days=5)
    response = post(
        client,
        url,
        {
            "resource_id": resource.id,
            "reason": "Sleeping in the car",
            "follow_up_on": soon.isoformat(),
        },
    )
    assert response.status_code == 303
    referral = db.session.scalar(select(Referral))
    assert referral is not None
    assert response.headers["Location"] == detail_url(referral)
    assert (referral.client_id, referral.resource_id, referral.reason, referral.follow_up_on) == (
        agency.own.id,
        resource.id,
        "Sleeping in the car",
        soon,
    )
    listing = page(client.get(url))
    assert f'id="referral-{referral.id}"' in listing and "Proposed" in listing


def test_a_proposal_without_a_reason_or_resource_is_422(client, agency):
    make_resource(agency.admin)
    retired = make_resource(agency.admin, name="Old Shelter", active=False)
    sign_in(client, agency.cm)
    url = C.format(client=agency.own.id) + "/referrals"
    no_reason = post(client, url, {"resource_id": retired.id, "reason": ""})
    assert no_reason.status_code == 422
    assert field_error(page(no_reason), "reason") == "Say why you refer the client."

    for resource_id in (retired.id, 999):
        response = post(client, url, {"resource_id": resource_id, "reason": "Needs a bed"})
        assert response.status_code == 422
        body = page(response)
        assert field_error(body, "resource_id") == "Choose a resource from the directory."
        assert "Needs a bed" in body  # what was typed stays
    assert db.session.scalar(select(func.count()).select_from(Referral)) == 0


def test_each_step_is_an_event_with_who_and_when(client, make_client, agency):
    referral = make_referral(agency.own, make_resource(agency.admin), agency.cm)
    db.session.commit()
    casey = sign_in(client, agency.cm)
    sam = sign_in(make_client(), agency.supervisor)
    started = utcnow()

    next_week = i18n.agency_today() + timedelta(days=7)
    moved = post(
        casey,
        detail_url(referral),
        move_form(referral, "sent", note="Faxed the form", follow_up_on=next_week.isoformat()),
    )
    assert moved.status_code == 303 and moved.headers["Location"] == detail_url(referral)
    assert stored(referral.id).follow_up_on == next_week
    assert (
        post(sam, detail_url(referral), move_form(stored(referral.id), "accepted")).status_code
        == 303
    )
    done = post(
        casey, detail_url(referral), move_form(stored(referral.id), "completed", outcome="Moved in")
    )
    assert done.status_code == 303

    saved = stored(referral.id)
    assert (saved.status, saved.outcome, saved.version) == ("completed", "Moved in", 4)
    assert history(referral.id) == [
        (None, "proposed", agency.cm.id, None),
        ("proposed", "sent", agency.cm.id, "Faxed the form"),
        ("sent", "accepted", agency.supervisor.id, None),
        ("accepted", "completed", agency.cm.id, None),
    ]
    moments = [e.at for e in saved.events[1:]]
    assert all(started <= at <= utcnow() for at in moments)
    assert moments == sorted(moments)

    body = page(casey.get(detail_url(referral)))
    timeline = body[body.index('<ol class="timeline">') :]
    assert timeline.count("<li>") == 4
    assert "Sam Supervisor" in timeline and "Faxed the form" in timeline
    assert "Moved in" in body
    assert "Next step" not in body  # a closed referral has no next step
    updates = [e for e in events("update", agency.own.id) if e.object_type == "referral"]
    assert [e.detail for e in updates] == [
        "proposed->sent",
        "sent->accepted",
        "accepted->completed",
    ]


@pytest.mark.parametrize(("before", "after"), ILLEGAL)
def test_every_illegal_step_is_409_and_changes_nothing(client, agency, before, after):
    referral = make_referral(agency.own, make_resource(agency.admin), agency.cm, before)
    db.session.commit()
    version, steps = referral.version, len(history(referral.id))
    sign_in(client, agency.cm)
    response = post(
        client,
        detail_url(referral),
        move_form(referral, after, note="Because", outcome="Something happened"),
    )
    assert response.status_code == 409
    assert "That step is not possible from here." in page(response)
    saved = stored(referral.id)
    assert (saved.status, saved.version, saved.outcome) == (
        before,
        version,
        "Has a bed" if before == "completed" else None,
    )
    assert len(history(referral.id)) == steps


@pytest.mark.parametrize(
    ("before", "after"),
    [("sent", "declined"), ("proposed", "cancelled"), ("accepted", "cancelled")],
)
def test_declining_or_cancelling_needs_a_reason(client, agency, before, after):
    referral = make_referral(agency.own, make_resource(agency.admin), agency.cm, before)
    db.session.commit()
    sign_in(client, agency.cm)
    for note in ("", "   "):
        response = post(client, detail_url(referral), move_form(referral, after, note=note))
        assert response.status_code == 422
        assert field_error(page(response), "note") == "Give a reason to decline or cancel."
        assert stored(referral.id).status == before
    response = post(
        client, detail_url(referral), move_form(referral, after, note="Found a place elsewhere")
    )
    assert response.status_code == 303
    assert history(referral.id)[-1] == (before, after, agency.cm.id, "Found a place elsewhere")


def test_completing_needs_an_outcome(client, agency):
    referral = make_referral(agency.own, make_resource(agency.admin), agency.cm, "accepted")
    db.session.commit()
    sign_in(client, agency.cm)
    response = post(client, detail_url(referral), move_form(referral, "completed", note="Went"))
    assert response.status_code == 422
    body = page(response)
    assert field_error(body, "outcome") == "Record the outcome to complete the referral."
    assert "Went" in body  # the note typed stays
    assert stored(referral.id).status == "accepted"
    assert stored(referral.id).outcome is None


def test_a_stale_step_is_409_and_shows_the_referral_as_it_is_now(client, make_client, agency):
    referral = make_referral(agency.own, make_resource(agency.admin), agency.cm)
    db.session.commit()
    casey = sign_in(client, agency.cm)
    sam = sign_in(make_client(), agency.supervisor)
    read = field_value(page(casey.get(detail_url(referral))), "version")
    assert read == "1"

    assert (
        post(
            sam, detail_url(referral), move_form(referral, "cancelled", note="Duplicate")
        ).status_code
        == 303
    )
    response = post(
        casey,
        detail_url(referral),
        {"to_status": "sent", "version": read, "note": "", "outcome": ""},
    )
    assert response.status_code == 409
    body = page(response)
    assert "Someone updated this referral meanwhile" in body
    assert "Cancelled" in body and "Duplicate" in body
    saved = stored(referral.id)
    assert (saved.status, saved.version) == ("cancelled", 2)
    assert len(history(referral.id)) == 2


def test_another_clients_referral_is_404_through_this_clients_url(client, agency):
    resource = make_resource(agency.admin)
    theirs = make_referral(agency.theirs, resource, agency.cm_other)
    db.session.commit()
    sign_in(client, agency.cm)
    url = f"/staff/clients/{agency.own.id}/referrals/{theirs.id}"
    assert client.get(url).status_code == 404
    assert client.get(url + "/summary.pdf").status_code == 404
    assert post(client, url, move_form(theirs, "sent")).status_code == 404
    assert client.get(f"/staff/clients/{agency.own.id}/referrals/999").status_code == 404
    assert stored(theirs.id).status == "proposed"


# ---- Follow-ups ----------------------------------------------------------------------------


def overdue_setup(agency: Any) -> dict[str, Referral]:
    today = i18n.agency_today()
    resource = make_resource(agency.admin)
    late = make_referral(agency.own, resource, agency.cm, follow_up_on=today - timedelta(days=1))
    later = make_referral(agency.own, resource, agency.cm, follow_up_on=today + timedelta(days=3))
    due_today = make_referral(agency.own, resource, agency.cm, follow_up_on=today)
    closed = make_referral(
        agency.own, resource, agency.cm, "completed", follow_up_on=today - timedelta(days=30)
    )
    gone = make_referral(
        agency.own, resource, agency.cm, "cancelled", follow_up_on=today - timedelta(days=30)
    )
    theirs = make_referral(
        agency.theirs, resource, agency.cm_other, "accepted", follow_up_on=today - timedelta(days=2)
    )
    db.session.commit()
    return {
        "late": late,
        "later": later,
        "due_today": due_today,
        "closed": closed,
        "gone": gone,
        "theirs": theirs,
    }


def follow_up_tasks() -> list[Task]:
    """The referral follow-up tasks, whose titles are in each assignee's language."""
    starts = set()
    for locale in ("en", "es"):
        with force_locale(locale):
            starts.add(_("Follow up the referral to %(resource)s", resource="").strip())
    query = select(Task).where(or_(*(Task.title.startswith(s) for s in starts)))
    return list(db.session.scalars(query.order_by(Task.id)))


def test_an_overdue_follow_up_makes_one_task_however_often_it_runs(app, agency):
    made = overdue_setup(agency)
    today = i18n.agency_today()
    assert referrals.follow_up_overdue(today) == 2
    db.session.commit()
    assert referrals.follow_up_overdue(today) == 0
    db.session.commit()
    tasks = follow_up_tasks()
    assert len(tasks) == 2
    by_client = {(t.client_id, t.assignee_id, t.title, t.due_on) for t in tasks}
    assert by_client == {
        (agency.own.id, agency.cm.id, "Follow up the referral to Harbor House", today),
        (agency.theirs.id, agency.cm_other.id, "Follow up the referral to Harbor House", today),
    }
    task_of = {t.client_id: t.id for t in tasks}
    assert stored(made["late"].id).follow_up_task_id == task_of[agency.own.id]
    assert stored(made["theirs"].id).follow_up_task_id == task_of[agency.theirs.id]
    for name in ("later", "closed", "gone"):
        assert stored(made[name].id).follow_up_task_id is None, name


def test_a_follow_up_due_today_is_not_yet_overdue(app, agency):
    made = overdue_setup(agency)
    today = i18n.agency_today()
    assert referrals.follow_up_overdue(today) == 2
    assert stored(made["due_today"].id).follow_up_task_id is None
    assert referrals.follow_up_overdue(today + timedelta(days=1)) == 1
    assert referrals.follow_up_overdue(today + timedelta(days=1)) == 0
    assert stored(made["due_today"].id).follow_up_task_id is not None


def test_a_new_follow_up_date_gets_its_own_task_when_it_passes(app, agency):
    today = i18n.agency_today()
    referral = make_referral(
        agency.own, make_resource(agency.admin), agency.cm, follow_up_on=today - timedelta(days=1)
    )
    assert referrals.follow_up_overdue(today) == 1
    first = stored(referral.id).follow_up_task_id
    referral = stored(referral.id)
    step(referral, "sent", agency.cm, follow_up_on=today + timedelta(days=7))
    db.session.commit()
    assert referrals.follow_up_overdue(today + timedelta(days=7)) == 0
    assert referrals.follow_up_overdue(today + timedelta(days=8)) == 1
    assert referrals.follow_up_overdue(today + timedelta(days=9)) == 0
    second = stored(referral.id).follow_up_task_id
    assert second is not None and second != first
    # a step that keeps the date keeps its task: no second reminder for the same date
    referral = stored(referral.id)
    step(referral, "accepted", agency.cm)
    assert referrals.follow_up_overdue(today + timedelta(days=10)) == 0
    assert len(follow_up_tasks()) == 2


def test_the_follow_up_command_for_cron(app, agency):
    overdue_setup(agency)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["referral-follow-ups"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "2 follow-up task(s) created"
    again = runner.invoke(args=["referral-follow-ups"])
    assert again.exit_code == 0, again.output
    assert again.output.strip() == "0 follow-up task(s) created"
    db.session.expire_all()
    assert len(follow_up_tasks()) == 2


def test_the_follow_up_task_is_in_the_case_managers_language(app, agency):
    agency.cm.locale = "es"
    today = i18n.agency_today()
    make_referral(
        agency.own, make_resource(agency.admin), agency.cm, follow_up_on=today - timedelta(days=1)
    )
    assert referrals.follow_up_overdue(today) == 1
    [task] = follow_up_tasks()
    with force_locale("es"):
        expected = _("Follow up the referral to %(resource)s", resource="Harbor House")
    assert task.title == expected


# ---- The dashboard and the timeline --------------------------------------------------------


def test_the_dashboard_lists_my_open_referrals_and_marks_the_overdue(client, agency):
    made = overdue_setup(agency)
    sign_in(client, agency.cm)
    body = page(client.get("/staff/"))
    mine = section(body, "referrals-title")
    assert "My open referrals" in mine
    for name in ("late", "later", "due_today"):
        assert f'id="referral-{made[name].id}"' in mine, name
    for name in ("closed", "gone", "theirs"):
        assert f'id="referral-{made[name].id}"' not in mine, name
    rows = dict(re.findall(r'id="referral-(\d+)">(.*?)</li>', mine, re.S))
    assert "follow-up was due" in rows[str(made["late"].id)]
    assert "Olive" in rows[str(made["late"].id)]  # whose referral it is
    assert "follow-up was due" not in rows[str(made["later"].id)]
    assert "follow up by" in rows[str(made["later"].id)]
    assert "follow-up was due" not in rows[str(made["due_today"].id)]
    # overdue first
    assert mine.index(f'id="referral-{made["late"].id}"') < mine.index(
        f'id="referral-{made["later"].id}"'
    )


def test_a_dashboard_without_open_referrals_says_so(client, agency):
    sign_in(client, agency.cm)
    assert "No open referrals." in section(page(client.get("/staff/")), "referrals-title")


def test_the_timeline_shows_the_referral_lines(client, make_client, agency):
    referral = make_referral(agency.own, make_resource(agency.admin), agency.cm)
    db.session.commit()
    casey = sign_in(client, agency.cm)
    sam = sign_in(make_client(), agency.supervisor)
    assert post(casey, detail_url(referral), move_form(referral, "sent")).status_code == 303
    assert (
        post(sam, detail_url(referral), move_form(stored(referral.id), "accepted")).status_code
        == 303
    )
    body = page(casey.get(f"/staff/clients/{agency.own.id}/timeline"))
    assert "Referral proposed" in body
    assert "Referral moved from Proposed to Sent" in body
    assert "Referral moved from Sent to Accepted" in body
    assert f'href="{detail_url(referral)}"' in body


def test_each_step_by_the_same_person_is_its_own_timeline_line(client, agency):
    referral = make_referral(agency.own, make_resource(agency.admin), agency.cm)
    db.session.commit()
    sign_in(client, agency.cm)
    for to_status in ("sent", "accepted"):
        response = post(client, detail_url(referral), move_form(stored(referral.id), to_status))
        assert response.status_code == 303
    body = page(client.get(f"/staff/clients/{agency.own.id}/timeline"))
    assert "Referral moved from Sent to Accepted" in body
    assert "Referral moved from Proposed to Sent" in body


# ---- The printed summary -------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_the_summary_is_in_the_clients_language_with_how_to_reach_them(client, agency):
    agency.own.preferred_language = "es"
    resource = make_resource(
        agency.admin,
        name="Casa Esperanza",
        address="45 Calle Luna, Springfield",
        phone="555-0144",
        hours="Lunes a viernes",
    )
    referral = make_referral(agency.own, resource, agency.cm, reason="Necesita vivienda estable")
    db.session.commit()
    sign_in(client, agency.cm)  # Casey works in English; the summary follows the client
    response = client.get(detail_url(referral) + "/summary.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert 'filename="referral.pdf"' in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    for words in (
        "555-0144",
        "45 Calle Luna, Springfield",
        "Necesita vivienda estable",
        "Lunes a viernes",
        "988",
    ):
        assert words in text, words
    # Translated in the catalog today:
    for spanish, english in (("Dirección", "Address"), ("Teléfono", "Phone"), ("Por qué", "Why")):
        assert spanish in text and english not in text, spanish
    # Whatever the Spanish catalog says for the summary's own labels:
    with force_locale("es"):
        labels = {
            "How to reach them": _("How to reach them"),
            "What to bring": _("What to bring"),
            "Referral to Casa Esperanza": _("Referral to %(name)s", name="Casa Esperanza"),
            "Hours": _("Hours"),
            "This page": _("This page"),
        }
    for english, spanish in labels.items():
        assert spanish in text, spanish
        if spanish != english:
            assert english not in text, english
    [event] = [e for e in events("print", agency.own.id) if e.object_type == "referral"]
    assert (event.actor_id, event.object_id, event.detail) == (
        agency.cm.id,
        str(referral.id),
        "summary es",
    )


def test_the_summary_labels_are_translated_into_spanish(app):
    english = (
        "How to reach them",
        "What to bring",
        "Hours",
        "A photo ID, if you have one",
        "This page",
    )
    with force_locale("es"):
        untranslated = [text for text in english if _(text) == text]
        if _("Referral to %(name)s", name="X") == "Referral to X":
            untranslated.append("Referral to %(name)s")
    assert untranslated == []


def test_the_summary_of_an_english_speaker_is_in_english(client, agency):
    referral = make_referral(agency.own, make_resource(agency.admin), agency.cm)
    db.session.commit()
    sign_in(client, agency.team)
    response = client.get(detail_url(referral) + "/summary.pdf")
    assert response.status_code == 200 and response.data[:4] == b"%PDF"
    text = pdf_text(response.data)
    for words in (
        "Referral to Harbor House",
        "How to reach them",
        "Address",
        "12 Pier Road, Springfield",
        "555-0100",
    ):
        assert words in text, words


# ---- The client's resources page -----------------------------------------------------------

MINE = "/client/resources"


def second_client(agency: Any) -> tuple[User, Client]:
    user = make_user(Role.CLIENT, display_name="Pia Portal")
    record = make_client(legal_name="Pia Second", primary_case_manager=agency.cm, portal_user=user)
    return user, record


def test_the_client_sees_their_referrals_in_plain_words(client, agency):
    harbor = make_resource(agency.admin)
    pantry = make_resource(agency.admin, name="Oak Street Food Pantry", category="food")
    make_referral(agency.own, harbor, agency.cm, "sent")
    make_referral(agency.own, pantry, agency.cm, "cancelled")
    db.session.commit()
    sign_in(client, agency.client_user)
    response = client.get(MINE)
    assert response.status_code == 200
    mine = section(page(response), "my-referrals-title")
    assert "Harbor House" in mine and "Oak Street Food Pantry" in mine
    assert "Your case manager has contacted them" in mine and "No longer needed" in mine
    assert "555-0100" in mine and "12 Pier Road, Springfield" in mine
    assert mine.index("Harbor House") < mine.index("Oak Street Food Pantry")  # open first
    # the reasons staff wrote and the other statuses' staff words are not shown
    assert "Client moved away" not in mine
    [view] = [e for e in events("view", agency.own.id) if e.object_type == "referral_list"]
    assert view.actor_id == agency.client_user.id


def test_a_client_sees_none_of_another_clients_referrals(client, make_client, agency):
    harbor = make_resource(agency.admin, name="Harbor House")
    make_referral(agency.own, harbor, agency.cm, "accepted")
    user, record = second_client(agency)
    db.session.commit()
    sign_in(client, user)
    body = page(client.get(MINE))
    assert "You have no referrals yet" in body
    assert "Harbor House" not in body and "Olive" not in body
    # and the first client sees theirs
    first = page(sign_in(make_client(), agency.client_user).get(MINE))
    assert "Harbor House" in section(first, "my-referrals-title")


def test_client_addresses_carry_no_ids_but_resources(client, agency):
    harbor = make_resource(agency.admin)
    referral = make_referral(agency.own, harbor, agency.cm, "sent")
    db.session.add(SavedResource(client_id=agency.own.id, resource_id=harbor.id))
    db.session.commit()
    sign_in(client, agency.client_user)
    body = page(client.get(MINE, query_string={"q": "harbor", "language": "any"}))
    urls = re.findall(r'(?:href|action|hx-get|hx-post)="(/client[^"]*)"', body)
    assert f"/client/resources/{harbor.id}/save" in urls
    with_ids = [u for u in urls if re.search(r"\d", u.split("?")[0])]
    assert {re.sub(r"/\d+/", "/ID/", u) for u in with_ids} == {"/client/resources/ID/save"}
    assert str(agency.own.id) not in " ".join(u.replace(f"/{harbor.id}/", "/") for u in with_ids)
    assert f"/referrals/{referral.id}" not in body


def test_a_client_saves_and_removes_a_resource(client, agency):
    harbor = make_resource(agency.admin)
    db.session.commit()
    sign_in(client, agency.client_user)
    assert "Nothing saved yet" in page(client.get(MINE))
    for _twice in range(2):
        response = post(client, f"/client/resources/{harbor.id}/save")
        assert response.status_code == 303
        assert response.headers["Location"] == "/client/resources#saved"
    saved = db.session.scalars(select(SavedResource)).all()
    assert [(s.client_id, s.resource_id) for s in saved] == [(agency.own.id, harbor.id)]
    body = page(client.get(MINE))
    assert "Saved to your resources." in body
    assert "Harbor House" in section(body, "saved-title")
    assert "Remove Harbor House from my resources" in body

    assert post(client, f"/client/resources/{harbor.id}/save", {"remove": "1"}).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(SavedResource)) == 0
    assert "Nothing saved yet" in page(client.get(MINE))


def test_a_retired_or_missing_resource_cannot_be_saved(client, agency):
    retired = make_resource(agency.admin, active=False)
    db.session.commit()
    sign_in(client, agency.client_user)
    assert post(client, f"/client/resources/{retired.id}/save").status_code == 404
    assert post(client, "/client/resources/999/save").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(SavedResource)) == 0


def client_results(browser: Any, **args: Any) -> list[str]:
    body = page(browser.get(MINE, query_string=args))
    found = body[body.index('aria-labelledby="search-title"') :]
    return re.findall(r'<h3 class="resource__name">([^<]+)</h3>', found)


def test_the_client_search_defaults_to_the_clients_language(client, agency):
    agency.own.preferred_language = "es"
    make_resource(agency.admin, name="Casa Esperanza", languages=["es"])
    make_resource(agency.admin, name="Harbor House", languages=["en"])
    make_resource(agency.admin, name="Both Ways Housing", languages=["en", "es"])
    make_resource(agency.admin, name="Old Shelter", languages=["es"], active=False)
    db.session.commit()
    sign_in(client, agency.client_user)

    body = page(client.get(MINE))
    assert '<option value="es" selected>' in body
    assert client_results(client) == []  # nothing searched yet
    assert client_results(client, category="housing") == ["Both Ways Housing", "Casa Esperanza"]
    assert client_results(client, category="housing", language="any") == [
        "Both Ways Housing",
        "Casa Esperanza",
        "Harbor House",
    ]
    assert client_results(client, category="housing", language="en") == [
        "Both Ways Housing",
        "Harbor House",
    ]
    assert client_results(client, q="shelter", language="any") == []  # retired entries are gone
    assert client_results(client, q="casa") == ["Casa Esperanza"]
    nothing = page(client.get(MINE, query_string={"q": "harbor"}))
    assert "Nothing found. Try other words, another kind of help or any language." in nothing


# ---- Who may use which route -------------------------------------------------------------

R = "/staff/resources"
Route = tuple[str, str, Callable[[Any], str], Callable[[Any], dict[str, Any]] | None]


def _button(_ids: Any) -> dict[str, Any]:
    return {}


def _resource_form(ids: dict[str, int]) -> dict[str, Any]:
    version = db.session.get_one(Resource, ids["resource"]).version
    return {"name": "Harbor House", "category": "housing", "languages": ["en"], "version": version}


def _csv(_ids: Any) -> dict[str, Any]:
    return {"file": (io.BytesIO(b"name,category\nNew Place,food\n"), "r.csv")}


def _move(ids: dict[str, int]) -> dict[str, Any]:
    version = stored(ids["referral"]).version
    return {"to_status": "sent", "version": version, "note": "", "outcome": ""}


ROUTES: list[Route] = [
    ("resource_index", "GET", lambda i: R, None),
    ("resource_new", "GET", lambda i: R + "/new", None),
    (
        "resource_new (save)",
        "POST",
        lambda i: R + "/new",
        lambda i: {"name": "Spare Place", "category": "food"},
    ),
    ("resource_edit", "GET", lambda i: R + "/{resource}/edit", None),
    ("resource_edit (save)", "POST", lambda i: R + "/{resource}/edit", _resource_form),
    ("resource_active", "POST", lambda i: R + "/{resource}/active", lambda i: {"active": "1"}),
    ("resource_detail", "GET", lambda i: R + "/{resource}", None),
    (
        "resource_refer",
        "POST",
        lambda i: R + "/{resource}/refer",
        lambda i: {"client_id": i["client"], "reason": "Needs a bed"},
    ),
    ("resource_export", "GET", lambda i: R + "/export.csv", None),
    ("resource_import", "GET", lambda i: R + "/import", None),
    ("resource_import (preview)", "POST", lambda i: R + "/import", _csv),
    (
        "resource_import_confirm",
        "POST",
        lambda i: R + "/import/confirm",
        lambda i: {"token": "0" * 32},
    ),
    ("referral_index", "GET", lambda i: C + "/referrals", None),
    (
        "referral_index (propose)",
        "POST",
        lambda i: C + "/referrals",
        lambda i: {"resource_id": i["resource"], "reason": "Needs a bed"},
    ),
    ("referral_detail", "GET", lambda i: C + "/referrals/{referral}", None),
    ("referral_detail (move)", "POST", lambda i: C + "/referrals/{referral}", _move),
    ("referral_print", "GET", lambda i: C + "/referrals/{referral}/summary.pdf", None),
    ("client.resources", "GET", lambda i: "/client/resources", None),
    ("client.resource_save", "POST", lambda i: "/client/resources/{resource}/save", _button),
]

TABLE: dict[str, tuple[int, ...]] = {
    # route:                     cm   cm_o team nott  sup  osup adm  cli  fam  anon
    "resource_index": (200, 200, 200, 200, 200, 200, 200, 403, 403, 302),
    "resource_new": (403, 403, 403, 403, 200, 200, 200, 403, 403, 302),
    "resource_new (save)": (403, 403, 403, 403, 303, 303, 303, 403, 403, 302),
    "resource_edit": (403, 403, 403, 403, 200, 200, 200, 403, 403, 302),
    "resource_edit (save)": (403, 403, 403, 403, 303, 303, 303, 403, 403, 302),
    "resource_active": (403, 403, 403, 403, 303, 303, 303, 403, 403, 302),
    "resource_detail": (200, 200, 200, 200, 200, 200, 200, 403, 403, 302),
    "resource_refer": (303, 404, 303, 404, 303, 404, 403, 403, 403, 302),
    "resource_export": (200, 200, 200, 200, 200, 200, 200, 403, 403, 302),
    "resource_import": (403, 403, 403, 403, 200, 200, 200, 403, 403, 302),
    "resource_import (preview)": (403, 403, 403, 403, 200, 200, 200, 403, 403, 302),
    "resource_import_confirm": (403, 403, 403, 403, 303, 303, 303, 403, 403, 302),
    "referral_index": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "referral_index (propose)": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "referral_detail": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "referral_detail (move)": (303, 404, 303, 404, 303, 404, 404, 403, 403, 302),
    "referral_print": (200, 404, 200, 404, 200, 404, 404, 403, 403, 302),
    "client.resources": (403, 403, 403, 403, 403, 403, 403, 200, 403, 302),
    "client.resource_save": (403, 403, 403, 403, 403, 403, 403, 303, 403, 302),
}


@pytest.fixture
def ids(agency) -> dict[str, int]:
    resource = make_resource(agency.admin)
    referral = make_referral(agency.own, resource, agency.cm)
    db.session.commit()
    return {"client": agency.own.id, "resource": resource.id, "referral": referral.id}


def _ask(
    browser: Any,
    ids: dict[str, int],
    method: str,
    path: Callable[[Any], str],
    data: Any,
    *,
    htmx: bool = False,
) -> tuple[str, Any]:
    url = path(ids).format(**ids)
    if method == "GET":
        return url, browser.get(url, headers=HTMX if htmx else None)
    return url, post(browser, url, data(ids), htmx=htmx)


def _endpoint(name: str) -> str:
    base = name.split(" ")[0]
    return base if "." in base else f"staff.{base}"


def test_the_table_covers_every_route_of_the_directory_and_referrals(app):
    endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("staff.resource_", "staff.referral_", "client.resource"))
    }
    assert {_endpoint(name) for name in TABLE} == endpoints
    assert [name for name, *_rest in ROUTES] == list(TABLE)


@pytest.mark.parametrize("role", ROLES)
def test_role_route_truth_table(client, agency, ids, role):
    sign_in_as(client, agency, role)
    column = ROLES.index(role)
    answers, leaks = {}, []
    for name, method, path, data in ROUTES:
        url, response = _ask(client, ids, method, path, data)
        answers[name] = response.status_code
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/login?next="), url
        if response.status_code in (403, 404) and (
            "Olivia Quince" in page(response) or "Needs a safe place" in page(response)
        ):
            leaks.append(url)
    assert answers == {name: statuses[column] for name, statuses in TABLE.items()}
    assert leaks == []  # a refusal never shows any of the record


def test_anonymous_htmx_requests_get_401_and_a_redirect_header(client, agency, ids):
    client.csrf = csrf_token(client, "/login")
    for _name, method, path, data in ROUTES:
        url, response = _ask(client, ids, method, path, data, htmx=True)
        assert response.status_code == 401, url
        assert response.headers["HX-Redirect"] == f"/login?next={url}", url


def test_refusals_are_logged_and_change_nothing(client, agency, ids):
    sign_in(client, agency.cm_other)
    url = f"/staff/clients/{agency.own.id}/referrals/{ids['referral']}"
    assert post(client, url, _move(ids)).status_code == 404
    assert stored(ids["referral"]).status == "proposed"
    denied = [e for e in events("access_denied") if e.actor_id == agency.cm_other.id]
    assert denied and denied[-1].client_id == agency.own.id


def test_a_referral_id_of_another_client_answers_as_a_missing_one(client, agency, ids):
    theirs = make_referral(
        agency.theirs, db.session.get_one(Resource, ids["resource"]), agency.cm_other
    )
    db.session.commit()
    sign_in(client, agency.cm)
    one = client.get(f"/staff/clients/{agency.own.id}/referrals/{theirs.id}")
    other = client.get(f"/staff/clients/{agency.own.id}/referrals/99999")
    assert one.status_code == other.status_code == 404
    assert "Theodora" not in page(one)


def test_dates_are_kept_as_dates(app, agency):
    referral = make_referral(
        agency.own, make_resource(agency.admin), agency.cm, follow_up_on=date(2031, 1, 2)
    )
    assert stored(referral.id).follow_up_on == date(2031, 1, 2)
