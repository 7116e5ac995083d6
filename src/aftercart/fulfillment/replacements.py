"""The customer's replacement choices: Instacart's "Set item replacements"
(``PUT .../orders/{order_id}/replacement_selections``).

A selection overwrites its line's ``replacement_items`` (set at create or update) and makes its
policy ``users_choice``: the customer has chosen, and the shopper is held to the choice
(:func:`aftercart.fulfillment.rules.replacement_refusal`). Lines not selected keep theirs. The
same request twice leaves the same order (idempotent), and no callback is sent: Connect lists
none for it.
"""

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from aftercart.errors import AftercartError, IncompatibleOrderStatus, InvalidParameter
from aftercart.fulfillment import items, rules
from aftercart.fulfillment.orders import order_to_change
from aftercart.fulfillment.schemas import OrderItemSelection, ReplacementSelections
from aftercart.models import Order, OrderItem

UNKNOWN_LINES = "Line items not found in the order: {}"


def _unknown_lines(lines: dict[str, OrderItem], selections: list[OrderItemSelection]) -> None:
    """Every ``line_num`` the order lacks, named in one message (a removed line is not there)."""
    unknown = [s.line_num for s in selections if s.line_num not in lines]
    if unknown:
        names = ", ".join(dict.fromkeys(unknown))
        raise InvalidParameter(UNKNOWN_LINES.format(names), key="selections")


def _ref_keys(i: int, selection: OrderItemSelection) -> list[str]:
    if selection.replacement_items is not None:
        count = len(selection.replacement_items)
        return [f"selections[{i}].replacement_items[{j}]" for j in range(count)]
    return [f"selections[{i}].{'upc' if selection.upc is not None else 'rrc'}"]


async def set_replacements(
    session: AsyncSession,
    *,
    user_id: str,
    order_id: str,
    body: ReplacementSelections,
    now: datetime,
) -> Order:
    """Checks run in order, each answering before the next: the user (400), the order (404), its
    status (3003), unknown lines (400, all named), then each selection (400s, all reported)."""
    _, order = await order_to_change(session, user_id=user_id, order_id=order_id)
    if not rules.takes_replacement_selections(order.workflow_state):
        raise IncompatibleOrderStatus()
    lines = {line.line_num: line for line in order.items if not line.removed}
    _unknown_lines(lines, body.selections)

    catalog = await items.catalog_of(session, [ref for s in body.selections for ref in s.refs()])
    errors: list[AftercartError] = []
    seen: set[str] = set()
    for i, selection in enumerate(body.selections):
        if selection.line_num in seen:
            errors.append(
                InvalidParameter("has already been taken", key=f"selections[{i}].line_num")
            )
        seen.add(selection.line_num)
        found = [items.lookup(catalog, ref) for ref in selection.refs()]
        ordered = lines[selection.line_num].product
        errors += items.replacement_errors(ordered, found, _ref_keys(i, selection))
    items.raise_all(errors)

    for selection in body.selections:
        line = lines[selection.line_num]
        line.replacement_items = [
            {**ref.identifier(), **selection.amount()} for ref in selection.refs()
        ]
        line.replacement_policy = rules.USERS_CHOICE
    order.updated_at = now
    await session.flush()
    return order
