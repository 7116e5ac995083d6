"""The sliding window arithmetic and the in-memory counts, on a controlled clock."""

import pytest

from aftercart.limits.memory import MemoryCounters
from aftercart.limits.rules import (
    Rate,
    Verdict,
    expires_at,
    judge,
    key_for,
    parse_rate,
    retry_after,
    weighted,
    window_at,
)

MINUTE = Rate(10, 60)


class Clock:
    def __init__(self, now: float = 6_000.0) -> None:  # a window boundary for 60 s windows
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/minute", Rate(10, 60)),
        ("1200 per hour", Rate(1200, 3600)),
        ("5/10 seconds", Rate(5, 10)),
        (" 3 / 2 days ", Rate(3, 172_800)),
        ("7/Second", Rate(7, 1)),
        ("off", None),
        ("", None),
    ],
)
def test_rates_are_read_from_text(text: str, rate: Rate | None) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["10", "ten/minute", "0/minute", "5/0 seconds", "5/fortnight"])
def test_a_bad_rate_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="rate"):
        parse_rate(text)


def test_the_previous_window_counts_for_what_it_still_overlaps() -> None:
    assert window_at(MINUTE, 6_015) == window_at(MINUTE, 6_015)
    assert window_at(MINUTE, 6_015).index == 100
    assert window_at(MINUTE, 6_015).elapsed == pytest.approx(0.25)
    assert weighted(MINUTE, 6_015, previous=8, current=2) == pytest.approx(8)
    assert expires_at(MINUTE, 100) == 6_120


def test_a_hit_is_allowed_while_the_weighted_count_stays_within_the_amount() -> None:
    assert judge(MINUTE, 6_030, previous=10, current=4) == Verdict(True)  # 5 + 4 + 1 = 10
    refused = judge(MINUTE, 6_030, previous=10, current=5)
    assert not refused.allowed
    # 10 * (1 - f) + 5 <= 9 from f = 0.6: at 6036, six seconds from now.
    assert refused.retry_after == 6


def test_a_full_current_window_waits_into_the_next_one() -> None:
    # 10 hits now; the next window starts in 45 s, and its share of them must fall to 9.
    assert retry_after(MINUTE, 6_015, previous=0, current=10) == 45 + 6


def test_retry_after_is_never_less_than_a_second() -> None:
    assert retry_after(MINUTE, 6_059.99, previous=0, current=10) == 7  # 0.01 + 6, rounded up
    assert retry_after(Rate(1, 1), 6_000.999, previous=1, current=0) == 1  # 1 ms away


def test_waiting_for_retry_after_is_enough() -> None:
    clock = Clock(6_030.0)
    counters = MemoryCounters(clock=clock)
    for _ in range(10):
        assert counters.take("k", MINUTE).allowed
    refused = counters.take("k", MINUTE)
    assert not refused.allowed
    clock.now += refused.retry_after - 1
    assert not counters.take("k", MINUTE).allowed
    clock.now += 1
    assert counters.take("k", MINUTE).allowed


def test_refused_hits_are_not_counted_but_recorded_ones_are() -> None:
    clock = Clock()
    counters = MemoryCounters(clock=clock)
    for _ in range(25):
        counters.take("k", MINUTE)
    assert counters.counts("k", MINUTE, clock.now) == (0, 10)
    for _ in range(12):
        counters.add("failures", MINUTE)
    assert counters.counts("failures", MINUTE, clock.now) == (0, 12)
    assert not counters.check("failures", MINUTE).allowed
    assert counters.counts("failures", MINUTE, clock.now) == (0, 12)


def test_keys_are_counted_apart() -> None:
    counters = MemoryCounters(clock=Clock())
    for _ in range(10):
        counters.take("a", MINUTE)
    assert not counters.take("a", MINUTE).allowed
    assert counters.take("b", MINUTE).allowed


def test_windows_that_no_longer_matter_are_swept() -> None:
    clock = Clock()
    counters = MemoryCounters(clock=clock)
    counters.take("a", MINUTE)
    counters.take("b", Rate(5, 3600))
    clock.now += 121
    counters.take("c", MINUTE)
    assert len(counters) == 2  # "a" expired at the end of the next window; "b" still counts


def test_long_identities_are_stored_by_digest() -> None:
    assert key_for("chat", "user:7") == "chat:user:7"
    long = key_for("token-client", "x" * 5_000)
    assert long.startswith("token-client:sha256:")
    assert len(long) < 100
