"""Every connection the app opens is set up as the pages' speed depends on, on either database."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, literal, select, text
from sqlalchemy.exc import DBAPIError

from portal import db_setup
from portal.extensions import db
from portal.models import Resource, Role
from portal.services import reports

from .conftest import ON_POSTGRES
from .factories import make_user
from .helpers import login


def _setting(statement: str) -> str:
    with db.engine.connect() as connection:
        return str(connection.execute(text(statement)).scalar())


def test_each_connection_is_set_up_for_short_page_queries(app: Flask) -> None:
    if ON_POSTGRES:
        # JIT costs short queries tens of milliseconds; random reads are priced for SSDs, so a
        # caseload is looked up by index instead of read from every client of the agency.
        assert _setting("SHOW jit") == "off"
        assert float(_setting("SHOW random_page_cost")) == 1.1
    else:
        assert _setting("PRAGMA journal_mode").lower() == "wal"
        assert _setting("PRAGMA foreign_keys") == "1"
        assert _setting("PRAGMA synchronous") == "1"  # NORMAL
        assert _setting("PRAGMA cache_size") == "-32000"


def _plan_cache_mode() -> str | None:
    if not ON_POSTGRES:
        return None  # SQLite keeps no plans between statements: nothing to set
    return str(db.session.execute(text("SHOW plan_cache_mode")).scalar())


def test_plan_once_reuses_plans_for_the_rest_of_one_transaction_only(app: Flask) -> None:
    # The dashboards ask PostgreSQL to keep one plan for their large statements; the next
    # transaction does not.
    db_setup.plan_once()
    assert _plan_cache_mode() in ("force_generic_plan", None)
    db.session.commit()
    assert _plan_cache_mode() in ("auto", None)
    assert db.session.execute(text("SELECT 1")).scalar() == 1


def test_a_report_plans_its_date_ranges_with_their_values_in_its_own_transaction(
    app: Flask,
) -> None:
    # PostgreSQL's own choice turned to a generic plan after ten runs, which read the whole
    # agency's assessments of the quarter: the reports ask for plans made with their dates.
    zone = ZoneInfo("America/Chicago")
    f = reports.ReportFilter(date(2026, 7, 1), date(2026, 9, 30), (), date(2026, 10, 5), zone)
    assert [row.clients for row in reports.run("outcomes", f)] == [0, 0]  # no caseload chosen
    assert _plan_cache_mode() in ("force_custom_plan", None)
    db.session.commit()
    assert _plan_cache_mode() in ("auto", None)


# --- transactions that only read end with COMMIT (PostgreSQL keeps its prepared statements) ---


@pytest.mark.skipif(not ON_POSTGRES, reason="psycopg's prepared statements: PostgreSQL only")
class TestOnOneConnection:
    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        # One connection, so the requests and the check share it.
        return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0}}

    def test_a_statement_every_page_runs_is_planned_once_not_for_every_request(
        self, app: Flask, client: FlaskClient
    ) -> None:
        # psycopg prepares a statement it has run five times and forgets it on ROLLBACK; a
        # page that only reads ends with COMMIT instead, so the session lookup of every
        # signed-in page is prepared once and then runs without being planned again.
        make_user(Role.CASE_MANAGER, email="cm@example.org")
        db.session.commit()
        assert login(client, "cm@example.org").status_code in (302, 303)
        for _ in range(8):
            assert client.get("/staff/clients").status_code == 200
        runs = db.session.execute(
            text(
                "SELECT generic_plans + custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE 'SELECT user_session.id%'"
            )
        ).scalar()
        assert runs is not None and runs >= 3  # prepared after five runs, then reused


def _kept(name: str) -> bool:
    return db.session.scalar(select(Resource.id).where(Resource.name == name)) is not None


def _resource(name: str) -> dict[str, Any]:
    return {"name": name, "category": "housing", "description": "A test entry", "active": True}


def _write_orm(name: str) -> None:
    db.session.add(Resource(**_resource(name)))
    db.session.flush()


def _write_core(name: str) -> None:
    db.session.execute(insert(Resource.__table__).values(_resource(name)))


def _write_in_a_with(name: str) -> None:
    resources = Resource.__table__
    made = insert(resources).values(_resource(name)).returning(resources.c.id).cte("made")
    assert db.session.execute(select(made.c.id)).scalar() is not None


def _write_text(name: str) -> None:
    db.session.execute(
        text(
            "INSERT INTO resource (name, category, description, languages, active, created_at,"
            " updated_at) VALUES (:name, 'housing', 'A test entry', '[]', :yes,"
            " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
        ),
        {"name": name, "yes": True},
    )


WRITES = {"ORM": _write_orm, "Core": _write_core, "WITH": _write_in_a_with, "text": _write_text}


@pytest.mark.parametrize("how", WRITES)
def test_a_transaction_that_wrote_is_rolled_back(app: Flask, how: str) -> None:
    # Through the ORM, with Core, in a WITH inside a SELECT, and in text: each is a write, so
    # its rollback is a real one, whatever else the transaction did (it read first).
    if how == "WITH" and not ON_POSTGRES:
        return  # SQLite has no INSERT inside WITH; nothing to roll back
    assert not _kept(how)
    WRITES[how](how)
    assert _kept(how)
    db.session.rollback()
    assert not _kept(how)


def test_a_failed_statement_is_rolled_back_and_the_next_one_runs(app: Flask) -> None:
    # A SELECT that fails leaves PostgreSQL's transaction aborted: it is rolled back, not
    # committed (SQLite answers NULL for a division by zero).
    try:
        db.session.execute(select(literal(1) / literal(0))).scalar()
    except DBAPIError:
        db.session.rollback()
    else:
        assert not ON_POSTGRES
    assert db.session.execute(select(literal(2))).scalar() == 2
