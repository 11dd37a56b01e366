"""What the figures were measured on: the machine, the software, and the dataset's rows."""

from __future__ import annotations

import os
import platform
import sqlite3
import time
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
# The share of the CPUs busy in the seconds before the pages are measured above which the
# machine was doing something else.
BUSY_CPU = 0.25


def load_average() -> float:
    """The one-minute load average: well above zero means something else was running (or,
    between two runs of one ``make bench``, the run before: it decays over minutes)."""
    return os.getloadavg()[0]


def _cpu_times() -> tuple[int, int] | None:
    """All CPUs' idle and total time since boot, in clock ticks (Linux); None elsewhere."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    ticks = [int(value) for value in first[1:]]
    return ticks[3] + ticks[4], sum(ticks)  # idle and iowait, of all


def cpu_busy(seconds: float = 2.0) -> float | None:
    """The share of all CPUs' time spent busy over the next ``seconds``: what else runs right
    now, which the load average cannot tell from the previous run's own load."""
    before = _cpu_times()
    time.sleep(seconds)
    after = _cpu_times()
    if before is None or after is None or after[1] <= before[1]:
        return None
    return 1 - (after[0] - before[0]) / (after[1] - before[1])


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
