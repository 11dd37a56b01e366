"""Database engine details: SQLite pragmas and binding Flask-SQLAlchemy."""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

import psycopg
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from .extensions import db


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys on, WAL for readers beside a writer, patience when the file is busy.

    A 32 MB page cache per connection (the default is 2 MB) keeps the indexes that every
    page walks in memory at agency size, and sorts and temporary indexes stay in memory.
    """
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA cache_size=-32000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


@event.listens_for(Engine, "connect")
def _postgresql_settings(dbapi_connection: Any, _record: Any) -> None:
    """No JIT compilation: it pays off for long analytical queries, and costs a page's short
    queries tens of milliseconds when the planner's estimate of a join crosses its threshold.

    A random page read costs the planner 1.1 sequential ones, not the default 4 (which
    assumes spinning disks): a server with SSDs and the working set in memory reads an index
    entry as cheaply as the next page. With the default, PostgreSQL read every client of the
    agency to pick out a caseload of 40 rather than look each one up.
    """
    if not isinstance(dbapi_connection, psycopg.Connection):
        return
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET jit = off")
        cursor.execute("SET random_page_cost = 1.1")
    dbapi_connection.commit()  # a SET inside a transaction that is rolled back is undone


def plan_once() -> None:
    """Let PostgreSQL reuse one plan for the statements run next in this transaction.

    For the few large statements a page builds once and runs for everyone with the same role
    (the dashboards): planning them cost more than running them, and psycopg prepares a
    statement it has run five times, but PostgreSQL still plans again for every request while
    a generic plan looks costlier than the ones made for the values.
    """
    _plan_cache_mode("force_generic_plan")


def plan_each_time() -> None:
    """Make PostgreSQL plan the statements run next in this transaction with their values.

    For the reports: once psycopg prepares a statement, PostgreSQL tries a generic plan after
    five custom ones. Without the dates, it guesses that a quarter holds a few hundred of the
    agency's assessments, reads all of them through the date index and keeps the team's: 19
    ms at 5,000 clients, against 3 ms for looking up each client of the team.
    """
    _plan_cache_mode("force_custom_plan")


def _plan_cache_mode(mode: Literal["force_generic_plan", "force_custom_plan"]) -> None:
    """``SET LOCAL``: the setting ends with the transaction (SQLite has no plan cache)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"SET LOCAL plan_cache_mode = {mode}"))


def init_app(app: Flask) -> None:
    """Bind the database to the app."""
    db.init_app(app)
