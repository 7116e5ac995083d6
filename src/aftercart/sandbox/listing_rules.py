"""Pure rules of the sandbox's lists (Aftercart additions): the page cursor, and which batches a
client sees. Who sees a shopper or an order is :mod:`aftercart.sandbox.read_rules`' rule."""

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from aftercart.db.ids import BIGINT_MAX

DEFAULT_PAGE_SIZE: Final = 50
MAX_PAGE_SIZE: Final = 200
INVALID_CURSOR: Final = "is not a valid cursor"

Row = TypeVar("Row")


def encode_cursor(kind: str, row_id: int) -> str:
    """An opaque position after the row ``row_id`` of the list ``kind``, newest first. Lists
    are ordered by id: ids are never reused and grow with creation, so rows created while a
    list is walked come before its cursor and never shift a page."""
    raw = json.dumps([kind, row_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str) -> int:
    """The id a cursor of the list ``kind`` stops after; ``ValueError`` for anything else (not
    one of ours, or another list's)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        named, row_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError(INVALID_CURSOR) from exc
    if named != kind or type(row_id) is not int or not 0 < row_id <= BIGINT_MAX:
        raise ValueError(INVALID_CURSOR)
    return row_id


def page_of(
    rows: Sequence[Row], *, limit: int, kind: str, row_id: Callable[[Row], int]
) -> tuple[list[Row], str | None]:
    """A page out of up to ``limit + 1`` rows fetched newest first, and the cursor to the next
    page (``None`` on the last one: the extra row is what says there is more)."""
    page = list(rows[:limit])
    if len(rows) <= limit or not page:
        return page, None
    return page, encode_cursor(kind, row_id(page[-1]))
