"""The time an order's life runs on: the wall clock, or a tenant's frozen sandbox clock.

Order timestamps, chat expiry, slot holds, late windows and rating reminders read
:func:`now`. In a request from a tenant whose sandbox clock is frozen it answers the clock's
time; while an advance fires an effect it answers that effect's due time; otherwise it is the
wall clock. What must follow real time whatever the sandbox says (token lifetimes, leases, rate
limits, the webhook queue) reads :func:`aftercart.db.types.utcnow` instead.
"""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime

from aftercart.db.types import utcnow

_frozen: ContextVar[datetime | None] = ContextVar("aftercart_sandbox_now", default=None)


def now() -> datetime:
    return _frozen.get() or utcnow()


def frozen() -> datetime | None:
    """The sandbox time in force, or ``None`` on the wall clock."""
    return _frozen.get()


@contextlib.contextmanager
def running_at(moment: datetime | None) -> Iterator[None]:
    """Within the block, :func:`now` is ``moment`` (the wall clock when ``None``)."""
    token = _frozen.set(moment)
    try:
        yield
    finally:
        _frozen.reset(token)


def stop_at(moment: datetime | None) -> None:
    """For the rest of the current request, :func:`now` is ``moment``. The request's scope
    (:class:`aftercart.sandbox.clock_scope.ClockScope`) puts the wall clock back after it."""
    _frozen.set(moment)
