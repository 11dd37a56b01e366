"""The dashboards read a caseload by its clients, never down an index the whole agency shares.

SQLite's planner guesses from the table statistics. On a generated agency it would walk every
open crisis, request and conversation of the agency in time order, or every note of every client
for one person's drafts, and filter them by the caseload: the page then slows as the agency
grows, though the caseload does not. These read the plans SQLite chose for the real statements
of the pages, on a generated agency analysed as ``generate-data`` leaves it.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask

from portal.extensions import db
from portal.services import generate_data, users

from ..conftest import ON_POSTGRES
from ..helpers import login

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="reads SQLite's query plans; PostgreSQL costs its plans from real counts"
)

# Indexes that read far more than a list shows: the whole agency's crises, requests and
# conversations in time order. (A client's notes are read by status since migration 0015, so
# one person's drafts no longer mean every note of every client.)
AGENCY_WIDE = (
    "ix_crisis_event_occurred_at",
    "ix_appointment_request_status",
    "ix_message_thread_last_message_at",
)


@pytest.fixture(autouse=True)
def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


def _plans(app: Flask, make_client: Any, email: str) -> list[tuple[str, list[str]]]:
    """Each statement of the signed-in dashboard with the steps of its plan."""
    browser = make_client()
    assert login(browser, email, "waypoint-demo").status_code in (302, 303)
    statements: list[tuple[str, Any]] = []

    def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        page = browser.get("/staff/")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    assert page.status_code == 200
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        return [
            (
                statement,
                [row[3] for row in cursor.execute(f"EXPLAIN QUERY PLAN {statement}", params)],
            )
            for statement, params in statements
        ]
    finally:
        connection.close()


@pytest.mark.parametrize("email", ["supervisor@example.org", "cm@example.org"])
def test_the_dashboard_searches_the_caseload_not_the_agency(
    app: Flask, make_client: Any, email: str
) -> None:
    generate_data.generate(60, seed=5)
    db.session.commit()
    generate_data.refresh_statistics()  # as generate-data leaves it
    db.session.commit()
    plans = _plans(app, make_client, email)
    assert len(plans) >= 4
    for statement, steps in plans:
        wide = [step for step in steps if any(index in step for index in AGENCY_WIDE)]
        if "reasons AS" in statement:
            # The "needs me" queue ranks its few clients with a reason; it once did so by
            # reading every client of the agency, and the supervisor's dashboard grew 1.67x
            # from 1,000 to 20,000 clients. (A small agency's other statements may scan its
            # few clients: on a large one SQLite looks them up.)
            wide += [step for step in steps if step.split(" USING ")[0] == "SCAN client"]
        if "note_cosign_wait" in statement:
            # Notes to co-sign: those that wait (the agency's backlog, hundreds), not the
            # team's co-signed history, and not a probe for every author and every client of
            # the team (9 x 352 at 5,000 clients).
            wide += [step for step in steps if "progress_note" in step]
            wide += [step for step in steps if "author_id=? AND client_id=?" in step]
        assert not wide, f"{wide}\n{statement[:300]}"
    # Only a supervisor counts notes to co-sign.
    counted = any("note_cosign_wait" in statement for statement, _steps in plans)
    assert counted == (email == "supervisor@example.org")


def test_my_activity_and_recent_records_skip_the_views_i_wrote(
    app: Flask, make_client: Any
) -> None:
    """ "My recent activity" and "Recently viewed" read a person's changes and record views
    from indexes that hold them apart: down the index of all their events, they walked back
    through every page view since (each reload of the dashboard writes one), and the dashboard
    of whoever read the most was the slowest."""
    generate_data.generate(60, seed=5)
    db.session.commit()
    generate_data.refresh_statistics()
    db.session.commit()
    plans = _plans(app, make_client, "cm@example.org")
    steps = [step for _statement, plan in plans for step in plan]
    assert any("ix_audit_event_actor_changes (actor_id=?)" in step for step in steps), steps
    assert any(
        "ix_audit_event_actor_action_type_id (actor_id=? AND action=? AND object_type=?)" in step
        for step in steps
    ), steps
    assert not any("ix_audit_event_actor_id_id" in step for step in steps), steps
