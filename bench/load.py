"""Load with wrk: a warm-up, a measured run at 16 connections, and an unloaded run at one."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from .browser import Browser
from .pages import Page
from .queries import autosave_form
from .tools import ROOT, run

SCRIPTS = ROOT / "bench" / "wrk"
CONNECTIONS = 16
WARM_UP_SECONDS = 1
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


@dataclass(frozen=True)
class Measured:
    """A page under load, and alone."""

    warm_up: Load
    loaded: Load
    unloaded: Load


def measure(wrk_path: str, target: Target, *, seconds: int, drain: Callable[[], float]) -> Measured:
    """Warm up for a second, measure at 16 connections, then with one connection alone (for
    at least a few requests); before each run, the server finishes what the last one left."""

    def run(seconds: int, connections: int) -> Load:
        drain()
        return wrk(wrk_path, target, seconds=seconds, connections=connections)

    warm_up = run(WARM_UP_SECONDS, CONNECTIONS)
    loaded = run(seconds, CONNECTIONS)
    unloaded = run(UNLOADED_SECONDS, 1)
    for longer in UNLOADED_LONGER_SECONDS:
        if unloaded.requests >= UNLOADED_MIN_REQUESTS:
            break
        unloaded = run(longer, 1)
    return Measured(warm_up, loaded, unloaded)
