"""Database engine details: SQLite pragmas and binding Flask-SQLAlchemy."""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

import psycopg
from flask import Flask
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.default import DefaultExecutionContext

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


# Set on a connection from the start of a transaction once it sends anything that may write.
_WROTE = "waypoint_wrote"
# psycopg keeps this many prepared statements per connection (its default is 100; the key
# pages alone run more than that many different statements).
PREPARED_MAX = 250


def _transaction_begins(conn: Connection) -> None:
    conn.info[_WROTE] = False


def _may_write(
    conn: Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    context: DefaultExecutionContext | None,
    _executemany: bool,
) -> None:
    """Mark the transaction as one that may have written: any INSERT, UPDATE or DELETE, DDL,
    and any text SQL but ``SET LOCAL``. Only a SELECT the app built leaves it unmarked."""
    if conn.info.get(_WROTE):
        return
    if (
        context is None
        or context.isinsert
        or context.isupdate
        or context.isdelete
        or context.isddl
        or (context.is_text and not statement.startswith("SET LOCAL "))
        # A data-modifying WITH inside a SELECT.
        or "INSERT INTO" in statement
        or "UPDATE " in statement
        or "DELETE FROM" in statement
    ):
        conn.info[_WROTE] = True


def _end_reads_with_commit(conn: Connection) -> None:
    """End a transaction that only read with COMMIT, not ROLLBACK.

    Both leave the database as it was. But psycopg forgets the statements it prepared on a
    ROLLBACK, and every request that only reads ends with one (the session closes), so a
    statement never reached the five runs after which psycopg prepares it, and PostgreSQL
    planned every statement of every page again: 0.1–0.6 ms each, more than running most
    of them. After this COMMIT the ROLLBACK that follows finds no transaction and leaves
    the prepared statements alone. A transaction that may have written, or has failed, is
    rolled back as before."""
    if conn.info.get(_WROTE, True):
        return
    dbapi_connection = conn.connection.dbapi_connection
    if (
        isinstance(dbapi_connection, psycopg.Connection)
        and dbapi_connection.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    ):
        dbapi_connection.commit()


def _keep_prepared_statements(engine: Engine) -> None:
    """On PostgreSQL, keep psycopg's prepared statements from one request to the next."""
    if engine.dialect.name != "postgresql":
        return
    event.listen(engine, "begin", _transaction_begins)
    event.listen(engine, "before_cursor_execute", _may_write)
    event.listen(engine, "rollback", _end_reads_with_commit)

    @event.listens_for(engine, "connect")
    def _prepared_max(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.prepared_max = PREPARED_MAX


def init_app(app: Flask) -> None:
    """Bind the database to the app."""
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            _keep_prepared_statements(engine)
