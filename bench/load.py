"""Load with wrk: a warm-up, measured runs at 16 connections (for a page other than the floor,
in rounds beside runs of the floor), and an unloaded run at one."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .browser import Browser
from .pages import Page
from .queries import autosave_form
from .tools import ROOT, run

SCRIPTS = ROOT / "bench" / "wrk"
CONNECTIONS = 16
WARM_UP_SECONDS = 1
# A page is measured in rounds, each a run of the floor and right after it a run of the page:
# the machine's throughput moves too much from one minute to the next to compare a page with a
# floor measured minutes earlier.
ROUNDS = 3
UNLOADED_SECONDS = 2
# An unloaded median needs a few requests: a page slower than this gets a longer run.
UNLOADED_MIN_REQUESTS = 5
UNLOADED_LONGER_SECONDS = (10, 30)
NOTE_ID = re.compile(r'name="note_id" id="note_id" value="(\d+)"')
VERSION = re.compile(r'name="version" id="version" value="(\d+)"')


@dataclass(frozen=True)
class Load:
    """What one wrk run reported (latencies in milliseconds)."""

    requests: int
    seconds: float
    rps: float
    bytes: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    first_bad_status: int
    socket_errors: int
    timeouts: int

    @property
    def failures(self) -> int:
        """Responses that were not 2xx, and requests that failed at the socket."""
        return self.non2xx + self.socket_errors + self.timeouts


@dataclass(frozen=True)
class Target:
    """Where and how wrk sends one page's requests."""

    base: str
    page: Page
    browser: Browser | None
    csrf_token: str = ""

    def headers(self) -> str:
        lines = []
        if self.browser is not None and self.browser.cookies:
            lines.append(f"Cookie: {self.browser.cookie_header}")
        if self.page.partial:
            lines.append("HX-Request: true")
        if self.page.autosave:
            lines.append(f"X-CSRFToken: {self.csrf_token}")
        return "\n".join(lines)


def new_draft(target: Target) -> str:
    """Create a note draft as the editor's first autosave does; ``id:version`` for wrk."""
    assert target.browser is not None
    form = autosave_form(target.csrf_token, "A draft for the benchmark.")
    answer = target.browser.post(target.page.path, form, headers={"HX-Request": "true"})
    note_id, version = NOTE_ID.search(answer.text), VERSION.search(answer.text)
    if answer.status != 200 or note_id is None or version is None:
        raise SystemExit(f"bench: creating a draft answered {answer.status}")
    return f"{note_id.group(1)}:{version.group(1)}"


def wrk(wrk_path: str, target: Target, *, seconds: int, connections: int) -> Load:
    """One wrk run against the page; each wrk thread holds exactly one connection."""
    env = {
        **os.environ,
        "LUA_PATH": f"{SCRIPTS}/?.lua;;",
        "BENCH_HEADERS": target.headers(),
    }
    script = "get.lua"
    if target.page.autosave:
        # Fresh drafts for every run: a save still in flight when wrk stopped may have moved
        # an earlier draft's version on.
        script = "autosave.lua"
        env["BENCH_DRAFTS"] = ",".join(new_draft(target) for _ in range(connections))
        env["BENCH_BODY"] = f"csrf_token={target.csrf_token}&contact_type=office&format=dap"
    command = [
        wrk_path,
        f"--threads={connections}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        "--latency",
        f"--script={SCRIPTS / script}",
        target.base + target.page.path,
    ]
    result = run(command, env=env, check=False)
    for line in reversed(result.stdout.splitlines()):
        if line.startswith('{"requests"'):
            return Load(**json.loads(line))
    raise SystemExit(f"bench: wrk gave no result for {target.page.path}:\n{result.stderr}")


def round_seconds(duration: int) -> int:
    """How long each run of a round lasts: the page's duration split across the rounds."""
    return max(1, math.ceil(duration / ROUNDS))


@dataclass(frozen=True)
class Round:
    """A loaded run of the floor, and right after it a loaded run of the page."""

    floor: Load
    page: Load


@dataclass(frozen=True)
class Measured:
    """A page under load, and alone; for a page other than the floor, the rounds it was
    measured in (``loaded`` is then the page's run in the median round)."""

    warm_up: Load
    loaded: Load
    unloaded: Load
    rounds: tuple[Round, ...] = ()

    @property
    def page_runs(self) -> list[Load]:
        """The page's loaded runs: one per round, or the one run of the floor."""
        return [r.page for r in self.rounds] or [self.loaded]

    @property
    def runs(self) -> list[Load]:
        """Every wrk run made for this page, the floor's runs beside it included."""
        beside = [run for r in self.rounds for run in (r.floor, r.page)] or [self.loaded]
        return [self.warm_up, *beside, self.unloaded]


def median_round(rounds: Sequence[Round]) -> Round:
    """The round with the median req/s for the page (the upper one of an even number)."""
    return sorted(rounds, key=lambda r: r.page.rps)[len(rounds) // 2]


def measure(
    wrk_path: str,
    target: Target,
    *,
    seconds: int,
    drain: Callable[[], float],
    floor: Target | None = None,
) -> Measured:
    """Warm up for a second, measure at 16 connections, then with one connection alone (for
    at least a few requests); before each run, the server finishes what the last one left.

    Without ``floor`` (the floor itself) the loaded run lasts ``seconds``. With it, the loaded
    runs are ROUNDS rounds of the floor then the page, ``seconds`` split across them."""

    def run(aim: Target, seconds: int, connections: int) -> Load:
        drain()
        return wrk(wrk_path, aim, seconds=seconds, connections=connections)

    warm_up = run(target, WARM_UP_SECONDS, CONNECTIONS)
    rounds: tuple[Round, ...] = ()
    if floor is None:
        loaded = run(target, seconds, CONNECTIONS)
    else:
        each = round_seconds(seconds)
        rounds = tuple(
            Round(floor=run(floor, each, CONNECTIONS), page=run(target, each, CONNECTIONS))
            for _ in range(ROUNDS)
        )
        loaded = median_round(rounds).page
    unloaded = run(target, UNLOADED_SECONDS, 1)
    for longer in UNLOADED_LONGER_SECONDS:
        if unloaded.requests >= UNLOADED_MIN_REQUESTS:
            break
        unloaded = run(target, longer, 1)
    return Measured(warm_up, loaded, unloaded, rounds)
