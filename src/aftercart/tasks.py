"""Background tasks that live exactly as long as a ``with`` block."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def running(work: Coroutine[Any, Any, None], *, name: str) -> AsyncIterator[None]:
    """Runs ``work`` as a task while in the block; cancels it and waits for it on the way out."""
    task = asyncio.create_task(work, name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _tick_forever(tick: Callable[[], Awaitable[object]], seconds: float, name: str) -> None:
    while True:
        try:
            await tick()
        except Exception:
            # A failed tick (the database away for a moment) must not stop the next ones.
            log.exception("%s: a tick failed; trying again on the next one", name)
        await asyncio.sleep(seconds)


@contextlib.asynccontextmanager
async def every(
    seconds: float, tick: Callable[[], Awaitable[object]], *, name: str
) -> AsyncIterator[None]:
    """Calls ``tick`` at once and then every ``seconds`` while in the block; never when
    ``seconds`` is 0 (a timer turned off)."""
    if seconds <= 0:
        yield
        return
    async with running(_tick_forever(tick, seconds, name), name=name):
        yield
