"""The factory, configuration, health check, migrations and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from portal import create_app
from portal.extensions import db
from portal.models import Client, FamilyAccess, ProgressNote, Resource, User
from portal.models.base import utcnow
from portal.services import demo, notes

from .conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parent.parent


def test_production_refuses_to_start_without_secret_and_database(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTAL_RATELIMIT_STORAGE_URI", raising=False)
    with pytest.raises(
        RuntimeError, match="PORTAL_SECRET_KEY, DATABASE_URL, PORTAL_RATELIMIT_STORAGE_URI"
    ):
        create_app()
    monkeypatch.setenv("PORTAL_SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(RuntimeError, match="without PORTAL_RATELIMIT_STORAGE_URI$"):
        create_app()
    # Each gunicorn worker would count on its own: memory is not a shared store.
    monkeypatch.setenv("PORTAL_RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(RuntimeError, match="a shared store such as redis://"):
        create_app()


def test_production_refuses_sqlite(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/prod.db")
    monkeypatch.setenv("PORTAL_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    with pytest.raises(RuntimeError, match="a PostgreSQL DATABASE_URL"):
        create_app()


def test_demo_command_refuses_a_production_database(app):
    app.config["ENV_NAME"] = "production"
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "refusing" in result.output
    assert db.session.scalar(select(User)) is None


def test_production_starts_with_its_settings_and_secure_cookies(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    monkeypatch.setenv("PORTAL_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-waypoint_session"
    assert app.config["MFA_REQUIRED_FOR_STAFF"] is True
    assert app.config["HSTS"] is True
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_unknown_environment_name_is_refused(monkeypatch):
    monkeypatch.setenv("PORTAL_ENV", "staging-ish")
    with pytest.raises(RuntimeError, match="not one of"):
        create_app()


def test_every_setting_can_come_from_portal_variables(monkeypatch):
    monkeypatch.setenv("PORTAL_TIMEZONE", "America/Denver")
    monkeypatch.setenv("PORTAL_CRISIS_LINE_PHONE", "555-0199")
    monkeypatch.setenv("PORTAL_HSTS", "true")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["TIMEZONE"] == "America/Denver"
    assert app.config["CRISIS_LINE_PHONE"] == "555-0199"
    assert app.config["HSTS"] is True


def test_demo_config_keeps_a_generated_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "demo")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from portal.config import instance_secret_key

    first = instance_secret_key(tmp_path)
    assert len(first) == 64
    assert instance_secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    url = (
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
        if ON_POSTGRES
        else f"sqlite:///{tmp_path}/missing-dir/none.db"
    )
    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "unreachable"}


def test_sqlite_runs_with_wal_and_foreign_keys(app):
    if ON_POSTGRES:
        assert db.session.execute(sa.text("SHOW server_version")).scalar()
        return
    assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_migrations_build_the_schema_from_empty_with_no_drift(fresh_database_url):
    """Upgrade an empty database, then ask Alembic whether the models differ from it."""
    from flask_migrate import check, upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": fresh_database_url})
    with app.app_context():
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"user", "client", "care_team_member", "family_access", "audit_event"} <= tables
        head = db.session.execute(sa.text("SELECT event_count, last_hash FROM audit_head")).one()
        assert tuple(head) == (0, "0" * 64)
        check()  # raises (exits) when autogenerate would find a difference
        db.session.remove()
        db.engine.dispose()


def _filled_by_migration(
    url: str, *, before: str, insert: str, rows: list[dict[str, Any]], column: Any
) -> list[Any]:
    """Insert ``rows`` into a database migrated up to ``before``, migrate it to the head, and
    read ``column`` back in id order: what a migration filled in for the rows there were."""
    from flask_migrate import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(revision=before)
        for row in rows:
            db.session.execute(sa.text(insert), row)
        db.session.commit()
        upgrade()
        table = column.class_
        kept = list(db.session.scalars(select(column).order_by(table.id)))
        db.session.remove()
        db.engine.dispose()
    return kept


def test_the_user_sort_name_migration_folds_the_accounts_there_are(fresh_database_url):
    """Accounts made before 0019 sort and are found by their folded name, as new ones are."""
    kept = _filled_by_migration(
        fresh_database_url,
        before="0018_client_sort_name",
        insert='INSERT INTO "user" (email, display_name, role, password_hash)'
        " VALUES (:email, :name, 'care_team', 'x')",
        rows=[
            {"email": f"u{n}@example.org", "name": name}
            for n, name in enumerate(["ÁLVARO  Núñez", "Dana Fictional"])
        ],
        column=User.sort_name,
    )
    assert kept == ["alvaro nunez", "dana fictional"]


def test_the_resource_sort_name_migration_folds_the_directory_there_is(fresh_database_url):
    """Entries made before 0020 sort by their folded name, as new ones do."""
    kept = _filled_by_migration(
        fresh_database_url,
        before="0019_user_sort_name",
        insert="INSERT INTO resource (name, category, languages, search_text, created_at,"
        " updated_at) VALUES (:name, 'housing', '[]', '', :now, :now)",
        rows=[{"name": name, "now": utcnow()} for name in ["ÁMBAR  House", "Zinnia Center"]],
        column=Resource.sort_name,
    )
    assert kept == ["ambar house", "zinnia center"]


def test_the_sort_name_migration_folds_the_clients_there_are(fresh_database_url):
    """Clients made before 0018 sort by the name shown, folded, as new ones do."""
    people = [("ÁLVARO MUÑOZ", "Ángel"), ("Dana Fictional", None), ("Émile  Brun", "")]
    kept = _filled_by_migration(
        fresh_database_url,
        before="0017_client_search_text",
        insert="INSERT INTO client (legal_name, preferred_name, preferred_language, status)"
        " VALUES (:legal, :preferred, 'es', 'active')",
        rows=[{"legal": legal, "preferred": preferred} for legal, preferred in people],
        column=Client.sort_name,
    )
    assert kept == ["angel", "dana fictional", "emile brun"]
    assert kept == [Client.sort_name_of(*person) for person in people]


def test_the_search_text_migration_folds_the_clients_there_are(fresh_database_url):
    """Clients made before 0017 are found by the caseload search as new ones are."""
    people = [("ÁLVARO MUÑOZ", "Ángel", "WP-000001"), ("Dana Fictional", None, None)]
    kept = _filled_by_migration(
        fresh_database_url,
        before="0016_audit_hash_not_unique",
        insert="INSERT INTO client (legal_name, preferred_name, record_number, preferred_language,"
        " status) VALUES (:legal, :preferred, :number, 'es', 'active')",
        rows=[
            {"legal": legal, "preferred": preferred, "number": number}
            for legal, preferred, number in people
        ],
        column=Client.search_text,
    )
    assert kept == ["alvaro munoz\nangel\nwp-000001", "dana fictional\n\n"]
    assert kept == [Client.search_text_of(*person) for person in people]


def test_the_demo_notes_are_found_by_their_words_as_written_notes_are(app):
    demo.load_demo()
    db.session.commit()
    written = list(db.session.scalars(select(ProgressNote)))
    assert written and all(note.search_text == notes.index_text(note) for note in written)


def test_demo_data_is_idempotent_and_matches_the_design(app):
    first = demo.load_demo()
    db.session.commit()
    assert first > 0
    assert demo.load_demo() == 0
    emails = set(db.session.scalars(select(User.email)))
    assert {
        "admin@example.org",
        "supervisor@example.org",
        "cm@example.org",
        "psychiatrist@example.org",
        "client@example.org",
        "client2@example.org",
        "family@example.org",
        "cm2@example.org",
        "cm3@example.org",
    } <= emails
    by_email = {u.email: u for u in db.session.scalars(select(User))}
    assert by_email["client2@example.org"].locale == "es"
    assert all(u.locale is None for e, u in by_email.items() if e != "client2@example.org")
    assert by_email["cm@example.org"].supervisor == by_email["supervisor@example.org"]
    alex = db.session.scalar(
        select(Client).where(Client.portal_user == by_email["client@example.org"])
    )
    sofia = db.session.scalar(
        select(Client).where(Client.portal_user == by_email["client2@example.org"])
    )
    psychiatrist = by_email["psychiatrist@example.org"]
    assert psychiatrist in [m.user for m in alex.care_team]
    assert psychiatrist not in [m.user for m in sofia.care_team]
    assert alex.primary_case_manager == sofia.primary_case_manager == by_email["cm@example.org"]
    consent = db.session.scalar(select(FamilyAccess))
    assert consent.client == alex and consent.scopes == {"materials", "appointments"}


def test_create_user_command(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-user",
            "New.Person@Example.org",
            "--role",
            "case_manager",
            "--name",
            "New Person",
            "--password-stdin",
        ],
        input="a sufficiently long password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "new.person@example.org"))
    assert user.role == "case_manager" and user.password_hash.startswith("$argon2id$")
    again = runner.invoke(
        args=[
            "create-user",
            "NEW.PERSON@example.org",
            "--role",
            "client",
            "--name",
            "Dup",
            "--password-stdin",
        ],
        input="a sufficiently long password\n",
    )
    assert again.exit_code != 0 and "exists" in again.output
    short = runner.invoke(
        args=[
            "create-user",
            "x@example.org",
            "--role",
            "client",
            "--name",
            "X",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert short.exit_code != 0 and "at least 12" in short.output
    common = runner.invoke(
        args=[
            "create-user",
            "y@example.org",
            "--role",
            "client",
            "--name",
            "Y",
            "--password-stdin",
        ],
        input="qwerty123456\n",
    )
    assert common.exit_code != 0 and "too common" in common.output


def test_flask_cli_runs_from_a_shell(tmp_path):
    """The documented commands work as a person types them: upgrade, demo, audit-verify."""
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "PORTAL_ENV": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }
    flask = [sys.executable, "-m", "flask", "--app", "portal"]
    for args in (["db", "upgrade"], ["demo"], ["audit-verify"]):
        done = subprocess.run(
            flask + args,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
    assert "audit chain intact" in done.stdout
