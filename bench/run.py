"""``make bench``: measure the key pages for each database kind and size, print the tables and
the targets, store the figures and write docs/performance.md."""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from . import docs, machine, queries, report
from .browser import Browser
from .cache import CACHE_DIR, Dataset, PostgresStore, SqliteStore, Store
from .load import CONNECTIONS, Measured, Target, measure, round_seconds
from .pages import ANONYMOUS, FLOOR, Fixtures, Page, has_generator, key_pages, make_app, resolve
from .results import PageResult, RunResult, load_all
from .server import WORKERS, Server
from .tools import ROOT, ensure_wrk, git_revision, wrk_version

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


@dataclass(frozen=True)
class Options:
    """What to measure, from the command line (``make bench`` passes its variables)."""

    sizes: list[int | None]
    dbs: list[str]
    seed: int
    duration: int
    postgres_url: str
    docs: Path


def parse(argv: Sequence[str]) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", default="1000 5000 20000", help="numbers of clients")
    parser.add_argument("--dbs", default="sqlite postgresql", help="sqlite and/or postgresql")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--duration", type=int, default=5, help="seconds of load per page, split across its rounds"
    )
    parser.add_argument("--demo", action="store_true", help="measure the demo data instead")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server (without a database name) to build the databases on",
    )
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "performance.md")
    args = parser.parse_args(argv)
    dbs = args.dbs.replace(",", " ").split()
    unknown = set(dbs) - set(report.DB_NAMES)
    if unknown:
        parser.error(f"unknown database kind(s): {', '.join(sorted(unknown))}")
    sizes: list[int | None] = (
        [None] if args.demo else [int(n) for n in args.sizes.replace(",", " ").split()]
    )
    return Options(sizes, dbs, args.seed, args.duration, args.postgres_url, args.docs)


def reproduce(options: Options, dataset: Dataset, db: str) -> str:
    """The command that measures this run again."""
    if dataset.size is None:
        return f".venv/bin/python -m bench --demo --dbs {db} --duration {options.duration}"
    return (
        f"make bench SIZES={dataset.size} DBS={db} SEED={dataset.seed} DURATION={options.duration}"
    )


def _browsers(server: Server, fixtures: Fixtures) -> dict[str, Browser]:
    """Sign in once per person: the sign-in rate limit stays on."""
    browsers = {ANONYMOUS: Browser("127.0.0.1", server.port)}
    for who, email in fixtures.emails.items():
        browser = Browser("127.0.0.1", server.port)
        browser.sign_in(email)
        browsers[who] = browser
    return browsers


def _target(server: Server, page: Page, browser: Browser) -> Target:
    """Where wrk sends the page's requests; first check that the page answers 200."""
    if page.autosave:
        editor = page.path.replace("/save", "/new")
        return Target(server.base, page, browser, quote(browser.csrf_token(editor), safe=""))
    answer = browser.get(page.path, headers={"HX-Request": "true"} if page.partial else None)
    if answer.status != 200:
        raise SystemExit(
            f"bench: {page.label} ({page.path}) answered {answer.status}:\n{answer.text[:500]}"
        )
    return Target(server.base, page, browser if page.who != ANONYMOUS else None)


def _page_result(page: Page, measured: Measured, queries: int | None) -> PageResult:
    """The page's figures: those of its median round (or its one loaded run, for the floor),
    the requests of every round, and the failures of every run, the floor's beside it too."""
    loaded, runs, page_runs = measured.loaded, measured.runs, measured.page_runs
    first_bad = next((r.first_bad_status for r in runs if r.first_bad_status), 0)
    requests = sum(r.requests for r in page_runs)
    floor_rps = None
    rounds = None
    if measured.rounds:
        floor_rps = statistics.median(r.floor.rps for r in measured.rounds)
        rounds = [
            {"rps": r.page.rps, "p95_ms": r.page.p95_ms, "floor_rps": r.floor.rps}
            for r in measured.rounds
        ]
    return PageResult(
        key=page.key,
        label=page.label,
        who=page.who,
        method=page.method,
        path=page.shown_path,
        rps=loaded.rps,
        p50_ms=loaded.p50_ms,
        p95_ms=loaded.p95_ms,
        p99_ms=loaded.p99_ms,
        max_ms=loaded.max_ms,
        requests=requests,
        bytes_per_response=sum(r.bytes for r in page_runs) // max(requests, 1),
        unloaded_p50_ms=measured.unloaded.p50_ms,
        unloaded_requests=measured.unloaded.requests,
        queries=queries,
        non2xx=sum(r.non2xx for r in runs),
        first_bad_status=first_bad,
        socket_errors=sum(r.socket_errors + r.timeouts for r in runs),
        floor_rps=floor_rps,
        rounds=rounds,
    )


def _progress(result: PageResult) -> str:
    """One page's line while the run goes on; the rounds' spread under it."""
    line = (
        f"  {result.label:<52} {result.rps:7.1f} req/s  p95 {result.p95_ms:6.1f} ms  "
        f"unloaded p50 {result.unloaded_p50_ms:5.1f} ms  queries {result.queries}"
    )
    if result.rounds:
        pages = ", ".join(f"{r['rps']:.0f}" for r in result.rounds)
        floors = ", ".join(f"{r['floor_rps']:.0f}" for r in result.rounds)
        p95s = ", ".join(f"{r['p95_ms']:.1f}" for r in result.rounds)
        line += f"\n    rounds: {pages} req/s (p95 {p95s} ms) beside /login at {floors} req/s"
    return line


def _measure_pages(
    server: Server, fixtures: Fixtures, counts: dict[str, int], wrk: str, seconds: int
) -> list[PageResult]:
    """The floor first, as one run; then every other page in rounds beside runs of the floor."""
    browsers = _browsers(server, fixtures)
    pages = key_pages(fixtures)
    floor_page = next(page for page in pages if page.key == FLOOR)
    floor = _target(server, floor_page, browsers[floor_page.who])
    results: list[PageResult] = []
    for page in pages:
        beside = None if page.key == FLOOR else floor
        target = floor if page.key == FLOOR else _target(server, page, browsers[page.who])
        measured = measure(wrk, target, seconds=seconds, drain=server.drain, floor=beside)
        result = _page_result(page, measured, counts.get(page.key))
        print(_progress(result), flush=True)
        results.append(result)
    return results


def measure_run(
    options: Options, store: Store, dataset: Dataset, wrk: str, about: dict[str, str]
) -> RunResult:
    """Build or reuse the dataset, serve a copy of it, measure every page."""
    started, load_before = time.perf_counter(), machine.load_average()
    build_seconds = store.ensure(dataset)
    url = store.working_copy(dataset)
    try:
        rows = machine.row_counts(url)
        app = make_app(url)
        fixtures = resolve(app)
        counts = queries.count(app, fixtures, key_pages(fixtures))
        log = CACHE_DIR / f"gunicorn-{store.kind}-{dataset.label}.log"
        busy = machine.cpu_busy()
        if busy is not None and busy > machine.BUSY_CPU:
            print(f"bench: {busy:.0%} of the CPUs busy before the pages: the figures will be noisy")
        with Server(url, log) as server:
            pages = _measure_pages(server, fixtures, counts, wrk, options.duration)
            rss = server.worker_rss_mb()
        about = {**about, "database server": machine.server_version(url)}
    finally:
        store.discard_copy(dataset)
    return RunResult(
        db=store.kind,
        size=dataset.label,
        seed=dataset.seed,
        cache_key=dataset.key,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        revision=git_revision(),
        command=reproduce(options, dataset, store.kind),
        duration=options.duration,
        connections=CONNECTIONS,
        workers=WORKERS,
        build_seconds=build_seconds,
        wall_seconds=round(time.perf_counter() - started, 1),
        load_average=[round(load_before, 2), round(machine.load_average(), 2)],
        machine=about,
        dataset=rows,
        fixtures=fixtures.describe(),
        worker_rss_mb=[round(mb, 1) for mb in rss],
        pages=pages,
        round_seconds=round_seconds(options.duration),
        cpu_busy_before=None if busy is None else round(busy, 3),
    )


def _stores(options: Options) -> list[Store]:
    stores: list[Store] = []
    for db in options.dbs:
        if db == "sqlite":
            stores.append(SqliteStore())
            continue
        postgres = PostgresStore(options.postgres_url)
        problem = postgres.available()
        if problem:
            print(f"bench: PostgreSQL skipped: {options.postgres_url} answers {problem}")
            continue
        stores.append(postgres)
    return stores


def _print_run(run: RunResult) -> None:
    rss = ", ".join(f"{mb:.0f} MB" for mb in run.worker_rss_mb)
    print(f"\n{report.run_title(run)} ({report.load_note(run)}, {run.connections} connections)")
    print(report.page_table(run).text())
    print(f"gunicorn workers' RSS after the run: {rss}; run took {run.wall_seconds:.0f} s\n")


def print_summary(runs: Sequence[RunResult]) -> None:
    """Growth with size, PostgreSQL against SQLite, and the targets, from every stored run."""
    for db in report.DB_NAMES:
        growth = report.growth_table(runs, db)
        if growth:
            print(f"\np95 growth with the number of clients ({report.db_name(db)})")
            print(growth.text())
    for clients in report.pair_sizes(runs):
        table = report.pg_table(runs, clients)
        if table:
            print(f"\nPostgreSQL against SQLite, {report.clients_name(clients)}")
            print(table.text())
    print("\nTargets (issue 12)")
    for verdict in report.targets(runs):
        print("  " + verdict.line())


def _require_generator(options: Options) -> None:
    if any(size is not None for size in options.sizes) and not has_generator():
        raise SystemExit(
            "bench: this version has no `flask --app portal generate-data`; "
            "measure the demo data with: .venv/bin/python -m bench --demo"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit 0 whatever the verdicts (they are measurements)."""
    options = parse(sys.argv[1:] if argv is None else argv)
    _require_generator(options)
    started = time.perf_counter()
    wrk = ensure_wrk()
    about = machine.describe(wrk_version(wrk))
    load = machine.load_average()
    command = shlex.join(["python", "-m", "bench", *sys.argv[1:]])
    print(f"bench: {command}; one-minute load average {load:.2f} at the start")
    if load > machine.BUSY_LOAD:
        print("bench: the machine is not idle: the figures will be noisy")
    for store in _stores(options):
        for size in options.sizes:
            dataset = Dataset.current(size, options.seed)
            print(f"\nbench: {report.db_name(store.kind)}, {dataset.label} clients", flush=True)
            for old in store.remove_stale(dataset):
                print(f"bench: removed {old}, cached for an older schema or generator")
            run = measure_run(options, store, dataset, wrk, about)
            print(f"bench: figures stored in {run.save()}")
            _print_run(run)
    runs = load_all()
    print_summary(runs)
    if runs:
        docs.write(options.docs, runs)
        print(f"\nbench: wrote {options.docs} from {len(runs)} stored run(s)")
    print(f"bench: done in {time.perf_counter() - started:.0f} s")
    return 0
