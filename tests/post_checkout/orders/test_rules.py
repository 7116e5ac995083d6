"""The pure rules behind the three pages: the shopper's path, the chat's expiry, wire states;
and the order timers' (Late delivery, Rating reminder)."""

from datetime import UTC, datetime, timedelta

import pytest

from aftercart.post_checkout import rules

STORE = (37.7936, -122.3958)
CUSTOMER = (37.7864, -122.3892)


@pytest.mark.parametrize(
    ("elapsed", "progress"), [(-5, 0.0), (0, 0.0), (225, 0.25), (450, 0.5), (900, 1.0), (5000, 1.0)]
)
def test_progress_is_the_share_of_the_trip_elapsed(elapsed: float, progress: float) -> None:
    assert rules.trip_progress(elapsed_seconds=elapsed, trip_seconds=900) == progress


def test_the_path_runs_straight_from_the_store_to_the_customer() -> None:
    def at(elapsed: float) -> tuple[float, float]:
        return rules.shopper_position(
            store=STORE, customer=CUSTOMER, elapsed_seconds=elapsed, trip_seconds=900
        )

    assert at(0) == STORE
    assert at(900) == CUSTOMER
    assert at(10_000) == CUSTOMER
    assert at(450) == pytest.approx((37.79, -122.3925))
    points = [at(t) for t in range(0, 901, 90)]
    assert [p[0] for p in points] == sorted((p[0] for p in points), reverse=True)
    assert [p[1] for p in points] == sorted(p[1] for p in points)


def test_the_same_moment_is_the_same_point() -> None:
    """A timer tick and an advance at the same moment agree."""
    first = rules.shopper_position(
        store=STORE, customer=CUSTOMER, elapsed_seconds=317, trip_seconds=900
    )
    again = rules.shopper_position(
        store=STORE, customer=CUSTOMER, elapsed_seconds=317, trip_seconds=900
    )
    assert first == again


def test_the_chat_expires_24_hours_after_the_end() -> None:
    ended = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert not rules.chat_expired(ended_at=None, now=ended + timedelta(days=30))
    assert not rules.chat_expired(ended_at=ended, now=ended + timedelta(hours=23, minutes=59))
    assert rules.chat_expired(ended_at=ended, now=ended + timedelta(hours=24))


@pytest.mark.parametrize(
    ("service_type", "state", "late"),
    [
        ("delivery", "brand_new", True),
        ("delivery", "delivering", True),
        ("last_mile", "bags_verified", True),
        ("delivery", "completed", False),
        ("delivery", "canceled", False),
        ("pickup", "staged", False),
    ],
)
def test_a_delivery_under_way_is_late_from_the_end_of_its_window(
    service_type: str, state: str, late: bool
) -> None:
    end = datetime(2026, 12, 1, 12, tzinfo=UTC)

    def at(now: datetime, window_ends_at: datetime | None = end) -> bool:
        return rules.is_late_delivery(
            service_type=service_type, workflow_state=state, window_ends_at=window_ends_at, now=now
        )

    assert not at(end - timedelta(seconds=1))
    assert at(end) is late
    assert not at(end + timedelta(days=1), window_ends_at=None)


def test_a_rating_reminder_is_due_after_the_delay_for_an_unrated_delivered_order() -> None:
    delivered = datetime(2026, 12, 1, 12, tzinfo=UTC)
    day = timedelta(days=1)

    def due(state: str = "completed", rated: bool = False, after: timedelta = day) -> bool:
        return rules.rating_reminder_due(
            workflow_state=state,
            delivered_at=delivered,
            rated=rated,
            delay=day,
            now=delivered + after,
        )

    assert due()
    assert not due(after=day - timedelta(seconds=1))
    assert not due(rated=True)
    assert not due(state="canceled")
    assert not rules.rating_reminder_due(
        workflow_state="completed", delivered_at=None, rated=False, delay=day, now=delivered
    )


@pytest.mark.parametrize(
    ("service_type", "state", "wire"),
    [
        ("delivery", "picking", "picking"),
        ("delivery", "receipt_sanity_check", "checkout"),
        ("delivery", "staged", "staged"),
        ("pickup", "staged", "ready_for_pickup"),
        ("delivery", "completed", "delivered"),
        ("pickup", "completed", "delivered"),
        ("delivery", "canceled", "canceled"),
    ],
)
def test_wire_workflow_states(service_type: str, state: str, wire: str) -> None:
    assert rules.wire_workflow_state(service_type=service_type, workflow_state=state) == wire


def test_chat_parties() -> None:
    assert rules.CHAT_PARTIES == {"customer": "user", "shopper": "driver"}
