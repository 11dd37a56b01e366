"""Generated databases, built once per size, seed and version and reused by later runs.

A cached database is keyed by the size, the seed and a short hash of the migrations (a new
one, or an index added to one not yet released) plus the generator's source, so a changed
schema or generator builds afresh.
A build goes into a temporary name that is renamed only when it is complete, so an
interrupted build is never reused. Each run measures a copy, so the cache stays as built.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from .tools import ROOT, flask

CACHE_DIR = ROOT / "instance" / "bench"
# Where the data comes from: the generator, or for the demo dataset the demo loader.
GENERATOR_SOURCES = (
    "portal/services/generate_data.py",
    "portal/services/generate/**/*.py",
    "portal/generate/**/*.py",
)
DEMO_SOURCES = ("portal/services/demo*.py",)
# The schema: an edited migration (an index added before it is released) changes it too.
SCHEMA_SOURCES = ("migrations/versions/*.py",)
# The generator dates everything relative to the day it runs (appointments this week,
# reviews due): an older database would show lighter pages, so it is built again.
MAX_AGE = timedelta(days=7)


def schema_heads() -> list[str]:
    """The Alembic head revisions of the migrations."""
    from alembic.script import ScriptDirectory

    return sorted(ScriptDirectory(str(ROOT / "migrations")).get_heads())


def source_files(demo: bool) -> list[Path]:
    """The source files whose change means the data must be generated again."""
    patterns = SCHEMA_SOURCES + (DEMO_SOURCES if demo else GENERATOR_SOURCES + DEMO_SOURCES)
    return sorted({path for pattern in patterns for path in ROOT.glob(pattern)})


def cache_key(demo: bool) -> str:
    """A short hash of the schema head, the migrations and the generator's source."""
    digest = hashlib.sha256("\n".join(schema_heads()).encode())
    for path in source_files(demo):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


@dataclass(frozen=True)
class Dataset:
    """What a database holds: ``size`` generated clients, or the demo data when None; ``key``
    names the version of the schema and the generator (read once, when the run starts)."""

    size: int | None
    seed: int
    key: str

    @classmethod
    def current(cls, size: int | None, seed: int) -> Dataset:
        return cls(size, seed, cache_key(demo=size is None))

    @property
    def label(self) -> str:
        return "demo" if self.size is None else str(self.size)


def populate(dataset: Dataset, url: str) -> None:
    """Migrate an empty database and fill it."""
    flask("db", "upgrade", database_url=url)
    if dataset.size is None:
        flask("demo", database_url=url)
    else:
        flask(
            "generate-data",
            "--clients",
            str(dataset.size),
            "--seed",
            str(dataset.seed),
            database_url=url,
        )


class Store(Protocol):
    """A kind of database that can hold cached datasets and working copies of them."""

    kind: str

    def ensure(self, dataset: Dataset) -> float | None:
        """Build the cached database unless it exists; the build's seconds, or None."""
        ...

    def working_copy(self, dataset: Dataset) -> str:
        """A fresh copy of the cached database to measure; its SQLAlchemy URL."""
        ...

    def discard_copy(self, dataset: Dataset) -> None:
        """Remove the working copy."""
        ...

    def remove_stale(self, dataset: Dataset) -> list[str]:
        """Remove the cached databases of this size and seed that an older schema or
        generator left (they can never be used again); their names."""
        ...


def _timed_build(name: str, build: Callable[[], None]) -> float:
    print(f"bench: building {name} (cached for later runs) ...", flush=True)
    start = time.perf_counter()
    build()
    seconds = time.perf_counter() - start
    print(f"bench: built {name} in {seconds:.1f} s", flush=True)
    return seconds


def _too_old(name: str, built: datetime | None) -> bool:
    """Whether a cached database must be built again because its dates have gone stale."""
    if built is None:
        return False
    age = datetime.now(UTC) - built
    if age <= MAX_AGE:
        print(f"bench: using {name}, built {age.total_seconds() / 3600:.0f} h ago", flush=True)
        return False
    print(f"bench: {name} was built {age.days} days ago: building it again", flush=True)
    return True


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


class SqliteStore:
    """SQLite files under instance/bench/."""

    kind = "sqlite"

    def __init__(self, directory: Path = CACHE_DIR) -> None:
        self.directory = directory

    def path(self, dataset: Dataset) -> Path:
        return self.directory / f"waypoint-{dataset.label}-{dataset.seed}-{dataset.key}.db"

    def ensure(self, dataset: Dataset) -> float | None:
        final = self.path(dataset)
        if final.exists():
            built = datetime.fromtimestamp(final.stat().st_mtime, UTC)
            if not _too_old(final.name, built):
                return None
            _remove_sqlite(final)
        self.directory.mkdir(parents=True, exist_ok=True)
        building = final.with_name(final.name + ".building")
        _remove_sqlite(building)

        def build() -> None:
            populate(dataset, f"sqlite:///{building}")
            connection = sqlite3.connect(building)
            try:
                # Statistics, as the daily `ANALYZE` of docs/operations.md keeps them
                # (PostgreSQL's are its VACUUM ANALYZE below): without them SQLite may pick
                # a one-column index on a status over the composite index of a client's rows.
                connection.execute("ANALYZE")
                # Fold the write-ahead log into the file, so the file alone is the database.
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                connection.close()
            _remove_sqlite(Path(f"{building}-wal"))
            building.rename(final)

        return _timed_build(final.name, build)

    def working_path(self, dataset: Dataset) -> Path:
        return self.directory / f"run-sqlite-{dataset.label}.db"

    def working_copy(self, dataset: Dataset) -> str:
        copy = self.working_path(dataset)
        _remove_sqlite(copy)
        shutil.copyfile(self.path(dataset), copy)
        return f"sqlite:///{copy}"

    def discard_copy(self, dataset: Dataset) -> None:
        _remove_sqlite(self.working_path(dataset))

    def remove_stale(self, dataset: Dataset) -> list[str]:
        current = self.path(dataset)
        pattern = f"waypoint-{dataset.label}-{dataset.seed}-*.db"
        stale = [path for path in sorted(self.directory.glob(pattern)) if path != current]
        for path in stale:
            _remove_sqlite(path)
        return [path.name for path in stale]


class PostgresStore:
    """Databases on a PostgreSQL server, created and renamed from its ``postgres`` database."""

    kind = "postgresql"

    def __init__(self, server_url: str) -> None:
        self.server_url = make_url(server_url)

    def url(self, database: str) -> str:
        return self.server_url.set(database=database).render_as_string(hide_password=False)

    def _conninfo(self, database: str) -> str:
        url = self.server_url.set(drivername="postgresql", database=database)
        return url.render_as_string(hide_password=False)

    def _admin(self, statement: sql.Composed) -> None:
        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as connection:
            connection.execute(statement)

    def _exists(self, database: str) -> bool:
        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as connection:
            row = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
            ).fetchone()
        return row is not None

    def _built_at(self, database: str) -> datetime | None:
        """When the suite built this database (kept in the database's comment)."""
        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as connection:
            row = connection.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                (database,),
            ).fetchone()
        comment = str(row[0]) if row and row[0] else ""
        if not comment.startswith("built "):
            return None
        return datetime.fromisoformat(comment.removeprefix("built "))

    def _drop(self, database: str) -> None:
        self._admin(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
        )

    def name(self, dataset: Dataset) -> str:
        return f"waypoint_bench_{dataset.label}_{dataset.seed}_{dataset.key}"

    def available(self) -> str | None:
        """None when the server answers, else why not."""
        try:
            self._exists("postgres")
        except psycopg.Error as error:
            return str(error).strip().splitlines()[0]
        return None

    def ensure(self, dataset: Dataset) -> float | None:
        final = self.name(dataset)
        if self._exists(final):
            if not _too_old(final, self._built_at(final)):
                return None
            self._drop(final)
        building = f"{final}_building"

        def build() -> None:
            self._drop(building)
            self._admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(building)))
            populate(dataset, self.url(building))
            # What autovacuum would have done by the time a real database is this size.
            with psycopg.connect(self._conninfo(building), autocommit=True) as connection:
                connection.execute("VACUUM ANALYZE")
            built = datetime.now(UTC).isoformat(timespec="seconds")
            self._admin(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(building), sql.Literal(f"built {built}")
                )
            )
            self._admin(
                sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                    sql.Identifier(building), sql.Identifier(final)
                )
            )

        return _timed_build(final, build)

    def working_name(self, dataset: Dataset) -> str:
        return f"waypoint_bench_run_{dataset.label}"

    def working_copy(self, dataset: Dataset) -> str:
        copy = self.working_name(dataset)
        self._drop(copy)
        self._admin(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(copy), sql.Identifier(self.name(dataset))
            )
        )
        return self.url(copy)

    def discard_copy(self, dataset: Dataset) -> None:
        self._drop(self.working_name(dataset))

    def remove_stale(self, dataset: Dataset) -> list[str]:
        prefix = f"waypoint_bench_{dataset.label}_{dataset.seed}_"
        with psycopg.connect(self._conninfo("postgres"), autocommit=True) as connection:
            rows = connection.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s ORDER BY datname",
                (prefix.replace("_", r"\_") + "%",),
            ).fetchall()
        current = self.name(dataset)
        stale = [name for (name,) in rows if name != current and not name.endswith("_building")]
        for name in stale:
            self._drop(name)
        return stale
