"""Who needs me today: each reason found from hand-made records, the ranking, who sees whose
queue, the links, and a query count that does not grow with the caseload."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.i18n import agency_today
from portal.models import (
    Assessment,
    CarePlan,
    MessageThread,
    ProgressNote,
    Referral,
    Resource,
    User,
    utcnow,
)
from portal.services import needs_me

from ..factories import make_appointment
from ..factories import make_client as make_record
from .support import page, section, sign_in

NOW = utcnow()


def note(client, author: User, *, days_ago: float, signed: bool = True) -> ProgressNote:
    """A note of a contact some days ago (inserted as stored: signed notes take no edits)."""
    at = NOW - timedelta(days=days_ago)
    row = ProgressNote(
        client_id=client.id,
        author_id=author.id,
        status="signed" if signed else "draft",
        contact_at=at,
        duration_minutes=30,
        contact_type="office",
        format="narrative",
        sections={"narrative": "Met and talked."},
        created_at=at,
        updated_at=at,
        signed_at=at if signed else None,
    )
    db.session.add(row)
    db.session.flush()
    return row


def phq9(
    client, author: User, total: int, *, days_ago: float, critical: bool = False
) -> Assessment:
    row = Assessment(
        client_id=client.id,
        instrument_code="phq9",
        instrument_version="1",
        administered_by_id=author.id,
        administered_at=NOW - timedelta(days=days_ago),
        answers={},
        total=total,
        critical_items=["q9"] if critical else [],
    )
    db.session.add(row)
    db.session.flush()
    return row


def plan(client, author: User, review_due_on: date) -> CarePlan:
    row = CarePlan(
        client_id=client.id,
        number=1,
        status="active",
        signed_at=NOW - timedelta(days=60),
        signed_by_id=author.id,
        review_due_on=review_due_on,
    )
    db.session.add(row)
    db.session.flush()
    return row


def reasons_for(queue: list[needs_me.Need], client) -> list[str]:
    for need in queue:
        if need.client.id == client.id:
            return [r.code for r in need.reasons]
    return []


def queue_of(user: User, ids=None) -> list[needs_me.Need]:
    from portal import policy

    client_ids = (
        ids if ids is not None else policy.regular_clients(user).with_only_columns(policy.Client.id)
    )
    return needs_me.queue(client_ids, user=user, now=NOW, today=agency_today())


@pytest.fixture
def calm(agency):
    """Olive has had a recent contact, so only what a test adds puts her on the list."""
    note(agency.own, agency.cm, days_ago=2)
    note(agency.theirs, agency.cm_other, days_ago=2)
    return agency


def test_a_calm_caseload_has_nobody_on_the_list(calm):
    assert queue_of(calm.cm) == []


def test_no_contact_for_thirty_days(agency):
    note(agency.own, agency.cm, days_ago=31)
    [need] = queue_of(agency.cm)
    assert need.client.id == agency.own.id
    [reason] = need.reasons
    assert (reason.code, reason.value) == ("no_contact", 31)


def test_an_attended_appointment_counts_as_contact(agency):
    note(agency.own, agency.cm, days_ago=40)
    make_appointment(agency.own, agency.cm, starts_at=NOW - timedelta(days=3), status="attended")
    assert queue_of(agency.cm) == []


def test_a_client_never_seen_is_listed_as_such(agency):
    [need] = queue_of(agency.cm)
    assert [(r.code, r.value) for r in need.reasons] == [("no_contact", None)]


def test_a_discharged_client_is_not_listed(agency):
    agency.own.status = "discharged"
    db.session.flush()
    assert queue_of(agency.cm) == []


def test_a_positive_screen_not_followed_up_ranks_first(calm):
    other = make_record(primary_case_manager=calm.cm, legal_name="Aaron Early")
    note(other, calm.cm, days_ago=40)  # no contact: lower in the ranking
    screen = phq9(calm.own, calm.cm, 14, days_ago=1, critical=True)
    queue = queue_of(calm.cm)
    assert [n.client.id for n in queue] == [calm.own.id, other.id]
    reason = queue[0].reasons[0]
    assert reason.code == "positive_screen"
    assert reason.target == (
        "staff.assessment_detail",
        {"client_id": calm.own.id, "assessment_id": screen.id},
    )


def test_a_positive_screen_followed_by_a_contact_is_not_listed(calm):
    phq9(calm.own, calm.cm, 14, days_ago=3, critical=True)
    note(calm.own, calm.team, days_ago=1)
    assert reasons_for(queue_of(calm.cm), calm.own) == []


def test_two_missed_appointments_in_a_row(calm):
    for days, status in ((30, "attended"), (14, "no_show"), (7, "no_show")):
        make_appointment(calm.own, calm.cm, starts_at=NOW - timedelta(days=days), status=status)
    assert reasons_for(queue_of(calm.cm), calm.own) == ["missed_twice"]


def test_one_miss_after_an_attended_visit_is_not_two_in_a_row(calm):
    for days, status in ((14, "no_show"), (7, "attended"), (3, "no_show")):
        make_appointment(calm.own, calm.cm, starts_at=NOW - timedelta(days=days), status=status)
    assert reasons_for(queue_of(calm.cm), calm.own) == []


def test_a_message_waiting_for_the_team(calm):
    thread = MessageThread(
        client_id=calm.own.id,
        subject="Bus pass",
        created_by_id=calm.client_user.id,
        awaiting_team=True,
    )
    db.session.add(thread)
    db.session.flush()
    [need] = queue_of(calm.cm)
    assert need.reasons[0].target == ("staff.message_detail", {"thread_id": thread.id})


def test_plan_reviews_overdue_and_due_soon(calm):
    today = agency_today()
    plan(calm.own, calm.cm, today - timedelta(days=1))
    other = make_record(primary_case_manager=calm.cm)
    note(other, calm.cm, days_ago=1)
    plan(other, calm.cm, today + timedelta(days=10))
    far = make_record(primary_case_manager=calm.cm)
    note(far, calm.cm, days_ago=1)
    plan(far, calm.cm, today + timedelta(days=30))
    queue = queue_of(calm.cm)
    assert reasons_for(queue, calm.own) == ["review_overdue"]
    assert reasons_for(queue, other) == ["review_soon"]
    assert reasons_for(queue, far) == []


def test_phq9_not_halved_after_eight_weeks(calm):
    phq9(calm.own, calm.cm, 16, days_ago=70)
    phq9(calm.own, calm.cm, 11, days_ago=3)
    halved = make_record(primary_case_manager=calm.cm)
    note(halved, calm.cm, days_ago=1)
    phq9(halved, calm.cm, 16, days_ago=70)
    phq9(halved, calm.cm, 8, days_ago=3)
    early = make_record(primary_case_manager=calm.cm)
    note(early, calm.cm, days_ago=1)
    phq9(early, calm.cm, 16, days_ago=30)
    phq9(early, calm.cm, 15, days_ago=3)
    queue = queue_of(calm.cm)
    [need] = [n for n in queue if n.client.id == calm.own.id]
    assert [(r.code, r.value) for r in need.reasons] == [("phq9_stalled", (16, 11))]
    assert reasons_for(queue, halved) == []
    assert reasons_for(queue, early) == []


def test_a_referral_past_its_follow_up_date(calm):
    resource = Resource(name="Food bank", category="food", languages=["en"])
    db.session.add(resource)
    db.session.flush()
    referral = Referral(
        client_id=calm.own.id,
        resource_id=resource.id,
        reason="Food",
        status="sent",
        follow_up_on=agency_today() - timedelta(days=1),
        created_by_id=calm.cm.id,
    )
    db.session.add(referral)
    db.session.flush()
    [need] = queue_of(calm.cm)
    assert need.reasons[0].code == "referral_overdue"
    assert need.reasons[0].target[1]["referral_id"] == referral.id


def test_my_own_note_unsigned_after_three_days_and_nobody_elses(calm):
    draft = note(calm.own, calm.cm, days_ago=4, signed=False)
    note(calm.own, calm.team, days_ago=4, signed=False)
    [need] = queue_of(calm.cm)
    assert need.reasons[0].target == (
        "staff.note_edit",
        {"client_id": calm.own.id, "note_id": draft.id},
    )
    assert reasons_for(queue_of(calm.team), calm.own) == ["draft"]
    assert reasons_for(queue_of(calm.supervisor), calm.own) == []


def test_reasons_add_up_and_the_heaviest_comes_first(agency):
    lighter = make_record(primary_case_manager=agency.cm, legal_name="Aaron Early")
    note(lighter, agency.cm, days_ago=45)
    note(agency.own, agency.cm, days_ago=45)
    plan(agency.own, agency.cm, agency_today() - timedelta(days=5))
    queue = queue_of(agency.cm)
    assert [n.client.id for n in queue] == [agency.own.id, lighter.id]
    assert [r.code for r in queue[0].reasons] == ["review_overdue", "no_contact"]


def test_the_dashboard_shows_mine_and_the_supervisor_sees_the_team(client, make_client, agency):
    note(agency.own, agency.cm, days_ago=40)
    note(agency.theirs, agency.cm_other, days_ago=40)
    sign_in(client, agency.cm)
    mine = section(page(client.get("/staff/")), "needs-title")
    assert "Olive" in mine and "No contact for 40 days" in mine
    assert "Theodora" not in mine
    assert f'href="/staff/clients/{agency.own.id}/notes/new"' in mine
    boss = section(page(sign_in(make_client(), agency.supervisor).get("/staff/")), "needs-title")
    assert "Who needs the team today" in boss and "Olive" in boss and "Theodora" not in boss
    other = section(page(sign_in(make_client(), agency.cm_other).get("/staff/")), "needs-title")
    assert "Theodora" in other and "Olive" not in other


def test_an_empty_queue_says_so(client, calm):
    sign_in(client, calm.cm)
    assert "Nobody on your list needs you urgently today." in section(
        page(client.get("/staff/")), "needs-title"
    )


def test_the_query_count_does_not_grow_with_the_caseload(client, make_client, calm, count_queries):
    def load() -> int:
        browser = sign_in(make_client(), calm.cm)
        with count_queries() as counter:
            assert browser.get("/staff/").status_code == 200
        return counter.count

    plan(calm.own, calm.cm, agency_today())  # one line on the list already
    few = load()
    for n in range(20):
        person = make_record(primary_case_manager=calm.cm, legal_name=f"Many Clients{n}")
        note(person, calm.cm, days_ago=40 + n)
        phq9(person, calm.cm, 15, days_ago=70)
        phq9(person, calm.cm, 14, days_ago=2, critical=n % 2 == 0)
        make_appointment(person, calm.cm, starts_at=NOW - timedelta(days=9), status="no_show")
        make_appointment(person, calm.cm, starts_at=NOW - timedelta(days=2), status="no_show")
    db.session.flush()
    many = load()
    assert len(queue_of(calm.cm)) == 21
    assert many == few


def test_every_reason_renders_a_sentence_and_a_link(client, calm):
    phq9(calm.own, calm.cm, 16, days_ago=70)
    phq9(calm.own, calm.cm, 12, days_ago=1, critical=True)
    make_appointment(calm.own, calm.cm, starts_at=NOW - timedelta(days=9), status="no_show")
    make_appointment(calm.own, calm.cm, starts_at=NOW - timedelta(days=2), status="no_show")
    plan(calm.own, calm.cm, agency_today() - timedelta(days=3))
    sign_in(client, calm.cm)
    shown = section(page(client.get("/staff/")), "needs-title")
    for sentence in (
        "A critical answer on a screen, not followed up yet",
        "Missed the last two appointments",
        "Plan review overdue since",
        "PHQ-9 from 16 to 12: not halved after 8 weeks",
    ):
        assert sentence in shown
