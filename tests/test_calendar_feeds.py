# ruff: noqa: F811  (the test functions take the imported `agency` fixture)
"""Private calendar feeds: the link is shown once, a calendar app fetches it with no sign-in,
and it shows only what its owner may see at the moment of the fetch. A revoked, replaced or
unknown link, or one whose owner's account is off, answers 404; a family member's feed
follows the client's consent; events are written in the owner's language."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from icalendar import Calendar

from portal.extensions import db
from portal.models import AuditEvent, CalendarFeed, FamilyAccess, Role, utcnow

from .factories import grant_family_access, make_appointment, make_appointment_request, make_user
from .staff.conftest import agency  # noqa: F401  (the small agency of the staff tests)
from .staff.support import page, post, sign_in

WINTER = datetime(2030, 1, 15, 15, 30, tzinfo=UTC)  # 9:30 in Chicago
NOTE = "Bring your benefits letter and your ID"
REASON = "I want to talk about the eviction notice from my landlord"


def issue(browser: Any, area: str = "client") -> str:
    """Make a calendar link from the appointments page; the path it is shown with, once."""
    response = post(browser, f"/{area}/calendar-feed", {"action": "issue"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/{area}/appointments#calendar-link")
    body = browser.get(f"/{area}/appointments").get_data(as_text=True)
    match = re.search(r'<input[^>]*id="feed-url"[^>]*value="([^"]+)"', body)
    assert match, "the new link is not shown"
    url = html.unescape(match.group(1))
    assert url.startswith("http")
    path = urlsplit(url).path
    assert re.fullmatch(r"/feeds/[A-Za-z0-9_-]{40,}\.ics", path), path
    return path


def fetch(make_client: Any, path: str) -> Any:
    """What a calendar app gets: a fresh browser, no cookies, no sign-in."""
    return make_client().get(path)


def events_in(response: Any) -> list[Any]:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return list(Calendar.from_ical(response.get_data(as_text=True)).walk("VEVENT"))


def starts(events: list[Any]) -> list[datetime]:
    return sorted(e.decoded("dtstart").astimezone(UTC) for e in events)


def spanish(message: str, **values: Any) -> str:
    with force_locale("es"):
        return str(_(message, **values))


# ---- The link ------------------------------------------------------------------------------


def test_a_new_link_is_shown_once(client, agency):
    sign_in(client, agency.client_user)

    issue(client)
    again = page(client.get("/client/appointments"))

    assert 'id="feed-url"' not in again
    assert "Your link is on" in again
    assert "/feeds/" not in again


def test_only_a_hash_of_the_link_is_kept(client, agency):
    sign_in(client, agency.client_user)

    path = issue(client)

    token = path.removeprefix("/feeds/").removesuffix(".ics")
    [feed] = db.session.scalars(db.select(CalendarFeed)).all()
    assert feed.user_id == agency.client_user.id
    assert token not in feed.token_hash


def test_the_feed_shows_the_clients_own_appointments_without_a_sign_in(client, agency, make_client):
    mine = make_appointment(
        agency.own, agency.cm, starts_at=WINTER, location="12 Main Street", client_note=NOTE
    )
    cancelled = make_appointment(
        agency.own, agency.team, starts_at=WINTER + timedelta(days=2), status="cancelled"
    )
    make_appointment_request(agency.own, reason=REASON)
    make_appointment(agency.theirs, agency.cm_other, starts_at=WINTER + timedelta(days=1))
    sign_in(client, agency.client_user)
    path = issue(client)

    response = fetch(make_client, path)

    events = events_in(response)
    assert starts(events) == [mine.starts_at, cancelled.starts_at]
    by_start = {e.decoded("dtstart").astimezone(UTC): e for e in events}
    first = by_start[mine.starts_at]
    assert str(first["status"]) == "CONFIRMED"
    assert first["dtstart"].params["TZID"] == "America/Chicago"
    assert first.decoded("dtend").astimezone(UTC) == mine.ends_at
    assert "Casey Manager" in str(first["summary"])
    assert str(first["location"]) == "12 Main Street"
    assert str(by_start[cancelled.starts_at]["status"]) == "CANCELLED"
    raw = response.get_data(as_text=True).replace("\r\n ", "")
    assert "BEGIN:VTIMEZONE" in raw
    assert "TZID:America/Chicago" in raw
    for private in ("benefits letter", "eviction", "Theodora", "Cleo Other"):
        assert private not in raw


def test_the_feed_follows_changes_at_each_fetch(client, agency, make_client):
    sign_in(client, agency.client_user)
    path = issue(client)
    assert events_in(fetch(make_client, path)) == []

    appointment = make_appointment(agency.own, agency.cm, starts_at=WINTER)
    [event] = events_in(fetch(make_client, path))
    assert event.decoded("dtstart").astimezone(UTC) == WINTER

    appointment.status = "cancelled"
    db.session.flush()
    [event] = events_in(fetch(make_client, path))
    assert str(event["status"]) == "CANCELLED"


def test_each_fetch_is_audited_and_the_feed_remembers_its_last_fetch(client, agency, make_client):
    sign_in(client, agency.client_user)
    path = issue(client)
    feed = db.session.scalars(
        db.select(CalendarFeed).where(CalendarFeed.user_id == agency.client_user.id)
    ).one()
    assert feed.last_used_at is None
    exports = db.select(db.func.count()).where(
        AuditEvent.action == "export", AuditEvent.object_type == "calendar_feed"
    )
    before = db.session.scalar(exports)
    events_in(fetch(make_client, path))
    db.session.refresh(feed)
    first = feed.last_used_at
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    # A poll right after is audited, but the stamp is not rewritten for it...
    events_in(fetch(make_client, path))
    db.session.refresh(feed)
    assert feed.last_used_at == first
    assert db.session.scalar(exports) == before + 2
    # ...and it is again once it is older than a few minutes.
    feed.last_used_at = first - timedelta(minutes=6)
    db.session.commit()
    events_in(fetch(make_client, path))
    db.session.refresh(feed)
    assert feed.last_used_at > first


def _last_used(body: str) -> str:
    found = re.search(r'<p class="small" id="feed-last-used">(.*?)</p>', body, re.S)
    assert found, "the calendar panel does not say when the link was last read"
    return " ".join(html.unescape(found.group(1)).split())


@pytest.mark.parametrize("area", ["client", "family"])
def test_the_owner_sees_when_a_calendar_app_last_read_the_link(client, agency, make_client, area):
    """A link that got out shows: its owner sees when a calendar app last read it."""
    owner = agency.client_user if area == "client" else agency.family
    sign_in(client, owner)
    path = issue(client, area)
    assert _last_used(page(client.get(f"/{area}/appointments"))) == (
        "No calendar app has read it yet."
    )
    events_in(fetch(make_client, path))
    feed = db.session.scalars(db.select(CalendarFeed).where(CalendarFeed.user_id == owner.id)).one()
    feed.last_used_at = datetime(2030, 1, 15, 15, 30, tzinfo=UTC)  # 9:30 in Chicago
    db.session.commit()
    said = _last_used(page(client.get(f"/{area}/appointments")))
    assert said.startswith("A calendar app last read it on Jan 15, 2030, 9:30:00")
    assert "make a new link or turn it off" in said
    # Turned off, there is no link to have been read.
    post(client, f"/{area}/calendar-feed", {"action": "revoke"})
    assert 'id="feed-last-used"' not in page(client.get(f"/{area}/appointments"))


def test_a_spanish_reader_sees_the_last_read_in_spanish(client, agency, make_client):
    agency.client_user.locale = "es"
    sign_in(client, agency.client_user)
    events_in(fetch(make_client, issue(client)))
    feed = db.session.scalars(db.select(CalendarFeed)).one()
    feed.last_used_at = datetime(2030, 1, 15, 15, 30, tzinfo=UTC)
    db.session.commit()
    with force_locale("es"):
        when = format_datetime(feed.last_used_at, "medium")
    assert "ene" in when  # the month as Spanish writes it
    expected = spanish(
        "A calendar app last read it on %(when)s. "
        "If none of your calendars should have it, make a new link or turn it off.",
        when=when,
    )
    assert expected.startswith("Una aplicación de calendario")
    assert _last_used(page(client.get("/client/appointments"))) == expected


def test_old_history_drops_out_of_the_feed(client, agency, make_client):
    now = utcnow().replace(microsecond=0)
    recent = make_appointment(
        agency.own, agency.cm, starts_at=now - timedelta(days=10), status="attended"
    )
    make_appointment(agency.own, agency.cm, starts_at=now - timedelta(days=120), status="attended")
    sign_in(client, agency.client_user)

    events = events_in(fetch(make_client, issue(client)))

    assert starts(events) == [recent.starts_at]


@pytest.mark.parametrize(
    "token", ["not-a-real-token", "A" * 43, "x" * 500, "%00", "..%2F..%2Fetc%2Fpasswd"]
)
def test_an_unknown_link_is_not_found(client, agency, token):
    make_appointment(agency.own, agency.cm, starts_at=WINTER)

    assert client.get(f"/feeds/{token}.ics").status_code == 404


def test_a_turned_off_link_is_not_found(client, agency, make_client):
    make_appointment(agency.own, agency.cm, starts_at=WINTER)
    sign_in(client, agency.client_user)
    path = issue(client)
    assert fetch(make_client, path).status_code == 200

    response = post(client, "/client/calendar-feed", {"action": "revoke"})

    assert response.status_code == 303
    assert fetch(make_client, path).status_code == 404
    body = page(client.get("/client/appointments"))
    assert "Your calendar link is turned off." in body
    assert "You have no calendar link." in body


def test_a_new_link_turns_the_old_one_off(client, agency, make_client):
    make_appointment(agency.own, agency.cm, starts_at=WINTER)
    sign_in(client, agency.client_user)
    old = issue(client)

    new = issue(client)

    assert new != old
    assert fetch(make_client, old).status_code == 404
    assert len(events_in(fetch(make_client, new))) == 1


def test_the_link_of_an_account_that_is_turned_off_is_not_found(client, agency, make_client):
    make_appointment(agency.own, agency.cm, starts_at=WINTER)
    sign_in(client, agency.client_user)
    path = issue(client)

    agency.client_user.active = False
    db.session.flush()

    assert fetch(make_client, path).status_code == 404


# ---- A family member's feed ----------------------------------------------------------------


def test_a_family_feed_shows_the_appointments_the_client_shares(client, agency, make_client):
    shared = make_appointment(agency.own, agency.cm, starts_at=WINTER, client_note=NOTE)
    make_appointment(agency.theirs, agency.cm_other, starts_at=WINTER + timedelta(days=1))
    sign_in(client, agency.family)
    body = page(client.get("/family/appointments"))
    assert "See your appointments in your phone's calendar" in body

    response = fetch(make_client, issue(client, "family"))

    [event] = events_in(response)
    assert event.decoded("dtstart").astimezone(UTC) == shared.starts_at
    summary = str(event["summary"])
    assert "Olive" in summary
    assert "Casey Manager" in summary
    assert "benefits letter" not in response.get_data(as_text=True)


def end_consent(consent_id: int, how: str) -> None:
    consent = db.session.get(FamilyAccess, consent_id)
    assert consent is not None
    past = utcnow() - timedelta(minutes=1)
    if how == "revoked":
        consent.revoked_at = past
    elif how == "expired":
        consent.expires_at = past
    else:
        consent.scope_appointments = False
    db.session.flush()


@pytest.mark.parametrize("how", ["revoked", "expired", "scope_removed"])
def test_a_family_feed_goes_empty_from_the_fetch_after_the_consent_ends(
    client, agency, make_client, how
):
    make_appointment(agency.own, agency.cm, starts_at=WINTER, location="12 Main Street")
    sign_in(client, agency.family)
    path = issue(client, "family")
    assert len(events_in(fetch(make_client, path))) == 1

    end_consent(agency.ids["consent"], how)
    response = fetch(make_client, path)

    assert events_in(response) == []
    raw = response.get_data(as_text=True)
    for leaked in ("Olive", "Casey Manager", "12 Main Street"):
        assert leaked not in raw


def test_a_family_feed_goes_empty_when_the_consent_runs_out_between_two_fetches(
    client, agency, make_client
):
    """A consent's end is compared with the moment of each fetch, not with the moment the
    server first wrote the feed's statement (it is written once per process)."""
    make_appointment(agency.own, agency.cm, starts_at=WINTER, location="12 Main Street")
    consent = db.session.get(FamilyAccess, agency.ids["consent"])
    assert consent is not None
    consent.expires_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    sign_in(client, agency.family)
    path = issue(client, "family")
    assert len(events_in(fetch(make_client, path))) == 1
    with time_machine.travel(utcnow() + timedelta(hours=2), tick=False):
        response = fetch(make_client, path)
    assert events_in(response) == []
    assert "12 Main Street" not in response.get_data(as_text=True)


def test_a_family_feed_keeps_showing_clients_whose_consent_holds(client, agency, make_client):
    second = make_user(Role.CLIENT, display_name="Milo Portal")
    from .factories import make_client as make_record

    brother = make_record(legal_name="Milo Quince", portal_user=second)
    grant_family_access(brother, agency.family, scopes=("appointments",))
    make_appointment(agency.own, agency.cm, starts_at=WINTER)
    kept = make_appointment(brother, agency.team, starts_at=WINTER + timedelta(days=3))
    sign_in(client, agency.family)
    path = issue(client, "family")
    assert len(events_in(fetch(make_client, path))) == 2

    end_consent(agency.ids["consent"], "revoked")

    events = events_in(fetch(make_client, path))
    assert starts(events) == [kept.starts_at]
    assert "Milo" in str(events[0]["summary"])


def test_family_without_the_appointments_scope_see_none_on_the_page_or_in_the_feed(
    client, agency, make_client
):
    family = make_user(Role.FAMILY, display_name="Finn Family")
    grant_family_access(agency.own, family, scopes=("materials", "goals"))
    make_appointment(agency.own, agency.cm, starts_at=WINTER, location="12 Main Street")
    sign_in(client, family)

    body = page(client.get("/family/appointments"))
    assert "Nobody shares their appointments with you at the moment." in body
    assert "12 Main Street" not in body
    path = issue(client, "family")

    response = fetch(make_client, path)

    assert events_in(response) == []
    assert "12 Main Street" not in response.get_data(as_text=True)


# ---- Language ------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["saved_choice", "record_language"])
def test_a_spanish_speaking_clients_feed_is_in_spanish(client, agency, make_client, how):
    if how == "saved_choice":
        agency.client_user.locale = "es"
    else:
        agency.own.preferred_language = "es"
    make_appointment(agency.own, agency.cm, starts_at=WINTER, kind="phone")
    sign_in(client, agency.client_user)

    response = fetch(make_client, issue(client))

    [event] = events_in(response)
    kind = spanish("Phone call")
    assert kind != "Phone call", "the Spanish catalog lacks 'Phone call'"
    expected = spanish("%(kind)s with %(name)s", kind=kind, name="Casey Manager")
    assert expected != "Phone call with Casey Manager", "the Spanish catalog lacks the summary"
    assert str(event["summary"]) == expected
    calendar = Calendar.from_ical(response.get_data(as_text=True))
    name = spanish("%(agency)s appointments", agency="Waypoint Community Services")
    assert str(calendar["x-wr-calname"]) == name
    assert "Waypoint Community Services" in name


def test_an_english_speaking_clients_feed_is_in_english(client, agency, make_client):
    make_appointment(agency.own, agency.cm, starts_at=WINTER, kind="phone")
    sign_in(client, agency.client_user)

    [event] = events_in(fetch(make_client, issue(client)))

    assert str(event["summary"]) == "Phone call with Casey Manager"


def test_a_feed_makes_as_many_queries_for_twenty_events_as_for_one(
    client, agency, make_client, count_queries
):
    staff = [agency.cm, agency.team, agency.extra]
    make_appointment(agency.own, agency.cm, starts_at=WINTER)
    sign_in(client, agency.family)
    path = issue(client, "family")
    reader = make_client()
    reader.get(path)
    with count_queries() as one:
        assert reader.get(path).status_code == 200

    for n in range(1, 20):
        make_appointment(agency.own, staff[n % 3], starts_at=WINTER + timedelta(days=n))
    with count_queries() as many:
        response = reader.get(path)

    assert len(events_in(response)) == 20
    assert many.count == one.count, "\n".join(many.statements)
