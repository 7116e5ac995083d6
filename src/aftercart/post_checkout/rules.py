"""Pure rules of the customer's post-checkout view: item status, quantities, phone masking and
whether a replacement decision may be applied."""

from decimal import Decimal
from enum import Enum
from typing import Final

from aftercart.errors import IncompatibleOrderStatus, InvalidParameter

APPROVED: Final = "APPROVED"
REJECTED: Final = "REJECTED"
PENDING: Final = "PENDING"

#: Seed 004's item status for each of seed 002's shopper statuses (items.md). ``not_found`` is
#: the state every item starts in, so the customer sees it as ``pending``.
ITEM_STATUS_BY_SHOPPER_STATUS: Final[dict[str, str]] = {
    "not_found": "pending",
    "found": "found",
    "replaced": "replaced",
    "to_refund": "refunded",
}


def item_status(shopper_status: str) -> str:
    return ITEM_STATUS_BY_SHOPPER_STATUS[shopper_status]


def ordered_quantity(count: int | None) -> int:
    """The ordered count; a line ordered by weight only counts as one."""
    return count if count is not None else 1


def replacement_quantity(
    *, delivered_count: int | None, delivered_weight: Decimal | None, ordered: int
) -> int:
    """How many of the replacement: its delivered count (0 once rejected); one for a replacement
    given only by weight; the ordered quantity when the shopper gave neither."""
    if delivered_count is not None:
        return delivered_count
    if delivered_weight is not None:
        return 1
    return ordered


def mask_phone(phone: str) -> str:
    """Every digit but the last four becomes ``*``; punctuation and spacing are kept, so
    ``(415) 555-4567`` → ``(***) ***-4567`` and ``+14155554567`` → ``+*******4567``."""
    digits_to_mask = max(sum(c.isdigit() for c in phone) - 4, 0)
    masked: list[str] = []
    for char in phone:
        if char.isdigit() and digits_to_mask > 0:
            masked.append("*")
            digits_to_mask -= 1
        else:
            masked.append(char)
    return "".join(masked)


class Decision(Enum):
    APPLY = "apply"
    UNCHANGED = "unchanged"


def check_decision(*, current: str | None, requested: str, picking: bool) -> Decision:
    """Whether the customer's ``requested`` decision applies to an item whose decision is
    ``current`` (``None`` when there is no replacement).

    Repeating the decision already taken is harmless at any time (a client retrying its own
    request); reversing one, or deciding when nothing was proposed, is an error; a pending
    replacement can be decided only while the order is picking.
    """
    if current is None:
        raise InvalidParameter("This item has no replacement to approve or reject.")
    if current == requested:
        return Decision.UNCHANGED
    if current != PENDING:
        raise InvalidParameter(
            f"The replacement was already {current.lower()}; a decision cannot be reversed."
        )
    if not picking:
        raise IncompatibleOrderStatus(
            "Replacements can only be approved or rejected while the order is being picked."
        )
    return Decision.APPLY
