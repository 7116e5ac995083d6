"""Stoplight Prism mocking the post-checkout OpenAPI document: a second, outside yardstick.

Prism answers from the document alone (no database), so an API that cannot beat a mock server
by a wide margin has work to do. It comes through ``npx``; when that is missing or the download
fails, the benchmark goes on without it and says why.

What Prism needs to answer 200: the document's ``bearerAuth`` scheme, so any
``Authorization: Bearer <token>`` header (without one it answers 401 "Invalid security scheme
used"); ``order_id`` is any string. It then answers a static body built from the response schema.
The benchmark sends it the very requests it sends Aftercart and checks the status before loading.
"""

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from tests.stream.processes import free_port

from bench.machine import ROOT

SPEC = ROOT / "tests" / "post_checkout" / "post-checkout-openapi.yml"
PACKAGE = "@stoplight/prism-cli@5"
START_SECONDS = 120.0
#: Prism logs several lines per request at its default level; Aftercart and the reference log
#: none, so Prism is held to the same.
QUIET = ("-v", "warn")


@dataclass(frozen=True)
class Prism:
    url: str | None
    reason: str = ""


async def _listening(url: str, process: "subprocess.Popen[bytes]", log: Path) -> str:
    """Empty once Prism answers HTTP at all; else why it never did."""
    deadline = time.monotonic() + START_SECONDS
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                tail = log.read_text(errors="replace").strip().splitlines()[-3:]
                return f"npx exited with {process.returncode}: {' / '.join(tail)}"
            with contextlib.suppress(httpx.TransportError):
                await http.get(url + "/")
                return ""
            await asyncio.sleep(0.5)
    return f"not listening after {START_SECONDS:.0f} s"


def _stop(process: "subprocess.Popen[bytes]") -> None:
    """npx starts node as a child, so the whole process group (ours, made at start) goes."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextlib.asynccontextmanager
async def running(folder: Path) -> AsyncIterator[Prism]:
    npx = shutil.which("npx")
    if npx is None:
        yield Prism(None, "npx not found")
        return
    port = free_port()
    log = folder / "prism.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [npx, "--yes", PACKAGE, "mock", "-h", "127.0.0.1", "-p", str(port), *QUIET, str(SPEC)],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        failure = await _listening(url, process, log)
        yield Prism(None, failure) if failure else Prism(url)
    finally:
        _stop(process)
