"""The pure rating rules, without a server."""

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from aftercart.feedback.rules import (
    Highlight,
    RatingValue,
    decode_cursor,
    encode_cursor,
    highlight_problems,
    stars,
)

H = Highlight


@pytest.mark.parametrize(("value", "expected"), [(RatingValue.STARS1, 1), (RatingValue.STARS5, 5)])
def test_stars(value: RatingValue, expected: int) -> None:
    assert stars(value) == expected


def test_highlights_for_any_order_fit_both_kinds() -> None:
    common = [H.QUALITY_ITEMS, H.SMART_BAGGING, H.EXTRA_EFFORT, H.HELPFUL_CHAT, H.GOOD_REPLACEMENTS]
    assert highlight_problems(common, "delivery") == []
    assert highlight_problems(common, "pickup") == []


def test_pickup_highlights_only_fit_pickup_orders() -> None:
    pickup = [H.FAST_PICKUP, H.CLEAR_PICKUP_INSTRUCTIONS, H.EASY_PARKING, H.SMOOTH_HANDOFF]
    assert highlight_problems(pickup, "pickup") == []
    assert [i for i, _ in highlight_problems(pickup, "delivery")] == [0, 1, 2, 3]


def test_smooth_delivery_only_fits_delivery_orders() -> None:
    assert highlight_problems([H.SMOOTH_DELIVERY], "delivery") == []
    assert highlight_problems([H.QUALITY_ITEMS, H.SMOOTH_DELIVERY], "pickup") == [
        (1, "can only be given for a delivery order")
    ]


def test_a_repeat_is_reported_at_its_own_index() -> None:
    problems = highlight_problems([H.HELPFUL_CHAT, H.QUALITY_ITEMS, H.HELPFUL_CHAT], "delivery")
    assert problems == [(2, "is a repeat of an earlier highlight")]


def test_cursor_round_trip_keeps_microseconds_and_zone() -> None:
    moment = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(moment, 42)) == (moment, 42)
    shifted = moment.astimezone(timezone(timedelta(hours=3)))
    assert decode_cursor(encode_cursor(shifted, 7)) == (moment, 7)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "!!!",
        "bm90IGpzb24",
        "WzFd",
        encode_cursor(datetime(2026, 1, 1, tzinfo=UTC), 1)[:-4],
        encode_cursor(datetime(2026, 1, 1, tzinfo=UTC), 2**63),
        encode_cursor(datetime(2026, 1, 1, tzinfo=UTC), 0),
    ],
)
def test_a_cursor_that_is_not_ours_is_refused(cursor: str) -> None:
    with pytest.raises(ValueError, match="cursor"):
        decode_cursor(cursor)


def test_a_cursor_without_a_zone_is_refused() -> None:
    raw = base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00", 1]).encode()).decode()
    with pytest.raises(ValueError, match="cursor"):
        decode_cursor(raw)
