"""``aftercart`` as a real process: what a port in use prints, when the banner comes, and what
``--debug`` shows."""

import asyncio
import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.stream.processes import CLI, START_SECONDS, free_port, run_on_a_taken_port

pytestmark = pytest.mark.slow


def environment(**settings: str) -> dict[str, str]:
    quiet = {"AFTERCART_RUN_WORKER": "false", "AFTERCART_LOG_LEVEL": "warning"}
    return {**os.environ, **quiet, **settings}


def test_a_port_in_use_is_one_line_before_anything_starts(tmp_path: Path) -> None:
    database = tmp_path / "aftercart.db"
    port, run = run_on_a_taken_port(
        lambda port: ["serve", "--port", str(port)],
        environment(AFTERCART_DATABASE_URL=f"sqlite:///{database}"),
    )
    assert run.returncode == 1
    assert run.stdout == (
        f"error: port {port} on 127.0.0.1 is already in use; stop what listens there or choose "
        "another port with --port\n"
    )
    assert not database.exists()


async def test_the_banner_comes_once_the_port_answers(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *CLI,
        *("serve", "--port", str(port)),
        env=environment(AFTERCART_DATABASE_URL=f"sqlite:///{tmp_path / 'aftercart.db'}"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        async with asyncio.timeout(START_SECONDS):
            while not (line := await process.stdout.readline()).startswith(b"Aftercart on"):
                assert line, "serve ended before its banner"
        async with httpx.AsyncClient(timeout=START_SECONDS) as client:
            response = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert response.status_code == 200
    finally:
        process.terminate()
        await process.wait()


def test_debug_shows_the_traceback() -> None:
    args = ["clients", "list", "--database-url", "postgresql://postgres@127.0.0.1:1/x"]
    plain = subprocess.run(
        [*CLI, *args], env=environment(), capture_output=True, text=True, timeout=60
    )
    debug = subprocess.run(
        [*CLI, "--debug", *args], env=environment(), capture_output=True, text=True, timeout=60
    )
    assert (plain.returncode, len(plain.stderr.splitlines())) == (1, 1)
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr
    assert "ConnectionRefusedError" in debug.stderr
