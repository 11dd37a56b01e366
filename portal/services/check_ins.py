"""Check-ins: a self-report instrument the team asks a client to fill in from the portal, once
or every so many days. Completing one stores a self-reported assessment through the assessment
service, which also acts on a critical answer (risk flag and a task for the case manager)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..i18n import force_locale
from ..i18n import lazy_gettext as _l
from ..instruments import Instrument, Result
from ..models import CHECK_IN_INSTRUMENTS, Assessment, CheckIn, Client, User, utcnow
from . import assessments, audit
from .errors import DomainError, StaleEdit

# "Every N days" choices offered to staff; None means once.
SCHEDULE_DAYS = (7, 14, 28, 30)
CRITICAL_WINDOW = timedelta(days=14)
HISTORY_LIMIT = 50

# What the client reads instead of the instrument's clinical title.
CLIENT_NAMES: Mapping[str, Any] = {
    "phq9": _l("How you have been feeling"),
    "gad7": _l("Worry and nerves"),
}

# One calm sentence per band: never the band's clinical name, never a diagnosis.
PLAIN_RESULTS: Mapping[tuple[str, str], Any] = {
    ("phq9", "minimal"): _l("Your answers suggest you have been feeling mostly okay."),
    ("phq9", "mild"): _l("Your answers suggest you have had some hard days."),
    ("phq9", "moderate"): _l(
        "Your answers suggest you have had a lot of hard days. "
        "Your case manager will talk with you about it."
    ),
    ("phq9", "moderately_severe"): _l(
        "Your answers suggest you have had a lot of hard days. "
        "Your case manager will talk with you about it."
    ),
    ("phq9", "severe"): _l(
        "Your answers suggest the last two weeks have been very hard. "
        "Your case manager will talk with you about it soon."
    ),
    ("gad7", "minimal"): _l("Your answers suggest worry has not been getting in your way much."),
    ("gad7", "mild"): _l("Your answers suggest worry or nerves have bothered you on some days."),
    ("gad7", "moderate"): _l(
        "Your answers suggest worry or nerves have bothered you on a lot of days. "
        "Your case manager will talk with you about it."
    ),
    ("gad7", "severe"): _l(
        "Your answers suggest worry or nerves have made the last two weeks very hard. "
        "Your case manager will talk with you about it soon."
    ),
}
PLAIN_FALLBACK = _l("Thank you. Your case manager will look at your answers with you.")
# A critical answer outweighs a low total: never "mostly okay" beside the crisis help.
PLAIN_CRITICAL = _l(
    "Your answers suggest things have been hard lately. "
    "Your case manager will talk with you about it soon."
)


class AlreadyAssigned(DomainError):
    """The client already has this instrument as an active check-in."""


class NotWaiting(DomainError):
    """The check-in was stopped, or is not due yet: there is nothing to fill in now."""


@dataclass(frozen=True)
class CriticalCheckIn:
    """A self-reported assessment with a critical answer, with its client (for the dashboard)."""

    assessment: Assessment
    client: Client
    instrument: Instrument | None

    @property
    def id(self) -> int:
        return int(self.assessment.id)

    @property
    def client_id(self) -> int:
        return int(self.assessment.client_id)

    @property
    def client_name(self) -> str:
        return self.client.display_name

    @property
    def administered_at(self) -> datetime:
        when: datetime = self.assessment.administered_at
        return when

    @property
    def instrument_code(self) -> str:
        return str(self.assessment.instrument_code)

    @property
    def critical_items(self) -> list[str]:
        return list(self.assessment.critical_items)


def instrument_for(check_in: CheckIn) -> Instrument:
    """The instrument a check-in asks for (the codes are limited to shipped instruments)."""
    return assessments.instruments()[check_in.instrument_code]


def _audit(action: str, check_in: CheckIn, *, actor: User, ip: str | None, detail: str) -> None:
    audit.record(
        action,
        actor=actor,
        ip=ip,
        object_type="check_in",
        object_id=check_in.id,
        client_id=check_in.client_id,
        detail=detail,
    )


def _flush_or_conflict(check_in: CheckIn) -> None:
    """The version column guards the UPDATE: of two submits racing, the second one loses."""
    try:
        db.session.flush()
    except StaleDataError as error:
        raise StaleEdit(check_in) from error


def assign(
    client: Client,
    code: str,
    every_days: int | None,
    first_due: date,
    *,
    actor: User,
    ip: str | None,
) -> CheckIn:
    """Ask the client to fill in an instrument from the portal, once or every so many days."""
    if code not in CHECK_IN_INSTRUMENTS or code not in assessments.instruments():
        raise DomainError("unknown check-in instrument")
    if every_days is not None and every_days not in SCHEDULE_DAYS:
        raise DomainError("unknown check-in schedule")
    active = db.session.scalar(
        select(CheckIn.id).where(
            CheckIn.client_id == client.id, CheckIn.instrument_code == code, CheckIn.active
        )
    )
    if active is not None:
        raise AlreadyAssigned("this instrument is already an active check-in")
    check_in = CheckIn(
        client_id=client.id,
        instrument_code=code,
        every_days=every_days,
        due_on=first_due,
        assigned_by_id=actor.id,
    )
    db.session.add(check_in)
    db.session.flush()
    schedule = "once" if every_days is None else f"every {every_days} days"
    _audit("create", check_in, actor=actor, ip=ip, detail=f"{code} {schedule} from {first_due}")
    return check_in


def stop(check_in: CheckIn, *, actor: User, ip: str | None) -> None:
    """No more check-ins of this kind; what the client already answered stays on the record."""
    if not check_in.active:
        return
    check_in.active = False
    _flush_or_conflict(check_in)
    _audit("update", check_in, actor=actor, ip=ip, detail="stopped")


def due_for(client: Client, today: date) -> list[CheckIn]:
    """Check-ins waiting for the client now, the longest waiting first."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.client_id == client.id, CheckIn.active, CheckIn.due_on <= today)
            .order_by(CheckIn.due_on, CheckIn.id)
        )
    )


def due_count_query(client: Client, today: date | Any) -> Select[Any]:
    """How many check-ins wait for the client now, as a statement to combine with others
    (``today`` may be a bound parameter)."""
    return (
        select(func.count())
        .select_from(CheckIn)
        .where(CheckIn.client_id == client.id, CheckIn.active, CheckIn.due_on <= today)
    )


def coming_up(client: Client, today: date) -> list[CheckIn]:
    """Active check-ins that fall due later, the soonest first."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.client_id == client.id, CheckIn.active, CheckIn.due_on > today)
            .order_by(CheckIn.due_on, CheckIn.id)
        )
    )


def for_record(client: Client) -> list[CheckIn]:
    """Every check-in of a client for the staff panel: active ones first, newest first."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .where(CheckIn.client_id == client.id)
            .order_by(CheckIn.active.desc(), CheckIn.id.desc())
            .limit(50)
        )
    )


def _self_reports(client: Client) -> Select[Assessment]:
    return select(Assessment).where(
        Assessment.client_id == client.id,
        Assessment.self_report,
        Assessment.instrument_code.in_(CHECK_IN_INSTRUMENTS),
    )


def history(client: Client, limit: int = HISTORY_LIMIT) -> list[Assessment]:
    """The client's own answered check-ins, newest first."""
    query = _self_reports(client).order_by(Assessment.administered_at.desc(), Assessment.id.desc())
    return list(db.session.scalars(query.limit(limit)))


def own_result(client: Client, assessment_id: int) -> Assessment | None:
    """One of the client's own answered check-ins (never an assessment staff filled in)."""
    return db.session.scalar(_self_reports(client).where(Assessment.id == assessment_id))


def complete(
    check_in: CheckIn,
    answers: Mapping[str, int | None],
    *,
    actor: User,
    ip: str | None,
    today: date,
    expected: int | None = None,
) -> tuple[Assessment, Result]:
    """Store the client's answers as a self-report and move the schedule on.

    ``expected`` is the version the form was read at: a second submit of the same form (or
    one racing it) raises ``StaleEdit`` and stores nothing.
    """
    if expected is not None and expected != check_in.version:
        raise StaleEdit(check_in)
    if not check_in.is_due(today):
        raise NotWaiting("nothing to fill in now")
    instrument = instrument_for(check_in)
    if instrument.missing(answers):
        raise DomainError("every question needs an answer")
    # The schedule moves first, so that the version guard runs before anything is stored.
    if check_in.every_days is None:
        check_in.active = False
    else:
        check_in.due_on = today + timedelta(days=check_in.every_days)
    check_in.last_done_at = utcnow()
    _flush_or_conflict(check_in)
    assessment, result = assessments.record(
        check_in.client,
        instrument,
        answers,
        {},
        actor=actor,
        ip=ip,
        today=today,
        self_report=True,
    )
    check_in.last_assessment_id = assessment.id
    _flush_or_conflict(check_in)
    _audit("update", check_in, actor=actor, ip=ip, detail=f"completed {assessment.id}")
    return assessment, result


def plain_result(result: Result | Assessment, instrument: Instrument, locale: str) -> str:
    """A calm sentence for the client about what the answers suggest, without clinical labels."""
    band = result.band
    code = band.code if band is not None and not isinstance(band, str) else band
    message = PLAIN_RESULTS.get((instrument.code, code or ""), PLAIN_FALLBACK)
    if result.critical_items:
        message = PLAIN_CRITICAL
    with force_locale(locale):
        return str(message)


def critical_recent_query(client_ids: Any, since: datetime | None = None) -> Select[Any]:
    """The self-reported assessments with a critical item since ``since`` (default: the last
    14 days) among the given clients, newest first, as a statement to page or combine.
    ``since`` may be a bound parameter."""
    since = utcnow() - CRITICAL_WINDOW if since is None else since
    return (
        select(Assessment)
        .where(
            Assessment.client_id.in_(client_ids),
            Assessment.self_report,
            Assessment.administered_at >= since,
            cast(Assessment.critical_items, String).not_in(["[]", "null"]),
        )
        .order_by(Assessment.administered_at.desc(), Assessment.id.desc())
    )


def critical_recent(
    client_ids: Select[Any] | Iterable[int], since: datetime | None = None, limit: int = 20
) -> list[CriticalCheckIn]:
    """Self-reported answers with a critical item since ``since`` (default: the last 14 days),
    newest first, each with its client, in one query."""
    ids = client_ids if isinstance(client_ids, Select) else list(client_ids)
    rows = db.session.execute(
        critical_recent_query(ids, since)
        .add_columns(Client)
        .join(Client, Client.id == Assessment.client_id)
        .limit(limit)
    ).all()
    known = assessments.instruments()
    return [
        CriticalCheckIn(assessment, client, known.get(assessment.instrument_code))
        for assessment, client in rows
        if assessment.critical_items
    ]
