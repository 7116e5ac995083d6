"""What the sandbox clock accepts: pure rules, tested without a server.

The clock lives between :data:`EARLIEST` and :data:`LATEST`: far enough either way for any
test, and far from the ends of what a timestamp holds, so no advance, retry or window computed
from the clock's time can overflow.
"""

from datetime import UTC, datetime, timedelta
from typing import Final

from aftercart.errors import InvalidParameter

EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
LATEST: Final = datetime(2999, 12, 31, tzinfo=UTC)
#: The longest single advance.
MAX_ADVANCE: Final = timedelta(days=366)


def check_frozen_at(moment: datetime) -> datetime:
    if not EARLIEST <= moment <= LATEST:
        raise InvalidParameter("must be between 2000-01-01 and 2999-12-31", key="frozen_at")
    return moment


def advanced(start: datetime, duration: timedelta) -> datetime:
    """Where an advance by ``duration`` from ``start`` takes the clock."""
    if not timedelta(0) < duration <= MAX_ADVANCE:
        raise InvalidParameter("must be more than 0 and at most 366 days", key="duration")
    if start + duration > LATEST:
        raise InvalidParameter("would take the clock past 2999-12-31", key="duration")
    return start + duration
