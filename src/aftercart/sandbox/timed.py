"""What passing time fires in a tenant's sandbox, as the clock's advance sees it.

Each source of time-driven effects (slot holds, late deliveries, late pickups, webhook retries,
chat expiry, rating reminders, autopilot shoppers) is a :class:`TimedEffect`. An advance asks
every source for its earliest :class:`Due` effect up to the target time, fires the earliest of
all at its own time, and asks again, so effects fire in the order their times fall, and an
effect that schedules another (a failed retry, an autopilot's next step) is seen in the same
advance.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]


@dataclass(frozen=True, order=True)
class Due:
    """One effect that falls due at ``at``. Ties fire by ``rank`` (the source's place in the
    advance's list), then ``key`` (the row it concerns)."""

    at: datetime
    rank: int
    key: int
    kind: str
    order_id: str | None = None
    detail: str | None = None


class TimedEffect(Protocol):
    kind: str

    async def next_due(
        self, session: AsyncSession, tenant_id: int, *, after: datetime, until: datetime
    ) -> Due | None:
        """The tenant's earliest effect of this kind due in ``(after, until]`` that has not
        fired, or ``None``. ``session`` serves the tenant."""
        ...

    async def fire(self, sessions: Sessions, tenant_id: int, due: Due) -> bool:
        """Fires ``due`` in its own transaction, with :func:`aftercart.clock.now` at
        ``due.at``; returns whether it fired (``False`` when another process fired it first
        or it is no longer due)."""
        ...
