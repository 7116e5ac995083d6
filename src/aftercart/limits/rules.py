"""Rates, windows and verdicts as plain values, with no clock and no storage.

The algorithm is the sliding window counter (the ``limits`` library's "sliding window counter"
strategy, Cloudflare's rate limiting): a key's hits are counted per fixed window as long as the
rate's period, and the window before the current one counts in proportion to how much of it the
sliding window that ends now still covers. Two integers per key and window, so the counts can
live in a dict or in one table row each, and the verdict is the same on both.
"""

import hashlib
import math
import re
from dataclasses import dataclass

UNITS = {"second": 1, "minute": 60, "hour": 3_600, "day": 86_400}
OFF = frozenset({"", "off", "none", "unlimited"})
_RATE = re.compile(
    r"^\s*(\d+)\s*(?:/|per)\s*(\d+)?\s*(second|minute|hour|day)s?\s*$", re.IGNORECASE
)
#: Longer identities (a client_id is whatever a request sends) are stored by their digest.
MAX_IDENTITY = 120


@dataclass(frozen=True)
class Rate:
    """At most ``amount`` hits per ``seconds``."""

    amount: int
    seconds: int

    def __str__(self) -> str:
        return f"{self.amount}/{self.seconds}s"


def parse_rate(text: str) -> Rate | None:
    """``"10/minute"``, ``"1200 per hour"``, ``"5/10 seconds"``; ``"off"`` (or empty) is no
    limit."""
    if text.strip().lower() in OFF:
        return None
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a rate such as '10/minute' or 'off'")
    amount, count, unit = int(match[1]), int(match[2] or 1), match[3].lower()
    if amount < 1 or count < 1:
        raise ValueError(f"{text!r}: a rate needs at least one hit per at least one {unit}")
    return Rate(amount, count * UNITS[unit])


def key_for(rule: str, identity: str) -> str:
    """The counter key of ``identity`` under ``rule``, of bounded length."""
    if len(identity) > MAX_IDENTITY:
        identity = "sha256:" + hashlib.sha256(identity.encode()).hexdigest()
    return f"{rule}:{identity}"


@dataclass(frozen=True)
class Window:
    """The fixed window that holds ``now``: its number (``now // seconds``) and how much of it
    has passed, from 0 to 1."""

    index: int
    elapsed: float


def window_at(rate: Rate, now: float) -> Window:
    index, into = divmod(now, rate.seconds)
    return Window(int(index), into / rate.seconds)


def window_start(rate: Rate, index: int) -> int:
    """The window's start in seconds since the epoch (how the shared table names a window)."""
    return index * rate.seconds


def expires_at(rate: Rate, index: int) -> int:
    """When a window's count stops mattering: at the end of the window after it."""
    return (index + 2) * rate.seconds


def weighted(rate: Rate, now: float, *, previous: int, current: int) -> float:
    """The estimated hits in the ``rate.seconds`` that end at ``now``."""
    return previous * (1 - window_at(rate, now).elapsed) + current


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    #: Whole seconds until the same request would pass, if nothing else is counted meanwhile
    #: (0 when allowed).
    retry_after: int = 0


ALLOWED = Verdict(True)


def judge(rate: Rate, now: float, *, previous: int, current: int, cost: int = 1) -> Verdict:
    """Whether ``cost`` more hits fit in the rate, given the counts of the previous and the
    current window."""
    if weighted(rate, now, previous=previous, current=current) + cost <= rate.amount:
        return ALLOWED
    return Verdict(False, retry_after(rate, now, previous=previous, current=current, cost=cost))


def retry_after(rate: Rate, now: float, *, previous: int, current: int, cost: int = 1) -> int:
    """Whole seconds (at least 1) until ``cost`` more hits fit, if none are counted meanwhile.

    The previous window's share shrinks linearly as time passes; once the current window ends,
    its count becomes the one that shrinks."""
    window = window_at(rate, now)
    room = rate.amount - cost
    if room < 0:  # more than the rate ever allows: as long as two whole windows
        return 2 * rate.seconds
    if current <= room and previous > 0:
        needed = 1 - (room - current) / previous
        wait = (needed - window.elapsed) * rate.seconds
    else:
        needed = 1 - room / current if current > 0 else 0.0
        wait = (1 - window.elapsed + needed) * rate.seconds
    return max(1, math.ceil(wait - 1e-9))
