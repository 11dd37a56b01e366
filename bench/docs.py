"""docs/performance.md, written from every stored run: prose, machine, datasets, tables."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from . import machine, report
from .results import RunResult

INTRO = """\
# Performance

These figures are written by the benchmark suite (`make bench`, code in `bench/`); do
not edit them by hand, run the suite again. It serves generated agency-sized databases
with gunicorn, as in production, and measures the key pages of staff, supervisors and
clients under concurrent load, against the lightest page of the app, the sign-in form,
as the floor. The targets are those of issue 12 (see [Targets](#targets)).
"""

REPRODUCE = """\
## Reproduce

```sh
make bench                                   # both databases, 1,000, 5,000 and 20,000 clients
make bench SIZES=5000 DBS=sqlite DURATION=5  # one size on one database
```

| variable | default | meaning |
|---|---|---|
| `SIZES` | `1000 5000 20000` | numbers of generated clients |
| `DBS` | `sqlite postgresql` | database kinds |
| `SEED` | `1` | the generator's seed |
| `DURATION` | `5` | seconds of load per page, in 3 rounds beside `/login` (see below) |

- `make bench` installs wrk from Debian when it is missing and it runs as root
  (otherwise it names the command). PostgreSQL is reached at
  `postgresql+psycopg://postgres@127.0.0.1:5432` unless `BENCH_POSTGRES_URL` says
  otherwise; when no server answers, PostgreSQL is skipped and said so.
- Each database is generated once by `flask --app portal generate-data --clients N
  --seed S` on a freshly migrated database and cached: SQLite files
  `instance/bench/waypoint-<size>-<seed>-<key>.db`, PostgreSQL databases
  `waypoint_bench_<size>_<seed>_<key>`, where `<key>` hashes the Alembic head and the
  generator's source and the migrations, so a changed schema or generator builds afresh (and the
  databases cached for the older one are removed). A build goes into a temporary name
  renamed when complete, so an interrupted build is never used. PostgreSQL databases get a
  `VACUUM ANALYZE` after the build, as autovacuum would have done by the time a real
  database is that large, and SQLite files an `ANALYZE`, as the daily `ANALYZE`
  of docs/operations.md keeps a real one.
- Every run measures a throw-away copy of the cached database (a file copy, or
  `CREATE DATABASE … TEMPLATE`), so the audit events, sessions and drafts the
  benchmark writes never reach the cache and every run starts from the same data.
- Each run's figures are kept in `instance/bench/results-<db>-<size>.json`, and this
  file is written from all of them, so a run limited to one size and one database
  refreshes only its own part. Exit status is 0 whatever the verdicts.
"""

METHOD = """\
## How it is measured

- **Server**: `gunicorn --workers=2 --worker-class=sync 'portal:create_app()'` on a free
  loopback port, with `DATABASE_URL` pointing at the copy and the demo configuration
  otherwise (sign-in rate limit on: the suite signs in only three times per run). No
  access log. The suite waits for `/healthz` and stops gunicorn at the end of the run.
- **Sessions**: the suite signs in through the sign-in form (CSRF token, email,
  password) as the case manager `cm@example.org`, the supervisor
  `supervisor@example.org` and a client, and sends each session's cookie with its
  pages. Before any load, each page is requested once and must answer 200.
- **Load**: `wrk --threads=16 --connections=16 --latency` with a Lua script
  (`bench/wrk/`) that sets the cookie and headers, counts every response that is not
  2xx, and prints requests/s and the 50th, 95th and 99th percentile latencies. Each page
  first gets one second of the same load, to warm the workers up.
- **The floor beside each page**: the floor, `/login` without a session, is measured
  once at the start of the run, in one run of `<DURATION>` seconds; that is the `/login`
  row. Every other page is measured in 3 rounds. A round is a run of `/login` and,
  immediately after it, a run of the page, both at 16 connections and each lasting
  `<DURATION>` divided by 3, rounded up, and at least 1 second (2 s with the default
  5 s). The page's req/s and latencies are those of its median round, the round with
  the median req/s for the page; its share of the floor ("% of /login") is that req/s
  against the median of the 3 `/login` runs beside it ("floor req/s beside it"). The
  results files keep each round's req/s and p95 for the page, and the floor's req/s.
  This is because of the machine: its throughput moves from one minute to the next (the
  `/login` floor alone measured 497 req/s and 1,243 req/s a minute apart), and a page
  measured minutes after a floor measured once was compared with different machine
  conditions. That ratio measured the machine, not the page: the shares of the floor
  moved by 20–50% between identical runs, and the verdicts with them. The `/login` runs
  beside a page happen seconds before it, in the same conditions, and the median of 3
  rounds leaves out one disturbed round.
- **Failures**: any non-2xx response or socket error in a page's warm-up, its rounds
  (the `/login` runs in them included) or its unloaded run fails its row: the row's
  share of the floor depends on all of them.
- **Draining**: before each wrk run the suite waits for gunicorn to serve what the
  previous run left in its listen queue (a `/healthz` request queued behind it), so that
  one run's leftovers do not slow the next.
- **Unloaded latency**: `wrk --threads=1 --connections=1 --duration=2s` (10 s, then
  30 s, when that completes fewer than 5 requests), its median, timed by wrk on the
  client side, so it includes the loopback connection: gunicorn's sync workers close
  the connection after each response, under load too.
- **Requests**: how many requests the page's loaded runs completed, over its 3 rounds
  (for `/login`, its one run); a request still running when wrk stops is not counted.
  The percentiles come from the median round alone, so from about a third of them, which
  says how much they can be trusted.
- **Autosave**: the note editor's autosave `POST /staff/clients/<id>/notes/save` with
  `HX-Request: true` and the CSRF header. Each wrk thread holds one connection and its
  own draft, created just before the run as the editor's first autosave creates it,
  and sends the `version` the previous save returned, as the editor does; a 409 (a
  stale version) would count as a failure. The text changes on every save.
- **Queries**: in the suite's own process, Flask's test client signs in as the same
  people on the same copy and requests each page twice; the statements of the second
  request are counted (SQLAlchemy `before_cursor_execute`), everything included:
  loading the session and the user, the page, the audit write. Counting the second
  request gives the steady state of a running worker; the session's activity stamp,
  rewritten at most every few seconds, is not in it, as it is not in most requests
  under load.
- **Memory**: after the last page of a run, `VmRSS` of each gunicorn worker, in MiB.
- **Datasets**: cached databases are rebuilt when older than a week, because the
  generator dates everything back from the start of the day it runs (appointments this
  week, reviews due), and an older database would show lighter pages. Built again on
  the same day, a database holds the same records whatever the hour; on another day the
  clients and their notes are the same and the appointments move with the weekdays.
- **Records**: the staff pages of one client show the case manager's client with the
  most progress notes; the client pages and the calendar feed belong to the case
  manager's client with a portal account (in English) who has the most appointments;
  the search partial types the three letters that begin the most surnames among the
  supervisor's clients. The figures record which (below). When that client's plan has
  a draft, the care plan page is the draft in its editor (each goal with its add forms,
  each step with its edit, move and remove buttons), much heavier than a signed plan.
"""

CAVEATS = """\
## Reading the figures

- wrk runs on the same machine as gunicorn and the database, and competes with them
  for the cores: the figures are comparable with each other (every page against the
  floor measured beside it, the same way), not a capacity figure for a production server.
- The req/s and p95 of different pages, of different sizes, and of SQLite against
  PostgreSQL are still measurements taken minutes apart: only the share of the floor is
  measured beside its floor. The growth and PostgreSQL tables move with the machine.
- With 16 connections and 2 sync workers, 16 requests are always outstanding and two
  are served at a time, so a request mostly waits: its latency under load is about
  eight times the time a worker spends on it, and more at p95. p95 under 50 ms at 16
  connections therefore asks each request to cost a worker about 5 ms.
- The one-minute load average before and after each run is recorded, and the share of
  the CPUs busy in the 2 seconds before the pages are measured. The load average decays
  over minutes, so from the second run of a `make bench` on it mostly shows the run
  before; the CPUs' busy share shows what else was running at that moment. Above 25%,
  the run says the machine was doing other work and its figures are noisier than usual.
"""


def _machine(runs: Sequence[RunResult]) -> str:
    latest = max(runs, key=lambda run: run.date)
    rows = [[name, value] for name, value in latest.machine.items() if name != "database server"]
    servers = sorted({run.machine.get("database server", "") for run in runs} - {""})
    rows += [["database servers", ", ".join(servers)]]
    table = report.Table(["", ""], rows, "ll")
    return "## Machine\n\n" + table.markdown() + "\n"


def _datasets(runs: Sequence[RunResult]) -> str:
    by_size: dict[str, RunResult] = {}
    for run in sorted(runs, key=lambda run: run.db != "sqlite"):
        by_size.setdefault(run.size, run)
    chosen = sorted(by_size.values(), key=lambda run: run.clients)
    largest = chosen[-1].dataset
    names = list(largest)[:20]
    headers = ["table", *(report.size_name(run) for run in chosen)]
    rows = [[name, *(f"{run.dataset.get(name, 0):,}" for run in chosen)] for name in names]
    lines = ["## Datasets", "", "Rows per table (the 20 largest), as generated:", ""]
    lines += [report.Table(headers, rows).markdown(), ""]
    lines += ["Records shown, per run:", ""]
    for run in sorted(runs, key=lambda r: (r.clients, r.db)):
        fx = run.fixtures
        lines.append(
            f"- {report.run_title(run)}: client {fx.get('client_id')} "
            f"({fx.get('client_notes')} notes); portal client {fx.get('portal_client_id')} "
            f"({fx.get('emails', {}).get('client')}); search `{fx.get('search')}`"
        )
    return "\n".join(lines) + "\n"


def _run_section(run: RunResult) -> str:
    built = "cached" if run.build_seconds is None else f"built in {run.build_seconds:.0f} s"
    rss = ", ".join(f"{mb:.0f} MB" for mb in run.worker_rss_mb)
    before, after = run.load_average
    busy = ""
    if run.cpu_busy_before is not None:
        busy = f" CPUs busy just before the pages: {run.cpu_busy_before:.0%}."
        if run.cpu_busy_before > machine.BUSY_CPU:
            busy += " **The machine was doing other work: these figures are noisy.**"
    elif before > machine.BUSY_LOAD:
        busy = " **The machine was not idle at the start: these figures are noisy.**"
    lines = [
        f"### {report.run_title(run)}",
        "",
        f"{run.date}, revision `{run.revision}`, `{run.command}`; database "
        f"`{run.cache_key}` {built}; "
        f"{report.load_note(run)}, at {run.connections} connections; the run took "
        f"{run.wall_seconds:.0f} s. Load average {before:.2f} before, {after:.2f} after. "
        f"Workers' RSS after the run: {rss}.{busy}",
        "",
        report.page_table(run).markdown(),
        "",
    ]
    return "\n".join(lines)


def _results(runs: Sequence[RunResult]) -> str:
    total = sum(run.wall_seconds for run in runs) / 60
    builds = sum(run.build_seconds or 0 for run in runs) / 60
    lines = [
        "## Results",
        "",
        f"The runs below took {total:.0f} minutes in all, {builds:.0f} of them building the "
        "databases that were not cached yet. Latencies are in milliseconds; a row fails when "
        "it misses any of the targets below, whatever the size.",
        "",
    ]
    return "\n".join(lines) + "\n" + "\n".join(_run_section(run) for run in runs)


def _growth(runs: Sequence[RunResult]) -> str:
    lines = ["## Growth with the number of clients", ""]
    found = False
    for db in report.DB_NAMES:
        table = report.growth_table(runs, db)
        if table:
            found = True
            lines += [
                f"{report.db_name(db)}: p95 at 16 connections, and as a multiple of p95 "
                "at the smallest size.",
                "",
                table.markdown(),
                "",
            ]
    if not found:
        lines += ["Not measured yet: run the suite at more than one size.", ""]
    return "\n".join(lines)


def _postgres(runs: Sequence[RunResult]) -> str:
    lines = ["## PostgreSQL against SQLite", ""]
    sizes = report.pair_sizes(runs)
    for clients in sizes:
        table = report.pg_table(runs, clients)
        if table:
            name = report.clients_name(clients)
            lines += [f"{name.capitalize()} (a ratio above 1 means PostgreSQL is slower):", ""]
            lines += [table.markdown(), ""]
    if not sizes:
        lines += ["Not measured yet: run the suite on both databases at one size.", ""]
    return "\n".join(lines)


def _targets(runs: Sequence[RunResult]) -> str:
    rows = [[v.target, f"**{v.status}**", v.detail] for v in report.targets(runs)]
    table = report.Table(["target", "verdict", "detail"], rows, "lll")
    lines = [
        "## Targets",
        "",
        "The targets of issue 12, checked on the runs above "
        "(on SQLite at 5,000 clients unless the row says otherwise).",
        "",
    ]
    return "\n".join([*lines, table.markdown(), ""])


def render(runs: Sequence[RunResult]) -> str:
    """The whole document."""
    parts = [INTRO, REPRODUCE, METHOD, _machine(runs), _datasets(runs)]
    parts.append(_results(runs))
    parts += [_growth(runs), _postgres(runs), _targets(runs), CAVEATS]
    return "\n".join(part.rstrip("\n") + "\n" for part in parts)


def write(path: Path, runs: Sequence[RunResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(runs))
