"""Pure rules of the sandbox's read endpoints (Aftercart additions that the shopper console
calls): which batches are still open, how a line reads for the shopper, and how a catalog search
reads its query. Who sees what is the tenant's rule (:mod:`aftercart.db.tenancy`): a client sees
every order, shopper and batch of its tenant."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from aftercart.catalog.barcodes import READERS
from aftercart.fulfillment.rules import CANCELED, PICKING_STATES
from aftercart.sandbox.rules import WORKFLOWS
from aftercart.web.rules import ItemState, PageLine, item_row

# --- Batches -------------------------------------------------------------------------------------


def batch_open(batch_type: str, workflow_state: str, order_states: Iterable[str]) -> bool:
    """Open while the batch has a step left and an order that is not canceled. The last step of
    a pickup batch is ``staged``: the bags wait for a runner batch, the shopper is done."""
    workflow = WORKFLOWS.get(batch_type)
    if workflow is None or workflow_state == workflow[-1]:
        return False
    return any(state != CANCELED for state in order_states)


def next_state(batch_type: str, workflow_state: str) -> str | None:
    """The state one ``advance`` moves the batch to, or ``None`` at the end of its workflow."""
    workflow = WORKFLOWS.get(batch_type, ())
    if workflow_state not in workflow:
        return None
    position = workflow.index(workflow_state)
    return workflow[position + 1] if position + 1 < len(workflow) else None


def items_editable(workflow_state: str) -> bool:
    """The sandbox takes item updates, added items only while the order is picking."""
    return workflow_state in PICKING_STATES


# --- Lines ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineState:
    state: ItemState
    text: str


def _amount(count: int | None, weight: Decimal | None) -> str:
    if count is not None:
        return str(count)
    return f"{weight.normalize():f} lb" if weight is not None else ""


def line_state(line: PageLine, workflow_state: str) -> LineState:
    """The line's state as the order status page derives it (:func:`aftercart.web.rules.item_row`),
    in the shopper's words: what was found, by what it was replaced and what the customer said."""
    state = item_row(line, workflow_state).state
    if state is ItemState.PARTLY_FOUND:
        found = _amount(line.delivered_count, line.delivered_weight)
        text = f"Partly found ({found} of {_amount(line.count, line.weight)})"
    elif state is ItemState.REPLACED:
        name = line.replacement_product.name if line.replacement_product else "another item"
        decision = {"APPROVED": "approved", "PENDING": "waiting for the customer"}
        answer = decision.get(line.replacement_status or "", "")
        text = f"Replaced by {name}" + (f" ({answer})" if answer else "")
    elif state is ItemState.REFUNDED and line.replacement_status == "REJECTED":
        name = line.replacement_product.name if line.replacement_product else "the replacement"
        text = f"Refunded (the customer rejected {name})"
    elif state is ItemState.FOUND and line.added_by_shopper:
        text = "Found (added by the shopper)"
    else:
        text = {ItemState.PENDING: "Pending"}.get(state, state.value.capitalize())
    return LineState(state, text)


# --- Catalog search ------------------------------------------------------------------------------

#: At most this many products answer a search.
MAX_RESULTS: Final = 20
MAX_QUERY_LENGTH: Final = 100
#: The scan types a typed barcode is tried as, in this order (an 8-digit code is an EAN-8 when
#: its check digit says so, else a UPC-E).
SCAN_TYPES: Final = ("upca", "ean13", "ean8", "upce", "gtin14")


@dataclass(frozen=True)
class TypedScan:
    """A query that reads as a barcode: the scan to send with the update, and the GTIN-14."""

    scanned_string: str
    scanned_string_type: str
    gtin: str


def read_barcode(query: str) -> TypedScan | None:
    code = query.strip()
    for kind in SCAN_TYPES:
        gtin = READERS[kind](code)
        if gtin is not None:
            return TypedScan(code, kind, gtin)
    return None


def catalog_codes(gtin: str) -> list[str]:
    """The forms a catalog may hold a GTIN-14 in: as is, as EAN-13, as UPC-A (leading zeros
    dropped) and as EAN-8."""
    return [gtin[-n:] for n in (14, 13, 12, 8) if set(gtin[:-n]) <= {"0"}]
