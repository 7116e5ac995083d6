"""Pure rules of webhook delivery: what an answer means, when to try again, what is sent."""

import ipaddress
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum

#: The nominal wait after the n-th failed attempt; the last step repeats until the window closes.
RETRY_STEPS: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
)
#: How long after its event a delivery is retried before it is failed.
RETRY_WINDOW = timedelta(hours=72)
#: ``next_attempt_at`` of a retry that waits on its tenant's frozen sandbox clock (its
#: ``clock_due_at``): never due on the wall clock.
PARKED = datetime(9999, 12, 31, tzinfo=UTC)
#: Shortest wait, so that full jitter never turns a retry into a hot loop.
MIN_DELAY = timedelta(seconds=1)
RESPONSE_EXCERPT_BYTES = 1024

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"
GONE_REASON = "receiver answered 410 Gone"

Random = Callable[[], float]


class Verdict(StrEnum):
    SUCCESS = "success"
    RETRY = "retry"
    FAIL = "fail"
    GONE = "gone"


def verdict(status_code: int | None) -> Verdict:
    """``None`` stands for no answer at all (timeout, connection error)."""
    if status_code is None or status_code == 429 or status_code >= 500:
        return Verdict.RETRY
    if 200 <= status_code < 300:
        return Verdict.SUCCESS
    if status_code == 410:
        return Verdict.GONE
    return Verdict.FAIL


def next_attempt_at(
    *, failed_attempts: int, first_at: datetime, now: datetime, rand: Random = random.random
) -> datetime | None:
    """When to try again after ``failed_attempts`` failures, or ``None`` to give up.

    Exponential steps with full jitter (a uniformly random wait up to the step), never before
    ``MIN_DELAY`` and never past the window's end: the last attempt is made as the window closes.
    """
    deadline = first_at + RETRY_WINDOW
    if now >= deadline:
        return None
    step = RETRY_STEPS[min(failed_attempts, len(RETRY_STEPS)) - 1]
    delay = max(MIN_DELAY, step * rand())
    return min(now + delay, deadline)


def message_id(delivery_id: int) -> str:
    """The Standard Webhooks ``webhook-id``: one per delivery, the same on every retry."""
    return f"msg_{delivery_id}"


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address; private, loopback, link-local, reserved,
    shared and multicast ones are not (an IPv4-mapped IPv6 address is judged as its IPv4)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def excerpt(body: bytes) -> str:
    return body[:RESPONSE_EXCERPT_BYTES].decode("utf-8", errors="replace")
