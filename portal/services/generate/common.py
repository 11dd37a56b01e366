"""What every part of the generator shares: the fixed clock, the tables, random helpers and
the audit events collected on the way (written at the end, in time order)."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ...models import (
    Appointment,
    AppointmentRequest,
    Assessment,
    AuditEvent,
    CarePlan,
    CareTeamMember,
    Client,
    CrisisEvent,
    EmergencyContact,
    Episode,
    Goal,
    GoalProgress,
    Intervention,
    Message,
    MessageThread,
    NoteCosignature,
    Objective,
    ProgressNote,
    Referral,
    ReferralEvent,
    RiskChange,
    SafetyPlanVersion,
    StatusChange,
    Task,
    TaskItem,
    ThreadRead,
    User,
)
from .writer import BulkWriter

# The email domain of every generated account: how a second run is recognised.
DOMAIN = "generated.example.org"

T_USER = User.__table__
T_CLIENT = Client.__table__
T_EPISODE = Episode.__table__
T_STATUS = StatusChange.__table__
T_RISK = RiskChange.__table__
T_TEAM = CareTeamMember.__table__
T_CONTACT = EmergencyContact.__table__
T_ASSESSMENT = Assessment.__table__
T_PLAN = CarePlan.__table__
T_GOAL = Goal.__table__
T_OBJECTIVE = Objective.__table__
T_INTERVENTION = Intervention.__table__
T_PROGRESS = GoalProgress.__table__
T_NOTE = ProgressNote.__table__
T_COSIGN = NoteCosignature.__table__
T_APPOINTMENT = Appointment.__table__
T_REQUEST = AppointmentRequest.__table__
T_REFERRAL = Referral.__table__
T_REFERRAL_EVENT = ReferralEvent.__table__
T_TASK = Task.__table__
T_TASK_ITEM = TaskItem.__table__
T_THREAD = MessageThread.__table__
T_MESSAGE = Message.__table__
T_READ = ThreadRead.__table__
T_CRISIS = CrisisEvent.__table__
T_SAFETY = SafetyPlanVersion.__table__
T_AUDIT = AuditEvent.__table__

# (occurred_at, actor_id, action, object_type, object_id, client_id, detail)
Event = tuple[datetime, int | None, str, str | None, str | None, int | None, str | None]


@dataclass(frozen=True)
class Clock:
    """ "Now", fixed when the run starts, and the agency's calendar around it."""

    now: datetime
    zone: ZoneInfo

    @classmethod
    def at_start_of_day(cls, moment: datetime, zone: ZoneInfo) -> Clock:
        """A clock set to midnight, in the agency's zone, of the day of ``moment``."""
        clock = cls(moment, zone)
        return cls(clock.at(clock.today, 0), zone)

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A wall-clock time of the agency on that day, in UTC."""
        return datetime.combine(day, time(hour, minute), self.zone).astimezone(UTC)

    def day_of(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()


@dataclass
class Agency:
    """The generated agency as the per-client generator needs it."""

    clock: Clock
    writer: BulkWriter
    roles: dict[int, str]
    supervisor_of: dict[int, int | None]
    cosign: set[int]
    resources: dict[str, list[int]]
    audit_from: datetime
    # (staff id, day, hour) already booked, so that nobody is in two places at once.
    taken: set[tuple[int, date, int]] = field(default_factory=set)
    events: list[Event] = field(default_factory=list)

    def event(
        self,
        at: datetime,
        actor: int | None,
        action: str,
        kind: str | None,
        object_id: Any,
        client_id: int | None,
        detail: str | None = None,
    ) -> None:
        """Keep an audit event if it falls inside the audited period."""
        if self.audit_from <= at <= self.clock.now:
            self.events.append(
                (
                    at,
                    actor,
                    action,
                    kind,
                    None if object_id is None else str(object_id),
                    client_id,
                    detail,
                )
            )


def random_day(rng: random.Random, first: date, last: date) -> date:
    """A day between the two (inclusive), a working day when the range has one near."""
    if last <= first:
        return first
    day = first + timedelta(days=rng.randint(0, (last - first).days))
    if day.weekday() >= 5:
        friday = day - timedelta(days=day.weekday() - 4)
        monday = day + timedelta(days=7 - day.weekday())
        if friday >= first:
            day = friday
        elif monday <= last:
            day = monday
    return day


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment between the two, to the second."""
    if end <= start:
        return start
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randint(0, seconds))


def new_key(rng: random.Random) -> str:
    """A stable plan-part key, as ``models.new_key`` makes, but from the seeded generator."""
    return f"{rng.getrandbits(128):032x}"


def pick(rng: random.Random, weights: Mapping[str, float]) -> str:
    """One key of the mapping, chosen with its weight."""
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]
