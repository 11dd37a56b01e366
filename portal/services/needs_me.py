"""Who needs me today: the clients of a caseload (or a team) who need someone now, ranked,
each with the reasons and the place to act. All reasons, the ranking and the clients come from
one SQL statement over the whole caseload, so the page costs the same for 10 clients as for
1,000, and only the lines shown leave the database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import (
    OPEN_REFERRAL_STATUSES,
    Appointment,
    Assessment,
    CarePlan,
    Client,
    MessageThread,
    ProgressNote,
    Referral,
    User,
)
from ..models.base import UTCDateTime, unindexed

NO_CONTACT_DAYS = 30
REVIEW_SOON_DAYS = 14
SCREEN_DAYS = 30
PHQ9_WEEKS = 8
DRAFT_HOURS = 72
OPEN_STATUSES = ("intake", "active", "on_hold")

# How much each reason weighs in the ranking: safety first, then what someone waits for.
WEIGHTS = {
    "positive_screen": 100,
    "missed_twice": 60,
    "message": 50,
    "review_overdue": 40,
    "phq9_stalled": 35,
    "referral_overdue": 30,
    "no_contact": 25,
    "draft": 20,
    "review_soon": 15,
}


@dataclass(frozen=True)
class Reason:
    code: str
    # What the line links to: (endpoint, url arguments).
    target: tuple[str, dict[str, Any]]
    # A date or a number the sentence needs (days without contact, the review date, …).
    value: Any = None


@dataclass
class Need:
    client: Client
    reasons: list[Reason] = field(default_factory=list)

    @property
    def score(self) -> int:
        return sum(WEIGHTS[r.code] for r in self.reasons)


def queue(
    client_ids: Any, *, user: User, now: datetime, today: date, limit: int = 25
) -> list[Need]:
    """The ranked queue for these clients (a subquery of ids), at most ``limit`` lines."""
    clients = select(Client.id, Client.status).where(Client.id.in_(client_ids))
    rows = db.session.execute(statement(clients, user.id, limit), parameters(now, today))
    return from_rows(rows, now)


def statement(clients: Select[*tuple[Any, ...]], user_id: Any, limit: int = 25) -> Select[Any]:
    """The queue as one statement over ``clients`` (a select of their id and status): each
    line's client and reasons, ranked. ``user_id`` (whose drafts count) may be a value or a
    bound parameter; run it with ``parameters()``. The statement depends on nothing else, so a
    page may build it once and run it for everyone."""
    reasons = _reasons(clients, user_id).cte("reasons")
    # Ranked as the page sorts them: by score, then by the name shown. The scores are summed
    # over the reasons first and only the clients who have one are read, by id: joined the
    # other way round, SQLite read every client of the agency to find the few with reasons.
    name = Client.sort_name
    scored = (
        select(reasons.c.client_id, func.sum(reasons.c.weight).label("score"))
        .group_by(reasons.c.client_id)
        .subquery("scored")
    )
    top = (
        select(scored.c.client_id.label("id"), scored.c.score)
        .join(Client, Client.id == scored.c.client_id)
        .order_by(scored.c.score.desc(), name, Client.id)
        .limit(limit)
        .subquery("top")
    )
    return (
        select(
            Client,
            reasons.c.code,
            reasons.c.ref,
            reasons.c.due,
            reasons.c.at,
            reasons.c.n1,
            reasons.c.n2,
        )
        .join(top, top.c.id == Client.id)
        .join(reasons, reasons.c.client_id == Client.id)
        .order_by(top.c.score.desc(), name, Client.id, reasons.c.weight.desc())
    )


def parameters(now: datetime, today: date) -> dict[str, Any]:
    """The moments ``statement()`` compares with, for a queue read at ``now`` on ``today``."""
    return {
        "screen_since": now - timedelta(days=SCREEN_DAYS),
        "stalled_before": now - timedelta(weeks=PHQ9_WEEKS),
        "contact_since": now - timedelta(days=NO_CONTACT_DAYS),
        "draft_before": now - timedelta(hours=DRAFT_HOURS),
        "today": today,
        "review_until": today + timedelta(days=REVIEW_SOON_DAYS),
    }


def from_rows(rows: Iterable[Any], now: datetime) -> list[Need]:
    """The queue from the rows of ``statement()``, one Need per client with its reasons."""
    needs: dict[int, Need] = {}
    for client, code, ref, due, at, n1, n2 in rows:
        need = needs.setdefault(client.id, Need(client))
        need.reasons.append(_reason(client.id, code, ref, due, at, n1, n2, now))
    # The database sorted by a lower() that may not fold every letter as Python does.
    return sorted(needs.values(), key=lambda n: (-n.score, n.client.display_name.lower()))


def _moment(name: str) -> Any:
    return bindparam(name, type_=UTCDateTime())


def _day(name: str) -> Any:
    return bindparam(name, type_=Date())


def _reason(
    client_id: int,
    code: str,
    ref: int | None,
    due: date | None,
    at: datetime | None,
    first: int | None,
    last: int | None,
    now: datetime,
) -> Reason:
    """One line of the queue from one row of the reasons."""
    args: dict[str, Any]
    if code == "positive_screen":
        args = {"client_id": client_id, "assessment_id": ref}
        return Reason(code, ("staff.assessment_detail", args))
    if code == "missed_twice":
        return Reason(code, ("staff.client_appointments", {"client_id": client_id}))
    if code == "message":
        return Reason(code, ("staff.message_detail", {"thread_id": ref}))
    if code in ("review_overdue", "review_soon"):
        return Reason(code, ("staff.plan_detail", {"client_id": client_id}), due)
    if code == "phq9_stalled":
        args = {"client_id": client_id, "code": "phq9"}
        return Reason(code, ("staff.assessment_trend", args), (first, last))
    if code == "referral_overdue":
        args = {"client_id": client_id, "referral_id": ref}
        return Reason(code, ("staff.referral_detail", args))
    if code == "no_contact":
        last_contact = _utc(at)
        days = (now - last_contact).days if last_contact else None
        return Reason(code, ("staff.note_new", {"client_id": client_id}), days)
    return Reason(code, ("staff.note_edit", {"client_id": client_id, "note_id": ref}))


def _row(
    client_id: Any,
    code: str | Any,
    *,
    weight: Any = None,
    ref: Any = None,
    due: Any = None,
    at: Any = None,
    n1: Any = None,
    n2: Any = None,
) -> list[Any]:
    """The uniform columns of every reason: who, what, its weight, and what the line needs."""
    return [
        client_id.label("client_id"),
        (literal(code, String) if isinstance(code, str) else code).label("code"),
        (weight if weight is not None else literal(WEIGHTS[code], Integer)).label("weight"),
        # Typed NULLs: PostgreSQL resolves the type of a union's column from its branches.
        (ref if ref is not None else cast(null(), Integer)).label("ref"),
        (due if due is not None else cast(null(), Date)).label("due"),
        (at if at is not None else cast(null(), UTCDateTime())).label("at"),
        (n1 if n1 is not None else cast(null(), Integer)).label("n1"),
        (n2 if n2 is not None else cast(null(), Integer)).label("n2"),
    ]


def _reasons(clients: Select[*tuple[Any, ...]], user_id: Any) -> Any:
    """Every reason of every client, one row each: (client, code, weight, ref, due, at, n1, n2).
    A reason about care (contact, screens, plans) counts only while the client is open."""
    mine = clients.cte("mine")
    open_ids = select(mine.c.id).where(mine.c.status.in_(OPEN_STATUSES))
    everyone = select(mine.c.id)
    return union_all(
        _positive_screens(open_ids),
        _missed_twice(mine),
        _waiting_messages(everyone),
        _reviews(open_ids),
        _phq9_stalled(open_ids),
        _referrals_overdue(everyone),
        _no_contact(mine),
        _old_drafts(everyone, user_id),
    )


def _positive_screens(open_ids: Any) -> Any:
    """A critical answer (PHQ-9 item 9, C-SSRS 3–6) in the last 30 days with no signed
    contact since."""
    followed = (
        select(ProgressNote.id)
        .where(
            ProgressNote.client_id == Assessment.client_id,
            ProgressNote.status == "signed",
            ProgressNote.contact_at >= Assessment.administered_at,
        )
        .exists()
    )
    return (
        select(*_row(Assessment.client_id, "positive_screen", ref=func.max(Assessment.id)))
        .where(
            Assessment.client_id.in_(open_ids),
            Assessment.administered_at >= _moment("screen_since"),
            func.coalesce(cast(Assessment.critical_items, String), "[]") != "[]",
            ~followed,
        )
        .group_by(Assessment.client_id)
    )


def _missed_twice(mine: Any) -> Any:
    """The last two appointments with an outcome were both missed (two index look-ups per
    open client, newest first)."""

    def outcome(back: int) -> Any:
        return (
            select(Appointment.status)
            .where(
                Appointment.client_id == mine.c.id,
                Appointment.status.in_(("attended", "no_show")),
            )
            .order_by(Appointment.starts_at.desc())
            .limit(1)
            .offset(back)
            .scalar_subquery()
        )

    return select(*_row(mine.c.id, "missed_twice")).where(
        mine.c.status.in_(OPEN_STATUSES), outcome(0) == "no_show", outcome(1) == "no_show"
    )


def _waiting_messages(client_ids: Any) -> Any:
    return (
        select(*_row(MessageThread.client_id, "message", ref=func.min(MessageThread.id)))
        .where(MessageThread.client_id.in_(client_ids), MessageThread.awaiting_team.is_(True))
        .group_by(MessageThread.client_id)
    )


def _reviews(open_ids: Any) -> Any:
    """The earliest review of a plan in force: overdue, or due within two weeks."""
    due = func.min(CarePlan.review_due_on)
    overdue = due < _day("today")
    return (
        select(
            *_row(
                CarePlan.client_id,
                case((overdue, "review_overdue"), else_="review_soon"),
                weight=case((overdue, WEIGHTS["review_overdue"]), else_=WEIGHTS["review_soon"]),
                due=due,
            )
        )
        .where(
            CarePlan.client_id.in_(open_ids),
            CarePlan.status.in_(("active", "awaiting_approval")),
            CarePlan.review_due_on <= _day("review_until"),
        )
        .group_by(CarePlan.client_id)
    )


def _phq9_stalled(open_ids: Any) -> Any:
    """A first PHQ-9 of 10 or more at least eight weeks ago, and the latest not yet half."""
    bounds = (
        select(
            Assessment.client_id.label("client_id"),
            func.min(Assessment.administered_at).label("first_at"),
            func.max(Assessment.administered_at).label("last_at"),
        )
        .where(Assessment.client_id.in_(open_ids), Assessment.instrument_code == "phq9")
        .group_by(Assessment.client_id)
        .subquery()
    )
    first, last = aliased(Assessment), aliased(Assessment)
    return (
        select(
            *_row(
                bounds.c.client_id,
                "phq9_stalled",
                n1=func.max(first.total),
                n2=func.max(last.total),
            )
        )
        .join(
            first,
            and_(
                first.client_id == bounds.c.client_id,
                first.administered_at == bounds.c.first_at,
                first.instrument_code == "phq9",
            ),
        )
        .join(
            last,
            and_(
                last.client_id == bounds.c.client_id,
                last.administered_at == bounds.c.last_at,
                last.instrument_code == "phq9",
            ),
        )
        .where(
            bounds.c.first_at <= _moment("stalled_before"),
            bounds.c.last_at > bounds.c.first_at,
            first.total >= 10,
            last.total * 2 > first.total,
        )
        .group_by(bounds.c.client_id)
    )


def _referrals_overdue(client_ids: Any) -> Any:
    return (
        select(*_row(Referral.client_id, "referral_overdue", ref=func.min(Referral.id)))
        .where(
            Referral.client_id.in_(client_ids),
            Referral.status.in_(OPEN_REFERRAL_STATUSES),
            Referral.follow_up_on < _day("today"),
        )
        .group_by(Referral.client_id)
    )


def _no_contact(mine: Any) -> Any:
    """Open clients with no contact in 30 days (a signed note of a contact, or an appointment
    they attended), and when the last one was: probes of each client's newest contacts."""
    since = _moment("contact_since")
    signed = and_(ProgressNote.client_id == mine.c.id, ProgressNote.status == "signed")
    attended = and_(Appointment.client_id == mine.c.id, Appointment.status == "attended")
    last_note = select(func.max(ProgressNote.contact_at)).where(signed).scalar_subquery()
    last_visit = select(func.max(Appointment.starts_at)).where(attended).scalar_subquery()
    last = case(
        (last_visit.is_(None), last_note),
        (last_note.is_(None), last_visit),
        (last_note >= last_visit, last_note),
        else_=last_visit,
    )
    return select(*_row(mine.c.id, "no_contact", at=last)).where(
        mine.c.status.in_(OPEN_STATUSES),
        ~select(ProgressNote.id).where(signed, ProgressNote.contact_at >= since).exists(),
        ~select(Appointment.id).where(attended, Appointment.starts_at >= since).exists(),
    )


def _utc(value: Any) -> datetime | None:
    """A max() over two tables may lose the column's type: read it back as the UTC it is."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _old_drafts(client_ids: Any, user_id: Any) -> Any:
    """My own notes still unsigned three days after I started them (drafts are the author's
    alone, so nobody else is told about them). One author has few drafts, so the search starts
    from them, not from every note of every client in the list."""
    return (
        select(*_row(ProgressNote.client_id, "draft", ref=func.min(ProgressNote.id)))
        .where(
            unindexed(ProgressNote.client_id).in_(client_ids),
            ProgressNote.author_id == user_id,
            ProgressNote.status == "draft",
            ProgressNote.created_at < _moment("draft_before"),
        )
        .group_by(ProgressNote.client_id)
    )
