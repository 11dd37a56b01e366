"""Backup and restore: an archive taken while the app writes restores, whole, somewhere else.

Every test runs on the suite's database: SQLite by default (the online backup API), and
PostgreSQL when ``DATABASE_URL`` names one, where ``pg_dump`` and ``pg_restore`` run against
the real server.
"""

from __future__ import annotations

import io
import json
import tarfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask
from PIL import Image
from werkzeug.datastructures import FileStorage

from portal import create_app
from portal.extensions import db
from portal.models import Role
from portal.services import audit, backup, documents
from tests.conftest import ON_POSTGRES, POSTGRES_URL
from tests.factories import make_client, make_user

AUDIT_TRIGGERS = {"audit_event", "audit_head"}


def _png(seed: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6, 6), (seed * 40 % 256, 90, 200)).save(out, "PNG")
    return out.getvalue()


def _seed() -> None:
    """A few people, clients, audit events and uploaded documents, committed."""
    staff = make_user(Role.CASE_MANAGER)
    for n in range(3):
        client = make_client(primary_case_manager=staff)
        documents.store(
            client,
            FileStorage(io.BytesIO(_png(n)), filename=f"scan-{n}.png"),
            kind="consent",
            description=None,
            actor=staff,
            ip="192.0.2.1",
        )
        audit.record("view", actor=staff, ip="192.0.2.1", object_type="client", object_id=client.id)
    db.session.commit()


def _files(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@contextmanager
def _other_app(url: str, documents_folder: Path) -> Iterator[Flask]:
    application = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "DOCUMENT_FOLDER": str(documents_folder)}
    )
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def _table_names(application: Flask) -> list[str]:
    with application.app_context():
        names = sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
    return names


def _triggers() -> set[str]:
    if db.engine.dialect.name == "postgresql":
        sql = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    return set(db.session.execute(sa.text(sql)).scalars())


@contextmanager
def _writing_in_background(app: Flask) -> Iterator[Callable[[], int]]:
    """Another thread, with its own app context and session, commits audit events and clients."""
    stop, errors, written = threading.Event(), [], [0]

    def writer() -> None:
        try:
            with app.app_context():
                while not stop.is_set():
                    client = make_client()
                    audit.record("create", actor=None, ip="198.51.100.9", object_id=client.id)
                    db.session.commit()
                    written[0] += 1
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        yield lambda: written[0]
    finally:
        stop.set()
        thread.join(timeout=60)
    assert errors == []


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, "the background writer made no progress"
        time.sleep(0.01)


def _invoke(application: Flask, *args: str) -> Result:
    """Run a command as ``flask --app portal`` would: in an app context of that app."""
    with application.app_context():
        return application.test_cli_runner().invoke(args=list(args))


def _backup(application: Flask, archive: Path) -> None:
    result = _invoke(application, "backup", str(archive))
    assert result.exit_code == 0, result.output


def _rewrite(archive: Path, change: Callable[[str, bytes], bytes]) -> None:
    """Rebuild the archive with some members' bytes changed (the manifest left as it was)."""
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile()]
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            data = change(member.name, data)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))


@pytest.fixture
def second_database_url(tmp_path: Path) -> Iterator[str]:
    """One more empty database beside ``fresh_database_url``, dropped afterwards."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'second.db'}"
        return
    name = f"waypoint_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_backup_taken_while_writing_restores_into_an_empty_database(
    app, fresh_database_url, tmp_path
):
    _seed()
    source_files = _files(documents.folder())
    source_triggers = _triggers()
    assert len(source_files) == 3
    archive = tmp_path / "waypoint.tar.gz"

    with _writing_in_background(app) as written:
        _wait_for(lambda: written() >= 5)
        result = _invoke(app, "backup", str(archive))
        during = written()
        _wait_for(lambda: written() >= during + 5)
    assert result.exit_code == 0, result.output
    tool = "pg_dump --format=custom --no-owner" if ON_POSTGRES else "SQLite online backup API"
    assert tool in result.output
    assert archive.stat().st_mode & 0o777 == 0o600

    manifest = backup.read_manifest(archive)
    member = "database.pgdump" if ON_POSTGRES else "database.sqlite3"
    assert manifest["database"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert manifest["app_version"] and manifest["created_at"].endswith("Z")
    assert (
        manifest["alembic_revision"]
        == db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    )
    assert set(manifest["members"]) == {member} | {f"documents/{n}" for n in source_files}
    assert manifest["documents"]["missing"] == manifest["documents"]["changed"] == []
    # The copy is of one instant in the middle of the writes.
    backed_up = manifest["counts"]["audit_event"]
    assert 6 + 5 <= backed_up < backup.live_counts()["audit_event"]
    if ON_POSTGRES:
        with tarfile.open(archive, "r:gz") as tar:
            assert tar.extractfile(member).read(5) == b"PGDMP"  # pg_dump's custom format

    restored_docs = tmp_path / "restored-documents"
    with _other_app(fresh_database_url, restored_docs) as target:
        restored = _invoke(target, "restore", str(archive))
        assert restored.exit_code == 0, restored.output
        assert f"audit chain intact: {backed_up} events" in restored.output
        assert f"  client: {manifest['counts']['client']}" in restored.output
        verified = _invoke(target, "audit-verify")
        assert verified.exit_code == 0, verified.output
        with target.app_context():
            assert backup.live_counts() == manifest["counts"]
            # The append-only triggers came back with the tables and still refuse changes.
            assert _triggers() == source_triggers
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                db.session.execute(sa.text("UPDATE audit_event SET detail = 'x' WHERE id = 1"))
            db.session.rollback()
    assert _files(restored_docs) == source_files


def test_restore_refuses_a_database_that_is_not_empty(app, tmp_path):
    _seed()
    archive = tmp_path / "waypoint.tar.gz"
    _backup(app, archive)
    make_client()
    db.session.commit()
    before, files = backup.live_counts(), _files(documents.folder())

    result = _invoke(app, "restore", str(archive))

    assert result.exit_code == 1
    assert "restore refused: the database is not empty (alembic_version present" in result.output
    assert "--force" in result.output and len(result.output.strip().splitlines()) == 1
    assert backup.live_counts() == before
    assert _files(documents.folder()) == files


def test_restore_refuses_a_database_with_rows_but_no_revision(app, fresh_database_url, tmp_path):
    _seed()
    archive = tmp_path / "waypoint.tar.gz"
    _backup(app, archive)
    with _other_app(fresh_database_url, tmp_path / "docs") as target:
        with target.app_context():
            db.session.execute(sa.text("CREATE TABLE scratch (id integer)"))
            db.session.execute(sa.text("INSERT INTO scratch VALUES (1)"))
            db.session.commit()
        result = _invoke(target, "restore", str(archive))
    assert result.exit_code == 1
    assert "not empty (scratch has 1 rows)" in result.output
    assert _table_names(target) == ["scratch"]


@pytest.mark.parametrize("tampered", ["document", "database"])
def test_restore_refuses_a_tampered_archive_before_touching_anything(
    app, fresh_database_url, tmp_path, tampered
):
    _seed()
    archive = tmp_path / "waypoint.tar.gz"
    _backup(app, archive)
    prefix = "documents/" if tampered == "document" else "database."
    changed: list[str] = []

    def flip_one(name: str, data: bytes) -> bytes:
        if name.startswith(prefix) and not changed:
            changed.append(name)
            return data[:-1] + bytes([data[-1] ^ 0xFF])
        return data

    _rewrite(archive, flip_one)
    restored_docs = tmp_path / "restored-documents"
    with _other_app(fresh_database_url, restored_docs) as target:
        result = _invoke(target, "restore", str(archive))
    assert result.exit_code == 1
    assert f"checksum mismatch for {changed[0]}" in result.output
    assert _table_names(target) == []
    assert _files(restored_docs) == {}


def test_restore_refuses_a_member_the_manifest_does_not_list(app, fresh_database_url, tmp_path):
    _seed()
    archive = tmp_path / "waypoint.tar.gz"
    _backup(app, archive)
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar.getmembers()]
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data))
        extra = tarfile.TarInfo("documents/1/planted.png")
        extra.size = 4
        tar.addfile(extra, io.BytesIO(b"evil"))
    with _other_app(fresh_database_url, tmp_path / "docs") as target:
        result = _invoke(target, "restore", str(archive))
    assert result.exit_code == 1
    assert "documents/1/planted.png, which the manifest does not list" in result.output
    assert _table_names(target) == []


def test_restore_overwrites_differing_documents_only_with_force(app, fresh_database_url, tmp_path):
    _seed()
    source_files = _files(documents.folder())
    archive = tmp_path / "waypoint.tar.gz"
    _backup(app, archive)
    restored_docs = tmp_path / "restored-documents"
    clash = sorted(source_files)[0]
    (restored_docs / clash).parent.mkdir(parents=True)
    (restored_docs / clash).write_bytes(b"someone else's file")

    with _other_app(fresh_database_url, restored_docs) as target:
        refused = _invoke(target, "restore", str(archive))
        assert refused.exit_code == 1
        assert f"differ from the backup's (first: {clash}); give --force" in refused.output
        assert _table_names(target) == []
        assert (restored_docs / clash).read_bytes() == b"someone else's file"

        forced = _invoke(target, "restore", "--force", str(archive))
        assert forced.exit_code == 0, forced.output
        assert "documents: 3 restored, 0 already in place" in forced.output
    assert _files(restored_docs) == source_files
    assert (restored_docs / clash).stat().st_mode & 0o777 == 0o600


def test_restore_with_force_replaces_a_database_that_is_not_empty(app, tmp_path):
    _seed()
    archive = tmp_path / "waypoint.tar.gz"
    _backup(app, archive)
    counts = backup.read_manifest(archive)["counts"]
    for _ in range(2):
        make_client()
    audit.record("view", actor=None, ip=None)
    db.session.commit()
    db.session.remove()

    result = _invoke(app, "restore", "--force", str(archive))

    assert result.exit_code == 0, result.output
    assert "documents: 0 restored, 3 already in place" in result.output
    assert backup.live_counts() == counts
    assert audit.verify_chain().ok


def test_restore_upgrades_a_backup_from_an_older_revision(
    fresh_database_url, second_database_url, tmp_path
):
    from alembic.script import ScriptDirectory
    from flask_migrate import upgrade

    archive = tmp_path / "older.tar.gz"
    with _other_app(fresh_database_url, tmp_path / "old-docs") as older:
        with older.app_context():
            upgrade(revision="0010_goal_proposals")
            audit.record("view", actor=None, ip="192.0.2.4")
            db.session.commit()
        _backup(older, archive)
    assert backup.read_manifest(archive)["alembic_revision"] == "0010_goal_proposals"

    with _other_app(second_database_url, tmp_path / "new-docs") as target:
        result = _invoke(target, "restore", str(archive))
        assert result.exit_code == 0, result.output
        with target.app_context():
            config = target.extensions["migrate"].migrate.get_config()
            head = ScriptDirectory.from_config(config).get_current_head()
            revision = db.session.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert revision.scalar_one() == head
        assert f"upgraded from revision 0010_goal_proposals to {head}" in result.output
        assert "audit chain intact: 1 events" in result.output


def test_restore_refuses_a_backup_newer_than_the_code(app, fresh_database_url, tmp_path):
    archive = tmp_path / "waypoint.tar.gz"
    _backup(app, archive)

    def from_the_future(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["alembic_revision"] = "0099_from_the_future"
        return json.dumps(manifest).encode()

    _rewrite(archive, from_the_future)
    with _other_app(fresh_database_url, tmp_path / "docs") as target:
        result = _invoke(target, "restore", str(archive))
    assert result.exit_code == 1
    assert "revision 0099_from_the_future, which this code does not know" in result.output
    assert _table_names(target) == []


def test_backup_never_overwrites_and_names_a_file_in_a_folder(app, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    _backup(app, folder)
    (made,) = folder.iterdir()
    assert made.name.startswith("waypoint-") and made.name.endswith("Z.tar.gz")
    again = _invoke(app, "backup", str(made))
    assert again.exit_code == 1
    assert "already exists; a backup never overwrites a file" in again.output


def test_backup_warns_about_a_document_missing_from_disk(app, tmp_path):
    _seed()
    lost = sorted(_files(documents.folder()))[0]
    (documents.folder() / lost).unlink()
    archive = tmp_path / "waypoint.tar.gz"

    result = _invoke(app, "backup", str(archive))

    assert result.exit_code == 0, result.output
    assert (
        f"1 document(s) the database refers to are missing or changed on disk (first: {lost})"
        in result.output
    )
    assert backup.read_manifest(archive)["documents"] == {
        "files": 2,
        "referenced": 3,
        "missing": [lost],
        "changed": [],
    }
