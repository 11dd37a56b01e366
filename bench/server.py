"""The app under gunicorn, as it is deployed: sync workers on a local port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from .tools import BIN, ROOT

WORKERS = 2
START_SECONDS = 60


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Server:
    """``gunicorn -w 2 -k sync`` serving ``portal:create_app()`` on one database."""

    def __init__(self, database_url: str, log: Path, workers: int = WORKERS) -> None:
        self.database_url = database_url
        self.log = log
        self.workers = workers
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start gunicorn and wait until /healthz answers."""
        env = {**os.environ, "DATABASE_URL": self.database_url}
        command = [
            str(BIN / "gunicorn"),
            f"--workers={self.workers}",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{self.port}",
            "--log-level=warning",  # no access log: gunicorn writes none unless asked
            "portal:create_app()",
        ]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise SystemExit(f"bench: gunicorn exited; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.base}/healthz", timeout=2) as answer:  # noqa: S310
                    if answer.status == 200 and len(self.worker_pids()) == self.workers:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"bench: gunicorn did not answer /healthz in {START_SECONDS} s")

    def drain(self) -> float:
        """Wait for the requests a stopped wrk left queued; the seconds it took.

        When wrk stops, the requests it had sent are still in the listen queue and gunicorn
        serves them all the same. A request sent now is accepted after all of them, so its
        answer means the queue is empty (a worker may still finish its last request)."""
        start = time.monotonic()
        with urllib.request.urlopen(f"{self.base}/healthz", timeout=300) as answer:  # noqa: S310
            answer.read()
        return time.monotonic() - start

    def worker_pids(self) -> list[int]:
        """The worker processes: the children of gunicorn's master."""
        if self.process is None:
            return []
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children")
        if children.exists():
            return [int(pid) for pid in children.read_text().split()]
        return [pid for pid in _all_pids() if _parent(pid) == master]

    def worker_rss_mb(self) -> list[float]:
        """Each worker's resident memory (VmRSS) in MB."""
        sizes: list[float] = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self) -> None:
        """Stop gunicorn gracefully, or kill it after ten seconds."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])
