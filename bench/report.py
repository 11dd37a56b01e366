"""Tables and verdicts from the runs' figures, as terminal text or as Markdown."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .pages import FLOOR
from .results import PageResult, RunResult

# The targets of issue 12, checked at TARGET_SIZE clients on SQLite unless said otherwise.
TARGET_DB = "sqlite"
TARGET_SIZE = 5000
FLOOR_SHARE = 0.5
P95_LIMIT_MS = 50.0
UNLOADED_P50_LIMIT_MS = 5.0
GROWTH_SIZES = (1000, 20000)
GROWTH_LIMIT = 1.5
QUERY_LIMIT = 12
PG_FACTOR = 1.5
RSS_LIMIT_MB = 200.0

DB_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Table:
    """Rows of cells under a header; ``align`` has an ``l`` or ``r`` per column (by default
    the first column left, the figures right)."""

    headers: list[str]
    rows: list[list[str]]
    align: str = ""

    def _left(self, column: int) -> bool:
        if self.align:
            return self.align[column] == "l"
        return column == 0

    def text(self) -> str:
        widths = [
            max(len(row[i]) for row in [self.headers, *self.rows]) for i in range(len(self.headers))
        ]

        def line(cells: Sequence[str]) -> str:
            padded = [
                cell.ljust(width) if self._left(i) else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ]
            return "  ".join(padded).rstrip()

        rule = "  ".join("-" * width for width in widths)
        return "\n".join([line(self.headers), rule, *(line(row) for row in self.rows)])

    def markdown(self) -> str:
        def line(cells: Sequence[str]) -> str:
            return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

        rule = "|" + "".join("---|" if self._left(i) else "---:|" for i in range(len(self.headers)))
        return "\n".join([line(self.headers), rule, *(line(row) for row in self.rows)])


def db_name(db: str) -> str:
    return DB_NAMES.get(db, db)


def clients_name(clients: int) -> str:
    return f"{clients:,} clients" if clients else "the demo data"


def size_name(run: RunResult) -> str:
    return clients_name(run.clients)


def run_title(run: RunResult) -> str:
    return f"{db_name(run.db)}, {size_name(run)}"


def _rate(value: float) -> str:
    return f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def _ms(value: float) -> str:
    return f"{value:.1f}"


def _ratio(value: float) -> str:
    return f"{value:.2f}×"


def floor_rps(run: RunResult) -> float:
    """The req/s of the run's /login row, measured once at the start of the run."""
    floor = run.page(FLOOR)
    return floor.rps if floor else 0.0


def share_of_floor(run: RunResult, page: PageResult) -> float:
    """The page's req/s against the floor's measured beside it (in results stored before
    pages were measured in rounds, against the run's /login row)."""
    floor = page.floor_rps if page.floor_rps is not None else floor_rps(run)
    return page.rps / floor if floor else 0.0


def load_note(run: RunResult) -> str:
    """How long each page was under load in this run, as the run's heading says it."""
    rounds = next((len(page.rounds) for page in run.pages if page.rounds), 0)
    if not rounds or run.round_seconds is None:
        return f"{run.duration} s of load per page"
    each = run.round_seconds
    return f"{rounds} rounds per page, each {each} s of /login then {each} s of the page"


def problems(run: RunResult, page: PageResult) -> list[str]:
    """What keeps this row from meeting the targets (the limits of issue 12 at any size)."""
    found = []
    if not page.measured:
        found.append("no request completed")
    if page.non2xx:
        found.append(f"{page.non2xx} non-2xx (first {page.first_bad_status})")
    if page.socket_errors:
        found.append(f"{page.socket_errors} socket errors")
    if page.key == FLOOR or not page.measured:
        return found
    if share_of_floor(run, page) < FLOOR_SHARE:
        found.append("req/s")
    if page.p95_ms >= P95_LIMIT_MS:
        found.append("p95")
    if page.unloaded_p50_ms >= UNLOADED_P50_LIMIT_MS:
        found.append("unloaded p50")
    if page.queries is not None and page.queries > QUERY_LIMIT:
        found.append("queries")
    return found


def verdict(run: RunResult, page: PageResult) -> str:
    found = problems(run, page)
    if found:
        return "FAIL: " + ", ".join(found)
    return "floor" if page.key == FLOOR else "PASS"


def page_table(run: RunResult) -> Table:
    """Each page: throughput, its share of the floor's and the floor's beside it, latencies,
    queries and the verdict."""
    headers = ["page", "req/s", "requests", "% of /login", "floor req/s beside it", "p50 ms"]
    headers += ["p95 ms", "p99 ms", "unloaded p50 ms", "queries", "verdict"]
    rows = [
        [
            page.label,
            _rate(page.rps),
            str(page.requests),
            f"{share_of_floor(run, page) * 100:.0f}%",
            "" if page.floor_rps is None else _rate(page.floor_rps),
            _ms(page.p50_ms),
            _ms(page.p95_ms),
            _ms(page.p99_ms),
            _ms(page.unloaded_p50_ms),
            "" if page.queries is None else str(page.queries),
            verdict(run, page),
        ]
        for page in run.pages
    ]
    return Table(headers, rows, "l" + "r" * 9 + "l")


def growth_table(runs: Sequence[RunResult], db: str) -> Table | None:
    """p95 at each size, and as a multiple of p95 at the smallest size measured."""
    sized = sorted((r for r in runs if r.db == db and r.clients), key=lambda r: r.clients)
    if len(sized) < 2:
        return None
    smallest = sized[0]
    headers = ["page", *(f"p95 ms at {r.clients:,}" for r in sized)]
    headers += [f"{r.clients:,} / {smallest.clients:,}" for r in sized[1:]]
    rows = []
    for page in smallest.pages:
        figures = [r.page(page.key) for r in sized]
        cells = [_ms(f.p95_ms) if f else "" for f in figures]
        ratios = [_ratio(f.p95_ms / page.p95_ms) if f and page.p95_ms else "" for f in figures[1:]]
        rows.append([page.label, *cells, *ratios])
    return Table(headers, rows)


def pair_sizes(runs: Sequence[RunResult]) -> list[int]:
    """The dataset sizes measured on both SQLite and PostgreSQL."""
    by_db: dict[str, set[int]] = {}
    for run in runs:
        by_db.setdefault(run.db, set()).add(run.clients)
    return sorted(by_db.get("sqlite", set()) & by_db.get("postgresql", set()))


def _find(runs: Sequence[RunResult], db: str, clients: int) -> RunResult | None:
    return next((r for r in runs if r.db == db and r.clients == clients), None)


def pg_table(runs: Sequence[RunResult], clients: int) -> Table | None:
    """PostgreSQL's figures against SQLite's at one size (above 1 means PostgreSQL is slower)."""
    lite, pg = _find(runs, "sqlite", clients), _find(runs, "postgresql", clients)
    if lite is None or pg is None:
        return None
    headers = ["page", "SQLite req/s", "PG req/s", "slower by", "SQLite p95", "PG p95"]
    headers += ["p95 ratio"]
    rows = []
    for page in lite.pages:
        other = pg.page(page.key)
        if other is None:
            continue
        measured = page.measured and other.measured
        rows.append(
            [
                page.label,
                _rate(page.rps),
                _rate(other.rps),
                _ratio(page.rps / other.rps) if measured else "",
                _ms(page.p95_ms),
                _ms(other.p95_ms),
                _ratio(other.p95_ms / page.p95_ms) if measured else "",
            ]
        )
    return Table(headers, rows)


@dataclass
class Verdict:
    """One target of issue 12: PASS, FAIL or NOT MEASURED, and why."""

    target: str
    status: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<12} {self.target}" + (f": {self.detail}" if self.detail else "")


def _context(runs: Sequence[RunResult], db: str = TARGET_DB) -> tuple[RunResult | None, str]:
    """The run a target is checked on: SQLite at 5,000 clients, else the nearest size, said."""
    candidates = [r for r in runs if r.db == db]
    if not candidates:
        return None, ""
    chosen = min(candidates, key=lambda r: abs(r.clients - TARGET_SIZE))
    note = "" if chosen.clients == TARGET_SIZE else f"measured on {size_name(chosen)} only; "
    return chosen, note


def _status(name: str, failing: list[str], note: str = "") -> Verdict:
    return Verdict(name, "FAIL" if failing else "PASS", note + (", ".join(failing) or "every page"))


def _per_page(
    name: str, runs: Sequence[RunResult], fails: Callable[[RunResult, PageResult], str | None]
) -> Verdict:
    run, note = _context(runs)
    if run is None:
        return Verdict(name, "NOT MEASURED", "no SQLite run")
    failing = [
        f"{page.label} {why}"
        for page in run.pages
        if page.key != FLOOR and (why := _unmeasured(page) or fails(run, page))
    ]
    return _status(name, failing, note)


def _unmeasured(page: PageResult) -> str | None:
    return None if page.measured else "(no request completed)"


def _throughput(run: RunResult, page: PageResult) -> str | None:
    share = share_of_floor(run, page)
    return f"{share * 100:.0f}%" if share < FLOOR_SHARE else None


def _p95(run: RunResult, page: PageResult) -> str | None:
    return f"{page.p95_ms:.1f} ms" if page.p95_ms >= P95_LIMIT_MS else None


def _unloaded(run: RunResult, page: PageResult) -> str | None:
    slow = page.unloaded_p50_ms >= UNLOADED_P50_LIMIT_MS
    return f"{page.unloaded_p50_ms:.1f} ms" if slow else None


def _growth(runs: Sequence[RunResult]) -> Verdict:
    name = f"p95 at {GROWTH_SIZES[1]:,} clients within {GROWTH_LIMIT}× of p95 at "
    name += f"{GROWTH_SIZES[0]:,}, per page (SQLite)"
    small, large = (_find(runs, TARGET_DB, size) for size in GROWTH_SIZES)
    if small is None or large is None:
        return Verdict(name, "NOT MEASURED", "needs SQLite at both sizes")
    failing = []
    for page in small.pages:
        other = large.page(page.key)
        if other and page.p95_ms and other.p95_ms / page.p95_ms > GROWTH_LIMIT:
            failing.append(f"{page.label} {other.p95_ms / page.p95_ms:.2f}×")
    return _status(name, failing)


def _queries(runs: Sequence[RunResult]) -> Verdict:
    name = f"at most {QUERY_LIMIT} SQL queries per key page at any size"
    most: dict[str, int] = {}
    for run in runs:
        for page in run.pages:
            if page.queries is not None and page.queries > QUERY_LIMIT:
                most[page.label] = max(most.get(page.label, 0), page.queries)
    failing = [f"{label} {n}" for label, n in most.items()]
    return _status(name, failing)


def _postgres(runs: Sequence[RunResult]) -> Verdict:
    name = f"PostgreSQL within a factor {PG_FACTOR} of SQLite (req/s and p95, per page)"
    sizes = pair_sizes(runs)
    if not sizes:
        return Verdict(name, "NOT MEASURED", "needs SQLite and PostgreSQL at one size")
    clients = min(sizes, key=lambda n: abs(n - TARGET_SIZE))
    lite, pg = _find(runs, "sqlite", clients), _find(runs, "postgresql", clients)
    if lite is None or pg is None:
        return Verdict(name, "NOT MEASURED", "")
    note = "" if clients == TARGET_SIZE else f"measured on {size_name(lite)} only; "
    failing = []
    for page in lite.pages:
        other = pg.page(page.key)
        if page.key == FLOOR or other is None or not other.measured or not page.measured:
            continue
        slower, ratio = page.rps / other.rps, other.p95_ms / page.p95_ms
        if slower > PG_FACTOR or ratio > PG_FACTOR:
            failing.append(f"{page.label} ({slower:.2f}× req/s, {ratio:.2f}× p95)")
    return _status(name, failing, note)


def _memory(runs: Sequence[RunResult]) -> Verdict:
    name = f"each gunicorn worker under {RSS_LIMIT_MB:.0f} MB RSS after the benchmark"
    if not runs:
        return Verdict(name, "NOT MEASURED", "")
    failing = [
        f"{run_title(run)} {mb:.0f} MB"
        for run in runs
        for mb in run.worker_rss_mb
        if mb >= RSS_LIMIT_MB
    ]
    largest = max((mb for run in runs for mb in run.worker_rss_mb), default=0.0)
    if failing:
        return Verdict(name, "FAIL", ", ".join(failing))
    return Verdict(name, "PASS", f"largest {largest:.0f} MB")


def _clean(runs: Sequence[RunResult]) -> Verdict:
    name = "no non-2xx response and no socket error in any run"
    failing = [
        f"{run_title(run)}: {page.label} ({', '.join(problems(run, page)[:2])})"
        for run in runs
        for page in run.pages
        if page.failures
    ]
    return _status(name, failing)


def targets(runs: Sequence[RunResult]) -> list[Verdict]:
    """Every target of issue 12 against the runs present."""
    share = f"every key page's throughput at least {FLOOR_SHARE:.0%} of /login's"
    return [
        _clean(runs),
        _per_page(f"{share} (SQLite, 5,000 clients)", runs, _throughput),
        _per_page(f"p95 under {P95_LIMIT_MS:.0f} ms at 16 connections (SQLite, 5,000)", runs, _p95),
        _per_page(
            f"unloaded p50 under {UNLOADED_P50_LIMIT_MS:.0f} ms (SQLite, 5,000)", runs, _unloaded
        ),
        _growth(runs),
        _queries(runs),
        _postgres(runs),
        _memory(runs),
    ]
