"""``aftercart demo``: the seed search and the event lines as pure rules, then the real command
as a process: a whole order that ends by itself, ``--keep`` until Ctrl-C, Ctrl-C midway, and
the timeout.

The story takes about 20 seconds; the limits below leave it room on a busy machine."""

import asyncio
import os
import re
import signal
import subprocess
from pathlib import Path

import httpx
import pytest

from aftercart.cli import demo_events as ev
from aftercart.cli import demo_plan
from aftercart.sandbox.autopilot_rules import Line, Mix, Outcome, plan
from tests.stream.processes import CLI

ALONE_SECONDS = 60
STOP_SECONDS = 20
#: How long the tests that stop the demo midway wait for a line (the 60 s above is the claim).
LINE_SECONDS = 90
#: The sample catalog's products, but for the line's own.
CATALOG_SIZE = 242


def _outcomes(seed: int, lines: list[Line]) -> list[Outcome]:
    picks = plan(seed, demo_plan.ORDER_ID, lines, demo_plan.MIX, catalog_size=CATALOG_SIZE)
    return [p.outcome for p in picks]


def test_the_seed_is_the_first_whose_plan_replaces_refunds_and_finds() -> None:
    lines = [line.planned() for line in demo_plan.LINES]
    seed = demo_plan.choose_seed(
        demo_plan.ORDER_ID, lines, demo_plan.MIX, catalog_size=CATALOG_SIZE
    )
    outcomes = _outcomes(seed, lines)
    assert Outcome.REPLACED in outcomes
    assert Outcome.REFUNDED in outcomes
    assert {Outcome.FOUND, Outcome.PARTLY_FOUND} & set(outcomes)
    assert not any(demo_plan.tells_the_story(_outcomes(s, lines)) for s in range(seed))


def test_a_mix_that_cannot_tell_the_story_is_refused() -> None:
    lines = [line.planned() for line in demo_plan.LINES]
    only_found = Mix(found=1, partly_found=0, replaced=0, refunded=0)
    with pytest.raises(ValueError, match="no seed below 50"):
        demo_plan.choose_seed("o", lines, only_found, catalog_size=CATALOG_SIZE, limit=50)


def test_the_stream_is_read_event_by_event_and_told_in_a_line() -> None:
    reader = ev.SseReader()
    body = [
        ": open",
        "",
        "id: 7",
        "event: fulfillment.order_item_updated",
        'data: {"event_id": 7, "event_name": "fulfillment.order_item_updated", '
        '"event_timestamp": "2026-12-04T10:00:00Z", "event_metadata": {"item": {"line_num": "4",'
        ' "status": "found", "requested_weight": 1.5, "delivered_weight": 0.9}}}',
        "",
    ]
    [event] = [e for line in body if (e := reader.feed(line)) is not None]
    assert event.id == 7
    products = ev.products_of({"items": [{"id": "4", "product_name": "Bananas", "quantity": 1}]})
    assert ev.sentence(event, products) == "line 4 found: Bananas, 0.9 of 1.5 by weight"


def _environment() -> dict[str, str]:
    # The demo makes its own database and port; nothing of the test run's may reach it.
    return {k: v for k, v in os.environ.items() if not k.startswith("AFTERCART_")}


def _folder(stderr: str) -> Path:
    found = re.search(r"database: sqlite\+aiosqlite:///(\S+)/aftercart\.db", stderr)
    assert found, stderr
    return Path(found.group(1))


@pytest.mark.slow
def test_the_demo_plays_a_whole_order_and_ends_by_itself() -> None:
    run = subprocess.run(
        [*CLI, "demo"],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=ALONE_SECONDS,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    said = run.stdout
    assert re.search(
        r"order status page: http://127\.0\.0\.1:\d+/orders/demo-1/status\?token=", said
    )
    assert re.search(r"line \d replaced: .+ by .+", said)
    assert re.search(r"line \d: replacement by .+ approved", said)
    assert re.search(r"line \d refunded: ", said)
    assert "shopper replied: " in said
    assert re.search(r"\bdelivered\n", said)
    assert "rated 5 stars" in said
    assert not _folder(run.stderr).exists()


async def _start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *CLI,
        "demo",
        *args,
        env=_environment(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _read_until(process: asyncio.subprocess.Process, pattern: str) -> re.Match[str]:
    assert process.stdout is not None
    async with asyncio.timeout(LINE_SECONDS):
        while line := (await process.stdout.readline()).decode():
            if found := re.search(pattern, line):
                return found
    raise AssertionError(f"the demo ended without printing {pattern!r}")


async def _interrupt(process: asyncio.subprocess.Process) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    async with asyncio.timeout(STOP_SECONDS):
        out, err = await process.communicate()
    return out.decode(), err.decode()


@pytest.mark.slow
async def test_keep_stays_up_until_ctrl_c() -> None:
    process = await _start("--keep")
    try:
        base_url = (await _read_until(process, r"stays up on (http://\S+)")).group(1)
        async with httpx.AsyncClient(trust_env=False) as http:
            assert (await http.get(f"{base_url}/healthz")).status_code == 200
        out, err = await _interrupt(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, out + err
    assert "client_secret: " in out
    assert out.endswith("stopped\n")
    assert not _folder(err).exists()


@pytest.mark.slow
async def test_ctrl_c_midway_stops_cleanly() -> None:
    process = await _start()
    try:
        await _read_until(process, r"order status page: ")
        out, err = await _interrupt(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 130, out + err
    assert out.endswith("stopped\n")
    # Neither the command nor the server fails: a request Ctrl-C cut mid-body is no error.
    assert "KeyboardInterrupt" not in err
    assert "ClientDisconnect" not in err
    assert "error: " not in err, err
    assert not _folder(err).exists()


@pytest.mark.slow
def test_a_timeout_says_what_it_was_waiting_for() -> None:
    run = subprocess.run(
        [*CLI, "demo", "--timeout", "1"],
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=ALONE_SECONDS,
    )
    assert run.returncode == 1
    assert re.search(r"^error: the demo timed out after 1 s waiting for .+$", run.stderr, re.M)
    assert not _folder(run.stderr).exists()
