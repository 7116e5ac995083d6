"""Runs ``wrk`` for one request shape and reads its report.

A run that saw any non-2xx/3xx answer or socket error is marked failed: throughput of error
answers is not throughput. wrk counts 3xx as success; callers check each target's real status
once before loading it.
"""

import asyncio
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = "install wrk (Debian: apt-get install wrk)"
#: Above wrk's default of 2 s, so a slow answer under load counts as latency, not as an error.
TIMEOUT = "10s"

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m)"


@dataclass(frozen=True)
class Request:
    method: str
    headers: dict[str, str]
    body: bytes | None = None


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int

    @property
    def failed(self) -> bool:
        return self.requests == 0 or self.non_2xx > 0 or self.socket_errors > 0


def executable() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(INSTALL_HINT)
    return found


def _lua(text: str) -> str:
    """A Lua long string: no escapes are read inside it, so tokens and JSON pass unchanged."""
    if "]==]" in text:
        raise ValueError("text closes the Lua long bracket")
    return f"[==[{text}]==]"


def script(request: Request) -> str:
    lines = [f"wrk.method = {_lua(request.method)}"]
    if request.body is not None:
        lines.append(f"wrk.body = {_lua(request.body.decode())}")
    # The spaces matter: ``x[[`` would open a long string and make the line a call.
    lines += [f"wrk.headers[ {_lua(k)} ] = {_lua(v)}" for k, v in request.headers.items()]
    return "\n".join(lines) + "\n"


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_MS[unit]


def parse(report: str) -> Load:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", report)
    total = re.search(r"(\d+) requests in", report)
    p50 = re.search(rf"^\s+50%\s+{_DURATION}", report, re.MULTILINE)
    p99 = re.search(rf"^\s+99%\s+{_DURATION}", report, re.MULTILINE)
    if not (rate and total and p50 and p99):
        raise RuntimeError(f"unreadable wrk report:\n{report}")
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    return Load(
        requests_per_s=float(rate[1]),
        p50_ms=_ms(p50[1], p50[2]),
        p99_ms=_ms(p99[1], p99[2]),
        requests=int(total[1]),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(map(int, errors.groups())) if errors else 0,
    )


async def run(url: str, script_path: Path, *, connections: int, duration: float) -> Load:
    process = await asyncio.create_subprocess_exec(
        executable(),
        "-t1",
        f"-c{connections}",
        f"-d{duration:g}s",
        f"--timeout={TIMEOUT}",
        "--latency",
        "-s",
        str(script_path),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    report = output.decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited with {process.returncode}:\n{report}")
    return parse(report)
