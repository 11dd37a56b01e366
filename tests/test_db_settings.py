"""Every connection the app opens is set up as the pages' speed depends on, on either database."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import text

from portal import db_setup
from portal.extensions import db
from portal.services import reports

from .conftest import ON_POSTGRES


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
