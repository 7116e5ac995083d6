"""The sandbox's moving shoppers: a loop beside the API that moves the shopper of every
delivering order towards the customer every ``AFTERCART_SHOPPER_MOVE_SECONDS`` (0: off)."""

import contextlib
import functools
from collections.abc import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aftercart import tasks
from aftercart.config import Settings
from aftercart.post_checkout import tracking


@contextlib.asynccontextmanager
async def moving_shoppers(
    sessions: async_sessionmaker[AsyncSession],
    read_sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> AsyncIterator[None]:
    """Runs the loop while in the block, in the sandbox only and when the timer is on."""
    seconds = settings.shopper_move_seconds if settings.sandbox_enabled else 0
    move = functools.partial(
        tracking.move_all, sessions, read_sessions, trip_seconds=settings.shopper_trip_seconds
    )
    async with tasks.every(seconds, move, name="shopper-mover"):
        yield
