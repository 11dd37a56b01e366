"""External programs the suite runs: wrk (installed from Debian when missing) and git."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(
    command: Sequence[str], *, env: Mapping[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a program from the repository root and capture its output as text."""
    return subprocess.run(  # noqa: S603 - fixed programs with arguments the suite builds
        list(command),
        cwd=ROOT,
        env=dict(env) if env is not None else None,
        capture_output=True,
        text=True,
        check=check,
    )


def program(name: str) -> str:
    """The full path of a program on PATH, or an error naming it."""
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"bench: {name} not found on PATH")
    return found


def ensure_wrk() -> str:
    """wrk's path; as root, install Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        raise SystemExit("bench: wrk is missing; install it with: sudo apt-get install wrk")
    print("bench: installing wrk (apt-get install -y wrk)", flush=True)
    quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run([apt, "update", "-qq"], env=quiet)
    run([apt, "install", "-y", "-qq", "wrk"], env=quiet)
    return program("wrk")


def wrk_version(wrk: str) -> str:
    """wrk's version line, e.g. ``wrk debian/4.1.0-3+b2``."""
    output = run([wrk, "-v"], check=False).stdout
    first = output.splitlines()[0] if output else "wrk"
    return first.split(" [")[0]


def flask(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """``flask --app portal ...`` from the venv against one database."""
    env = {**os.environ, "DATABASE_URL": database_url}
    result = run([str(BIN / "flask"), "--app", "portal", *args], env=env, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"bench: flask {' '.join(args)} failed ({result.returncode})")
    return result


def git_revision() -> str:
    """The checked-out commit, with ``+changes`` when the work tree differs from it."""
    git = shutil.which("git")
    if git is None:
        return "unknown"
    head = run([git, "rev-parse", "--short", "HEAD"], check=False).stdout.strip() or "unknown"
    dirty = run([git, "status", "--porcelain", "--untracked-files=no"], check=False).stdout
    return f"{head}+changes" if dirty.strip() else head
