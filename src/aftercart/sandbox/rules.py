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
#: Connect's pickup table ends at ``staged``: the bags wait in the staging area, and a
#: ``runner_customer`` batch takes the order from there to the customer.
PICKUP_WORKFLOW: Final = (
    *DELIVERY_WORKFLOW[:6],
    "bags_check",
    "staged",
)
#: The runner's batch ("Advance the batch status", runner_customer table): ``at_store`` is the
#: customer arriving, ``completed`` the customer leaving with the order.
RUNNER_WORKFLOW: Final = ("brand_new", "at_store", "bags_verified", "completed")
RUNNER: Final = "runner_customer"
#: Last mile ("delivery only"): the shopper collects bags the retailer staged. Connect's table
#: was not readable past ``brand_new``; these are the last-mile states of its post-checkout
#: "Get an order" page and callbacks, in the order a trip takes them (see ``docs/last_mile.md``).
DELIVERY_ONLY_WORKFLOW: Final = (
    "brand_new",
    "acknowledged",
    "acknowledged_for_delivery",
    "at_store",
    "bags_verified",
    "delivering",
    "completed",
)
DELIVERY_ONLY: Final = "delivery_only"
WORKFLOWS: Final[dict[str, tuple[str, ...]]] = {
    "delivery": DELIVERY_WORKFLOW,
    "pickup": PICKUP_WORKFLOW,
    RUNNER: RUNNER_WORKFLOW,
    DELIVERY_ONLY: DELIVERY_ONLY_WORKFLOW,
}
#: The service type of the orders each batch type takes (the same name unless listed).
BATCH_SERVICE_TYPES: Final[dict[str, str]] = {DELIVERY_ONLY: "last_mile"}
#: The batch type an order gets when the request names none.
SERVICE_BATCH_TYPES: Final[dict[str, str]] = {"last_mile": DELIVERY_ONLY}

#: A new batch starts here (generating a batch answers ``acknowledged``); a runner batch has
#: no ``acknowledged`` and starts at ``brand_new``.
INITIAL_STATE: Final = "acknowledged"
COMPLETED: Final = "completed"
STAGED: Final = "staged"
AT_STORE: Final = "at_store"

#: What a runner batch's advance may name besides its states: happenings of the curbside
#: handoff that do not move the batch forward, each with the runner states it may happen in.
#: ``unable_to_find_customer`` sends the runner back (the batch returns to ``brand_new`` and the
#: customer must arrive again).
RUNNER_SIGNALS: Final[dict[str, tuple[str, ...]]] = {
    "pickup_geofence_reached": ("brand_new",),
    "runner_not_found": ("at_store",),
    "unable_to_find_customer": ("at_store", "bags_verified"),
}
#: The same for the batches that deliver: ``customer_missing`` is the shopper at the customer's
#: door who cannot find them (the runner's ``unable_to_find_customer``); the batch stays.
DELIVERY_SIGNALS: Final[dict[str, tuple[str, ...]]] = {"customer_missing": ("delivering",)}
SIGNALS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    RUNNER: RUNNER_SIGNALS,
    "delivery": DELIVERY_SIGNALS,
    DELIVERY_ONLY: DELIVERY_SIGNALS,
}
#: The callback each delivery signal writes (the runner's: ``post_checkout.runner``).
DELIVERY_SIGNAL_EVENTS: Final[dict[str, str]] = {"customer_missing": names.CUSTOMER_MISSING}

#: The callback event each state writes; the states not listed write none.
STATE_EVENTS: Final[dict[str, str]] = {
    "acknowledged": names.ACKNOWLEDGED,
    "picking": names.PICKING,
    "checkout": names.CHECKOUT,
    "staged": names.STAGED,
    "acknowledged_for_delivery": names.ACKNOWLEDGED_FOR_DELIVERY,
    "at_store": names.AT_STORE,
    "bags_verified": names.BAGS_VERIFIED,
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
        if position == len(workflow) - 1:
            raise InvalidParameter(
                f"Batch is already {current}: generate a {RUNNER} batch to hand the order to "
                "the customer",
                key="workflow_state",
            )
        return [workflow[position + 1]]
    if target not in workflow:
        raise InvalidParameter(f"is not a state of a {batch_type} batch", key="workflow_state")
    goal = workflow.index(target)
    if goal <= position:
        raise InvalidParameter(f"must be a state after {current}", key="workflow_state")
    return list(workflow[position + 1 : goal + 1])


def signal_named(batch_type: str, target: str | None) -> str | None:
    """``target`` when it names one of the batch type's signals rather than a state."""
    return target if target in SIGNALS.get(batch_type, {}) else None


def check_signal(current: str, signal: str, batch_type: str = RUNNER) -> None:
    """A signal is allowed only in the batch states where it can happen."""
    allowed = SIGNALS[batch_type][signal]
    if current not in allowed:
        raise InvalidParameter(
            f"{signal} can only happen while the batch is {' or '.join(allowed)}",
            key="workflow_state",
        )


def initial_steps(batch_type: str, requested: str | None) -> list[str]:
    """The states a new batch walks through: to ``acknowledged``, or on to ``requested``; a
    runner batch stays ``brand_new`` unless a later state is requested."""
    workflow = WORKFLOWS[batch_type]
    if batch_type == RUNNER:
        return [] if requested in (None, "brand_new") else steps_to(RUNNER, "brand_new", requested)
    target = requested or INITIAL_STATE
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
    """Validates a shopper's update of one line (Instacart's "Update an order item as a
    shopper") and fills in what was left out.

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
