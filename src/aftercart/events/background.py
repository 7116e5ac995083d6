"""Background loops that ``aftercart serve`` runs beside the API: the event-stream broker,
unless ``AFTERCART_RUN_WORKER`` is false the webhook delivery worker, and in the sandbox with
``AFTERCART_SHOPPER_MOVE_SECONDS`` set the shoppers moving towards their customers, with
``AFTERCART_LATE_PICKUP_SECONDS`` set the late-pickup timer, and the order timers (Late delivery,
Rating reminder) unless ``AFTERCART_LATE_DELIVERY_SECONDS`` / ``AFTERCART_RATING_REMINDER_SECONDS``
turn them off, and in the sandbox unless ``AFTERCART_AUTOPILOT_TICK_SECONDS`` is 0 the autopilot
shoppers of tenants whose sandbox clock is not frozen."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from aftercart.config import Settings
from aftercart.db.aftercommit import AfterCommit, DeliveriesDue, EventCommitted
from aftercart.events.stream import channel
from aftercart.events.stream.broker import Broker, Sessions
from aftercart.post_checkout.order_timers import order_timers
from aftercart.post_checkout.pickup_tasks import late_pickups
from aftercart.post_checkout.tasks import moving_shoppers
from aftercart.sandbox.autopilot import autopilot_shoppers

log = logging.getLogger(__name__)

WORKER_STOP_SECONDS = 15.0


@contextlib.asynccontextmanager
async def running(app: FastAPI, settings: Settings) -> AsyncIterator[None]:
    sessions: Sessions = app.state.sessions
    after_commit: AfterCommit = app.state.after_commit
    async with channel.connected(sessions, settings, after_commit) as broker:
        app.state.broker = broker
        async with (
            _webhook_worker(sessions, settings, broker, after_commit),
            moving_shoppers(sessions, app.state.read_sessions, settings),
            late_pickups(sessions, app.state.read_sessions, settings),
            order_timers(sessions, app.state.read_sessions, settings),
            autopilot_shoppers(sessions, app.state.read_sessions, settings),
        ):
            yield


@contextlib.asynccontextmanager
async def _webhook_worker(
    sessions: Sessions, settings: Settings, broker: Broker, after_commit: AfterCommit
) -> AsyncIterator[None]:
    """Runs the delivery worker; a commit of this process that owes deliveries, and every
    event notification, wake it before its next poll."""
    if not settings.run_worker:
        yield
        return
    from aftercart.events.webhooks import worker  # the webhooks area is optional to the stream

    wakeup = asyncio.Event()
    broker.add_listener(wakeup.set)
    after_commit.on(EventCommitted, lambda _note: wakeup.set())
    after_commit.on(DeliveriesDue, lambda _note: wakeup.set())
    stop = asyncio.Event()
    task = asyncio.create_task(
        worker.run(sessions, settings, stop, wakeup=wakeup), name="webhook-worker"
    )
    task.add_done_callback(_log_failure)
    try:
        yield
    finally:
        stop.set()
        done, _ = await asyncio.wait([task], timeout=WORKER_STOP_SECONDS)
        if not done:
            log.warning("the webhook worker did not stop in time; cancelled")
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def _log_failure(task: "asyncio.Task[None]") -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the webhook worker stopped", exc_info=task.exception())
