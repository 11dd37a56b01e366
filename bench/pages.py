"""The key pages and what they need from the database: whose they are, and which ids."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask import Flask

from portal import create_app, policy
from portal.extensions import db
from portal.models import Appointment, Client, ProgressNote, User
from portal.services import calendars

CM_EMAIL = "cm@example.org"
SUPERVISOR_EMAIL = "supervisor@example.org"
FALLBACK_CLIENT_EMAIL = "client@example.org"
ANONYMOUS = "anonymous"
FLOOR = "login"
FEED_PATH = re.compile(r"/feeds/[^/]+\.ics$")


@dataclass(frozen=True)
class Page:
    """One measured request: who makes it, where, and how."""

    key: str
    label: str
    who: str
    path: str
    partial: bool = False  # sent as htmx does (HX-Request: true)
    autosave: bool = False  # the note editor's autosave POST

    @property
    def method(self) -> str:
        return "POST" if self.autosave else "GET"

    @property
    def shown_path(self) -> str:
        """The path as the results keep it: a feed's token is a credential."""
        return FEED_PATH.sub("/feeds/<token>.ics", self.path)


@dataclass(frozen=True)
class Fixtures:
    """The people and records the pages are about, read from the database under test."""

    emails: dict[str, str]
    client_id: int
    client_notes: int
    search: str
    portal_client_id: int
    feed_token: str

    def describe(self) -> dict[str, object]:
        """What the results file keeps (not the feed token, which is a credential)."""
        kept = asdict(self)
        kept.pop("feed_token")
        return kept


def key_pages(fx: Fixtures) -> list[Page]:
    """The floor (the sign-in form) first, then the key pages of issue 12."""
    record = f"/staff/clients/{fx.client_id}"
    return [
        Page(FLOOR, "/login (sign-in form): the floor", ANONYMOUS, "/login"),
        Page("staff_dashboard_cm", "staff dashboard (case manager)", "cm", "/staff/"),
        Page("staff_dashboard_sup", "staff dashboard (supervisor)", "supervisor", "/staff/"),
        Page("caseload_cm", "caseload list (case manager)", "cm", "/staff/clients"),
        Page("caseload_sup", "caseload list (supervisor)", "supervisor", "/staff/clients"),
        Page(
            "search_partial",
            f"caseload search partial (supervisor, q={fx.search})",
            "supervisor",
            f"/staff/clients?q={fx.search}",
            partial=True,
        ),
        Page("record_overview", "client record overview", "cm", record),
        Page("timeline", "timeline", "cm", f"{record}/timeline"),
        Page("care_plan", "care plan", "cm", f"{record}/plan"),
        Page("notes_list", "notes list", "cm", f"{record}/notes"),
        Page(
            "note_autosave",
            "note editor autosave (POST)",
            "cm",
            f"{record}/notes/save",
            partial=True,
            autosave=True,
        ),
        Page("week_calendar", "week calendar", "cm", "/staff/appointments?view=week"),
        Page("report", "reports (supervisor, team)", "supervisor", "/staff/reports"),
        Page("client_home", "client home", "client", "/client/"),
        Page("client_goals", "client goals", "client", "/client/goals"),
        Page("client_appointments", "client appointments", "client", "/client/appointments"),
        Page("ics_feed", "calendar feed (.ics)", ANONYMOUS, f"/feeds/{fx.feed_token}.ics"),
    ]


def make_app(database_url: str) -> Flask:
    """The app in this process, on the database under test (for ids and query counts)."""
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url})


def has_generator() -> bool:
    """Whether this version of the app has the ``generate-data`` command."""
    return "generate-data" in create_app().cli.commands


def resolve(app: Flask) -> Fixtures:
    """Choose the records the pages show, and issue the client's calendar feed token."""
    with app.app_context():
        cm = _user(CM_EMAIL)
        supervisor = _user(SUPERVISOR_EMAIL)
        client_id, notes = _busiest_client(cm)
        portal_client = _portal_client(cm)
        portal_user = portal_client.portal_user
        assert portal_user is not None
        names = db.session.scalars(
            policy.visible_clients(supervisor).with_only_columns(Client.legal_name)
        ).all()
        token = calendars.issue_feed(portal_user, ip=None)
        db.session.commit()
        fixtures = Fixtures(
            emails={"cm": CM_EMAIL, "supervisor": SUPERVISOR_EMAIL, "client": portal_user.email},
            client_id=client_id,
            client_notes=notes,
            search=_search_term(names),
            portal_client_id=portal_client.id,
            feed_token=token,
        )
        db.session.remove()
    return fixtures


def _user(email: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        raise SystemExit(f"bench: the database has no {email}: is it generated data?")
    return user


def _busiest_client(cm: User) -> tuple[int, int]:
    """The case manager's client with the most progress notes: a well-used record."""
    notes = sa.func.count(ProgressNote.id)
    row = db.session.execute(
        sa.select(Client.id, notes)
        .outerjoin(ProgressNote, ProgressNote.client_id == Client.id)
        .where(Client.primary_case_manager_id == cm.id)
        .group_by(Client.id)
        .order_by(notes.desc(), Client.id)
        .limit(1)
    ).first()
    if row is None:
        raise SystemExit(f"bench: {CM_EMAIL} has no clients")
    return int(row[0]), int(row[1])


def _portal_client(cm: User) -> Client:
    """Of the case manager's clients with a portal account in English, the one with the most
    appointments; the demo's client@example.org when there is none."""
    count = sa.func.count(Appointment.id)
    chosen = db.session.scalars(
        sa.select(Client)
        .join(User, User.id == Client.portal_user_id)
        .outerjoin(Appointment, Appointment.client_id == Client.id)
        .where(
            Client.primary_case_manager_id == cm.id,
            sa.func.coalesce(User.locale, "en") == "en",
        )
        .group_by(Client.id)
        .order_by(count.desc(), Client.id)
        .limit(1)
    ).first()
    if chosen is None:
        fallback = _user(FALLBACK_CLIENT_EMAIL)
        chosen = db.session.scalar(sa.select(Client).where(Client.portal_user_id == fallback.id))
    if chosen is None:
        raise SystemExit("bench: no client with a portal account")
    return chosen


def _search_term(legal_names: Sequence[str]) -> str:
    """Three letters of a surname, as someone types into the caseload search: the most
    common first three letters among the supervisor's clients, so the partial lists several."""
    prefixes = Counter(
        prefix
        for name in legal_names
        if len(prefix := name.split()[-1][:3].lower()) == 3
        and prefix.isascii()
        and prefix.isalpha()
    )
    if not prefixes:
        raise SystemExit(f"bench: {SUPERVISOR_EMAIL} sees no client to search for")
    return sorted(prefixes.items(), key=lambda item: (-item[1], item[0]))[0][0]
