"""Pure rules about ratings: the values of Instacart's order feedback pages, which highlights
fit which order, and the opaque list cursor."""

import base64
import binascii
import json
from datetime import datetime
from enum import StrEnum
from typing import Final

from aftercart.db.ids import BIGINT_MAX

SOURCE_CONNECT: Final = "connect"
FRONTEND: Final = "frontend"
BACKEND: Final = "backend"


class RatingValue(StrEnum):
    STARS1 = "STARS1"
    STARS2 = "STARS2"
    STARS3 = "STARS3"
    STARS4 = "STARS4"
    STARS5 = "STARS5"


class Highlight(StrEnum):
    QUALITY_ITEMS = "QUALITY_ITEMS"
    SMART_BAGGING = "SMART_BAGGING"
    EXTRA_EFFORT = "EXTRA_EFFORT"
    HELPFUL_CHAT = "HELPFUL_CHAT"
    GOOD_REPLACEMENTS = "GOOD_REPLACEMENTS"
    SMOOTH_DELIVERY = "SMOOTH_DELIVERY"
    FAST_PICKUP = "FAST_PICKUP"
    CLEAR_PICKUP_INSTRUCTIONS = "CLEAR_PICKUP_INSTRUCTIONS"
    EASY_PARKING = "EASY_PARKING"
    SMOOTH_HANDOFF = "SMOOTH_HANDOFF"


#: The only service type each highlight may be given for; the rest fit any order.
HIGHLIGHT_SERVICE_TYPE: Final[dict[Highlight, str]] = {
    Highlight.SMOOTH_DELIVERY: "delivery",
    Highlight.FAST_PICKUP: "pickup",
    Highlight.CLEAR_PICKUP_INSTRUCTIONS: "pickup",
    Highlight.EASY_PARKING: "pickup",
    Highlight.SMOOTH_HANDOFF: "pickup",
}

RATINGS: Final = (1, 2, 3, 4, 5)


def stars(value: RatingValue) -> int:
    """``STARS4`` → 4."""
    return int(value.removeprefix("STARS"))


def highlight_problems(highlights: list[Highlight], service_type: str) -> list[tuple[int, str]]:
    """``(index, message)`` for each highlight that repeats an earlier one or does not fit the
    order's service type (``delivery`` or ``pickup``)."""
    problems: list[tuple[int, str]] = []
    seen: set[Highlight] = set()
    for index, highlight in enumerate(highlights):
        fits = HIGHLIGHT_SERVICE_TYPE.get(highlight)
        if highlight in seen:
            problems.append((index, "is a repeat of an earlier highlight"))
        elif fits is not None and fits != service_type:
            problems.append((index, f"can only be given for a {fits} order"))
        seen.add(highlight)
    return problems


def encode_cursor(created_at: datetime, rating_id: int) -> str:
    """An opaque position after the row ``(created_at, id)`` in newest-first order."""
    raw = json.dumps([created_at.isoformat(), rating_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The position a cursor names; ``ValueError`` if it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, rating_id = json.loads(raw)
        position = datetime.fromisoformat(moment), int(rating_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise ValueError("is not a valid cursor") from exc
    if position[0].tzinfo is None or not 0 < position[1] <= BIGINT_MAX:
        raise ValueError("is not a valid cursor")
    return position
