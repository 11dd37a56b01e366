"""Reading the audit log: filtered, keyset-paged queries and CSV rows, every one on an index.

The log grows to millions of rows, so nothing here counts the table or skips rows with
OFFSET: a page is "the newest events older than this id", and the CSV export walks the
same way in batches. Which indexes carry which filter is written down in docs/audit.md.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TypeAlias

from sqlalchemy import Select, select

from ..extensions import db
from ..models import STAFF_ROLES, AuditEvent, AuditHead, Client, Role, User, normalize_email
from . import audit
from .audit import ACTIONS, HEAD_ID

# Events with who did each (None for an event with nobody signed in).
EventQuery: TypeAlias = "Select[AuditEvent, User]"

PAGE_SIZE = 50
# How far apart the clocks of two app servers may be (see _id_bounds).
CLOCK_SKEW = timedelta(minutes=5)
EXPORT_BATCH = 1000

# What an accounting of disclosures lists: every time staff saw, printed, exported or tried
# to open the client's data.
DISCLOSURE_ACTIONS = ("view", "print", "export", "access_denied")

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilters:
    """The viewer's filters, already resolved to what the table stores."""

    actor_id: int | None = None
    client_id: int | None = None
    action: str = ""
    object_type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    # Something typed that names nobody (an unknown email or record number): no event matches.
    unmatched: bool = False

    def summary(self) -> str | None:
        """The filters in a few words for the audit event of reading the log (no names)."""
        parts = [
            f"{name}={value}"
            for name, value in (
                ("actor", self.actor_id),
                ("client", self.client_id),
                ("action", self.action),
                ("object", self.object_type),
                ("from", self.date_from),
                ("to", self.date_to),
            )
            if value
        ]
        return " ".join(parts)[:255] or None


@dataclass(frozen=True)
class Page:
    """One page of events, newest first, with who did each, and the cursor for older ones."""

    rows: Sequence[tuple[AuditEvent, User | None]]
    older: int | None = None


def find_actor_id(text: str) -> int | None:
    """A user by id or by email (as stored, normalized); None when nobody matches."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    found: int | None = db.session.scalar(
        select(User.id).where(User.email == normalize_email(text))
    )
    return found


def find_client_id(text: str) -> int | None:
    """A client by database id or by record number (unique index, matched as issued, in
    capitals); None when no client has that record number."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    found: int | None = db.session.scalar(
        select(Client.id).where(Client.record_number == text.upper())
    )
    return found


def day_bounds(
    date_from: date | None, date_to: date | None, zone: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """The instants that start ``date_from`` and end ``date_to`` (inclusive) in the zone."""
    start = datetime.combine(date_from, time.min, zone) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, zone) if date_to else None
    return start, end


def _id_bounds(start: datetime | None, end: datetime | None) -> tuple[int | None, int | None]:
    """Event ids that enclose every event between two instants, from two probes of the
    occurred_at index, so that a page walks the primary key instead of sorting a range.

    Ids follow time except where app servers' clocks differ, by less than CLOCK_SKEW: an
    event written before ``start - CLOCK_SKEW`` has a smaller id than every event from
    ``start`` on, and one written from ``end + CLOCK_SKEW`` on a larger id than every event
    before ``end``.
    """
    low = high = None
    if start is not None:
        low = db.session.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.occurred_at < start - CLOCK_SKEW)
            .order_by(AuditEvent.occurred_at.desc())
            .limit(1)
        )
    if end is not None:
        high = db.session.scalar(
            select(AuditEvent.id)
            .where(AuditEvent.occurred_at >= end + CLOCK_SKEW)
            .order_by(AuditEvent.occurred_at)
            .limit(1)
        )
    return low, high


def filtered(f: AuditFilters, *, zone: tzinfo) -> EventQuery:
    """The events matching the filters, with their actors, newest first.

    Each filter is an equality on an indexed column (action, actor_id, client_id) or, for
    dates, a primary-key range found on the occurred_at index, all walked in id order;
    object_type has no index and only narrows what the other conditions found.
    """
    query: EventQuery = (
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.id.desc())
    )
    if f.unmatched:
        return query.where(AuditEvent.id < 0)
    if f.actor_id:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    if f.client_id:
        query = query.where(AuditEvent.client_id == f.client_id)
    if f.action in ACTIONS:
        query = query.where(AuditEvent.action == f.action)
    if f.object_type:
        query = query.where(AuditEvent.object_type == f.object_type)
    start, end = day_bounds(f.date_from, f.date_to, zone)
    low, high = _id_bounds(start, end)
    if start is not None:
        query = query.where(AuditEvent.occurred_at >= start)
    if end is not None:
        query = query.where(AuditEvent.occurred_at < end)
    if low is not None:
        query = query.where(AuditEvent.id > low)
    if high is not None:
        query = query.where(AuditEvent.id < high)
    return query


def disclosures(client_id: int) -> EventQuery:
    """Every view, print, export and refused attempt on one client's data by staff, with
    who it was, newest first: the accounting of disclosures a client may ask for."""
    query: EventQuery = (
        select(AuditEvent, User)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(
            AuditEvent.client_id == client_id,
            AuditEvent.action.in_(DISCLOSURE_ACTIONS),
            AuditEvent.actor_role.in_([str(role) for role in STAFF_ROLES]),
        )
        .order_by(AuditEvent.id.desc())
    )
    return query


def page(query: EventQuery, before: int | None, size: int = PAGE_SIZE) -> Page:
    """One page of a newest-first query: events older than ``before`` (the previous page's
    last id), one query, and the cursor of the next page (None at the end)."""
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = db.session.execute(query.limit(size + 1)).all()
    if len(rows) > size:
        rows = rows[:size]
        return Page(rows, older=rows[-1][0].id)
    return Page(rows)


def batches(
    query: EventQuery, *, below: int, size: int = EXPORT_BATCH
) -> Iterator[tuple[AuditEvent, User | None]]:
    """Every row of a newest-first query with ids below ``below``, a batch at a time, by
    keyset (a million rows never sit in memory, nor in the session's identity map)."""
    cursor = below
    while True:
        rows = db.session.execute(query.where(AuditEvent.id < cursor).limit(size)).all()
        yield from rows
        if len(rows) < size:
            return
        cursor = rows[-1][0].id
        for event, _actor in rows:
            db.session.expunge(event)


def event_count() -> int:
    """How many events the chain holds, from its head row (never a count of the table)."""
    head = db.session.get(AuditHead, HEAD_ID)
    return int(head.event_count) if head is not None else 0


def may_see_disclosures(user: User, client: Client) -> bool:
    """Who may read a client's accounting of disclosures, once the client's record is open to
    them: supervisors (who review access), and the client's primary case manager (who hands it
    to the client who asks). Care-team members and emergency access do not open it, and
    administrators never reach a client record at all."""
    if user.role == Role.SUPERVISOR:
        return True
    return user.role == Role.CASE_MANAGER and client.primary_case_manager_id == user.id


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> Iterator[str]:
    """CSV text a line at a time, header first; text that a spreadsheet would run as a
    formula is quoted with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    yield out.getvalue()
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow([_cell(value) for value in row])
        yield out.getvalue()


def _utc(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


AUDIT_CSV_HEADER = (
    "id",
    "occurred_at_utc",
    "actor_id",
    "actor_email",
    "actor_name",
    "actor_role",
    "action",
    "object_type",
    "object_id",
    "client_id",
    "ip",
    "outcome",
    "detail",
    "prev_hash",
    "hash",
)


def audit_csv_row(event: AuditEvent, actor: User | None) -> tuple[object, ...]:
    """One event as a row of the full export (``AUDIT_CSV_HEADER``), hashes included so the
    chain can be checked outside the portal."""
    return (
        event.id,
        _utc(event.occurred_at),
        event.actor_id,
        actor.email if actor else "",
        actor.display_name if actor else "",
        event.actor_role or "",
        event.action,
        event.object_type or "",
        event.object_id or "",
        event.client_id,
        event.ip or "",
        event.outcome,
        event.detail or "",
        event.prev_hash,
        event.hash,
    )


def record_read(
    actor: User,
    *,
    ip: str | None,
    object_type: str,
    client_id: int | None = None,
    detail: str | None = None,
    action: str = "view",
) -> AuditEvent:
    """Reading or exporting the log is itself an event: who looked at what, with which filters."""
    return audit.record(
        action,
        actor=actor,
        ip=ip,
        object_type=object_type,
        object_id=client_id,
        client_id=client_id,
        detail=detail,
    )


def check_chain(actor: User, *, ip: str | None) -> audit.ChainReport:
    """Walk the whole chain now (slow on a big log) and log that it was checked, and how."""
    report = audit.verify_chain()
    outcome = "intact" if report.ok else f"broken at {report.broken_id}: {report.reason}"
    record_read(actor, ip=ip, object_type="audit_log", detail=f"chain check: {outcome}")
    return report


def refuse_audit_log(actor: User, *, ip: str | None, path: str) -> None:
    """Staff whose role does not read the log asked for it: refused, and the attempt kept."""
    audit.record(
        "access_denied",
        actor=actor,
        ip=ip,
        outcome="denied",
        object_type="audit_log",
        detail=path,
    )


def refuse_disclosures(actor: User, client: Client, *, ip: str | None, path: str) -> None:
    """A staff member who may open the record but not its accounting of disclosures: refused
    as missing, and the attempt kept."""
    audit.record(
        "access_denied",
        actor=actor,
        ip=ip,
        outcome="denied",
        object_type="disclosures",
        object_id=client.id,
        client_id=client.id,
        detail=path,
    )
