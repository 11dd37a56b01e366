"""The people: generated staff (case managers, supervisors, care team) and the clients with
their records' first rows (episode, status history, risk, care team, emergency contact)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from ...models import Client, Role, folded
from ..clients import record_number_for
from . import texts
from .common import (
    DOMAIN,
    T_CLIENT,
    T_CONTACT,
    T_EPISODE,
    T_RISK,
    T_STATUS,
    T_TEAM,
    T_USER,
    Agency,
    between,
    pick,
)

CLIENTS_PER_CASE_MANAGER = 40
CASE_MANAGERS_PER_SUPERVISOR = 8
CLIENTS_PER_CARE_STAFF = 100
# The demo supervisor's team: the three demo case managers and this many generated ones.
DEMO_TEAM_EXTRA = 7
STATUSES = {"active": 70, "on_hold": 7, "intake": 8, "referred": 5, "discharged": 10}
RISKS = {"low": 70, "moderate": 20, "high": 10}
OPEN_STATUSES = ("referred", "intake", "active", "on_hold")
DISCHARGE_REASONS = ("Goals met", "Moved out of the area", "Lost contact", "Transferred")


@dataclass(frozen=True)
class DemoStaff:
    """The demo accounts the generated agency is built around."""

    supervisor: int
    case_manager: int
    psychiatrist: int


@dataclass
class Staff:
    """The generated staff: case managers (the demo one first) and care-team members."""

    case_managers: list[int]
    care_staff: list[tuple[int, str]]


@dataclass
class ClientPlan:
    """A generated client: who, which status, whose caseload, and the span of their care."""

    index: int
    id: int
    legal_name: str
    preferred_name: str | None
    # What notes call the person.
    first: str
    language: str
    status: str
    risk: str
    case_manager: int
    portal_user: int | None
    referred_on: date
    admitted: date
    discharged: date | None
    care_team: list[tuple[int, str]] = field(default_factory=list)
    today_hours: list[int] = field(default_factory=list)
    # Goal domains the needs assessment finds (goals and referrals follow them).
    needs: list[str] = field(default_factory=list)
    address: str = ""

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def _person(rng: random.Random, spanish: bool) -> tuple[str, str]:
    """A first and a last name; many Spanish names carry both surnames."""
    if spanish:
        last = rng.choice(texts.LAST_ES)
        if rng.random() < 0.4:
            last = f"{last} {rng.choice(texts.LAST_ES)}"
        return rng.choice(texts.FIRST_ES), last
    return rng.choice(texts.FIRST_EN), rng.choice(texts.LAST_EN)


def _user_row(
    user_id: int,
    email: str,
    name: str,
    role: Role,
    password_hash: str,
    created: object,
    *,
    supervisor: int | None = None,
    cosign: bool = False,
    locale: str | None = None,
) -> dict[str, object]:
    return {
        "id": user_id,
        "email": email,
        "display_name": name,
        "sort_name": folded(name),  # written in bulk, past the model that keeps it
        "role": role.value,
        "locale": locale,
        "password_hash": password_hash,
        "active": True,
        "supervisor_id": supervisor,
        "requires_cosign": cosign,
        "notify_messages": True,
        "notify_reminders": True,
        "created_at": created,
    }


def build_staff(
    agency: Agency, rng: random.Random, clients: int, demo: DemoStaff, password_hash: str
) -> Staff:
    """Supervisors, case managers and care-team staff, in proportion to the clients."""
    writer, clock = agency.writer, agency.clock
    count = math.ceil(clients / CLIENTS_PER_CASE_MANAGER)
    supervisors_needed = math.ceil(max(count - DEMO_TEAM_EXTRA, 0) / CASE_MANAGERS_PER_SUPERVISOR)

    def hired() -> object:
        return between(rng, clock.now - timedelta(days=5 * 365), clock.now - timedelta(days=800))

    supervisors: list[int] = []
    for n in range(1, supervisors_needed + 1):
        first, last = _person(rng, rng.random() < 0.3)
        user_id = writer.next_id(T_USER)
        writer.add(
            T_USER,
            _user_row(
                user_id,
                f"sup{n:04d}@{DOMAIN}",
                f"{first} {last}",
                Role.SUPERVISOR,
                password_hash,
                hired(),
            ),
        )
        supervisors.append(user_id)
        agency.roles[user_id] = Role.SUPERVISOR.value
    case_managers = [demo.case_manager]
    for n in range(1, count + 1):
        if n <= DEMO_TEAM_EXTRA:
            supervisor = demo.supervisor
        else:
            supervisor = supervisors[(n - DEMO_TEAM_EXTRA - 1) // CASE_MANAGERS_PER_SUPERVISOR]
        first, last = _person(rng, rng.random() < 0.3)
        user_id = writer.next_id(T_USER)
        cosign = rng.random() < 0.1
        writer.add(
            T_USER,
            _user_row(
                user_id,
                f"cm{n:04d}@{DOMAIN}",
                f"{first} {last}",
                Role.CASE_MANAGER,
                password_hash,
                hired(),
                supervisor=supervisor,
                cosign=cosign,
            ),
        )
        case_managers.append(user_id)
        agency.roles[user_id] = Role.CASE_MANAGER.value
        agency.supervisor_of[user_id] = supervisor
        if cosign:
            agency.cosign.add(user_id)
    care_staff: list[tuple[int, str]] = [(demo.psychiatrist, "psychiatrist")]
    for n in range(1, max(1, round(clients / CLIENTS_PER_CARE_STAFF)) + 1):
        specialty = texts.CARE_TEAM_ROLES[(n - 1) % len(texts.CARE_TEAM_ROLES)]
        first, last = _person(rng, rng.random() < 0.3)
        name = f"{texts.CARE_TEAM_TITLES[specialty]}{first} {last}"
        user_id = writer.next_id(T_USER)
        writer.add(
            T_USER,
            _user_row(user_id, f"ct{n:04d}@{DOMAIN}", name, Role.CARE_TEAM, password_hash, hired()),
        )
        care_staff.append((user_id, specialty))
        agency.roles[user_id] = Role.CARE_TEAM.value
    return Staff(case_managers, care_staff)


def _dates(rng: random.Random, status: str, today: date) -> tuple[date, date, date | None]:
    """Referred on, admitted on, discharged on: spread over the last two years."""
    if status == "referred":
        admitted = today - timedelta(days=rng.randint(1, 14))
        return admitted, admitted, None
    if status == "intake":
        admitted = today - timedelta(days=rng.randint(5, 40))
    elif status == "discharged":
        admitted = today - timedelta(days=rng.randint(120, 730))
    else:
        admitted = today - timedelta(days=rng.randint(30, 730))
    referred = admitted - timedelta(days=rng.randint(0, 10))
    discharged = None
    if status == "discharged":
        discharged = min(admitted + timedelta(days=rng.randint(60, 400)), today - timedelta(days=3))
    return referred, admitted, discharged


def build_clients(
    agency: Agency,
    rng: random.Random,
    clients: int,
    staff: Staff,
    demo: DemoStaff,
    password_hash: str,
) -> list[ClientPlan]:
    """Every client's first rows; what comes later is generated per client from the plan."""
    writer, clock = agency.writer, agency.clock
    today = clock.today
    plans: list[ClientPlan] = []
    domains = [d for d in texts.GOALS if d != "mental_health"]
    for index in range(1, clients + 1):
        spanish = rng.random() < 0.3
        first, last = _person(rng, spanish)
        language = "es" if spanish and rng.random() < 0.7 else "en"
        preferred = (
            rng.choice(texts.FIRST_ES if spanish else texts.FIRST_EN)
            if rng.random() < 0.1
            else None
        )
        status = pick(rng, STATUSES)
        risk = pick(rng, RISKS)
        case_manager = staff.case_managers[(index - 1) % len(staff.case_managers)]
        referred, admitted, discharged = _dates(rng, status, today)
        client_id = writer.next_id(T_CLIENT)
        display = f"{preferred or first} {last}"
        portal_user = None
        if rng.random() < 0.5:
            portal_user = writer.next_id(T_USER)
            writer.add(
                T_USER,
                _user_row(
                    portal_user,
                    f"client{index:04d}@{DOMAIN}",
                    display,
                    Role.CLIENT,
                    password_hash,
                    clock.at(admitted, 12),
                    locale="es" if language == "es" and rng.random() < 0.6 else None,
                ),
            )
            agency.roles[portal_user] = Role.CLIENT.value
        plan = ClientPlan(
            index=index,
            id=client_id,
            legal_name=f"{first} {last}",
            preferred_name=preferred,
            first=preferred or first,
            language=language,
            status=status,
            risk=risk,
            case_manager=case_manager,
            portal_user=portal_user,
            referred_on=referred,
            admitted=admitted,
            discharged=discharged,
            needs=rng.sample(domains, rng.randint(2, 3)),
            address=f"{rng.randint(10, 9999)} {rng.choice(texts.STREETS)}, Springfield",
        )
        _care_team(plan, rng, staff, demo)
        _client_rows(agency, rng, plan)
        plans.append(plan)
    _today_slots(plans, rng)
    return plans


def _care_team(plan: ClientPlan, rng: random.Random, staff: Staff, demo: DemoStaff) -> None:
    """Some clients have a care-team member or two; the demo psychiatrist sees some of Casey's."""
    generated = staff.care_staff[1:] or staff.care_staff
    chance = rng.random()
    members: list[tuple[int, str]] = []
    if plan.case_manager == demo.case_manager and rng.random() < 0.4:
        members.append(staff.care_staff[0])  # the demo psychiatrist
    if chance < 0.35:
        members.append(rng.choice(generated))
    if chance < 0.1:
        members.append(rng.choice(generated))
    plan.care_team = list(dict(members).items())  # one row per person


def _client_rows(agency: Agency, rng: random.Random, plan: ClientPlan) -> None:
    """What intake leaves: the record, its episode, status history, risk, team and contact."""
    writer, clock = agency.writer, agency.clock
    cm = plan.case_manager
    created = clock.at(plan.referred_on, 10, rng.choice((0, 15, 30, 45)))
    risk_at = clock.at(plan.admitted, 11)
    born = date(1950, 1, 1) + timedelta(days=rng.randint(0, 56 * 365))
    writer.add(
        T_CLIENT,
        {
            "id": plan.id,
            "version": 1,
            "record_number": record_number_for(plan.id),
            "legal_name": plan.legal_name,
            "preferred_name": plan.preferred_name,
            "pronouns": rng.choice(texts.PRONOUNS),
            "preferred_language": plan.language,
            "status": plan.status,
            "date_of_birth": born,
            "phone": f"555-{rng.randint(200, 999):03d}-{rng.randint(0, 9999):04d}",
            "email": f"client{plan.index:04d}@{DOMAIN}" if plan.portal_user else None,
            "address": plan.address,
            "referral_source": rng.choice(texts.REFERRAL_SOURCES),
            "presenting_needs": rng.choice(texts.PRESENTING_NEEDS),
            "risk_level": plan.risk,
            "risk_reason": "Reviewed at intake",
            "risk_set_by_id": cm,
            "risk_set_at": risk_at,
            "primary_case_manager_id": cm,
            "portal_user_id": plan.portal_user,
            "created_at": created,
            # Written in bulk, past the model's event that keeps it.
            "search_text": Client.search_text_of(
                plan.legal_name, plan.preferred_name, record_number_for(plan.id)
            ),
            "sort_name": Client.sort_name_of(plan.legal_name, plan.preferred_name),
        },
    )
    agency.event(created, cm, "create", "client", plan.id, plan.id)
    writer.add(
        T_EPISODE,
        {
            "id": writer.next_id(T_EPISODE),
            "client_id": plan.id,
            "admitted_on": plan.admitted,
            "discharged_on": plan.discharged,
            "discharge_reason": rng.choice(DISCHARGE_REASONS) if plan.discharged else None,
            "aftercare_followups": "Primary care in a month" if plan.discharged else None,
            "aftercare_resources": None,
            "aftercare_crisis_contact": "988 or the agency crisis line"
            if plan.discharged
            else None,
        },
    )
    for before, after, day, reason in _status_history(plan, rng, clock.today):
        at = clock.at(day, 11, 30)
        writer.add(
            T_STATUS,
            {
                "id": writer.next_id(T_STATUS),
                "client_id": plan.id,
                "from_status": before,
                "to_status": after,
                "effective_on": day,
                "reason": reason,
                "changed_by_id": cm,
                "changed_at": at,
            },
        )
        if before is not None:
            agency.event(at, cm, "status_change", "client", plan.id, plan.id, f"{before}->{after}")
    writer.add(
        T_RISK,
        {
            "id": writer.next_id(T_RISK),
            "client_id": plan.id,
            "level": plan.risk,
            "reason": "Reviewed at intake",
            "set_by_id": cm,
            "set_at": risk_at,
        },
    )
    agency.event(risk_at, cm, "risk_change", "client", plan.id, plan.id, plan.risk)
    for user_id, label in plan.care_team:
        writer.add(
            T_TEAM,
            {
                "id": writer.next_id(T_TEAM),
                "client_id": plan.id,
                "user_id": user_id,
                "role_label": label,
            },
        )
    if rng.random() < 0.6:
        first, last_name = _person(rng, plan.language == "es")
        writer.add(
            T_CONTACT,
            {
                "id": writer.next_id(T_CONTACT),
                "client_id": plan.id,
                "version": 1,
                "name": f"{first} {last_name}",
                "relationship_label": rng.choice(texts.CONTACT_RELATIONS),
                "phone": f"555-{rng.randint(200, 999):03d}-{rng.randint(0, 9999):04d}",
                "notes": None,
            },
        )


def _status_history(
    plan: ClientPlan, rng: random.Random, today: date
) -> list[tuple[str | None, str, date, str | None]]:
    """The lifecycle up to the current status, as the status page records it."""
    steps: list[tuple[str | None, str, date, str | None]] = [
        (None, "referred", plan.referred_on, "intake")
    ]
    if plan.status == "referred":
        return steps
    steps.append(("referred", "intake", plan.admitted, None))
    if plan.status == "intake":
        return steps
    active_on = plan.admitted + timedelta(days=rng.randint(7, 21))
    if plan.discharged is not None:
        active_on = min(active_on, plan.discharged - timedelta(days=1))
    active_on = min(active_on, today)
    steps.append(("intake", "active", active_on, None))
    if plan.status == "on_hold":
        hold_on = active_on + timedelta(days=rng.randint(0, max(0, (today - active_on).days)))
        steps.append(("active", "on_hold", hold_on, "Client travelling"))
    elif plan.status == "discharged":
        assert plan.discharged is not None
        steps.append(("active", "discharged", plan.discharged, "Discharge"))
    return steps


def _today_slots(plans: list[ClientPlan], rng: random.Random) -> None:
    """Two or three clients of each case manager are seen today (the calendar shows them)."""
    by_manager: dict[int, list[ClientPlan]] = {}
    for plan in plans:
        if plan.status in ("active", "intake", "on_hold"):
            by_manager.setdefault(plan.case_manager, []).append(plan)
    for group in by_manager.values():
        chosen = rng.sample(group, min(len(group), rng.randint(2, 3)))
        hours = rng.sample((9, 10, 11, 13, 14, 15, 16), len(chosen))
        for plan, hour in zip(chosen, sorted(hours), strict=True):
            plan.today_hours.append(hour)
