"""The sandbox lists' pure rules: the page cursor, a page out of the rows fetched, which batches
a client sees."""

import base64
import json

import pytest

from aftercart.db.ids import BIGINT_MAX
from aftercart.sandbox.listing_rules import decode_cursor, encode_cursor, page_of


def _raw(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("row_id", [1, 42, 2**31, BIGINT_MAX])
def test_a_cursor_names_the_row_it_was_made_after(row_id: int) -> None:
    cursor = encode_cursor("shoppers", row_id)
    assert "=" not in cursor
    assert decode_cursor("shoppers", cursor) == row_id


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "%%%",
        _raw(["shoppers"]),
        _raw(["shoppers", 0]),
        _raw(["shoppers", -3]),
        _raw(["shoppers", BIGINT_MAX + 1]),
        _raw(["shoppers", "7"]),
        _raw(["shoppers", 7.0]),
        _raw(["shoppers", True]),
        _raw({"shoppers": 7}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_anything_else_is_refused(cursor: str) -> None:
    with pytest.raises(ValueError, match="is not a valid cursor"):
        decode_cursor("shoppers", cursor)


def test_another_lists_cursor_is_refused() -> None:
    with pytest.raises(ValueError, match="is not a valid cursor"):
        decode_cursor("batches", encode_cursor("shoppers", 7))


def test_the_extra_row_says_there_is_another_page() -> None:
    rows = [9, 8, 7]
    page, cursor = page_of(rows, limit=2, kind="batches", row_id=int)
    assert page == [9, 8]
    assert cursor is not None
    assert decode_cursor("batches", cursor) == 8


@pytest.mark.parametrize("rows", [[], [9], [9, 8]])
def test_the_last_page_has_no_cursor(rows: list[int]) -> None:
    assert page_of(rows, limit=2, kind="batches", row_id=int) == (rows, None)
