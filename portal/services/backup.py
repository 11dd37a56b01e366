"""Backups and restores: one ``.tar.gz`` with the database, the uploaded documents and a manifest.

The archive holds ``database.sqlite3`` (SQLite's online backup API) or ``database.pgdump``
(``pg_dump --format=custom --no-owner``), ``documents/…`` (the document folder as it is laid
out on disk) and ``manifest.json`` (app version, alembic revision, database kind, time, rows
per table, SHA-256 and size of every other member).

Consistency while the app serves: the database copy is one snapshot (SQLite: a single backup
step inside one read transaction; PostgreSQL: ``pg_dump --snapshot`` on a snapshot exported by
the transaction that also counts the rows), and the documents are read *after* it. A document
file is written before its row is committed and is never changed or removed afterwards, so
every file the snapshot refers to is already complete on disk; a file of an upload that
committed later is carried along unreferenced, which is harmless.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from . import audit, documents
from .errors import DomainError

FORMAT = "waypoint-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
POSTGRES_MEMBER = "database.pgdump"
DOCUMENTS = "documents"
CHUNK = 1024 * 1024

Query = Callable[[str], list[tuple[Any, ...]]]


class BackupError(DomainError):
    """A backup or restore refused or failed; the message is one line for the operator."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    database: str
    method: str
    revision: str | None
    counts: dict[str, int]
    documents: int
    missing_documents: list[str]
    size: int


@dataclass(frozen=True)
class RestoreResult:
    database: str
    method: str
    revision: str
    upgraded_to: str | None
    counts: dict[str, int]
    documents_written: int
    documents_present: int
    chain: audit.ChainReport
    verified_members: int


@dataclass
class _Snapshot:
    member: str
    method: str
    revision: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    referenced: dict[str, str] = field(default_factory=dict)


# --- backup -----------------------------------------------------------------------------------


def create_backup(path: Path) -> BackupResult:
    """Write one archive: a consistent database copy, then the documents, then the manifest.

    PATH is the archive's file name, or an existing directory in which a time-stamped
    ``waypoint-YYYYMMDDTHHMMSSZ.tar.gz`` is made. An existing file is never overwritten, and
    the archive appears under its name only once it is complete.
    """
    now = datetime.now(UTC)
    if path.is_dir():
        path = path / f"waypoint-{now:%Y%m%dT%H%M%SZ}.tar.gz"
    if path.exists():
        raise BackupError(f"{path} already exists; a backup never overwrites a file")
    if not path.parent.is_dir():
        raise BackupError(f"the folder {path.parent} does not exist")
    kind = database_kind()
    # Staged beside the target: a large database does not fill /tmp, and the rename is atomic.
    with tempfile.TemporaryDirectory(prefix=".waypoint-backup-", dir=path.parent) as tmp:
        staging = Path(tmp)
        snapshot = _snapshot_sqlite(staging) if kind == "sqlite" else _snapshot_postgres(staging)
        partial = staging / "archive.tar.gz"
        members: dict[str, dict[str, Any]] = {}
        with tarfile.open(partial, "w:gz") as tar:
            members[snapshot.member] = _add_file(tar, staging / snapshot.member, snapshot.member)
            for relative, source in _document_files(documents.folder()):
                name = f"{DOCUMENTS}/{relative}"
                members[name] = _add_file(tar, source, name)
            prefix = f"{DOCUMENTS}/"
            stored = {
                name.removeprefix(prefix): m["sha256"]
                for name, m in members.items()
                if name.startswith(prefix)
            }
            missing = sorted(n for n in snapshot.referenced if n not in stored)
            changed = sorted(
                n for n, sha in snapshot.referenced.items() if n in stored and stored[n] != sha
            )
            manifest = {
                "format": FORMAT,
                "app_version": app_version(),
                "alembic_revision": snapshot.revision,
                "database": kind,
                "database_method": snapshot.method,
                "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "counts": snapshot.counts,
                "documents": {
                    "files": len(members) - 1,
                    "referenced": len(snapshot.referenced),
                    "missing": missing,
                    "changed": changed,
                },
                "members": members,
            }
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
            tar.addfile(info, _BytesReader(data))
        partial.chmod(0o600)  # it holds every client's record
        os.replace(partial, path)
    return BackupResult(
        path=path,
        database=kind,
        method=snapshot.method,
        revision=snapshot.revision,
        counts=snapshot.counts,
        documents=len(members) - 1,
        missing_documents=missing + changed,
        size=path.stat().st_size,
    )


def _snapshot_sqlite(staging: Path) -> _Snapshot:
    source_path = _sqlite_file(db.engine.url)
    if not source_path.is_file():
        raise BackupError(f"the SQLite database {source_path} does not exist")
    copy = staging / SQLITE_MEMBER
    with (
        closing(sqlite3.connect(source_path, timeout=15)) as source,
        closing(sqlite3.connect(copy)) as target,
    ):
        # One step (pages=-1) copies every page inside one read transaction: in WAL mode the
        # app's writers carry on, and the copy is the database as of one instant.
        source.backup(target)
        # A self-contained file: no -wal beside it to lose.
        target.execute("PRAGMA journal_mode=DELETE")
        check = target.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            raise BackupError(f"the copied database fails SQLite's check: {check}")
        tables = _sqlite_tables(target)
        snapshot = _Snapshot(SQLITE_MEMBER, "SQLite online backup API (sqlite3.Connection.backup)")
        _describe(snapshot, _sqlite_query(target), tables)
    return snapshot


def _snapshot_postgres(staging: Path) -> _Snapshot:
    pg_dump = _tool("pg_dump")
    dump = staging / POSTGRES_MEMBER
    dbname, env = _libpq_target(db.engine.url)
    method = f"pg_dump --format=custom --no-owner ({_tool_version(pg_dump)})"
    snapshot = _Snapshot(POSTGRES_MEMBER, method)
    options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
    with db.engine.connect().execution_options(**options) as conn, conn.begin():
        # pg_dump reads the very snapshot this transaction counts the rows in, so the
        # manifest's counts are exactly what the dump holds, whatever is written meanwhile.
        exported = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        tables = list(
            conn.execute(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            ).scalars()
        )
        _describe(snapshot, _sqlalchemy_query(conn), tables)
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                f"--snapshot={exported}",
                f"--file={dump}",
                f"--dbname={dbname}",
            ],
            env,
        )
    return snapshot


def _describe(snapshot: _Snapshot, query: Query, tables: list[str]) -> None:
    """Rows per table, the alembic revision and each referenced document's SHA-256."""
    for name in sorted(tables):
        snapshot.counts[name] = int(query(f"SELECT count(*) FROM {_quoted(name)}")[0][0])  # noqa: S608 - a name from the catalog
    if "alembic_version" in tables:
        rows = query("SELECT version_num FROM alembic_version")
        snapshot.revision = str(rows[0][0]) if rows else None
    if "document" in tables:
        rows = query("SELECT storage_name, sha256 FROM document")
        snapshot.referenced = {str(name): str(sha) for name, sha in rows}


def _document_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Regular files under the document folder, as (posix path inside it, path), sorted."""
    if not root.is_dir():
        return
    found = []
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in files:
            path = Path(directory) / name
            if path.is_file() and not path.is_symlink():
                found.append((path.relative_to(root).as_posix(), path))
    yield from sorted(found)


def _add_file(tar: tarfile.TarFile, source: Path, name: str) -> dict[str, Any]:
    """Add one file, hashing exactly the bytes that go into the archive."""
    with open(source, "rb") as handle:
        stat = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return {"sha256": reader.hash.hexdigest(), "size": stat.st_size}


class _HashingReader:
    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.hash = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.hash.update(data)
        return data


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk = self.data[self.offset : end]
        self.offset += len(chunk)
        return chunk


# --- restore ----------------------------------------------------------------------------------


def restore_backup(archive: Path, *, force: bool = False) -> RestoreResult:
    """Restore an archive into this app's (empty) database and document folder.

    Everything that can refuse does so before anything is written: the archive is unpacked
    into a scratch folder and every member checked against the manifest; the backup's
    revision must be this code's head or an older one (then ``upgrade`` runs after the
    restore); the database must have no tables and the document folder no differing file at
    a path the archive uses, unless ``force``. Afterwards the row counts are compared with
    the manifest and the audit chain is verified.
    """
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file")
    kind = database_kind()
    with tempfile.TemporaryDirectory(prefix="waypoint-restore-") as tmp:
        staging = Path(tmp)
        manifest = _unpack_and_verify(archive, staging)
        if manifest.get("database") != kind:
            raise BackupError(
                f"the backup holds a {manifest.get('database')} database, "
                f"but this app is configured for {kind}"
            )
        member = SQLITE_MEMBER if kind == "sqlite" else POSTGRES_MEMBER
        if member not in manifest["members"]:
            raise BackupError(f"the archive holds no {member}")
        revision = str(manifest.get("alembic_revision") or "")
        head = _plan_revision(revision)
        problem = emptiness_problem()
        if problem and not force:
            raise BackupError(
                f"the database is not empty ({problem}); restore only into an empty database, "
                "or give --force to replace its contents"
            )
        target_folder = documents.folder()
        conflicts = _document_conflicts(staging / DOCUMENTS, target_folder)
        if conflicts and not force:
            raise BackupError(
                f"{len(conflicts)} file(s) in {target_folder} differ from the backup's "
                f"(first: {conflicts[0]}); give --force to overwrite them"
            )

        db.session.remove()
        db.engine.dispose()
        if kind == "sqlite":
            method = _restore_sqlite(staging / member)
        else:
            method = _restore_postgres(staging / member, clean=bool(problem))
        db.engine.dispose()

        counts = live_counts()
        expected = {str(k): int(v) for k, v in dict(manifest.get("counts") or {}).items()}
        differences = [
            f"{name} {counts.get(name)} (backup: {rows})"
            for name, rows in sorted(expected.items())
            if counts.get(name) != rows
        ]
        if differences:
            raise BackupError(
                "restored row counts differ from the manifest: " + ", ".join(differences)
            )
        restored_revision = db.session.execute(
            sa.text("SELECT version_num FROM alembic_version")
        ).scalar_one()
        if restored_revision != revision:
            raise BackupError(
                f"the restored database is at {restored_revision}, the manifest says {revision}"
            )
        upgraded_to = None
        if revision != head:
            from flask_migrate import upgrade

            db.session.remove()
            upgrade()
            upgraded_to = head
            counts = live_counts()
        written, present = _restore_documents(staging / DOCUMENTS, target_folder)
        chain = audit.verify_chain()
        db.session.rollback()
    return RestoreResult(
        database=kind,
        method=method,
        revision=revision,
        upgraded_to=upgraded_to,
        counts=counts,
        documents_written=written,
        documents_present=present,
        chain=chain,
        verified_members=len(manifest["members"]),
    )


def read_manifest(archive: Path) -> dict[str, Any]:
    """The manifest of an archive, unverified (for inspection)."""
    with tarfile.open(archive, "r:gz") as tar:
        handle = tar.extractfile(MANIFEST)
        if handle is None:
            raise BackupError(f"{archive} has no {MANIFEST}")
        return dict(json.load(handle))


def _unpack_and_verify(archive: Path, staging: Path) -> dict[str, Any]:
    """Unpack into STAGING and check every member against the manifest; return the manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                if not (member.isfile() or member.isdir()) or not _safe_name(member.name):
                    raise BackupError(f"the archive holds an unexpected member {member.name!r}")
            tar.extractall(staging, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{archive} is not a readable backup archive ({error})") from error
    try:
        manifest = json.loads((staging / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{archive} has no readable {MANIFEST}") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a {FORMAT} archive")
    listed = manifest.get("members")
    if not isinstance(listed, dict) or not all(isinstance(i, dict) for i in listed.values()):
        raise BackupError(f"{archive} has a {MANIFEST} without its list of members")
    for name, info in sorted(listed.items()):
        path = staging / name
        if not _safe_name(name) or not path.is_file():
            raise BackupError(f"the archive is missing {name}, which the manifest lists")
        if _sha256(path) != info.get("sha256"):
            raise BackupError(f"checksum mismatch for {name}: the archive was changed or damaged")
    extra = sorted(
        path.relative_to(staging).as_posix()
        for path in staging.rglob("*")
        if path.is_file() and path.relative_to(staging).as_posix() not in {*listed, MANIFEST}
    )
    if extra:
        raise BackupError(f"the archive holds {extra[0]}, which the manifest does not list")
    return manifest


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts


def _plan_revision(revision: str) -> str:
    """This code's head; refuses a backup from a revision this code does not know."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    head = script.get_current_head()
    if head is None:
        raise BackupError("this code has no migrations")
    known = {rev.revision for rev in script.walk_revisions()}
    if not revision:
        raise BackupError("the backup records no alembic revision")
    if revision not in known:
        raise BackupError(
            f"the backup is at revision {revision}, which this code does not know "
            f"(its head is {head}); restore it with the release that made it"
        )
    return head


def _document_conflicts(source: Path, target: Path) -> list[str]:
    """Paths the archive would write over a file with different content."""
    return [
        relative
        for relative, path in _document_files(source)
        if (target / relative).exists() and _sha256(target / relative) != _sha256(path)
    ]


def _restore_documents(source: Path, target: Path) -> tuple[int, int]:
    """Copy each document into place (0600, folders 0700); returns (written, already there)."""
    written = present = 0
    for relative, path in _document_files(source):
        destination = target / relative
        if destination.exists() and _sha256(destination) == _sha256(path):
            present += 1
            continue
        destination.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = destination.with_name(f".{destination.name}.restoring")
        shutil.copyfile(path, partial)
        partial.chmod(0o600)
        os.replace(partial, destination)
        written += 1
    return written, present


def _restore_sqlite(copy: Path) -> str:
    target_path = _sqlite_file(db.engine.url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(copy)) as source,
        closing(sqlite3.connect(target_path, timeout=15)) as target,
    ):
        # Through SQLite rather than a file copy: the target's own -wal and locks are respected,
        # and the pages (triggers included) arrive as they were.
        source.backup(target)
    return "SQLite online backup API"


def _restore_postgres(dump: Path, *, clean: bool) -> str:
    pg_restore = _tool("pg_restore")
    dbname, env = _libpq_target(db.engine.url)
    arguments = [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
    ]
    if clean:
        arguments += ["--clean", "--if-exists"]
    # Data is loaded before the triggers are created (they are post-data), and a restore only
    # inserts, so the append-only triggers on the audit log have nothing to refuse.
    _run([*arguments, f"--dbname={dbname}", str(dump)], env)
    return f"pg_restore {' '.join(arguments[1:])} ({_tool_version(pg_restore)})"


# --- the database -----------------------------------------------------------------------------


def database_kind() -> str:
    """``sqlite`` or ``postgresql``; anything else is refused."""
    name = db.engine.dialect.name
    if name not in {"sqlite", "postgresql"}:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def emptiness_problem() -> str | None:
    """Why the configured database is not empty (None when it has no tables at all)."""
    with db.engine.connect() as conn:
        tables = sa.inspect(conn).get_table_names()
        if "alembic_version" in tables:
            revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            return f"alembic_version present, revision {revision}"
        counts = _counts(conn, tables)
    full = [f"{name} has {rows} rows" for name, rows in counts.items() if rows]
    if full:
        return full[0]
    if tables:
        return f"it already has {len(tables)} table(s)"
    return None


def live_counts() -> dict[str, int]:
    """Rows per table in the configured database, read on a connection of its own."""
    with db.engine.connect() as conn:
        return _counts(conn, sa.inspect(conn).get_table_names())


def _counts(conn: sa.Connection, tables: list[str]) -> dict[str, int]:
    query = _sqlalchemy_query(conn)
    return {
        name: int(query(f"SELECT count(*) FROM {_quoted(name)}")[0][0])  # noqa: S608 - a name from the catalog
        for name in sorted(tables)
    }


def app_version() -> str:
    try:
        return importlib.metadata.version("waypoint-portal")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_file(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _sqlite_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return [str(row[0]) for row in rows if not str(row[0]).startswith("sqlite_")]


def _sqlite_query(conn: sqlite3.Connection) -> Query:
    return lambda sql: [tuple(row) for row in conn.execute(sql).fetchall()]


def _sqlalchemy_query(conn: sa.Connection) -> Query:
    return lambda sql: [tuple(row) for row in conn.execute(sa.text(sql))]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- PostgreSQL client tools ------------------------------------------------------------------


def _libpq_target(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password, and the environment that carries it (not argv)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} not found on PATH: install the PostgreSQL client tools "
            "(the server's major version or newer)"
        )
    return path


def _tool_version(path: str) -> str:
    result = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        [path, "--version"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() or Path(path).name


def _run(arguments: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        arguments, capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        reason = (errors or lines or [f"exit status {result.returncode}"])[0]
        raise BackupError(f"{Path(arguments[0]).name} failed: {reason}")
