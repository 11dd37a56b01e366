"""Who needs me today: the clients of a caseload (or a team) who need someone now, ranked,
each with the reasons and the place to act. Every reason is one SQL query over the whole
caseload, so the page costs the same number of queries for 10 clients as for 1,000."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, func, select, union_all
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
    found: dict[int, list[Reason]] = {}

    def add(client_id: int, reason: Reason) -> None:
        found.setdefault(int(client_id), []).append(reason)

    for client_id, assessment_id in _positive_screens(client_ids, now):
        add(
            client_id,
            Reason(
                "positive_screen",
                (
                    "staff.assessment_detail",
                    {"client_id": client_id, "assessment_id": assessment_id},
                ),
            ),
        )
    for client_id in _missed_twice(client_ids):
        add(
            client_id,
            Reason("missed_twice", ("staff.client_appointments", {"client_id": client_id})),
        )
    for client_id, thread_id in _waiting_messages(client_ids):
        add(client_id, Reason("message", ("staff.message_detail", {"thread_id": thread_id})))
    for client_id, due in _reviews(client_ids, today):
        code = "review_overdue" if due < today else "review_soon"
        add(client_id, Reason(code, ("staff.plan_detail", {"client_id": client_id}), due))
    for client_id, first, last in _phq9_stalled(client_ids, now):
        add(
            client_id,
            Reason(
                "phq9_stalled",
                ("staff.assessment_trend", {"client_id": client_id, "code": "phq9"}),
                (first, last),
            ),
        )
    for client_id, referral_id in _referrals_overdue(client_ids, today):
        add(
            client_id,
            Reason(
                "referral_overdue",
                ("staff.referral_detail", {"client_id": client_id, "referral_id": referral_id}),
            ),
        )
    for client_id, last_contact in _no_contact(client_ids, now):
        days = (now - last_contact).days if last_contact else None
        add(client_id, Reason("no_contact", ("staff.note_new", {"client_id": client_id}), days))
    for client_id, note_id in _old_drafts(client_ids, user, now):
        add(
            client_id,
            Reason("draft", ("staff.note_edit", {"client_id": client_id, "note_id": note_id})),
        )
    if not found:
        return []
    clients = {
        c.id: c for c in db.session.scalars(select(Client).where(Client.id.in_(list(found))))
    }
    needs = [
        Need(clients[cid], _one_per_code(reasons))
        for cid, reasons in found.items()
        if cid in clients
    ]
    needs.sort(key=lambda n: (-n.score, n.client.display_name.lower()))
    return needs[:limit]


def _one_per_code(reasons: Iterable[Reason]) -> list[Reason]:
    """One line per kind of reason (the first found), the weightiest first."""
    seen: dict[str, Reason] = {}
    for reason in reasons:
        seen.setdefault(reason.code, reason)
    return sorted(seen.values(), key=lambda r: -WEIGHTS[r.code])


def _open_clients(client_ids: Any) -> Any:
    return select(Client.id).where(Client.id.in_(client_ids), Client.status.in_(OPEN_STATUSES))


def _positive_screens(client_ids: Any, now: datetime) -> list[tuple[int, int]]:
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
    rows = db.session.execute(
        select(Assessment.client_id, func.max(Assessment.id))
        .where(
            Assessment.client_id.in_(_open_clients(client_ids)),
            Assessment.administered_at >= now - timedelta(days=SCREEN_DAYS),
            func.coalesce(cast(Assessment.critical_items, String), "[]") != "[]",
            ~followed,
        )
        .group_by(Assessment.client_id)
    ).all()
    return [(int(c), int(a)) for c, a in rows]


def _missed_twice(client_ids: Any) -> list[int]:
    """The last two appointments with an outcome were both missed."""
    ranked = (
        select(
            Appointment.client_id,
            Appointment.status,
            func.row_number()
            .over(partition_by=Appointment.client_id, order_by=Appointment.starts_at.desc())
            .label("n"),
        )
        .where(
            Appointment.client_id.in_(_open_clients(client_ids)),
            Appointment.status.in_(("attended", "no_show")),
        )
        .subquery()
    )
    rows = db.session.scalars(
        select(ranked.c.client_id)
        .where(ranked.c.n <= 2)
        .group_by(ranked.c.client_id)
        .having(func.sum(case((ranked.c.status == "no_show", 1), else_=0)) == 2)
    ).all()
    return [int(c) for c in rows]


def _waiting_messages(client_ids: Any) -> list[tuple[int, int]]:
    rows = db.session.execute(
        select(MessageThread.client_id, func.min(MessageThread.id))
        .where(MessageThread.client_id.in_(client_ids), MessageThread.awaiting_team.is_(True))
        .group_by(MessageThread.client_id)
    ).all()
    return [(int(c), int(t)) for c, t in rows]


def _reviews(client_ids: Any, today: date) -> list[tuple[int, date]]:
    rows = db.session.execute(
        select(CarePlan.client_id, func.min(CarePlan.review_due_on))
        .where(
            CarePlan.client_id.in_(_open_clients(client_ids)),
            CarePlan.status.in_(("active", "awaiting_approval")),
            CarePlan.review_due_on <= today + timedelta(days=REVIEW_SOON_DAYS),
        )
        .group_by(CarePlan.client_id)
    ).all()
    return [(int(c), d) for c, d in rows if d is not None]


def _phq9_stalled(client_ids: Any, now: datetime) -> list[tuple[int, int, int]]:
    """A first PHQ-9 of 10 or more at least eight weeks ago, and the latest not yet half."""
    bounds = (
        select(
            Assessment.client_id.label("client_id"),
            func.min(Assessment.administered_at).label("first_at"),
            func.max(Assessment.administered_at).label("last_at"),
        )
        .where(
            Assessment.client_id.in_(_open_clients(client_ids)),
            Assessment.instrument_code == "phq9",
        )
        .group_by(Assessment.client_id)
        .subquery()
    )
    first, last = aliased(Assessment), aliased(Assessment)
    rows = db.session.execute(
        select(bounds.c.client_id, first.total, last.total)
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
            bounds.c.first_at <= now - timedelta(weeks=PHQ9_WEEKS),
            bounds.c.last_at > bounds.c.first_at,
            first.total >= 10,
            last.total * 2 > first.total,
        )
    ).all()
    seen: dict[int, tuple[int, int, int]] = {}
    for client_id, first_total, last_total in rows:
        seen.setdefault(int(client_id), (int(client_id), int(first_total), int(last_total)))
    return list(seen.values())


def _referrals_overdue(client_ids: Any, today: date) -> list[tuple[int, int]]:
    rows = db.session.execute(
        select(Referral.client_id, func.min(Referral.id))
        .where(
            Referral.client_id.in_(client_ids),
            Referral.status.in_(OPEN_REFERRAL_STATUSES),
            Referral.follow_up_on < today,
        )
        .group_by(Referral.client_id)
    ).all()
    return [(int(c), int(r)) for c, r in rows]


def _no_contact(client_ids: Any, now: datetime) -> list[tuple[int, datetime | None]]:
    """Open clients with no contact in 30 days (a signed note of a contact, or an appointment
    they attended), and when the last one was."""
    contacts = union_all(
        select(
            ProgressNote.client_id.label("client_id"), ProgressNote.contact_at.label("at")
        ).where(ProgressNote.status == "signed", ProgressNote.client_id.in_(client_ids)),
        select(Appointment.client_id.label("client_id"), Appointment.starts_at.label("at")).where(
            Appointment.status == "attended", Appointment.client_id.in_(client_ids)
        ),
    ).subquery()
    last = (
        select(contacts.c.client_id, func.max(contacts.c.at).label("last_at"))
        .group_by(contacts.c.client_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Client.id, last.c.last_at)
        .outerjoin(last, last.c.client_id == Client.id)
        .where(
            Client.id.in_(_open_clients(client_ids)),
            (last.c.last_at.is_(None)) | (last.c.last_at < now - timedelta(days=NO_CONTACT_DAYS)),
        )
    ).all()
    return [(int(c), _utc(at)) for c, at in rows]


def _utc(value: Any) -> datetime | None:
    """A max() over a union loses the column's type: read it back as the UTC it is."""
    if value is None or isinstance(value, datetime) and value.tzinfo is not None:
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _old_drafts(client_ids: Any, user: User, now: datetime) -> list[tuple[int, int]]:
    """My own notes still unsigned three days after I started them (drafts are the author's
    alone, so nobody else is told about them)."""
    rows = db.session.execute(
        select(ProgressNote.client_id, func.min(ProgressNote.id))
        .where(
            ProgressNote.client_id.in_(client_ids),
            ProgressNote.author_id == user.id,
            ProgressNote.status == "draft",
            ProgressNote.created_at < now - timedelta(hours=DRAFT_HOURS),
        )
        .group_by(ProgressNote.client_id)
    ).all()
    return [(int(c), int(n)) for c, n in rows]
