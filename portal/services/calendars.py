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
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from .. import policy
from ..extensions import db
from ..i18n import agency_zone
from ..labels import APPOINTMENT_KIND_LABELS
from ..models import Appointment, CalendarFeed, Client, Role, User, utcnow
from . import audit

# How far back a feed reaches: recent history stays visible in the calendar app.
FEED_PAST_DAYS = 60


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def current_feed(user: User) -> CalendarFeed | None:
    feed: CalendarFeed | None = db.session.scalar(
        select(CalendarFeed).where(
            CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None)
        )
    )
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


def feed_owner(raw: str) -> User | None:
    """The active client or family member whose feed this token opens, or None."""
    feed = db.session.scalar(
        select(CalendarFeed)
        .options(selectinload(CalendarFeed.user))
        .where(CalendarFeed.token_hash == _hash(raw), CalendarFeed.revoked_at.is_(None))
    )
    if feed is None or not feed.user.active or feed.user.role not in (Role.CLIENT, Role.FAMILY):
        return None
    feed.last_used_at = utcnow()
    return feed.user


def appointments_for(user: User, *, since: datetime | None = None) -> list[Appointment]:
    """What the client's own or the family member's shared calendar shows, right now."""
    if user.role == Role.FAMILY:
        clients = policy.clients_shared_with(user, "appointments")
    elif user.role == Role.CLIENT:
        clients = policy.visible_clients(user)
    else:
        return []
    query = (
        select(Appointment)
        .options(selectinload(Appointment.staff), selectinload(Appointment.client))
        .where(Appointment.client_id.in_(clients.with_only_columns(Client.id)))
        .order_by(Appointment.starts_at)
    )
    if since is not None:
        query = query.where(Appointment.starts_at >= since)
    return list(db.session.scalars(query))


def feed_appointments(user: User) -> list[Appointment]:
    return appointments_for(user, since=utcnow() - timedelta(days=FEED_PAST_DAYS))


def reader_language(user: User) -> str:
    """The feed owner's language: their saved choice, else (a client) the record's."""
    languages = current_app.config["LANGUAGES"]
    if user.locale in languages:
        return str(user.locale)
    if user.role == Role.CLIENT:
        preferred = db.session.scalar(
            policy.visible_clients(user).with_only_columns(Client.preferred_language)
        )
        if preferred in languages:
            return str(preferred)
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
        calendar.add_missing_timezones(
            first_date=date(first.year, 1, 1), last_date=date(last.year + 1, 1, 1)
        )
    return bytes(calendar.to_ical())
