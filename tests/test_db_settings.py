"""Every connection the app opens is set up as the pages' speed depends on, on either database."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from portal import db_setup
from portal.extensions import db

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


def test_plan_once_reuses_plans_for_the_rest_of_one_transaction_only(app: Flask) -> None:
    # The dashboards ask PostgreSQL to keep one plan for their large statements; the next
    # transaction (a report, whose date range must be planned with its values) does not.
    db_setup.plan_once()
    if ON_POSTGRES:
        shown = db.session.execute(text("SHOW plan_cache_mode")).scalar()
        assert shown == "force_generic_plan"
    db.session.commit()
    if ON_POSTGRES:
        assert db.session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
    assert db.session.execute(text("SELECT 1")).scalar() == 1  # SQLite: nothing to set
