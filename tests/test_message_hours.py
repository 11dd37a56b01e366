"""Working hours for secure messages: a conversation is late once it has waited longer than
``MESSAGE_ANSWER_HOURS`` working hours (Monday to Friday, 9 to 17 in the agency's zone), so a
message sent on Friday evening is not late over the weekend. And the message service itself:
what it refuses, who is waiting, who has read what, whom a family member may write about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Client, MessageThread, Role, ThreadRead, User
from portal.services import messages
from portal.services.errors import DomainError

from .factories import grant_family_access, make_client, make_user

CHICAGO = ZoneInfo("America/Chicago")


def chicago(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


# ---- working_hours_before ------------------------------------------------------------------

# 2030-01-14 is a Monday. Each case: the moment, the working hours, the answer (Chicago time).
CASES = [
    # Inside one working day.
    (chicago(2030, 1, 16, 15), 2, chicago(2030, 1, 16, 13)),
    (chicago(2030, 1, 14, 17), 8, chicago(2030, 1, 14, 9)),
    # Across the weekend: Monday 10:00 less 8 hours is Friday 10:00.
    (chicago(2030, 1, 14, 10), 8, chicago(2030, 1, 11, 10)),
    (chicago(2030, 1, 14, 9, 30), 1.5, chicago(2030, 1, 11, 16)),
    # From outside working hours: the weekend, the night, the early morning.
    (chicago(2030, 1, 12, 12), 2, chicago(2030, 1, 11, 15)),  # Saturday noon
    (chicago(2030, 1, 13, 23), 8, chicago(2030, 1, 11, 9)),  # Sunday night
    (chicago(2030, 1, 15, 20), 1, chicago(2030, 1, 15, 16)),  # Tuesday evening
    (chicago(2030, 1, 16, 7), 1, chicago(2030, 1, 15, 16)),  # Wednesday before opening
    (chicago(2030, 1, 16, 9), 1, chicago(2030, 1, 15, 16)),  # Wednesday at opening
    # Several days back: three working days from Thursday 11:00 is Monday 11:00.
    (chicago(2030, 1, 17, 11), 24, chicago(2030, 1, 14, 11)),
    (chicago(2030, 1, 14, 10), 41, chicago(2030, 1, 7, 9)),
    # Across the change to daylight saving time (Sunday 9 March 2025).
    (chicago(2025, 3, 10, 10), 8, chicago(2025, 3, 7, 10)),
    (chicago(2025, 11, 3, 10), 8, chicago(2025, 10, 31, 10)),
]


@pytest.mark.parametrize(("moment", "hours", "expected"), CASES)
def test_working_hours_before_counts_only_weekday_office_hours(moment, hours, expected):
    found = messages.working_hours_before(moment, hours, CHICAGO)

    assert found == expected
    assert found.astimezone(CHICAGO).replace(tzinfo=None) == expected.replace(tzinfo=None)


def test_working_hours_before_takes_a_utc_moment_and_keeps_the_instant():
    # Monday 10 March 2025 15:00 UTC is 10:00 CDT; Friday 10:00 CST is 16:00 UTC.
    found = messages.working_hours_before(datetime(2025, 3, 10, 15, 0, tzinfo=UTC), 8, CHICAGO)

    assert found.astimezone(UTC) == datetime(2025, 3, 7, 16, 0, tzinfo=UTC)


def test_working_hours_before_follows_the_zone_it_is_given():
    tokyo = ZoneInfo("Asia/Tokyo")
    # Monday 10:00 in Tokyo is Sunday evening in Chicago; in Tokyo's hours it is Friday 10:00.
    moment = datetime(2030, 1, 14, 10, 0, tzinfo=tokyo)

    assert messages.working_hours_before(moment, 8, tokyo) == datetime(
        2030, 1, 11, 10, 0, tzinfo=tokyo
    )
    assert messages.working_hours_before(moment, 8, CHICAGO) == chicago(2030, 1, 11, 9)


# ---- overdue -------------------------------------------------------------------------------


@dataclass
class Team:
    manager: User
    account: User
    own: Client
    other: Client


@pytest.fixture
def team(app) -> Team:
    manager = make_user(Role.CASE_MANAGER, display_name="Casey Manager")
    account = make_user(Role.CLIENT, display_name="Olive Portal")
    own = make_client(legal_name="Olivia Quince", primary_case_manager=manager, portal_user=account)
    other_account = make_user(Role.CLIENT)
    other = make_client(legal_name="Otto Other", portal_user=other_account)
    return Team(manager, account, own, other)


def waiting_since(client: Client, moment: datetime, subject: str = "Question") -> MessageThread:
    """A conversation from the client whose newest message was sent at ``moment``."""
    thread = messages.start_thread(
        client, subject=subject, body="Hello", actor=client.portal_user, ip=None
    )
    thread.last_message_at = moment.astimezone(UTC)
    db.session.flush()
    return thread


NOW = chicago(2030, 1, 17, 11)  # Thursday


def overdue_subjects(client_ids: list[int], now: datetime = NOW, limit: int = 20) -> list[str]:
    return [
        t.subject
        for t in messages.overdue(client_ids, now=now.astimezone(UTC), zone=CHICAGO, limit=limit)
    ]


def test_only_conversations_waiting_past_eight_working_hours_are_overdue(app, team):
    waiting_since(team.own, chicago(2030, 1, 14, 11), "Three working days")
    waiting_since(team.own, chicago(2030, 1, 16, 10, 59), "Eight hours and a minute")
    waiting_since(team.own, chicago(2030, 1, 16, 11, 1), "A minute short of eight hours")
    waiting_since(team.own, chicago(2030, 1, 17, 10), "An hour")
    answered = waiting_since(team.own, chicago(2030, 1, 10, 11), "Answered long ago")
    messages.reply(answered, body="Done", actor=team.manager, ip=None)
    answered.last_message_at = chicago(2030, 1, 10, 12).astimezone(UTC)
    waiting_since(team.other, chicago(2030, 1, 7, 11), "Another team's")

    assert overdue_subjects([team.own.id]) == ["Three working days", "Eight hours and a minute"]
    assert overdue_subjects([team.own.id, team.other.id])[0] == "Another team's"
    assert overdue_subjects([team.own.id], limit=1) == ["Three working days"]


def test_a_friday_evening_message_is_not_overdue_until_monday_afternoon(app, team):
    waiting_since(team.own, chicago(2030, 1, 18, 18), "Friday evening")

    assert overdue_subjects([team.own.id], now=chicago(2030, 1, 19, 12)) == []
    assert overdue_subjects([team.own.id], now=chicago(2030, 1, 21, 16, 59)) == []
    assert overdue_subjects([team.own.id], now=chicago(2030, 1, 21, 17, 1)) == ["Friday evening"]


def test_the_allowed_working_hours_come_from_the_configuration(app, team):
    waiting_since(team.own, chicago(2030, 1, 17, 8, 30), "Before opening")
    app.config["MESSAGE_ANSWER_HOURS"] = 2

    assert overdue_subjects([team.own.id], now=chicago(2030, 1, 17, 10, 59)) == []
    assert overdue_subjects([team.own.id], now=chicago(2030, 1, 17, 11, 1)) == ["Before opening"]


def test_overdue_takes_a_query_of_client_ids(app, team):
    waiting_since(team.own, chicago(2030, 1, 14, 11), "Mine")
    waiting_since(team.other, chicago(2030, 1, 14, 11), "Not mine")
    mine = select(Client.id).where(Client.primary_case_manager_id == team.manager.id)

    found = messages.overdue(mine, now=NOW.astimezone(UTC), zone=CHICAGO)

    assert [t.subject for t in found] == ["Mine"]


# ---- The service ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body"), [("", "Words"), ("   ", "Words"), ("Subject", ""), ("Subject", " \n ")]
)
def test_a_conversation_needs_a_subject_and_words(app, team, subject, body):
    with pytest.raises(DomainError):
        messages.start_thread(team.own, subject=subject, body=body, actor=team.account, ip=None)

    assert db.session.scalar(select(func.count()).select_from(MessageThread)) == 0


def test_an_empty_answer_is_refused_and_long_text_is_cut(app, team):
    thread = messages.start_thread(
        team.own, subject="S" * 300, body="B" * 6000, actor=team.account, ip=None
    )

    with pytest.raises(DomainError):
        messages.reply(thread, body="  ", actor=team.manager, ip=None)
    assert len(thread.subject) == 200
    assert [len(m.body) for m in messages.load_messages(thread)] == [5000]
    assert thread.awaiting_team is True


def test_who_writes_decides_the_kind_and_whether_it_waits(app, team):
    family = make_user(Role.FAMILY)
    grant_family_access(team.own, family)

    from_client = messages.start_thread(
        team.own, subject="From the client", body="x", actor=team.account, ip=None
    )
    from_family = messages.start_thread(
        team.own, subject="From family", body="x", actor=family, ip=None
    )
    from_team = messages.start_thread(
        team.own, subject="From the team", body="x", actor=team.manager, ip=None
    )

    assert (from_client.kind, from_client.family_user_id, from_client.awaiting_team) == (
        "client",
        None,
        True,
    )
    assert (from_family.kind, from_family.family_user_id, from_family.awaiting_team) == (
        "family",
        family.id,
        True,
    )
    assert (from_team.kind, from_team.awaiting_team) == ("client", False)
    messages.reply(from_team, body="Thanks", actor=team.account, ip=None)
    assert from_team.awaiting_team is True
    messages.reply(from_team, body="You are welcome", actor=team.manager, ip=None)
    assert from_team.awaiting_team is False


def test_unread_counts_follow_each_reader(app, team):
    family = make_user(Role.FAMILY)
    grant_family_access(team.own, family)
    first = messages.start_thread(team.own, subject="A", body="x", actor=team.account, ip=None)
    second = messages.start_thread(team.own, subject="B", body="x", actor=team.account, ip=None)
    note = messages.start_thread(team.own, subject="C", body="x", actor=family, ip=None)
    ids = [team.own.id]

    assert messages.unread_count(team.account, ids, kind="client") == 0  # their own words
    assert messages.unread_count(team.manager, ids) == 3
    messages.reply(first, body="Answer", actor=team.manager, ip=None)
    messages.reply(note, body="Answer", actor=team.manager, ip=None)
    assert messages.unread_count(team.manager, ids) == 1
    assert messages.unread_count(team.account, ids, kind="client") == 1
    assert messages.unread_count(family, ids) == 1

    messages.mark_read(first, team.account)
    messages.mark_read(first, team.account)
    assert messages.unread_count(team.account, ids, kind="client") == 0
    rows = db.session.scalar(
        select(func.count())
        .select_from(ThreadRead)
        .where(ThreadRead.thread_id == first.id, ThreadRead.user_id == team.account.id)
    )
    assert rows == 1
    # The client's list: newest first, the family's note not in it, the unread one marked.
    assert [(t.id, unread) for t, unread in messages.client_threads(team.own, team.account)] == [
        (first.id, False),
        (second.id, False),
    ]
    messages.reply(second, body="Another answer", actor=team.manager, ip=None)
    assert [(t.id, unread) for t, unread in messages.client_threads(team.own, team.account)] == [
        (second.id, True),
        (first.id, False),
    ]


def test_a_family_member_may_write_about_anyone_who_ever_named_them(app, team):
    family = make_user(Role.FAMILY)
    now = datetime.now(UTC)
    in_force = make_client(legal_name="In Force")
    revoked = make_client(legal_name="Revoked")
    expired = make_client(legal_name="Expired")
    make_client(legal_name="Never named")
    grant_family_access(in_force, family)
    grant_family_access(revoked, family, revoked_at=now - timedelta(days=1))
    grant_family_access(expired, family, expires_at=now - timedelta(days=1))
    other_family = make_user(Role.FAMILY)
    grant_family_access(team.own, other_family)

    assert [c.legal_name for c in messages.family_can_write_about(family)] == [
        "In Force",
        "Revoked",
        "Expired",
    ]
    assert messages.family_can_write_about(make_user(Role.FAMILY)) == []
    mine = messages.start_thread(revoked, subject="Mine", body="x", actor=family, ip=None)
    messages.start_thread(team.own, subject="Theirs", body="x", actor=other_family, ip=None)
    messages.start_thread(revoked, subject="The client's", body="x", actor=team.manager, ip=None)
    assert [t.id for t, _unread in messages.family_threads(family)] == [mine.id]
