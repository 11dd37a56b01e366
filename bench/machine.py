"""What the figures were measured on: the machine, the software, and the dataset's rows."""

from __future__ import annotations

import os
import platform
import sqlite3
from pathlib import Path

import gunicorn
import sqlalchemy as sa


def _first(path: str, prefix: str) -> str:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return ""
    for line in lines:
        if line.startswith(prefix):
            return line.split(":", 1)[1].strip() if ":" in line else line[len(prefix) :]
    return ""


def _memory_gib() -> str:
    kib = _first("/proc/meminfo", "MemTotal").split()
    return f"{int(kib[0]) / 1024 / 1024:.1f} GiB" if kib else "unknown"


def _distribution() -> str:
    name = _first("/etc/os-release", "PRETTY_NAME=")
    return name.strip('"') or platform.system()


def describe(wrk_version: str) -> dict[str, str]:
    """CPU, cores, memory, kernel and the versions of the software in the measurement."""
    return {
        "CPU": _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": str(os.cpu_count() or 0),
        "memory": _memory_gib(),
        "operating system": _distribution(),
        "kernel": platform.release(),
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "gunicorn": gunicorn.__version__,
        "wrk": wrk_version,
    }


# A one-minute load average above this at the start of a run means the machine was busy.
BUSY_LOAD = 1.0


def load_average() -> float:
    """The one-minute load average: well above zero means something else was running."""
    return os.getloadavg()[0]


def server_version(url: str) -> str:
    """The database server's version, e.g. ``PostgreSQL 15.2``."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                version = connection.execute(sa.text("SHOW server_version")).scalar_one()
                return f"PostgreSQL {str(version).split()[0]}"
            version = connection.execute(sa.text("SELECT sqlite_version()")).scalar_one()
            return f"SQLite {version}"
    finally:
        engine.dispose()


def row_counts(url: str) -> dict[str, int]:
    """Rows per table, largest first; empty tables and Alembic's own are left out."""
    engine = sa.create_engine(url)
    counts: dict[str, int] = {}
    try:
        names = sa.inspect(engine).get_table_names()
        with engine.connect() as connection:
            for name in names:
                if name == "alembic_version":
                    continue
                query = sa.select(sa.func.count()).select_from(sa.table(name))
                counts[name] = int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()
    kept = {name: n for name, n in counts.items() if n}
    return dict(sorted(kept.items(), key=lambda item: (-item[1], item[0])))
