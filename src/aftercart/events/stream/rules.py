"""What an order's live stream carries and how it is written on the wire (pure functions)."""

import json
from datetime import datetime
from typing import Any

from sse_starlette import ServerSentEvent

from aftercart.db.ids import BIGINT_MAX
from aftercart.errors import InvalidParameter
from aftercart.events import names
from aftercart.events.envelope import envelope

#: Every event about one order. ``marketplace.feedback_received`` concerns a marketplace's
#: restaurant feedback, not a customer's order page, so it stays with the webhooks.
STREAMED: frozenset[str] = frozenset(names.ALL) - {names.MARKETPLACE_FEEDBACK}

#: The PostgreSQL NOTIFY channel; the payload is ``"<order_pk>:<event_id>"`` (``order_pk`` empty
#: for an event about no order).
CHANNEL = "aftercart_events"

SEPARATOR = "\r\n"


def notification(order_pk: int | None, event_id: int) -> str:
    return f"{'' if order_pk is None else order_pk}:{event_id}"


def parse_notification(payload: str) -> tuple[int | None, int] | None:
    """``(order_pk, event_id)`` from a NOTIFY payload, or None for one that is not ours."""
    order_part, _, event_part = payload.partition(":")
    try:
        return (int(order_part) if order_part else None), int(event_part)
    except ValueError:
        return None


def sse_message(
    *, event_id: int, name: str, created_at: datetime, metadata: dict[str, Any]
) -> bytes:
    """One complete SSE message: ``id``, ``event`` and the JSON envelope as ``data``."""
    body = envelope(event_id=event_id, name=name, created_at=created_at, metadata=metadata)
    data = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return ServerSentEvent(data, id=str(event_id), event=name, sep=SEPARATOR).encode()


def resume_point(header: str | None, query: str | None) -> int | None:
    """The id to resume after: the ``Last-Event-ID`` header, else the ``last_event_id`` query.

    None means "from now on". A value that is not a non-negative integer is refused rather
    than silently replaying or skipping events.
    """
    for key, value in (("Last-Event-ID", header), ("last_event_id", query)):
        if value is None or not value.strip():
            continue
        text = value.strip()
        if not (text.isascii() and text.isdigit()):
            raise InvalidParameter("is invalid", key=key)
        # Past the last id an event can have, there is nothing to replay.
        return min(int(text), BIGINT_MAX)
    return None
