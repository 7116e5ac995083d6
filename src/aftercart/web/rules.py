"""Pure rules of the order status page: the steps of the order, each item's state, the totals.

Totals are quantities, not money. An order line stores no price: the only price Aftercart keeps is
the catalog's ``products.unit_price``, which is today's price (a re-import changes it, and it may
be empty), not the price the customer was quoted at checkout. So the page counts what will be
charged, what is refunded and what is not shopped yet, in units and pounds, and says so.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Final, Protocol

from aftercart.feedback.rules import Highlight, highlight_problems
from aftercart.fulfillment.rules import (
    BRAND_NEW,
    CANCELED,
    LAST_MILE,
    PICKING_STATES,
    CancellationReason,
    PickedLine,
    picking_started,
)

#: The states in which the customer may answer a replacement (the post-checkout API's rule).
ANSWERABLE_STATES: Final = PICKING_STATES
#: The states in which the customer may change the items: before shopping starts (the update
#: of an order is refused after ``brand_new``).
EDITABLE_STATES: Final = frozenset({BRAND_NEW})

# --- Steps ---------------------------------------------------------------------------------------

#: Each service's steps as the customer reads them, with the workflow states each one covers.
#: A pickup order waits in ``staged`` until the runner hands the bags over (``completed``).
DELIVERY_STEPS: Final = (
    ("We got your order", ("brand_new", "acknowledged")),
    ("Shopping in progress", ("picking",)),
    ("Review replacements", ("verifying_replacements",)),
    ("Shopping complete", ("checkout", "receipt_sanity_check")),
    ("Out for delivery", ("delivering",)),
    ("Delivered", ("completed",)),
)
PICKUP_STEPS: Final = (
    ("We got your order", ("brand_new", "acknowledged")),
    ("Shopping in progress", ("picking",)),
    ("Review replacements", ("verifying_replacements",)),
    ("Shopping complete", ("checkout", "receipt_sanity_check", "bags_check")),
    ("Ready for pickup", ("staged",)),
    ("Picked up", ("completed",)),
)
#: Last mile: the retailer packs the order, a shopper only carries it (``docs/last_mile.md``).
LAST_MILE_STEPS: Final = (
    ("We got your order", ("brand_new",)),
    ("Packed at the store", ("staged_for_delivery",)),
    ("Shopper on the way to the store", ("acknowledged", "acknowledged_for_delivery")),
    ("Shopper at the store", ("at_store", "bags_verified")),
    ("Out for delivery", ("delivering",)),
    ("Delivered", ("completed",)),
)
STEPS: Final = {"delivery": DELIVERY_STEPS, "pickup": PICKUP_STEPS, LAST_MILE: LAST_MILE_STEPS}


class Progress(StrEnum):
    DONE = "done"
    CURRENT = "current"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class Step:
    label: str
    progress: Progress


def steps(service_type: str, workflow_state: str) -> tuple[Step, ...]:
    """The order's steps, the one holding ``workflow_state`` current; none for a canceled order
    (how far it got is not the customer's concern), all upcoming for a state no step holds."""
    if workflow_state == CANCELED:
        return ()
    plan = STEPS.get(service_type, DELIVERY_STEPS)
    current = next((i for i, (_, states) in enumerate(plan) if workflow_state in states), None)
    return tuple(Step(label, _progress(index, current)) for index, (label, _) in enumerate(plan))


def _progress(index: int, current: int | None) -> Progress:
    if current is None or index > current:
        return Progress.UPCOMING
    return Progress.CURRENT if index == current else Progress.DONE


def headline(order_steps: tuple[Step, ...]) -> str:
    """The current step's words; ``Canceled`` when there are no steps."""
    current = [step.label for step in order_steps if step.progress is Progress.CURRENT]
    return current[0] if current else ("Order status" if order_steps else "Canceled")


#: Who ended a canceled order, in the customer's words (``other``: nothing is said).
CANCELLATION_WORDS: Final[dict[str, str]] = {
    CancellationReason.CUSTOMER_DRIVEN: "It was canceled at your request.",
    CancellationReason.RETAILER_DRIVEN: "The store canceled it.",
    CancellationReason.INSTACART_DRIVEN: "The delivery service canceled it.",
    CancellationReason.SHOPPER_DRIVEN: "The shopper canceled it.",
    CancellationReason.UNBATCHABLE: "No shopper could take it.",
}


def cancellation_words(reason: str | None) -> str | None:
    return CANCELLATION_WORDS.get(reason) if reason else None


# --- Quantities ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Quantity:
    """Units and pounds together: an order mixes counted lines and lines sold by weight."""

    units: int = 0
    pounds: Decimal = Decimal(0)

    def __add__(self, other: "Quantity") -> "Quantity":
        return Quantity(self.units + other.units, self.pounds + other.pounds)

    def __bool__(self) -> bool:
        return bool(self.units or self.pounds)

    def __str__(self) -> str:
        parts = []
        if self.units:
            parts.append(f"{self.units} item{'' if self.units == 1 else 's'}")
        if self.pounds:
            parts.append(f"{_pounds(self.pounds)} lb")
        return " and ".join(parts) or "nothing"


NOTHING: Final = Quantity()


def _pounds(weight: Decimal) -> str:
    """``1.250`` → ``1.25``, ``2.000`` → ``2``."""
    return f"{weight.normalize():f}"


def quantity(count: int | None, weight: Decimal | None) -> Quantity:
    """A line's amount: its count when it has one, else its weight."""
    if count is not None:
        return Quantity(units=count)
    return Quantity(pounds=weight) if weight is not None else NOTHING


def amount_text(amount: Quantity) -> str:
    """How a line shows its amount: its count and a multiplication sign, or its pounds."""
    if amount.units:
        return f"{amount.units} ×"
    return f"{_pounds(amount.pounds)} lb" if amount.pounds else ""


# --- Items ---------------------------------------------------------------------------------------


class ItemState(StrEnum):
    PENDING = "pending"
    FOUND = "found"
    PARTLY_FOUND = "partly_found"
    REPLACED = "replaced"
    REFUNDED = "refunded"
    CANCELED = "canceled"


#: The badge each state shows.
STATE_WORDS: Final = {
    ItemState.PENDING: "Not shopped yet",
    ItemState.FOUND: "Found",
    ItemState.PARTLY_FOUND: "Partly found",
    ItemState.REPLACED: "Replaced",
    ItemState.REFUNDED: "Refunded",
    ItemState.CANCELED: "Canceled",
}


class Named(Protocol):
    @property
    def name(self) -> str: ...


class PageLine(PickedLine[Named], Protocol):
    """An order line as :class:`aftercart.fulfillment.snapshot.Line` carries it."""

    @property
    def line_num(self) -> str: ...
    @property
    def count(self) -> int | None: ...
    @property
    def weight(self) -> Decimal | None: ...
    @property
    def added_by_shopper(self) -> bool: ...
    @property
    def delivered_count(self) -> int | None: ...
    @property
    def delivered_weight(self) -> Decimal | None: ...


@dataclass(frozen=True)
class ItemRow:
    """One line as the page shows it, and what it adds to each total."""

    line_num: str
    name: str
    ordered: Quantity
    state: ItemState
    note: str | None
    charged: Quantity = NOTHING
    refunded: Quantity = NOTHING
    pending: Quantity = NOTHING
    #: A replacement the customer may still approve or reject.
    awaiting_answer: bool = False
    replacement_name: str | None = None

    @property
    def amount(self) -> str:
        return amount_text(self.ordered)

    @property
    def badge(self) -> str:
        return STATE_WORDS[self.state]


def item_row(line: PageLine, workflow_state: str) -> ItemRow:
    """The line's state for the customer (the post-checkout item statuses, with ``found`` split
    into found and partly found), and its share of the totals.

    Before picking every line is pending; ``not_found`` is the state a line starts in, so it is
    pending too (shopping ends by settling such lines as found). A replacement counts as charged
    while the customer has not answered (no answer is consent); a rejected one is a refund of the
    line, with the turned-down product named. A canceled order charges nothing.
    """
    num, name = line.line_num, line.product.name
    ordered = quantity(line.count, line.weight)
    delivered = quantity(line.delivered_count, line.delivered_weight) or ordered
    if workflow_state == CANCELED:
        return ItemRow(num, name, ordered, ItemState.CANCELED, None)
    added = "Added by your shopper." if line.added_by_shopper else None
    status = line.shopper_status
    if not picking_started(workflow_state) or status == "not_found":
        return ItemRow(num, name, ordered, ItemState.PENDING, added, pending=ordered)
    replacement = line.replacement_product.name if line.replacement_product else "another item"
    if status == "to_refund":
        note = f"You turned down {replacement}." if line.replacement_status == "REJECTED" else None
        return ItemRow(num, name, ordered, ItemState.REFUNDED, note, refunded=ordered)
    if status == "replaced":
        note = f"Replaced by {replacement} ({amount_text(delivered)})."
        waiting = line.replacement_status == "PENDING" and workflow_state in ANSWERABLE_STATES
        if waiting:
            note += " Waiting for your answer; no answer keeps the replacement."
        return ItemRow(
            num,
            name,
            ordered,
            ItemState.REPLACED,
            note,
            charged=delivered,
            awaiting_answer=waiting,
            replacement_name=replacement,
        )
    counted = line.count is not None and line.delivered_count is not None
    missing = ordered.units - delivered.units if counted else 0
    if missing > 0 and not line.added_by_shopper:
        note = f"{delivered.units} of {ordered.units} found."
        refunded = Quantity(units=missing)
        return ItemRow(num, name, ordered, ItemState.PARTLY_FOUND, note, delivered, refunded)
    return ItemRow(num, name, ordered, ItemState.FOUND, added, charged=delivered)


@dataclass(frozen=True)
class Totals:
    charged: Quantity
    refunded: Quantity
    pending: Quantity


def totals(rows: Iterable[ItemRow]) -> Totals:
    charged = refunded = pending = NOTHING
    for row in rows:
        charged, refunded, pending = (
            charged + row.charged,
            refunded + row.refunded,
            pending + row.pending,
        )
    return Totals(charged, refunded, pending)


# --- The window ----------------------------------------------------------------------------------


def _clock(moment: datetime) -> str:
    """``9:00 AM``, ``12:30 PM`` (a no-break space: a line never breaks inside a time)."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d}\u00a0{'AM' if moment.hour < 12 else 'PM'}"


def _day(moment: datetime) -> str:
    return f"{moment:%A}, {moment:%B} {moment.day}"


def window_text(starts: datetime | None, ends: datetime | None, zone: tzinfo) -> str:
    """The window in the store's time, ``Tuesday, March 3, 10:00 AM`` to ``12:00 PM PST``
    joined by an en dash; both dates when it ends on another day."""
    if starts is None or ends is None:
        return "Not scheduled yet"
    start, end = starts.astimezone(zone), ends.astimezone(zone)
    end_text = _clock(end) if start.date() == end.date() else f"{_day(end)}, {_clock(end)}"
    return f"{_day(start)}, {_clock(start)} – {end_text}\u00a0{end.tzname()}"


# --- The rating form -----------------------------------------------------------------------------

#: Each highlight as the form offers it.
HIGHLIGHT_WORDS: Final = {
    Highlight.QUALITY_ITEMS: "Quality items",
    Highlight.SMART_BAGGING: "Smart bagging",
    Highlight.EXTRA_EFFORT: "Went the extra mile",
    Highlight.HELPFUL_CHAT: "Helpful chat",
    Highlight.GOOD_REPLACEMENTS: "Good replacements",
    Highlight.SMOOTH_DELIVERY: "Smooth delivery",
    Highlight.FAST_PICKUP: "Fast pickup",
    Highlight.CLEAR_PICKUP_INSTRUCTIONS: "Clear pickup instructions",
    Highlight.EASY_PARKING: "Easy parking",
    Highlight.SMOOTH_HANDOFF: "Smooth handoff",
}


def highlights_for(service_type: str) -> tuple[tuple[str, str], ...]:
    """``(value, words)`` of the highlights the rating API accepts for the order (a pickup
    highlight fits no delivery, and the other way round)."""
    return tuple(
        (h.value, HIGHLIGHT_WORDS[h])
        for h in Highlight
        if not highlight_problems([h], service_type)
    )


def fresh_line_num(taken: Iterable[str]) -> str:
    """A ``line_num`` no line of the order has ever had: an update that names a removed line's
    number restores that line (with its product), so an added item needs a new one."""
    used = set(taken)
    numbers = [int(num) for num in used if num.isascii() and num.isdigit()]
    candidate = max(numbers, default=0) + 1
    while str(candidate) in used:
        candidate += 1
    return str(candidate)
