"""One run's figures (a database kind at one size), kept as JSON under instance/bench/."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .cache import CACHE_DIR


@dataclass
class PageResult:
    """One page's figures; latencies in milliseconds."""

    key: str
    label: str
    who: str
    method: str
    path: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    requests: int
    bytes_per_response: int
    unloaded_p50_ms: float
    queries: int | None
    non2xx: int
    first_bad_status: int
    socket_errors: int
    unloaded_requests: int | None = None  # None in results stored before it was kept
    # A page other than the floor: the median req/s of the floor's runs beside it, and each
    # round's figures ({"rps", "p95_ms", "floor_rps"}). None in results stored before rounds.
    floor_rps: float | None = None
    rounds: list[dict[str, float]] | None = None

    @property
    def failures(self) -> int:
        return self.non2xx + self.socket_errors

    @property
    def measured(self) -> bool:
        """Whether the loaded runs and the unloaded run completed requests (a percentile of
        nothing reads as 0); with rounds, the median round too."""
        return bool(self.requests) and self.rps > 0 and self.unloaded_requests != 0


@dataclass
class RunResult:
    """Everything measured for one database kind at one dataset size."""

    db: str
    size: str  # a number of clients, or "demo"
    seed: int
    cache_key: str
    date: str
    revision: str
    command: str
    duration: int
    connections: int
    workers: int
    build_seconds: float | None
    wall_seconds: float
    load_average: list[float]
    machine: dict[str, str]
    dataset: dict[str, int]
    fixtures: dict[str, Any]
    worker_rss_mb: list[float]
    pages: list[PageResult] = field(default_factory=list)
    # How long each run of a page's rounds lasted; None in results stored before rounds.
    round_seconds: int | None = None
    # The share of the CPUs busy just before the pages were measured (machine.cpu_busy);
    # None in results stored before it was measured, or off Linux.
    cpu_busy_before: float | None = None

    @property
    def clients(self) -> int:
        """The dataset's size as a number (0 for the demo data), for sorting and targets."""
        return int(self.size) if self.size.isdigit() else 0

    def page(self, key: str) -> PageResult | None:
        return next((p for p in self.pages if p.key == key), None)

    def save(self, directory: Path = CACHE_DIR) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"results-{self.db}-{self.size}.json"
        path.write_text(json.dumps(asdict(self), indent=2) + "\n")
        return path


def _from_dict(data: dict[str, Any]) -> RunResult:
    names = {f.name for f in fields(RunResult)}
    page_names = {f.name for f in fields(PageResult)}
    pages = [PageResult(**{k: v for k, v in p.items() if k in page_names}) for p in data["pages"]]
    kept = {k: v for k, v in data.items() if k in names and k != "pages"}
    return RunResult(**kept, pages=pages)


def load_all(directory: Path = CACHE_DIR) -> list[RunResult]:
    """Every stored run, generated datasets by size then database kind; demo runs only when
    there is nothing else."""
    runs = [
        _from_dict(json.loads(path.read_text()))
        for path in sorted(directory.glob("results-*-*.json"))
    ]
    generated = [run for run in runs if run.clients > 0]
    chosen = generated or runs
    return sorted(chosen, key=lambda run: (run.db != "sqlite", run.clients))
