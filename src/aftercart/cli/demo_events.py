"""Reading the order's live stream and telling each event in a line: pure functions over what
Aftercart sent (``docs/stream.md``), so that the demo prints nothing it did not receive."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from aftercart.events import names

#: What the demo waits for after each event, for the line a timeout prints.
NEXT: Final[dict[str, str]] = {
    names.BRAND_NEW: "the autopilot shopper to take the order",
    names.ACKNOWLEDGED: "the shopper to start picking",
    names.PICKING: "the shopper to pick every line and check out",
    names.CHECKOUT: "the shopper to leave the store",
    names.DELIVERING: "the shopper to deliver the order",
    names.DELIVERED: "the rating to be stored",
}


@dataclass(frozen=True)
class StreamEvent:
    id: int
    name: str
    metadata: dict[str, Any]


class SseReader:
    """Events out of a Server-Sent Events body fed line by line; comments (``: keep-alive``)
    and fields other than ``data`` carry nothing the envelope does not."""

    def __init__(self) -> None:
        self._data: list[str] = []

    def feed(self, line: str) -> StreamEvent | None:
        if line.startswith("data:"):
            self._data.append(line[5:].strip())
        elif not line and self._data:
            envelope, self._data = "\n".join(self._data), []
            return of(json.loads(envelope))
        return None


def of(envelope: Mapping[str, Any]) -> StreamEvent:
    """An event from Connect's callback envelope, as the stream's ``data`` carries it."""
    return StreamEvent(
        int(envelope["event_id"]), str(envelope["event_name"]), envelope["event_metadata"]
    )


@dataclass(frozen=True)
class Product:
    """A line's product names, from the post-checkout items answer."""

    name: str
    replacement: str | None = None


def products_of(items_answer: Mapping[str, Any]) -> dict[str, Product]:
    """``GET /v2/post_checkout/orders/{id}/items``, by line number."""
    return {
        item["id"]: Product(
            item["product_name"], (item.get("replacement") or {}).get("product_name")
        )
        for item in items_answer["items"]
    }


def _found(item: Mapping[str, Any], name: str) -> str:
    """``Whole Milk, 2 of 2`` or ``Bananas, 0.9 of 1.5 by weight``."""
    if item.get("requested_weight") is not None:
        return f"{name}, {item['delivered_weight']:g} of {item['requested_weight']:g} by weight"
    return f"{name}, {item['delivered_count']} of {item['requested_count']}"


def sentence(event: StreamEvent, products: Mapping[str, Product]) -> str | None:
    """What happened, in a few words; ``None`` for an event the demo tells otherwise."""
    meta = event.metadata
    item = meta.get("item") or {}
    line = item.get("line_num", "?")
    product = products.get(line, Product(f"line {line}"))
    match event.name:
        case names.BRAND_NEW:
            return (
                f"order {meta['order_id']} placed ({meta['service_type']}, {meta['location_code']})"
            )
        case names.ACKNOWLEDGED:
            return f"shopper {meta['shopper_id']} took the order (batch {meta['batch_id']})"
        case names.PICKING:
            return "shopper started picking"
        case names.ITEM_REPLACEMENT:
            return (
                f"line {line} replaced: {product.name} by {product.replacement or '?'} "
                f"(replacement {str(item['replacement_status']).lower()})"
            )
        case names.REPLACEMENT_DECISION:
            decision = str(item["replacement_status"]).lower()
            return f"line {line}: replacement by {product.replacement or '?'} {decision}"
        case names.ITEM_REFUND:
            return f"line {line} refunded: {product.name}"
        case names.ITEM_UPDATED:
            return f"line {line} {item['status']}: {_found(item, product.name)}"
        case names.CHAT_MESSAGE:
            message = meta["message"]
            who = "you wrote" if message["sender"] == "customer" else "shopper replied"
            return f"{who}: {message['body']}"
        case names.CHECKOUT:
            return "shopper checking out"
        case names.DELIVERING:
            return "delivering"
        case names.ORDER_LOCATION:
            return f"shopper at {meta['latitude']:.5f}, {meta['longitude']:.5f}"
        case names.DELIVERED:
            return "delivered"
        case names.RATING_UPDATED:
            rating = meta["rating"]
            note = f": {rating['thank_you_note']}" if rating.get("thank_you_note") else ""
            return f"rated {rating['rating']} stars ({', '.join(rating['highlights'])}){note}"
        case _:
            return event.name
