"""What generating one client's record needs throughout: the averages, the client's own
random generator and span of care, tasks, and the audit events of what is written."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ...instruments import Instrument
from .agency import ClientPlan
from .common import T_TASK, T_TASK_ITEM, Agency, between

# Per client, on average (a client's share grows with the time they have been in care).
NOTES = 60
ASSESSMENTS = 12
APPOINTMENTS = 25
REFERRALS = 4
TASKS = 10
# Only clients with a portal account message; they are about half, so they write twice this.
MESSAGES = 20
AUDIT_EVENTS = 200
# The audit log covers this many days back (since the agency went live with it): every
# change in that time has its events; views of the record fill up the rest.
AUDIT_DAYS = 120


@dataclass(frozen=True)
class Scale:
    """Mean days in care and mean days inside the audited period, over all clients."""

    tenure: float
    audited: float


@dataclass
class PlanVersion:
    """A care-plan version as later parts of the record need it: when, which goals."""

    created: datetime
    keys: list[str] = field(default_factory=list)


def tenure_days(plan: ClientPlan, today: date) -> int:
    """Days the client has been in care (up to discharge or today)."""
    return (min(plan.discharged or today, today) - plan.admitted).days + 1


def audited_days(plan: ClientPlan, today: date) -> int:
    """Days of the client's care inside the audited period."""
    first = max(plan.admitted, today - timedelta(days=AUDIT_DAYS))
    return max(0, (min(plan.discharged or today, today) - first).days + 1)


class RecordBase:
    """One client's generator state; the parts of the record are written by subclasses."""

    def __init__(
        self,
        agency: Agency,
        plan: ClientPlan,
        scale: Scale,
        seed: int,
        instruments: dict[str, Instrument],
        review_days: int,
    ) -> None:
        self.agency = agency
        self.plan = plan
        self.writer = agency.writer
        self.clock = agency.clock
        self.instruments = instruments
        self.review_days = review_days
        self.rng = random.Random(f"{seed}:{plan.index}")  # noqa: S311 - synthetic data
        self.today = self.clock.today
        self.start = plan.admitted
        self.end = min(plan.discharged or self.today, self.today)
        self.factor = tenure_days(plan, self.today) / scale.tenure
        self.audit_share = audited_days(plan, self.today) / scale.audited
        self.created_at = self.clock.at(plan.referred_on, 10)
        self.cm = plan.case_manager
        self.team = [user_id for user_id, _label in plan.care_team]
        self.tasks = 0
        self.versions: list[PlanVersion] = []
        self.notes: list[tuple[int, datetime]] = []
        self.assessments: list[tuple[int, datetime]] = []
        self.threads = 0
        self.booked: set[tuple[date, int]] = set()

    # --- helpers ------------------------------------------------------------------------------

    def count(self, average: float) -> int:
        """How many of something this client has, for an agency-wide average."""
        return max(0, round(average * self.factor * self.rng.uniform(0.75, 1.25)))

    def moment(self, day: date, first_hour: int = 9, last_hour: int = 16) -> datetime:
        """A time on the hour or quarter within working hours of that day."""
        minute = self.rng.choice((0, 15, 30, 45))
        return self.clock.at(day, self.rng.randint(first_hour, last_hour), minute)

    def capped(self, moment: datetime) -> datetime:
        """Never later than the run's "now"."""
        return min(moment, self.clock.now - timedelta(minutes=1))

    def staff_member(self, team_share: float = 0.15) -> int:
        """Who did it: the case manager mostly, sometimes someone on the care team."""
        if self.team and self.rng.random() < team_share:
            return self.rng.choice(self.team)
        return self.cm

    def event(
        self, at: datetime, actor: int | None, action: str, kind: str, obj: Any, detail: Any = None
    ) -> None:
        """An audit event about this client."""
        self.agency.event(at, actor, action, kind, obj, self.plan.id, detail)

    def task(
        self,
        title: str,
        *,
        kind: str,
        due: date | None,
        created: datetime,
        by: int,
        done_at: datetime | None,
        status: str | None = None,
        items: tuple[str, ...] = (),
    ) -> int:
        """A task as tasks.create_task leaves it, closed later when done_at is given."""
        writer = self.writer
        task_id = writer.next_id(T_TASK)
        final = status or ("done" if done_at is not None else "open")
        writer.add(
            T_TASK,
            {
                "id": task_id,
                "version": 1 if final == "open" else 2,
                "client_id": self.plan.id,
                "title": title,
                "kind": kind,
                "notes": None,
                "due_on": due,
                "assignee_id": self.cm,
                "status": final,
                "created_by_id": by,
                "created_at": created,
                "completed_at": done_at,
            },
        )
        for position, text in enumerate(items):
            writer.add(
                T_TASK_ITEM,
                {
                    "id": writer.next_id(T_TASK_ITEM),
                    "task_id": task_id,
                    "text": text,
                    "done": final == "done" or self.rng.random() < 0.4,
                    "position": position,
                },
            )
        self.event(created, by, "create", "task", task_id, kind)
        if done_at is not None:
            self.event(done_at, self.cm, "update", "task", task_id, final)
        self.tasks += 1
        return task_id

    def closed_at(self, due: date, created: datetime) -> datetime | None:
        """When a task due then was done; None while it is still open (a few stay overdue,
        mostly recent ones)."""
        if due >= self.today:
            return None
        if self.rng.random() < (0.15 if (self.today - due).days < 60 else 0.02):
            return None
        done = between(self.rng, created, self.clock.at(due, 17) + timedelta(days=3))
        return self.capped(max(done, created + timedelta(minutes=5)))
