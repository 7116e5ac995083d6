"""The ``event_metadata`` pieces that several events share (README "Events" lists them all)."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from aftercart.fulfillment import rules
from aftercart.models import Order, OrderItem, Product


def wire_time(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, as callbacks carry times; ``None`` stays ``None``."""
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def window_payload(order: Order) -> dict[str, str | None]:
    """The order's delivery (or pickup) window, as Rescheduled and the late callbacks carry it."""
    return {
        "window_starts_at": wire_time(order.window_starts_at),
        "window_ends_at": wire_time(order.window_ends_at),
    }


def late_delivery_payload(order: Order) -> dict[str, Any]:
    """Late delivery's fields, the same whether the timer or the sandbox wrote it."""
    return {"late": True, **window_payload(order)}


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _codes(prefix: str, product: Product | None) -> dict[str, Any]:
    return {
        f"{prefix}_upc": product.upc if product else None,
        f"{prefix}_rrc": product.rrc if product else None,
    }


def item_payload(item: OrderItem) -> dict[str, Any]:
    """An item as callbacks carry it: requested and delivered UPC/RRC, counts and weights.

    Needs ``item.product`` and ``item.replacement_product`` loaded.
    """
    return {
        "line_num": item.line_num,
        "status": item.shopper_status,
        **_codes("requested_item", item.product),
        "requested_count": item.count,
        "requested_weight": _number(item.weight),
        **_codes("delivered_item", rules.delivered_product(item)),
        "delivered_count": item.delivered_count,
        "delivered_weight": _number(item.delivered_weight),
        "replacement_status": item.replacement_status,
        "added_by_shopper": item.added_by_shopper,
    }
