"""Pure rules of the sandbox: batch workflows and the validation of a shopper's item update."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from aftercart.catalog.barcodes import READERS, gtin14
from aftercart.errors import AftercartError, InvalidParameter, MultipleErrors
from aftercart.events import names
from aftercart.fulfillment.rules import PICKING_STATES

# --- Batch workflows -----------------------------------------------------------------------------

DELIVERY_WORKFLOW: Final = (
    "brand_new",
    "acknowledged",
    "picking",
    "verifying_replacements",
    "checkout",
    "receipt_sanity_check",
    "delivering",
    "completed",
)
PICKUP_WORKFLOW: Final = (
    *DELIVERY_WORKFLOW[:6],
    "bags_check",
    "staged",
    "completed",
)
WORKFLOWS: Final[dict[str, tuple[str, ...]]] = {
    "delivery": DELIVERY_WORKFLOW,
    "pickup": PICKUP_WORKFLOW,
}

#: A new batch starts here (reference §5.1: generate batch answers ``acknowledged``).
INITIAL_STATE: Final = "acknowledged"
COMPLETED: Final = "completed"

#: The callback event each state writes; the states not listed write none.
STATE_EVENTS: Final[dict[str, str]] = {
    "acknowledged": names.ACKNOWLEDGED,
    "picking": names.PICKING,
    "checkout": names.CHECKOUT,
    "staged": names.STAGED,
    "delivering": names.DELIVERING,
    "completed": names.DELIVERED,
}


def steps_to(batch_type: str, current: str, target: str | None = None) -> list[str]:
    """The states a batch passes through, in order, to reach ``target`` (the next state when
    ``target`` is ``None``). Only forward moves: a target that is not ahead is an error."""
    workflow = WORKFLOWS[batch_type]
    position = workflow.index(current)
    if target is None:
        if current == COMPLETED:
            raise InvalidParameter("Batch is already completed", key="workflow_state")
        return [workflow[position + 1]]
    if target not in workflow:
        raise InvalidParameter(f"is not a state of a {batch_type} batch", key="workflow_state")
    goal = workflow.index(target)
    if goal <= position:
        raise InvalidParameter(f"must be a state after {current}", key="workflow_state")
    return list(workflow[position + 1 : goal + 1])


def initial_steps(batch_type: str, requested: str | None) -> list[str]:
    """The states a new batch walks through: to ``acknowledged``, or on to ``requested``."""
    target = requested or INITIAL_STATE
    workflow = WORKFLOWS[batch_type]
    if target in workflow and workflow.index(target) < workflow.index(INITIAL_STATE):
        raise InvalidParameter(f"must be {INITIAL_STATE} or a later state", key="workflow_state")
    return steps_to(batch_type, "brand_new", target)


def leaves_picking(before: str, after: str) -> bool:
    """Whether a step ends the shopping: untouched items are then settled (see ``items.md``)."""
    return before in PICKING_STATES and after not in PICKING_STATES


# --- Item updates --------------------------------------------------------------------------------

SHOPPER_STATUSES: Final = ("found", "replaced", "to_refund", "not_found")
ITEM_EVENTS: Final[dict[str, str]] = {
    "found": names.ITEM_UPDATED,
    "not_found": names.ITEM_UPDATED,
    "replaced": names.ITEM_REPLACEMENT,
    "to_refund": names.ITEM_REFUND,
}

#: Upper bounds that keep values inside the columns (``Integer``, ``Numeric(10, 3)``).
MAX_COUNT: Final = 10_000
MAX_WEIGHT: Final = Decimal(100_000)
WEIGHT_STEP: Final = Decimal("0.001")


@dataclass(frozen=True)
class Outcome:
    """What an item becomes. ``delivered_*`` are of the replacement when ``status`` is
    ``replaced``; ``not_found`` clears everything."""

    status: str
    delivered_count: int | None
    delivered_weight: Decimal | None


def raise_all(errors: Sequence[AftercartError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise MultipleErrors(list(errors))


def _amount_errors(count: int | None, weight: Decimal | None) -> list[AftercartError]:
    errors: list[AftercartError] = []
    if count is not None and not 0 <= count <= MAX_COUNT:
        errors.append(
            InvalidParameter(
                f"must be a non-negative integer up to {MAX_COUNT}", key="delivered_count"
            )
        )
    if weight is not None and not 0 <= weight <= MAX_WEIGHT:
        errors.append(
            InvalidParameter(
                f"must be a non-negative number up to {MAX_WEIGHT}", key="delivered_weight"
            )
        )
    return errors


def _weight(value: Decimal | None) -> Decimal | None:
    return value.quantize(WEIGHT_STEP) if value is not None else None


def check_item_update(
    *,
    status: str | None,
    delivered_count: int | None,
    delivered_weight: Decimal | None,
    has_replacement: bool,
    ordered_count: int | None,
    ordered_weight: Decimal | None,
) -> Outcome:
    """Validates a shopper's update of one line (seed 002) and fills in what was left out.

    ``found`` and ``replaced`` without amounts deliver what was ordered, and must deliver
    something; ``found`` may deliver fewer units than ordered (a partial find) but never more,
    while a replacement may come in any amount; ``to_refund`` delivers nothing; ``not_found``
    ignores amounts and resets the item.
    """
    if not status:
        raise InvalidParameter("can't be blank", key="status")
    if status not in SHOPPER_STATUSES:
        raise InvalidParameter("is not included in the list", key="status")
    errors = _amount_errors(delivered_count, delivered_weight)
    if status == "not_found":
        raise_all(errors)
        return Outcome(status, None, None)
    if status == "to_refund":
        if delivered_count:
            errors.append(InvalidParameter("must be 0 for to_refund", key="delivered_count"))
        if delivered_weight:
            errors.append(InvalidParameter("must be 0 for to_refund", key="delivered_weight"))
        raise_all(errors)
        return Outcome(status, 0, None)
    if status == "replaced" and not has_replacement:
        errors.append(InvalidParameter("can't be blank", key="replacement_item"))
    if delivered_count is None and delivered_weight is None:
        delivered_count, delivered_weight = ordered_count, ordered_weight
    if not errors:
        errors += _delivery_errors(status, delivered_count, delivered_weight, ordered_count)
    raise_all(errors)
    return Outcome(status, delivered_count, _weight(delivered_weight))


def _delivery_errors(
    status: str, count: int | None, weight: Decimal | None, ordered_count: int | None
) -> list[AftercartError]:
    found_too_many = count is not None and ordered_count is not None and count > ordered_count
    if status == "found" and found_too_many:
        return [
            InvalidParameter(
                f"can't be more than the ordered count ({ordered_count})", key="delivered_count"
            )
        ]
    if not count and not weight:
        return [
            InvalidParameter(
                f"must be greater than 0 for a {status} item (use to_refund)",
                key="delivered_count",
            )
        ]
    return []


def check_added_item(
    *, has_item: bool, delivered_count: int | None, delivered_weight: Decimal | None
) -> Outcome:
    """Validates a line the shopper adds: it starts ``found``, one unit unless told otherwise."""
    errors: list[AftercartError] = []
    if not has_item:
        errors.append(InvalidParameter("can't be blank", key="item"))
    errors += _amount_errors(delivered_count, delivered_weight)
    if delivered_count is None and delivered_weight is None:
        delivered_count = 1
    if not errors and not delivered_count and not delivered_weight:
        errors += [InvalidParameter("must be greater than 0", key="delivered_count")]
    raise_all(errors)
    return Outcome("found", delivered_count, _weight(delivered_weight))


def check_item_reference(upc: str | None, rrc: str | None, *, key: str) -> None:
    """An item reference names exactly one of ``upc`` and ``rrc``."""
    if bool(upc) == bool(rrc):
        raise InvalidParameter("must have exactly one of upc or rrc", key=key)


# --- Scans ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    scanned_string: str
    scanned_string_type: str


def scan_errors(scans: Sequence[Scan], *, expected: Iterable[str | None]) -> list[AftercartError]:
    """Each scan must be a valid barcode of its type and, compared as GTIN-14, one of the
    ``expected`` codes (the line's product and its replacement). Codes that are not digits are
    not comparable; when none of the expected codes is, any valid barcode is accepted."""
    wanted = {gtin14(code) for code in expected if code and code.isdigit()}
    errors: list[AftercartError] = []
    for index, scan in enumerate(scans):
        key = f"scans[{index}]"
        kind = scan.scanned_string_type.strip().lower()
        code = scan.scanned_string.strip()
        read = READERS.get(kind)
        if read is None:
            errors.append(InvalidParameter(f"has an unknown scanned_string_type '{kind}'", key=key))
        elif (scanned := read(code)) is None:
            errors.append(InvalidParameter(f"is not a valid {kind} barcode", key=key))
        elif wanted and scanned not in wanted:
            errors.append(
                InvalidParameter(
                    "is the barcode of another product, not of this item or its replacement",
                    key=key,
                )
            )
    return errors


def scans_to_store(scans: Sequence[Scan]) -> list[dict[str, str]]:
    return [
        {
            "scanned_string": scan.scanned_string.strip(),
            "scanned_string_type": scan.scanned_string_type.strip().lower(),
        }
        for scan in scans
    ]


# --- Chat ----------------------------------------------------------------------------------------

MAX_MESSAGE_LENGTH: Final = 1000


def check_message(body: str | None) -> str:
    """The message body, trimmed: 1 to 1000 characters."""
    text = (body or "").strip()
    if not text:
        raise InvalidParameter("can't be blank", key="body")
    if len(text) > MAX_MESSAGE_LENGTH:
        raise InvalidParameter(
            f"is too long (maximum is {MAX_MESSAGE_LENGTH} characters)", key="body"
        )
    return text
