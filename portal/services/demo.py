"""The demo data of DESIGN.md section 4: synthetic, plainly fictional, idempotent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import CareTeamMember, Client, FamilyAccess, Role, User
from . import users
from .clients import record_number_for
from .demo_appointments import load_demo_appointments
from .demo_crisis import load_demo_crisis
from .demo_materials import load_demo_materials
from .demo_messages import load_demo_messages
from .demo_notes import load_demo_notes
from .demo_plans import load_demo_plans
from .demo_resources import load_demo_resources


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    locale: str | None = None


DEMO_USERS = (
    DemoUser("admin@example.org", "Avery Admin", Role.ADMIN),
    DemoUser("supervisor@example.org", "Sam Supervisor", Role.SUPERVISOR),
    DemoUser("cm@example.org", "Casey Manager", Role.CASE_MANAGER),
    DemoUser("cm2@example.org", "Jordan Manager", Role.CASE_MANAGER),
    DemoUser("cm3@example.org", "Riley Manager", Role.CASE_MANAGER),
    DemoUser("psychiatrist@example.org", "Dr. Morgan Psychiatrist", Role.CARE_TEAM),
    DemoUser("client@example.org", "Alex Example", Role.CLIENT),
    # The one demo account with a saved language, so the Spanish portal can be seen at once.
    DemoUser("client2@example.org", "Sofía Ejemplo", Role.CLIENT, "es"),
    DemoUser("family@example.org", "Jamie Example", Role.FAMILY),
)


@dataclass(frozen=True)
class DemoClient:
    legal_name: str
    preferred_name: str | None
    pronouns: str
    language: str
    case_manager: str
    portal_email: str | None = None
    psychiatrist: bool = False
    born: date = date(1990, 1, 1)
    risk: str = "low"


def _start_record(client: Client, born: date, risk: str) -> None:
    """What intake would have recorded: number, birth date, risk, first episode and status."""
    from ..models import Episode, StatusChange

    client.record_number = record_number_for(client.id)
    client.date_of_birth = born
    client.risk_level = risk
    client.risk_reason = "Reviewed at intake (demo data)"
    db.session.add(Episode(client_id=client.id, admitted_on=date(2026, 3, 2)))
    db.session.add(
        StatusChange(
            client_id=client.id,
            from_status=None,
            to_status=client.status,
            effective_on=date(2026, 3, 2),
            reason="demo data",
        )
    )


DEMO_CLIENTS = (
    DemoClient(
        "Alexander Example",
        "Alex",
        "they/them",
        "en",
        "cm@example.org",
        "client@example.org",
        psychiatrist=True,
        born=date(1994, 6, 12),
        risk="moderate",
    ),
    DemoClient(
        "Sofía Ejemplo",
        None,
        "she/her",
        "es",
        "cm@example.org",
        "client2@example.org",
        born=date(1988, 2, 3),
    ),
    DemoClient(
        "Taylor Sample",
        None,
        "he/him",
        "en",
        "cm@example.org",
        psychiatrist=True,
        born=date(1979, 11, 20),
        risk="high",
    ),
    DemoClient(
        "Robin Placeholder",
        "Rob",
        "he/him",
        "en",
        "cm2@example.org",
        psychiatrist=True,
        born=date(2001, 8, 30),
    ),
    DemoClient("Quinn Fictional", None, "she/her", "en", "cm3@example.org", born=date(1966, 4, 15)),
)


def _user(email: str) -> User:
    user = users.find_by_email(email)
    assert user is not None, email  # noqa: S101 - created just before
    return user


def load_demo() -> int:
    """Create whatever of the demo data is missing; returns how many records were added."""
    created = 0
    password = current_app.config["DEMO_PASSWORD"]
    for spec in DEMO_USERS:
        if users.find_by_email(spec.email) is None:
            users.create_user(
                spec.email,
                display_name=spec.name,
                role=spec.role,
                password=password,
                locale=spec.locale,
            )
            created += 1
    supervisor = _user("supervisor@example.org")
    for email in ("cm@example.org", "cm2@example.org", "cm3@example.org"):
        _user(email).supervisor = supervisor
    # Riley is new: their notes wait for Sam's co-signature.
    _user("cm3@example.org").requires_cosign = True
    psychiatrist = _user("psychiatrist@example.org")
    for client_spec in DEMO_CLIENTS:
        client = db.session.scalar(
            select(Client).where(Client.legal_name == client_spec.legal_name)
        )
        if client is not None:
            continue
        client = Client(
            legal_name=client_spec.legal_name,
            preferred_name=client_spec.preferred_name,
            pronouns=client_spec.pronouns,
            preferred_language=client_spec.language,
            status="active",
            primary_case_manager=_user(client_spec.case_manager),
            portal_user=_user(client_spec.portal_email) if client_spec.portal_email else None,
        )
        if client_spec.psychiatrist:
            client.care_team.append(CareTeamMember(user=psychiatrist, role_label="psychiatrist"))
        db.session.add(client)
        db.session.flush()
        _start_record(client, client_spec.born, client_spec.risk)
        created += 1
    db.session.flush()
    alex = db.session.scalar(select(Client).where(Client.legal_name == "Alexander Example"))
    family = _user("family@example.org")
    assert alex is not None  # noqa: S101
    has_consent = db.session.scalar(
        select(FamilyAccess.id).where(
            FamilyAccess.client_id == alex.id, FamilyAccess.family_user_id == family.id
        )
    )
    if has_consent is None:
        db.session.add(
            FamilyAccess(
                client=alex,
                family_user=family,
                relationship_label="Sibling",
                purpose="Help Alex keep appointments and learn about the treatment",
                scope_materials=True,
                scope_appointments=True,
                granted_by_id=_user("cm@example.org").id,
            )
        )
        created += 1
    db.session.flush()
    created += _load_generated_clients(psychiatrist)
    db.session.flush()
    created += _load_assessments()
    db.session.flush()
    created += load_demo_plans()
    db.session.flush()
    created += load_demo_notes()
    db.session.flush()
    created += load_demo_crisis()
    db.session.flush()
    created += load_demo_resources()
    db.session.flush()
    created += load_demo_appointments()
    db.session.flush()
    created += load_demo_messages()
    db.session.flush()
    created += load_demo_materials()
    db.session.flush()
    return created


# PHQ-9 totals over four months: some clients improve, some do not.
PHQ9_COURSES = ((16, 13, 9, 6), (12, 12, 14, 15), (20, 17, 11, 8), (7, 8, 6, 7))


def _phq9_answers(total: int) -> dict[str, int]:
    """Nine answers that add up to the total, never touching item 9 (no critical answer)."""
    answers = {f"q{i}": 0 for i in range(1, 10)}
    left = total
    for i in range(1, 9):
        answers[f"q{i}"] = min(3, left)
        left -= answers[f"q{i}"]
    return answers


def _load_assessments() -> int:
    """Monthly PHQ-9s for Alex and every third generated client (once: skipped if any exist)."""
    from datetime import UTC, datetime

    from ..instruments import registry
    from ..models import Assessment

    if db.session.scalar(select(Assessment.id).limit(1)) is not None:
        return 0
    phq9 = registry()["phq9"]
    clients = db.session.scalars(select(Client).order_by(Client.id)).all()
    chosen = [c for c in clients if c.id == 1 or (c.id > 5 and c.id % 3 == 0)]
    created = 0
    for index, client in enumerate(chosen):
        course = PHQ9_COURSES[index % len(PHQ9_COURSES)]
        for month, total in enumerate(course):
            answers = _phq9_answers(total)
            result = phq9.score(answers)
            db.session.add(
                Assessment(
                    client_id=client.id,
                    instrument_code="phq9",
                    instrument_version=phq9.version,
                    administered_by_id=client.primary_case_manager_id,
                    administered_at=datetime(2026, 7 + month, 10, 15, 0, tzinfo=UTC),
                    answers=answers,
                    notes={},
                    total=result.total,
                    band=result.band.code if result.band else None,
                    critical_items=[],
                )
            )
            created += 1
    return created


GENERATED_CLIENTS = 35
STATUS_MIX = ("active",) * 6 + ("intake", "referred", "on_hold", "discharged")
RISK_MIX = ("low",) * 5 + ("moderate",) * 3 + ("high",) * 2
LANGUAGE_MIX = ("en",) * 6 + ("es",) * 3 + ("vi",)
PRONOUNS = ("she/her", "he/him", "they/them")
REFERRALS = ("Self", "County hospital", "Primary care clinic", "School counselor", "Court")
NEEDS = (
    "Housing instability and trouble sleeping.",
    "Low mood since losing a job; wants help with benefits.",
    "Anxiety in crowded places; would like to return to school.",
    "Recently discharged from hospital; needs medication follow-up.",
)


def _load_generated_clients(psychiatrist: User) -> int:
    """About 35 more fictional clients across the three case managers (Faker, fixed seed)."""
    from datetime import timedelta

    from faker import Faker

    from ..models import EmergencyContact, Episode, StatusChange, Task

    fake = Faker("en_US")
    fake.seed_instance(20261123)
    case_managers = [_user(e) for e in ("cm@example.org", "cm2@example.org", "cm3@example.org")]
    created = 0
    for n in range(GENERATED_CLIENTS):
        first, last = fake.first_name(), fake.last_name()
        legal_name = f"{first} {last}"
        born = fake.date_between(start_date=date(1950, 1, 1), end_date=date(2006, 12, 31))
        phone = f"555-01{n:02d}"
        # Draw every random value before deciding to skip, so a second run sees the same people.
        address = f"{fake.building_number()} {fake.street_name()}, Springfield"
        contact_name = fake.name()
        exists_already = db.session.scalar(
            select(Client.id).where(Client.legal_name == legal_name, Client.date_of_birth == born)
        )
        if exists_already is not None:
            continue
        status = STATUS_MIX[n % len(STATUS_MIX)]
        client = Client(
            legal_name=legal_name,
            preferred_name=first if n % 7 == 0 else None,
            pronouns=PRONOUNS[n % 3],
            date_of_birth=born,
            preferred_language=LANGUAGE_MIX[n % len(LANGUAGE_MIX)],
            status=status,
            phone=phone,
            address=address,
            referral_source=REFERRALS[n % len(REFERRALS)],
            presenting_needs=NEEDS[n % len(NEEDS)],
            risk_level=RISK_MIX[n % len(RISK_MIX)],
            risk_reason="Reviewed at intake (demo data)",
            primary_case_manager=case_managers[n % 3],
        )
        if n % 4 == 0:
            client.care_team.append(CareTeamMember(user=psychiatrist, role_label="psychiatrist"))
        db.session.add(client)
        db.session.flush()
        client.record_number = record_number_for(client.id)
        admitted = date(2026, 1, 5) + timedelta(days=n * 7)
        db.session.add(
            Episode(
                client_id=client.id,
                admitted_on=admitted,
                discharged_on=admitted + timedelta(days=120) if status == "discharged" else None,
                discharge_reason="Goals met (demo data)" if status == "discharged" else None,
            )
        )
        db.session.add(
            StatusChange(
                client_id=client.id,
                from_status=None,
                to_status=status,
                effective_on=admitted,
                reason="demo data",
            )
        )
        if n % 3 == 0:
            db.session.add(
                EmergencyContact(
                    client_id=client.id,
                    name=contact_name,
                    relationship_label="Sibling",
                    phone=f"555-02{n:02d}",
                )
            )
        if n % 5 == 0:
            db.session.add(
                Task(
                    client_id=client.id,
                    title="Renew Medicaid paperwork",
                    due_on=date(2026, 12, 1) + timedelta(days=n),
                    assignee_id=client.primary_case_manager_id,
                )
            )
        created += 1
    return created
