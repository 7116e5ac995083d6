"""The request monitor's writer: captures queue up in memory as answers are sent, and one task
per process writes them in batches and prunes each client to its last ``AFTERCART_MONITOR_SIZE``.

Nothing here can hold up or fail a request: :meth:`Recorder.submit` never waits and never
raises (a full queue drops the capture), and a batch that fails to write is logged and dropped.
Masking and trimming run in this task too, before a session is opened.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Final

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart.config import Settings
from aftercart.sandbox import monitor
from aftercart.sandbox.monitor_rules import Capture, Entry, shape
from aftercart.tasks import running

log = logging.getLogger(__name__)

#: Captures waiting to be written; beyond it new ones are dropped (each holds up to 128 KiB).
MAX_PENDING: Final = 1_000
#: Captures written in one transaction at most.
BATCH_SIZE: Final = 500
#: How long the writer waits after a first capture for others to join its batch: a few
#: transactions a second, however many requests, rather than one per request.
LINGER_SECONDS: Final = 0.1
#: How long shutting down waits for the queue to be written.
STOP_SECONDS: Final = 5.0


class Recorder:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, keep: int) -> None:
        self._sessions = sessions
        self._keep = keep
        self._queue: asyncio.Queue[Capture] = asyncio.Queue(maxsize=MAX_PENDING)
        self.dropped = 0

    def submit(self, capture: Capture) -> None:
        try:
            self._queue.put_nowait(capture)
        except asyncio.QueueFull:
            self.dropped += 1
            if self.dropped % MAX_PENDING == 1:
                log.warning("request monitor behind: %d captures dropped so far", self.dropped)

    async def flush(self) -> None:
        """Waits until every capture submitted so far is written (or failed to be)."""
        await self._queue.join()

    async def run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            await asyncio.sleep(LINGER_SECONDS)
            while len(batch) < BATCH_SIZE and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._write(batch)
            except Exception:
                log.exception("request monitor: %d captures could not be written", len(batch))
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _write(self, batch: list[Capture]) -> None:
        entries: list[Entry] = []
        for capture in batch:
            try:
                entries.append(shape(capture))
            except Exception:
                log.exception("request monitor: a capture of %s could not be shaped", capture.path)
        unverified = {capture.client_id for capture in batch if not capture.verified}
        async with self._sessions() as session:
            clients = await monitor.store(session, entries, unverified=unverified)
            await session.commit()
        # Pruning in a transaction of its own: if it fails (two processes pruning one client
        # at once), the requests are kept and the next batch of that client prunes them.
        try:
            async with self._sessions() as session:
                for client_id in sorted(clients):
                    await monitor.prune(session, client_id=client_id, keep=self._keep)
                await session.commit()
        except Exception:
            log.warning("request monitor: pruning failed; the next batch prunes", exc_info=True)


def enabled(settings: Settings) -> bool:
    return settings.sandbox_enabled and settings.monitor_size > 0


@contextlib.asynccontextmanager
async def recording(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    """Runs the writer while in the block (``app.state.monitor``), when the sandbox is on and
    ``AFTERCART_MONITOR_SIZE`` is not 0; on the way out, writes what is still queued."""
    if not enabled(settings):
        yield
        return
    recorder = Recorder(app.state.sessions, keep=settings.monitor_size)
    async with running(recorder.run(), name="request-monitor"):
        app.state.monitor = recorder
        try:
            yield
        finally:
            del app.state.monitor
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(recorder.flush(), STOP_SECONDS)
