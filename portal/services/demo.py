"""The demo data of DESIGN.md section 4: synthetic, plainly fictional, idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import CareTeamMember, Client, FamilyAccess, Role, User
from . import users


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


DEMO_CLIENTS = (
    DemoClient(
        "Alexander Example",
        "Alex",
        "they/them",
        "en",
        "cm@example.org",
        "client@example.org",
        psychiatrist=True,
    ),
    DemoClient("Sofía Ejemplo", None, "she/her", "es", "cm@example.org", "client2@example.org"),
    DemoClient("Taylor Sample", None, "he/him", "en", "cm@example.org", psychiatrist=True),
    DemoClient("Robin Placeholder", "Rob", "he/him", "en", "cm2@example.org", psychiatrist=True),
    DemoClient("Quinn Fictional", None, "she/her", "en", "cm3@example.org"),
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
            client.care_team.append(CareTeamMember(user=psychiatrist, role_label="Psychiatrist"))
        db.session.add(client)
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
    return created
