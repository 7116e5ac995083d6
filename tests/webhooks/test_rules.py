from datetime import UTC, datetime, timedelta

import pytest

from aftercart.events.envelope import envelope
from aftercart.events.webhooks import rules
from aftercart.events.webhooks.rules import Verdict

FIRST = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, Verdict.SUCCESS),
        (204, Verdict.SUCCESS),
        (None, Verdict.RETRY),
        (429, Verdict.RETRY),
        (500, Verdict.RETRY),
        (503, Verdict.RETRY),
        (410, Verdict.GONE),
        (400, Verdict.FAIL),
        (401, Verdict.FAIL),
        (404, Verdict.FAIL),
        (301, Verdict.FAIL),
    ],
)
def test_verdict(status: int | None, expected: Verdict) -> None:
    assert rules.verdict(status) is expected


def test_without_jitter_the_steps_grow_then_repeat_every_8_hours() -> None:
    now = FIRST
    waits = []
    for failed in range(1, 12):
        retry = rules.next_attempt_at(
            failed_attempts=failed, first_at=FIRST, now=now, rand=lambda: 1
        )
        assert retry is not None
        waits.append(retry - now)
        now = retry
    assert waits == [*rules.RETRY_STEPS, timedelta(hours=8), timedelta(hours=8)]


def test_full_jitter_waits_a_random_part_of_the_step_but_at_least_a_second() -> None:
    after_four = rules.next_attempt_at(
        failed_attempts=4, first_at=FIRST, now=FIRST, rand=lambda: 0.25
    )
    assert after_four == FIRST + timedelta(minutes=10) * 0.25
    immediate = rules.next_attempt_at(failed_attempts=1, first_at=FIRST, now=FIRST, rand=lambda: 0)
    assert immediate == FIRST + rules.MIN_DELAY


def test_retries_last_about_three_days_with_a_final_attempt_as_the_window_closes() -> None:
    now, attempts = FIRST, 1
    while (
        retry := rules.next_attempt_at(
            failed_attempts=attempts, first_at=FIRST, now=now, rand=lambda: 1
        )
    ) is not None:
        now, attempts = retry, attempts + 1
    assert now == FIRST + rules.RETRY_WINDOW
    assert attempts == 18


def test_no_retry_once_the_window_is_over() -> None:
    late = FIRST + rules.RETRY_WINDOW
    assert (
        rules.next_attempt_at(failed_attempts=3, first_at=FIRST, now=late, rand=lambda: 1) is None
    )


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_public_addresses(address: str, public: bool) -> None:
    assert rules.is_public_address(address) is public


def test_envelope_is_connects_callback_body() -> None:
    created = datetime(2020, 7, 7, 16, 35, 22, 123456, tzinfo=UTC)
    body = envelope(
        event_id=7, name="fulfillment.brand_new", created_at=created, metadata={"order_id": "a"}
    )
    assert body == {
        "event_id": 7,
        "event_name": "fulfillment.brand_new",
        "event_timestamp": "2020-07-07T16:35:22Z",
        "event_metadata": {"order_id": "a"},
    }


def test_message_id_and_excerpt() -> None:
    assert rules.message_id(42) == "msg_42"
    assert len(rules.excerpt(b"x" * 5000)) == rules.RESPONSE_EXCERPT_BYTES
