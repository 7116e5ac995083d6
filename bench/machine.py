"""What a benchmark ran on, printed beside its figures: the machines are shared, so a figure means
little without the CPU, the load at the time and the exact code."""

import datetime
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parent.parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def commit() -> str:
    """The short hash, with ``+changes`` when src/ differs from it: others edit the tree while
    benchmarks run, so the hash alone may not be the code that was measured."""
    short = _git("rev-parse", "--short", "HEAD") or "unknown"
    return f"{short}+changes" if _git("status", "--porcelain", "--", "src") else short


@dataclass(frozen=True)
class Facts:
    cpu: str
    cores: int | None
    load_average: tuple[float, ...]
    date: str
    commit: str
    python: str

    def __str__(self) -> str:
        load = " ".join(f"{n:.2f}" for n in self.load_average)
        return (
            f"machine: {self.cpu}, {self.cores} cores, load average {load}; {self.date}; "
            f"commit {self.commit}; Python {self.python}"
        )


def facts() -> Facts:
    return Facts(
        cpu=_cpu_model(),
        cores=os.cpu_count(),
        load_average=os.getloadavg(),
        date=datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        commit=commit(),
        python=platform.python_version(),
    )


async def database(engine: AsyncEngine) -> str:
    """The dialect and the server's (or SQLite library's) version."""
    sqlite = engine.dialect.name == "sqlite"
    query = "SELECT sqlite_version()" if sqlite else "SHOW server_version"
    async with engine.connect() as connection:
        version = await connection.scalar(text(query))
    return f"{'SQLite' if sqlite else 'PostgreSQL'} {version}"
