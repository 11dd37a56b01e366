"""Test fixtures: a real database per test, an isolated test client, a real SMTP sink.

SQLite (the default): the migrations run once into a template file, and each
test gets its own copy of it. PostgreSQL (``DATABASE_URL=postgresql+psycopg://…``):
the migrations run once into that database, and each test starts from empty
tables (the audit table refuses DELETE and TRUNCATE, so the cleanup turns
triggers off for its own connection only). Either way requests commit for
real, as they do in production.
"""

from __future__ import annotations

import contextvars
import os
import shutil
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

os.environ["PORTAL_ENV"] = "testing"

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.services.audit import GENESIS_HASH  # noqa: E402

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith("postgresql")
PASSWORD = "correct horse battery staple"


def _migrate(url: str) -> None:
    """Build the schema the only way production does: by running the migrations."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


def _empty_postgres_tables(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        names = conn.execute(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).scalars()
        tables = ", ".join(f'"{name}"' for name in names)
        # Only this connection skips the triggers; the app's connections keep them.
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(
            sa.text(
                "INSERT INTO audit_head (id, last_event_id, last_hash, event_count) "
                "VALUES (1, NULL, :genesis, 0)"
            ),
            {"genesis": GENESIS_HASH},
        )


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database: a template file on SQLite, the scratch database on PostgreSQL."""
    if ON_POSTGRES:
        _reset_postgres(POSTGRES_URL)
        _migrate(POSTGRES_URL)
        return POSTGRES_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    _migrate(f"sqlite:///{path}")
    return str(path)


@pytest.fixture
def database_url(database_template: str, tmp_path: Path) -> str:
    """A database for one test, with the schema and nothing else."""
    if ON_POSTGRES:
        engine = sa.create_engine(database_template)
        _empty_postgres_tables(engine)
        engine.dispose()
        return database_template
    path = tmp_path / "test.db"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Per-test overrides of the testing configuration (override this fixture to change it)."""
    return {}


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any], tmp_path: Path) -> Iterator[Flask]:
    """The app on this test's database, with an app context for factories and checks."""
    config = {"SQLALCHEMY_DATABASE_URI": database_url, **app_config}
    application = create_app(config)
    application.instance_path = str(tmp_path / "instance")
    application.test_client_class = IsolatedClient
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose requests run like real ones, in their own app context.

    Without this, a request would reuse the test's app context: its database
    session and its ``g`` (where Flask-Login keeps the signed-in user), which
    hides bugs that a real server would show. Before each request the test's
    own work is committed; after it, the test's session forgets what it had
    loaded, so assertions read what the request really stored.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_client(app: Flask) -> Callable[[], FlaskClient]:
    """More browsers for one test: each has its own cookies."""
    return app.test_client


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    """``with count_queries() as q: client.get(...)``, then ``q.count``."""

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            counter.statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return counting


@dataclass
class MailSink:
    host: str
    port: int
    messages: list[Message] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mail_sink() -> Iterator[MailSink]:
    """A real SMTP server on a free local port that keeps what it receives."""
    from aiosmtpd.controller import Controller

    sink = MailSink("127.0.0.1", _free_port())
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
            with lock:
                sink.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    controller = Controller(Handler(), hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database with no schema at all, dropped afterwards."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"waypoint_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
