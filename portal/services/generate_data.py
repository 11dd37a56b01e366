"""Agency-scale synthetic data for benchmarks: the demo accounts plus N generated clients with
months of records each, in the proportions of a real agency, written in bulk.

Per client on average: 60 progress notes, 12 assessments, 25 appointments, one to three
care-plan versions of three to five goals, 4 referrals, 10 tasks, 20 messages and 200 audit
events; about 40 clients per case manager. Rows are built as plain dicts with ids assigned
here and written with COPY (PostgreSQL) or executemany (SQLite), never one ORM object at a
time; the audit events extend the hash chain so that ``audit-verify`` still holds.

The records are dated back from the start of the agency's day the run happens on, not from
the moment it runs: on any one day, the same size and seed give the same records whatever
the hour, so a benchmark rebuilt in the afternoon measures the pages it measured in the
morning (dated from the minute, the busiest record and its state changed with the hour).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, text

from ..extensions import db
from ..i18n import agency_zone
from ..models import Appointment, Resource, User, utcnow
from . import assessments, demo, users
from .errors import DomainError
from .generate import auditing
from .generate.agency import DemoStaff, build_clients, build_staff
from .generate.common import DOMAIN, Agency, Clock
from .generate.records import AUDIT_DAYS, ClientRecords, Scale, audited_days, tenure_days
from .generate.writer import BulkWriter


class AlreadyGenerated(DomainError):
    """The database already holds a generated agency; generate into a fresh one."""


@dataclass(frozen=True)
class Report:
    """What a run made: the clients' ids, rows per table and the time it took."""

    clients: int
    # The generated clients' ids (consecutive).
    client_ids: range
    rows: dict[str, int]
    seconds: float

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _quiet(_line: str) -> None:
    return None


def generated_already() -> bool:
    """Whether generated accounts exist in this database."""
    return (
        db.session.scalar(select(User.id).where(User.email.like(f"%@{DOMAIN}")).limit(1))
        is not None
    )


def refresh_statistics() -> None:
    """ANALYZE after the bulk load (run it after the commit): the planner knows the new
    sizes at once, instead of when autovacuum (PostgreSQL) or the daily ``ANALYZE``
    (SQLite, docs/operations.md) comes round. Without statistics SQLite may read a whole
    table through a one-column index on a status."""
    db.session.execute(text("ANALYZE"))


def _demo_staff() -> DemoStaff:
    """The demo supervisor, case manager and psychiatrist the agency is built around."""
    ids = {}
    for email in ("supervisor@example.org", "cm@example.org", "psychiatrist@example.org"):
        user = users.find_by_email(email)
        assert user is not None, email
        ids[email] = user.id
    return DemoStaff(
        supervisor=ids["supervisor@example.org"],
        case_manager=ids["cm@example.org"],
        psychiatrist=ids["psychiatrist@example.org"],
    )


def generate(
    clients: int,
    *,
    seed: int = 1,
    echo: Callable[[str], None] = _quiet,
    now: datetime | None = None,
) -> Report:
    """Load the demo data, then add a generated agency of this many clients (not committed),
    dated back from the start of the agency's day of ``now`` (by default, the present)."""
    if clients < 1:
        raise DomainError("generate at least one client")
    if generated_already():
        raise AlreadyGenerated(
            f"this database already has generated data (accounts @{DOMAIN}); "
            "generate into a fresh database"
        )
    started = time.perf_counter()

    def say(line: str) -> None:
        echo(f"[{time.perf_counter() - started:7.1f} s] {line}")

    demo.load_demo()
    db.session.flush()
    say("demo accounts and demo clients ready")
    clock = Clock.at_start_of_day(now or utcnow(), agency_zone())
    connection = db.session.connection()
    writer = BulkWriter(connection)
    resources: dict[str, list[int]] = {}
    for resource_id, category in db.session.execute(
        select(Resource.id, Resource.category).where(Resource.active).order_by(Resource.id)
    ):
        resources.setdefault(category, []).append(resource_id)
    agency = Agency(
        clock=clock,
        writer=writer,
        roles={u.id: u.role for u in db.session.scalars(select(User))},
        supervisor_of={
            u.id: u.supervisor_id for u in db.session.scalars(select(User)) if u.supervisor_id
        },
        cosign={u.id for u in db.session.scalars(select(User).where(User.requires_cosign))},
        resources=resources,
        audit_from=clock.now - timedelta(days=AUDIT_DAYS),
    )
    for staff_id, starts_at in db.session.execute(
        select(Appointment.staff_id, Appointment.starts_at).where(
            Appointment.starts_at >= clock.now - timedelta(days=1)
        )
    ):
        local = starts_at.astimezone(clock.zone)
        agency.taken.add((staff_id, local.date(), local.hour))
    password_hash = users.hash_password(str(current_app.config["DEMO_PASSWORD"]))
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    demo_staff = _demo_staff()
    staff = build_staff(agency, rng, clients, demo_staff, password_hash)
    plans = build_clients(agency, rng, clients, staff, demo_staff, password_hash)
    writer.flush()
    say(
        f"staff: {len(staff.case_managers) - 1} case managers, "
        f"{len(staff.care_staff) - 1} care-team staff; {clients} clients"
    )
    today = clock.today
    scale = Scale(
        tenure=sum(tenure_days(p, today) for p in plans) / len(plans),
        audited=max(1.0, sum(audited_days(p, today) for p in plans) / len(plans)),
    )
    instruments = assessments.instruments()
    review_days = int(current_app.config["CARE_PLAN_REVIEW_DAYS"])
    step = max(1, clients // 10)
    for done, plan in enumerate(plans, 1):
        ClientRecords(agency, plan, scale, seed, instruments, review_days).generate()
        writer.maybe_flush()
        if done % step == 0 or done == clients:
            say(f"records of {done}/{clients} clients ({len(agency.events):,} audit events)")
    writer.flush()
    say("audit chain: sorting and hashing")
    events = auditing.write_chain(agency, lambda n: say(f"audit events {n:,}"))
    say(f"audit chain extended by {events:,} events")
    writer.bump_sequences()
    rows = {name: written for name, (written, _s) in writer.counts().items()}
    for name, (written, seconds) in writer.counts().items():
        echo(f"  {name:<24} {written:>10,} rows {seconds:7.1f} s writing")
    return Report(
        clients=clients,
        client_ids=range(plans[0].id, plans[-1].id + 1),
        rows=rows,
        seconds=time.perf_counter() - started,
    )
