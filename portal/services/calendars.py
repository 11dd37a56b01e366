"""Calendar files: one appointment as ``.ics``, and private subscription feeds.

A feed's URL carries a random token, which is the only credential a calendar app can
present; only its hash is stored, a user has one feed in force at most, and making a new
one turns the old one off. What a feed shows is decided at every fetch, so a family
member whose consent ends sees nothing more from the next fetch on. Events carry the time,
the place, who the client meets and the kind of appointment: never a note or a reason.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Event, Timezone
from sqlalchemy import Integer, Select, String, bindparam, or_, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from .. import policy
from ..extensions import db
from ..i18n import agency_zone, force_locale
from ..labels import APPOINTMENT_KIND_LABELS
from ..models import Appointment, CalendarFeed, Client, Role, User, utcnow
from . import audit

# How far back a feed reaches: recent history stays visible in the calendar app.
FEED_PAST_DAYS = 60
# A calendar app polls every quarter hour or so: each poll is in the audit log, and the feed's
# own "last fetched" stamp need not be rewritten more often than this.
FEED_STAMP_EVERY = timedelta(minutes=5)
# RFC 5545 folds a content line of this many octets or more.
FOLD_OCTETS = 75


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# The client's appointments page shows their feed: built once, run with ``user_id``.
_CURRENT_FEED = select(CalendarFeed).where(
    CalendarFeed.user_id == bindparam("user_id", type_=Integer()),
    CalendarFeed.revoked_at.is_(None),
)


def current_feed(user: User) -> CalendarFeed | None:
    """The user's feed in force, if they have one."""
    feed: CalendarFeed | None = db.session.scalar(_CURRENT_FEED, {"user_id": user.id})
    return feed


def issue_feed(user: User, *, ip: str | None) -> str:
    """A new feed token for the user; any earlier one stops working."""
    _revoke_all(user)
    raw = secrets.token_urlsafe(32)
    db.session.add(CalendarFeed(user_id=user.id, token_hash=_hash(raw)))
    db.session.flush()
    _audit(user, "create", ip)
    return raw


def revoke_feed(user: User, *, ip: str | None) -> bool:
    """Turn the user's feed off; whether there was one."""
    revoked = _revoke_all(user)
    if revoked:
        _audit(user, "delete", ip)
    return revoked


def _revoke_all(user: User) -> bool:
    result = db.session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


def _audit(user: User, action: str, ip: str | None) -> None:
    audit.record(action, actor=user, ip=ip, object_type="calendar_feed", object_id=user.id)


@dataclass(frozen=True)
class FeedOwner:
    """Whose feed a token opens, and the language its events are written in."""

    feed: CalendarFeed
    user: User
    language: str


@cache
def _feed_owner() -> Select[CalendarFeed, str]:
    """``feed_owner``'s statement, built once for the process: run with ``token_hash``."""
    return (
        select(CalendarFeed, Client.preferred_language)
        .options(joinedload(CalendarFeed.user))
        .outerjoin(Client, Client.portal_user_id == CalendarFeed.user_id)
        .where(
            CalendarFeed.token_hash == bindparam("token_hash", type_=String()),
            CalendarFeed.revoked_at.is_(None),
        )
    )


def feed_owner(raw: str) -> FeedOwner | None:
    """The active client or family member whose feed this token opens (in one statement,
    with a client's record language), or None."""
    row = db.session.execute(_feed_owner(), {"token_hash": _hash(raw)}).first()
    if row is None:
        return None
    feed, record_language = row
    if not feed.user.active or feed.user.role not in (Role.CLIENT, Role.FAMILY):
        return None
    return FeedOwner(feed, feed.user, _reader_language(feed.user, record_language))


def stamp_fetch(feed: CalendarFeed, now: datetime) -> None:
    """Remember when the feed was last fetched, at most once per ``FEED_STAMP_EVERY``.

    Called once the feed is written, just before the commit: on SQLite the write takes the
    database's write lock, and taken earlier it would be held while the calendar is built,
    keeping every other writer waiting."""
    if feed.last_used_at is None or now - feed.last_used_at >= FEED_STAMP_EVERY:
        feed.last_used_at = now


@cache
def _shared_appointments(role: str) -> Select[Any]:
    """``appointments_for``' statement, built once per role for the process (building it cost
    more than running it): run with ``user_id``, ``since`` and ``now``."""
    anyone = policy.anyone_with(role)
    if role == Role.FAMILY:
        shared = policy.client_ids_shared_with(anyone, "appointments", at=policy.moment("now"))
    else:
        shared = policy.visible_clients(anyone).with_only_columns(Client.id)
    return (
        select(Appointment)
        .options(joinedload(Appointment.staff), joinedload(Appointment.client))
        # With the (client, start) index this reads only the rows the feed shows.
        .where(Appointment.client_id.in_(shared), Appointment.starts_at >= policy.moment("since"))
        .order_by(Appointment.starts_at, Appointment.id)
    )


def appointments_for(user: User, *, since: datetime) -> list[Appointment]:
    """What the client's own or the family member's shared calendar shows right now, from
    ``since`` on."""
    if user.role not in (Role.CLIENT, Role.FAMILY):
        return []
    values = {"user_id": user.id, "since": since, "now": utcnow()}
    return list(db.session.scalars(_shared_appointments(user.role), values))


def feed_appointments(user: User) -> list[Appointment]:
    """What a feed serves: from ``FEED_PAST_DAYS`` ago on, everything booked ahead."""
    return appointments_for(user, since=utcnow() - timedelta(days=FEED_PAST_DAYS))


@cache
def _client_appointments(past: int) -> Select[Any]:
    """``client_appointments``' statement, built once for the process (the client's
    appointments page runs it): run with ``client_id`` and ``now``."""
    client_id = bindparam("client_id", type_=Integer())
    now = policy.moment("now")
    recent = (
        select(Appointment.id)
        .where(Appointment.client_id == client_id, Appointment.ends_at <= now)
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
        .limit(past)
    )
    return (
        select(Appointment)
        .options(joinedload(Appointment.staff))
        .where(
            Appointment.client_id == client_id,
            or_(Appointment.ends_at > now, Appointment.id.in_(recent)),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )


def client_appointments(
    client: Client, *, now: datetime, past: int
) -> tuple[list[Appointment], list[Appointment]]:
    """The client's appointments not over yet (soonest first) and the latest ``past`` ones
    that are (newest first), in one statement however long their history."""
    rows = db.session.scalars(
        _client_appointments(past), {"client_id": client.id, "now": now}
    ).all()
    for appointment in rows:
        set_committed_value(appointment, "client", client)
    upcoming = [a for a in rows if a.ends_at > now]
    return upcoming, [a for a in rows if a.ends_at <= now][::-1]


def _reader_language(user: User, record_language: str | None) -> str:
    """The feed owner's language: their saved choice, else (a client) their record's."""
    languages = current_app.config["LANGUAGES"]
    if user.locale in languages:
        return str(user.locale)
    if user.role == Role.CLIENT and record_language in languages:
        return str(record_language)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def _summary(appointment: Appointment, *, for_family: bool) -> str:
    kind = str(APPOINTMENT_KIND_LABELS[appointment.kind])
    if for_family:
        return _(
            "%(client)s: %(kind)s with %(name)s",
            client=appointment.client.display_name,
            kind=kind,
            name=appointment.staff.display_name,
        )
    return _("%(kind)s with %(name)s", kind=kind, name=appointment.staff.display_name)


def to_ical(
    appointments: Sequence[Appointment], *, locale: str, calendar_name: str, for_family: bool
) -> bytes:
    """An iCalendar file of the appointments, written in the reader's language, with times in
    the agency's zone (its VTIMEZONE included so that any calendar app reads them right)."""
    zone = agency_zone()
    calendar = Calendar()
    calendar.add("prodid", "-//Waypoint//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", zone.key)
    stamp = utcnow()
    with force_locale(locale):
        for appointment in appointments:
            event = Event()
            event.add("uid", f"appointment-{appointment.id}@waypoint")
            event.add("dtstamp", stamp)
            event.add("dtstart", appointment.starts_at.astimezone(zone))
            event.add("dtend", appointment.ends_at.astimezone(zone))
            event.add("summary", _summary(appointment, for_family=for_family))
            event.add("sequence", appointment.version)
            event.add("status", "CANCELLED" if appointment.status == "cancelled" else "CONFIRMED")
            if appointment.location:
                event.add("location", appointment.location)
            if appointment.video_link:
                event.add("url", appointment.video_link)
            calendar.add_component(event)
    if appointments:
        # Only the years the events need: a short VTIMEZONE that every calendar app reads.
        first = min(a.starts_at for a in appointments).date()
        last = max(a.ends_at for a in appointments).date()
        # What add_missing_timezones does, with each zone's component built once per process.
        for tzid in sorted(calendar.get_missing_tzids()):
            timezone = _vtimezone(tzid, first.year, last.year + 1)
            if timezone is not None:
                calendar.subcomponents.insert(len(calendar.timezones), timezone)
    return _written(calendar)


def _written(calendar: Calendar) -> bytes:
    """``calendar.to_ical()``, byte for byte. icalendar folds every line character by
    character, encoding each one to count its octets: a tenth of a feed request. A line
    shorter than the fold width comes out of folding as it went in, so it is written as it
    is; icalendar folds the longer ones."""
    written = []
    for line in calendar.content_lines():
        if line:
            octets = line.encode()
            written.append(octets if len(octets) < FOLD_OCTETS else line.to_ical())
    return b"\r\n".join(written) + b"\r\n"


@lru_cache(maxsize=32)
def _vtimezone(tzid: str, first_year: int, end_year: int) -> Timezone | None:
    """The zone's VTIMEZONE from the first year to the start of the end year (what
    icalendar's ``add_missing_timezones`` would add). Working out the transitions costs more
    than all the rest of a feed request and depends only on the zone and the years, so each
    process builds each span once; the component is only read afterwards."""
    try:
        return Timezone.from_tzid(
            tzid, first_date=date(first_year, 1, 1), last_date=date(end_year, 1, 1)
        )
    except ValueError:
        return None
