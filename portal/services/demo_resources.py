"""Demo resource directory (about sixty fictional services across every category and several
languages) and referrals in every status for the demo clients, some overdue."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from faker import Faker
from sqlalchemy import select

from ..extensions import db
from ..i18n import agency_today, agency_zone
from ..models import (
    REFERRAL_STATUSES,
    RESOURCE_CATEGORIES,
    Client,
    Referral,
    ReferralEvent,
    Resource,
    folded,
)

KINDS = {
    "housing": ("Housing Help Center", "Rapid rehousing, rental help and housing applications."),
    "employment": ("Work Forward", "Supported employment, job coaching and résumé help."),
    "education": ("Second Chance Learning", "GED classes, English classes and tutoring."),
    "food": ("Neighborhood Food Pantry", "Groceries every week; no questions asked."),
    "benefits": ("Benefits Navigator", "Help applying for SSI, SSDI, SNAP and Medicaid."),
    "legal": ("Community Legal Aid", "Free help with evictions, benefits appeals and records."),
    "substance_use": ("Recovery Path", "Outpatient treatment and recovery coaching."),
    "support_group": ("Peer Circle", "Weekly peer support groups, in person and online."),
    "therapy": ("Open Door Counseling", "Individual and family therapy on a sliding scale."),
    "psychiatry": ("Riverbend Psychiatry", "Medication evaluation and management."),
    "primary_care": ("Family Health Clinic", "Primary care, vaccines and lab work."),
    "crisis": ("Crisis Stabilization Unit", "Short stays and walk-in crisis care, day and night."),
    "transportation": ("Ride Assist", "Rides to medical and social service appointments."),
}
PLACES = ("North", "South", "Eastside", "Westside", "Downtown")
LANGUAGE_SETS = (["en"], ["en", "es"], ["en", "es", "vi"], ["es"], ["en", "vi"])


def _moment(days_ago: int) -> datetime:
    day = agency_today() - timedelta(days=days_ago)
    return datetime.combine(day, time(11, 0), agency_zone()).astimezone(UTC)


def load_demo_resources() -> int:
    """The directory and referrals (skipped if the directory has any entry)."""
    if db.session.scalar(select(Resource.id).limit(1)) is not None:
        return 0
    fake = Faker("en_US")
    fake.seed_instance(4242)
    today = agency_today()
    made: list[Resource] = []
    for n in range(60):
        category = RESOURCE_CATEGORIES[n % len(RESOURCE_CATEGORIES)]
        base, description = KINDS[category]
        place = PLACES[(n // len(RESOURCE_CATEGORIES)) % len(PLACES)]
        resource = Resource(
            name=f"{place} {base}",
            category=category,
            description=description,
            address=f"{fake.building_number()} {fake.street_name()}, Springfield",
            phone=f"555-01{n + 10:02d}",
            website=f"https://example.org/{category}/{n}",
            hours=("Mon–Fri 9–5", "Mon–Sat 8–6", "Every day, 24 hours", "Tue and Thu 1–7")[n % 4],
            languages=LANGUAGE_SETS[n % len(LANGUAGE_SETS)],
            eligibility=("Adults in the county", "Anyone", "Low income; bring proof")[n % 3],
            cost=("Free", "Sliding scale", "Medicaid accepted")[n % 3],
            walk_ins=n % 3 == 0,
            active=n != 59,
            # Some entries were last checked long ago and are flagged for re-verification.
            last_verified_on=today - timedelta(days=(30, 200, 420)[n % 3]),
        )
        resource.search_text = folded(f"{resource.name} {description} {category}")
        db.session.add(resource)
        made.append(resource)
    db.session.flush()
    created = len(made)
    clients = db.session.scalars(
        select(Client).where(Client.primary_case_manager_id.is_not(None)).order_by(Client.id)
    ).all()[:8]
    for index, client in enumerate(clients):
        status = REFERRAL_STATUSES[index % len(REFERRAL_STATUSES)]
        resource = made[(index * 7) % 59]
        assert client.primary_case_manager_id is not None  # noqa: S101 - filtered above
        referral = Referral(
            client_id=client.id,
            resource_id=resource.id,
            reason="Needs help with " + resource.category.replace("_", " ") + ".",
            status=status,
            # Every other open referral's follow-up date has passed: overdue on the dashboard.
            follow_up_on=today + timedelta(days=(-5 if index % 2 == 0 else 9)),
            outcome="Started the program; going weekly." if status == "completed" else None,
            created_by_id=client.primary_case_manager_id,
            created_at=_moment(40 - index),
            updated_at=_moment(20 - index),
        )
        db.session.add(referral)
        db.session.flush()
        path = {
            "proposed": ["proposed"],
            "sent": ["proposed", "sent"],
            "accepted": ["proposed", "sent", "accepted"],
            "completed": ["proposed", "sent", "accepted", "completed"],
            "declined": ["proposed", "sent", "declined"],
            "cancelled": ["proposed", "cancelled"],
        }[status]
        before = None
        for step, to_status in enumerate(path):
            db.session.add(
                ReferralEvent(
                    referral_id=referral.id,
                    from_status=before,
                    to_status=to_status,
                    at=_moment(40 - index - step * 5),
                    by_id=client.primary_case_manager_id,
                    note="No openings this month." if to_status == "declined" else None,
                )
            )
            before = to_status
        created += 1
    return created
