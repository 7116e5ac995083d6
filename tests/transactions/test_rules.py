"""The pure rules of point-of-sale transactions."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from aftercart.transactions import rules

UTC_SALE = datetime(2022, 3, 9, 16, 37, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2022-03-09T16:37:00Z",
        "2022-03-09T16:37:00z",
        "2022-03-09T16:37Z",
        "2022-03-09 16:37:00Z",
        "2022-03-09T11:37:00-5:00",  # the page's own example
        "2022-03-09T11:37:00-05:00",
        "2022-03-09T11:37:00-0500",
        "2022-03-09T11:37:00-05",
        "2022-03-09T22:07:00+05:30",
        " 2022-03-09T16:37:00+00:00 ",
    ],
)
def test_a_time_with_its_zone_is_read_in_utc(text: str) -> None:
    assert rules.parse_timestamp(text) == UTC_SALE


def test_fractions_of_a_second_are_kept() -> None:
    moment = rules.parse_timestamp("2022-03-09T16:37:00.123456Z")
    assert moment.microsecond == 123456
    assert rules.format_timestamp(moment) == "2022-03-09T16:37:00.123456Z"


@pytest.mark.parametrize(
    "value",
    [
        "2022-03-09T16:37:00",  # no zone
        "2022-03-09",
        "16:37:00Z",
        "2022-02-30T16:37:00Z",
        "2022-03-09T24:00:00Z",
        "2022-03-09T16:37:00+24:00",
        "2022-03-09T16:37:00+05:60",
        "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
        "2022-03-09T16:37:00Z trailing",
        "",
        1646843820,
        None,
    ],
)
def test_anything_else_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="with its zone"):
        rules.parse_timestamp(value)


def test_utc_is_written_with_z() -> None:
    assert rules.format_timestamp(UTC_SALE) == "2022-03-09T16:37:00Z"
    east = UTC_SALE.astimezone(rules.parse_timestamp("2022-01-01T00:00:00+02:00").tzinfo)
    assert rules.format_timestamp(east) == "2022-03-09T16:37:00Z"


def test_the_future_allows_a_clocks_drift() -> None:
    assert not rules.in_future(UTC_SALE + timedelta(minutes=10), UTC_SALE)
    assert rules.in_future(UTC_SALE + timedelta(minutes=10, seconds=1), UTC_SALE)


def test_late_is_more_than_10_minutes_after_the_sale() -> None:
    assert not rules.sent_late(UTC_SALE, UTC_SALE + timedelta(minutes=10))
    assert rules.sent_late(UTC_SALE, UTC_SALE + timedelta(minutes=10, microseconds=1))
    assert not rules.sent_late(UTC_SALE + timedelta(minutes=5), UTC_SALE)


@pytest.mark.parametrize(
    ("value", "places", "ok"),
    [
        (Decimal("100.22"), 2, True),
        (Decimal("100.220"), 2, True),
        (Decimal("1E+3"), 2, True),
        (Decimal("100.225"), 2, False),
        (Decimal("0.0599"), 4, True),
        (Decimal("0.05999"), 4, False),
        (Decimal(10_000_000), 2, True),
        (Decimal(-10_000_000), 2, True),
        (Decimal("10000000.01"), 2, False),
    ],
)
def test_amounts_are_bounded_in_size_and_places(value: Decimal, places: int, ok: bool) -> None:
    if ok:
        assert rules.check_amount(value, places) == value
    else:
        with pytest.raises(ValueError):  # noqa: PT011 (the messages are checked over HTTP)
            rules.check_amount(value, places)


def test_amounts_go_out_as_the_numbers_they_are() -> None:
    assert rules.as_number(Decimal("100.20")) == 100.2
    assert rules.as_number(Decimal("99.0")) == 99
    assert isinstance(rules.as_number(Decimal("99.0")), int)
    assert rules.as_number(Decimal("1E+3")) == 1000
    assert str(rules.as_number(Decimal("9999999.99"))) == "9999999.99"
    assert str(rules.as_number(Decimal("0.0599"))) == "0.0599"


def test_the_digest_ignores_key_order_only() -> None:
    body = {"id": "1", "total": 1.5, "items": [{"quantity": 1, "item_price": 1.5}]}
    reordered = {"items": [{"item_price": 1.5, "quantity": 1}], "total": 1.5, "id": "1"}
    assert rules.digest(body) == rules.digest(reordered)
    assert rules.digest(body) != rules.digest({**body, "total": 1.51})
    assert len(rules.digest(body)) == 64


def test_a_cursor_names_its_position() -> None:
    cursor = rules.encode_cursor(UTC_SALE, "12_0200_0036_é")
    assert rules.decode_cursor(cursor) == (UTC_SALE, "12_0200_0036_é")


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64!",
        rules.encode_cursor(UTC_SALE, "x" * 256),
        rules.encode_cursor(UTC_SALE, "a\x00b"),
        rules.encode_cursor(UTC_SALE.replace(tzinfo=None), "a"),
        "WzEsIDJd",  # [1, 2]
    ],
)
def test_a_cursor_not_of_ours_is_refused(cursor: str) -> None:
    with pytest.raises(ValueError, match="is not a valid cursor"):
        rules.decode_cursor(cursor)
