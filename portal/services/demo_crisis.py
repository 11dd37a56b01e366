"""Demo crises and safety plans: Alex's plan with every section filled (built with Alex over
three saves, one of them Alex's own), past crises for a few clients and one still open."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..i18n import agency_today, agency_zone
from ..models import Client, CrisisEvent, SafetyPlanVersion, Task

ALEX_PLAN: dict[str, list[Any]] = {
    "warning_signs": [
        "Not sleeping for two nights",
        "Skipping meals",
        "Thinking “nothing will change”",
    ],
    "coping": [
        "Walk around the block with music",
        "Cold water on my face, slow breathing",
        "Draw in my sketchbook",
    ],
    "distraction": [("Jamie (sibling)", "555-0142"), ("The public library on 5th", None)],
    "help_people": [("Jamie (sibling)", "555-0142"), ("Pat from the peer group", "555-0177")],
    "professionals": [
        ("Casey Manager, case manager", "555-0101"),
        ("Dr. Morgan, psychiatrist", "555-0102"),
    ],
    "safe_environment": ["Jamie keeps my extra medication", "No alcohol in the apartment"],
    "reasons": ["My cat, Biscuit", "Seeing my niece grow up", "Finishing the mural at the center"],
}


def _moment(days_ago: int, hour: int) -> datetime:
    day = agency_today() - timedelta(days=days_ago)
    return datetime.combine(day, time(hour, 0), agency_zone()).astimezone(UTC)


def _item(entry: str | tuple[str, str | None], by_client: bool = False) -> dict[str, object]:
    text, phone = (entry, None) if isinstance(entry, str) else entry
    return {"key": uuid.uuid4().hex, "text": text, "phone": phone, "by_client": by_client}


def load_demo_crisis() -> int:
    """Safety plan and crises for the demo (skipped if any safety plan exists)."""
    if db.session.scalar(select(SafetyPlanVersion.id).limit(1)) is not None:
        return 0
    created = 0
    alex = db.session.scalar(select(Client).where(Client.legal_name == "Alexander Example"))
    if alex is not None and alex.primary_case_manager is not None:
        cm = alex.primary_case_manager
        sections = {s: [_item(e) for e in entries] for s, entries in ALEX_PLAN.items()}
        first = {s: items[:1] for s, items in sections.items()}
        db.session.add(
            SafetyPlanVersion(
                client_id=alex.id,
                number=1,
                sections=first,
                client_sections=[],
                pinned=[],
                saved_by_id=cm.id,
                saved_at=_moment(60, 11),
                change="first version",
            )
        )
        db.session.add(
            SafetyPlanVersion(
                client_id=alex.id,
                number=2,
                sections=sections,
                client_sections=["coping", "reasons"],
                pinned=[],
                saved_by_id=cm.id,
                saved_at=_moment(60, 12),
                change="built together",
            )
        )
        own = {s: [dict(i) for i in items] for s, items in sections.items()}
        own["reasons"].append(_item("Playing guitar again", by_client=True))
        pinned = [own["coping"][0]["key"], own["coping"][1]["key"], own["help_people"][0]["key"]]
        db.session.add(
            SafetyPlanVersion(
                client_id=alex.id,
                number=3,
                sections=own,
                client_sections=["coping", "reasons"],
                pinned=pinned,
                saved_by_id=alex.portal_user_id or cm.id,
                saved_at=_moment(30, 20),
                by_client=True,
                change="add reasons",
            )
        )
        created += 3
    taylor = db.session.scalar(select(Client).where(Client.legal_name == "Taylor Sample"))
    for client, days_ago, open_ in ((alex, 75, False), (taylor, 40, False), (taylor, 2, True)):
        if client is None or client.primary_case_manager is None:
            continue
        cm = client.primary_case_manager
        event = CrisisEvent(
            client_id=client.id,
            occurred_at=_moment(days_ago, 22),
            what_happened="Called the crisis line late at night, overwhelmed after an eviction "
            "notice; thoughts of not wanting to be here, no plan.",
            risk_level="moderate" if not open_ else "high",
            risk_notes="C-SSRS screener: wish to be dead, no method or intent.",
            actions=["safety_planning", "called_988"] if not open_ else ["mobile_crisis"],
            outcome="safe_at_home" if not open_ else "stayed_with_support",
            follow_up_due=agency_today() - timedelta(days=days_ago - 1),
            created_by_id=cm.id,
            created_at=_moment(days_ago, 23),
        )
        if open_:
            task = Task(
                client_id=client.id,
                title="Follow up after the crisis",
                kind="follow_up",
                due_on=event.follow_up_due,
                assignee_id=cm.id,
                created_by_id=cm.id,
            )
            db.session.add(task)
            db.session.flush()
            event.follow_up_task_id = task.id
        else:
            event.status = "resolved"
            event.resolved_by_id = cm.id
            event.resolved_at = _moment(days_ago - 1, 15)
            event.resolution = "Seen the next day; safety plan reviewed; housing help started."
        db.session.add(event)
        created += 1
    return created
