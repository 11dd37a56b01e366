"""Demo care plans: Alex's signed plan with three goals (and the version before it), Sofía's
plan in Spanish with its review overdue, and a needs assessment to turn into goals.

Dates are counted back from the agency's today, so "review overdue" and "in force" keep
their meaning whenever the demo is loaded. Like the rest of the demo: loaded once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from ..extensions import db
from ..i18n import agency_today
from ..instruments import registry
from ..models import (
    Assessment,
    CarePlan,
    Client,
    Goal,
    GoalProgress,
    Intervention,
    Objective,
    Task,
    new_key,
)


@dataclass(frozen=True)
class DemoGoal:
    description: str
    domain: str
    target_days: int
    status: str
    progress: int
    objectives: tuple[tuple[str, str], ...] = ()  # (description, status)
    interventions: tuple[tuple[str, str, str], ...] = ()  # (what, who, how often)
    # Progress ratings at these many days before today.
    ratings: tuple[tuple[int, int, str], ...] = field(default=())


ALEX_GOALS = (
    DemoGoal(
        "I want my own apartment by spring, somewhere quiet.",
        "housing",
        120,
        "in_progress",
        40,
        (
            ("Apply to two supportive-housing programs", "achieved"),
            ("Save $300 towards a deposit", "in_progress"),
        ),
        (
            ("Housing navigation and help with applications", "Casey Manager", "Weekly"),
            ("Budgeting sessions", "Peer specialist", "Every two weeks"),
        ),
        (
            (80, 10, "Started the applications."),
            (40, 30, "Both applications sent."),
            (10, 45, "On the waiting list for one program."),
        ),
    ),
    DemoGoal(
        "I want a part-time job I can keep for six months.",
        "employment",
        180,
        "in_progress",
        20,
        (("Go to the supported-employment orientation", "in_progress"),),
        (("Referral to supported employment", "Casey Manager", "Once"),),
        ((60, 10, "Interested in library or warehouse work."), (15, 25, "Orientation booked.")),
    ),
    DemoGoal(
        "I want to feel less down most days and sleep through the night.",
        "mental_health",
        90,
        "in_progress",
        50,
        (
            ("Take medication as prescribed, tracked on a weekly chart", "in_progress"),
            ("Walk 20 minutes, three days a week", "achieved"),
        ),
        (
            ("Medication management", "Dr. Morgan Psychiatrist", "Monthly"),
            ("PHQ-9 check-in", "Casey Manager", "Monthly"),
        ),
        (
            (90, 20, "Sleeping about five hours."),
            (45, 45, "Walking most weeks."),
            (12, 60, "Mood better; PHQ-9 down to 6."),
        ),
    ),
)

SOFIA_GOALS = (
    DemoGoal(
        "Quiero terminar el curso de inglés y conseguir el certificado.",
        "education",
        150,
        "in_progress",
        30,
        (("Asistir a clase dos veces por semana", "in_progress"),),
        (("Apoyo con transporte para llegar a clase", "Casey Manager", "Semanal"),),
        ((70, 30, "Va a clase casi todas las semanas."),),
    ),
    DemoGoal(
        "Quiero tener a alguien con quien hablar cuando me siento sola.",
        "social_support",
        120,
        "not_started",
        0,
        (("Probar un grupo de apoyo en español", "not_started"),),
        (("Buscar un grupo de apoyo cercano", "Casey Manager", "Una vez"),),
    ),
)


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(16, 0), UTC)


def _add_plan(
    client: Client,
    number: int,
    goals: tuple[DemoGoal, ...],
    *,
    signed: date,
    review: date,
    status: str,
    today: date,
    keys: dict[str, str],
    based_on: CarePlan | None = None,
) -> CarePlan:
    manager = client.primary_case_manager
    plan = CarePlan(
        client_id=client.id,
        number=number,
        status=status,
        based_on_id=based_on.id if based_on else None,
        created_by_id=manager.id if manager else None,
        created_at=_moment(signed - timedelta(days=2)),
        updated_at=_moment(signed),
        signed_by_id=manager.id if manager else None,
        signed_at=_moment(signed),
        review_due_on=review,
        superseded_at=None,
    )
    db.session.add(plan)
    db.session.flush()
    for position, spec in enumerate(goals):
        goal = Goal(
            plan_id=plan.id,
            client_id=client.id,
            key=keys.setdefault(spec.description, new_key()),
            position=position,
            description=spec.description,
            domain=spec.domain,
            target_date=today + timedelta(days=spec.target_days // 2),
            # The first version was written before any progress was made.
            status=spec.status if status == "active" else "not_started",
            progress=spec.progress if status == "active" else 0,
        )
        goal.objectives = [
            Objective(
                key=keys.setdefault(text, new_key()),
                position=n,
                description=text,
                status=state if status == "active" else "not_started",
                target_date=today + timedelta(days=spec.target_days // 4),
            )
            for n, (text, state) in enumerate(spec.objectives)
        ]
        goal.interventions = [
            Intervention(
                key=keys.setdefault(what, new_key()),
                position=n,
                description=what,
                responsible=who,
                frequency=often,
            )
            for n, (what, who, often) in enumerate(spec.interventions)
        ]
        db.session.add(goal)
    db.session.flush()
    if status == "active" and manager is not None:
        task = Task(
            client_id=client.id,
            title=f"Review the care plan (version {number})",
            due_on=review,
            assignee_id=manager.id,
            created_by_id=manager.id,
        )
        db.session.add(task)
        db.session.flush()
        plan.review_task_id = task.id
    if status == "superseded":
        plan.superseded_at = _moment(today - timedelta(days=54))
    return plan


def _add_progress(client: Client, plan: CarePlan, goals: tuple[DemoGoal, ...], today: date) -> int:
    rows = db.session.scalars(select(Goal).where(Goal.plan_id == plan.id)).all()
    by_text = {g.description: g for g in rows}
    created = 0
    for spec in goals:
        goal = by_text[spec.description]
        for days_ago, rating, comment in spec.ratings:
            db.session.add(
                GoalProgress(
                    client_id=client.id,
                    goal_key=goal.key,
                    goal_id=goal.id,
                    recorded_on=today - timedelta(days=days_ago),
                    rating=rating,
                    comment=comment,
                    author_id=client.primary_case_manager_id,
                    created_at=_moment(today - timedelta(days=days_ago)),
                )
            )
            created += 1
    return created


def _needs_assessment(client: Client, day: date) -> None:
    """A psychosocial assessment whose needs (housing, employment, social support) the
    plan's goals answer, and one (transportation) still open for a new goal."""
    answers = {item.id: 0 for item in registry()["psychosocial"].items}
    answers.update(housing=3, employment=2, social_support=2, transportation=2, income=1)
    db.session.add(
        Assessment(
            client_id=client.id,
            instrument_code="psychosocial",
            instrument_version=registry()["psychosocial"].version,
            administered_by_id=client.primary_case_manager_id,
            administered_at=_moment(day),
            answers=answers,
            notes={
                "housing": "Staying with a cousin; has to leave by spring.",
                "transportation": "Misses appointments when the bus is late.",
            },
            total=None,
            band=None,
            critical_items=[],
        )
    )


def load_demo_plans() -> int:
    """Care plans for the demo clients (once: skipped if any plan exists)."""
    if db.session.scalar(select(CarePlan.id).limit(1)) is not None:
        return 0
    today = agency_today()
    created = 0
    alex = db.session.scalar(select(Client).where(Client.legal_name == "Alexander Example"))
    sofia = db.session.scalar(select(Client).where(Client.legal_name == "Sofía Ejemplo"))
    if alex is not None:
        _needs_assessment(alex, today - timedelta(days=150))
        keys: dict[str, str] = {}
        first = _add_plan(
            alex,
            1,
            ALEX_GOALS[:2],
            signed=today - timedelta(days=140),
            review=today - timedelta(days=50),
            status="superseded",
            today=today,
            keys=keys,
        )
        second = _add_plan(
            alex,
            2,
            ALEX_GOALS,
            signed=today - timedelta(days=54),
            review=today + timedelta(days=36),
            status="active",
            today=today,
            keys=keys,
            based_on=first,
        )
        second.acknowledged_by_id = alex.portal_user_id
        second.acknowledged_at = _moment(today - timedelta(days=50))
        created += 3 + _add_progress(alex, second, ALEX_GOALS, today)
    if sofia is not None:
        plan = _add_plan(
            sofia,
            1,
            SOFIA_GOALS,
            signed=today - timedelta(days=100),
            review=today - timedelta(days=10),
            status="active",
            today=today,
            keys={},
        )
        created += 1 + _add_progress(sofia, plan, SOFIA_GOALS, today)
    return created
